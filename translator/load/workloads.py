"""Parsers of the objects that make pods: Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs,
CronJobs and ReplicationControllers, as `kubectl get -o yaml`, `helm template` or `kustomize build`
print them.

A workload is read for its pod template (namespace, labels, container ports, host network,
service account), its selector and its owner references: `translator.load.cluster_state` then
keeps one endpoint per workload the cluster would run (a Deployment, not also its ReplicaSet).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from translator.errors import Diagnostics, Location
from translator.load import fields
from translator.load.fields import items, mapping, text
from translator.load.k8s import container_ports, parse_label_selector, parse_pod
from translator.load.names import dns1123_label_errors, dns1123_subdomain_errors
from translator.load.registry import LoadContext, Parser
from translator.load.schema import check_schema
from translator.model.cluster import Pod
from translator.model.common import LabelSelector

WORKLOAD_SCHEMA = "workload.schema.json"

# kind → (apiVersion, path of the pod template under `spec`)
WORKLOAD_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Deployment": ("apps/v1", ("template",)),
    "ReplicaSet": ("apps/v1", ("template",)),
    "StatefulSet": ("apps/v1", ("template",)),
    "DaemonSet": ("apps/v1", ("template",)),
    "Job": ("batch/v1", ("template",)),
    "CronJob": ("batch/v1", ("jobTemplate", "spec", "template")),
    "ReplicationController": ("v1", ("template",)),
}

OwnerRef = tuple[str, str]  # (kind, name), in the owned object's namespace


@dataclass(frozen=True)
class Workload:
    """A workload as read: its pods' template (a `Pod` with `workload` set and no address)."""

    kind: str
    template: Pod
    selector: LabelSelector | None
    owners: tuple[OwnerRef, ...]
    location: Location

    @property
    def namespace(self) -> str:
        return self.template.namespace

    @property
    def name(self) -> str:
        return self.template.name

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)


@dataclass(frozen=True)
class OwnedPod:
    """A pod that names its controller (`metadata.ownerReferences`)."""

    pod: Pod
    owners: tuple[OwnerRef, ...]


def owner_references(meta: Mapping[str, Any]) -> tuple[OwnerRef, ...]:
    """The controller owner when one is marked, else every owner named with kind and name."""
    refs = [mapping(r) for r in items(meta.get("ownerReferences"))]
    named = [r for r in refs if text(r.get("kind")) and text(r.get("name"))]
    controllers = [r for r in named if r.get("controller") is True] or named
    return tuple((str(r["kind"]), str(r["name"])) for r in controllers)


def parse_workload(
    body: Mapping[str, Any], loc: Location, diags: Diagnostics, ctx: LoadContext
) -> Workload | None:
    """The workload's pod template; a workload without one is an error (it makes no pods)."""
    mark = len(diags.items)
    check_schema(body, WORKLOAD_SCHEMA, loc, diags)
    kind = str(body.get("kind"))
    meta = mapping(body.get("metadata"))
    name = fields.object_name(meta, loc, diags, dns1123_subdomain_errors)
    namespace = fields.object_namespace(meta, loc, diags, ctx, dns1123_label_errors)
    if meta.get("labels"):
        fields.labels(meta.get("labels"), loc.child("metadata").child("labels"), diags)
    spec = mapping(body.get("spec"))
    template, template_loc = _template(kind, spec, loc.child("spec"))
    if template is None:
        diags.error(template_loc, f"required value: a {kind} without a pod template makes no pods to judge")
        return None
    selector_value = spec.get("selector")
    selector = (parse_label_selector(selector_value, loc.child("spec").child("selector"), diags)
                if isinstance(selector_value, dict) else None)
    pod = _template_pod(kind, namespace, name or "", template, template_loc, diags)
    if not name or diags.errors_since(mark):
        return None
    return Workload(kind, pod, selector, owner_references(meta), loc)


def _template(kind: str, spec: Mapping[str, Any], loc: Location) -> tuple[Mapping[str, Any] | None, Location]:
    """The pod template of `spec` and its location (where it is missing, if it is)."""
    value: Any = spec
    for step in WORKLOAD_KINDS[kind][1]:
        loc = loc.child(step)
        value = mapping(value).get(step)
        if not isinstance(value, dict):
            return None, loc
    return value, loc


def _template_pod(
    kind: str, namespace: str, name: str, template: Mapping[str, Any], loc: Location, diags: Diagnostics
) -> Pod:
    meta = mapping(template.get("metadata"))
    spec = mapping(template.get("spec"))
    labels = fields.labels(meta.get("labels"), loc.child("metadata").child("labels"), diags)
    return Pod(
        namespace=namespace,
        name=name,
        labels=labels,
        ports=container_ports(spec, loc.child("spec"), diags),
        service_account=text(spec.get("serviceAccountName")) or text(spec.get("serviceAccount")) or "default",
        host_network=spec.get("hostNetwork") is True,
        workload=kind.lower(),
    )


def parse_pod_with_owner(
    body: Mapping[str, Any], loc: Location, diags: Diagnostics, ctx: LoadContext
) -> Pod | OwnedPod | None:
    """A Pod, remembering the controller that made it (so its workload is not counted again)."""
    pod = parse_pod(body, loc, diags, ctx)
    owners = owner_references(mapping(body.get("metadata")))
    return OwnedPod(pod, owners) if pod is not None and owners else pod


PARSERS: dict[tuple[str, str], Parser] = {
    **{(api_version, kind): parse_workload for kind, (api_version, _) in WORKLOAD_KINDS.items()},
    ("v1", "Pod"): parse_pod_with_owner,
}
