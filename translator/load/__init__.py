"""The loader: paths → documents → per-kind parsers → one `Loaded` result.

    loaded = load(["policies/", "cluster.yaml"])          # raises InputError if anything is invalid
    loaded.policies, loaded.cluster()

`parse_documents` does the same on documents already read and never raises for invalid content:
`validate` uses it to report every problem and still count what was valid.
Objects keep the order of their documents (files as named, folders sorted), so the same input
always gives the same result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from translator.errors import Diagnostic, Diagnostics, InputError, Level, Location
from translator.gc_pause import cycle_collector_paused
from translator.load import calico as calico_parsers
from translator.load import k8s as k8s_parsers
from translator.load import services as service_parsers
from translator.load import workloads as workload_parsers
from translator.load.cluster_state import DEFAULT_POD_CIDRS, build_cluster
from translator.load.documents import Document, iter_documents, read_documents
from translator.load.registry import LoadContext, Parser
from translator.model import calico, k8s
from translator.model.cluster import Cluster, HostEndpoint, Namespace, NetworkSet, Pod
from translator.model.common import IPNetwork
from translator.model.services import EndpointSlice, Service

__all__ = [
    "Document",
    "LoadContext",
    "Loaded",
    "load",
    "load_cluster",
    "load_policies",
    "parse_documents",
    "parsers",
    "read_documents",
]


@dataclass(frozen=True)
class Loaded:
    """Everything read from the input, sorted by kind, with the diagnostics found on the way."""

    policies: calico.PolicySet = field(default_factory=calico.PolicySet)
    namespaces: tuple[Namespace, ...] = ()
    pods: tuple[Pod, ...] = ()
    host_endpoints: tuple[HostEndpoint, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    document_count: int = 0
    invalid_document_count: int = 0
    workloads: tuple[workload_parsers.Workload, ...] = ()
    pod_owners: Mapping[str, tuple[workload_parsers.OwnerRef, ...]] = field(default_factory=dict)
    services: tuple[Service, ...] = ()
    endpoint_slices: tuple[EndpointSlice, ...] = ()
    network_sets: tuple[NetworkSet, ...] = ()

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.level is Level.ERROR)

    def cluster(self, pod_cidrs: Sequence[IPNetwork] = DEFAULT_POD_CIDRS) -> Cluster:
        """The cluster state: namespaces (plus any a pod uses), pods, one endpoint per workload
        (addressed from `pod_cidrs`), host endpoints and Services."""
        return self.cluster_with_notes(pod_cidrs)[0]

    def cluster_with_notes(
        self, pod_cidrs: Sequence[IPNetwork] = DEFAULT_POD_CIDRS
    ) -> tuple[Cluster, list[Diagnostic]]:
        """The cluster state, and notes on how workloads were counted and Services backed."""
        return build_cluster(
            self.namespaces, self.pods, self.pod_owners, self.workloads,
            (self.host_endpoints, self.services, self.endpoint_slices), pod_cidrs, self.network_sets,
        )

    def raise_if_errors(self) -> None:
        """InputError with every error (and the warnings, which often explain them)."""
        if self.errors:
            raise InputError([d for d in self.diagnostics if d.level is not Level.INFO])


def parsers() -> dict[tuple[str, str], Parser]:
    """Every known (apiVersion, kind): Kubernetes kinds and Calico kinds."""
    return {**k8s_parsers.PARSERS, **workload_parsers.PARSERS, **service_parsers.PARSERS,
            **calico_parsers.PARSERS}


def load(
    paths: Sequence[str], *, stdin: TextIO | None = None, context: LoadContext = LoadContext()
) -> Loaded:
    """Read and parse every path; raise InputError if any file is unreadable or any object invalid.

    Each document is parsed as soon as it is read (a List's items one by one) and then dropped:
    the raw objects of a big snapshot never all sit in memory."""
    # Loading builds millions of small objects without reference cycles: the cycle collector
    # would rescan them again and again as they pile up, for nothing (about 15% of the load time
    # of 10,000 policies).
    with cycle_collector_paused():
        loaded = parse_documents(iter_documents(paths, stdin), context)
    loaded.raise_if_errors()
    return loaded


def load_policies(
    paths: Sequence[str], *, stdin: TextIO | None = None, context: LoadContext = LoadContext()
) -> calico.PolicySet:
    return load(paths, stdin=stdin, context=context).policies


def load_cluster(
    paths: Sequence[str], *, stdin: TextIO | None = None, context: LoadContext = LoadContext()
) -> Cluster:
    return load(paths, stdin=stdin, context=context).cluster()


def parse_documents(documents: Iterable[Document], context: LoadContext = LoadContext()) -> Loaded:
    """Parse every document; problems become diagnostics in the result, nothing is raised."""
    diags = Diagnostics()
    collector = _Collector(diags)
    known = parsers()
    count = invalid = 0
    for document in documents:
        count += 1
        first = len(diags.items)
        parsed = _parse_document(document, known, diags, context)
        if parsed is not None:
            collector.add(parsed, document.location)
        invalid += diags.errors_since(first)
        # Schema and rule checks run in turn; readers want one document's problems in field order.
        diags.items[first:] = sorted(diags.items[first:], key=lambda d: _field_order(d.location.path))
    return collector.result(count, invalid)


def _field_order(path: str) -> tuple[tuple[int, str, int], ...]:
    """`items[2]` before `items[10]`, `metadata` before `spec`; the document itself first."""
    tokens = (t for t in re.split(r"\.|\[(\d+)\]", path) if t)
    return tuple((1, "", int(t)) if t.isdigit() else (0, t, 0) for t in tokens)


def _parse_document(
    document: Document, known: Mapping[tuple[str, str], Parser], diags: Diagnostics, context: LoadContext
) -> Any:
    body, loc = document.body, document.location
    if not isinstance(body, dict):
        diags.error(loc, f"not a Kubernetes object: expected a mapping, got {_json_type(body)}")
        return None
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
        diags.error(loc, "not a Kubernetes object: `apiVersion` and `kind` are required")
        return None
    parser = known.get((api_version, kind))
    if parser is not None:
        return parser(body, loc, diags, context)
    versions = sorted(v for v, k in known if k == kind)
    if versions:
        # A policy silently skipped for its apiVersion would change what the output allows.
        diags.error(loc, f"apiVersion {api_version!r} of {kind} is not supported: use {', '.join(versions)}")
    else:
        diags.info(loc, f"skipped {kind} ({api_version}): np2calico does not use this kind")
    return None


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else f"a {type(value).__name__} value"


class _Collector:
    """Sorts parsed objects by kind and refuses the same object defined twice."""

    def __init__(self, diags: Diagnostics) -> None:
        self.diags = diags
        self.seen: dict[str, Location] = {}
        self.k8s_policies: list[k8s.NetworkPolicy] = []
        self.calico_policies: list[calico.CalicoPolicy] = []
        self.staged_k8s: list[calico.StagedKubernetesNetworkPolicy] = []
        self.tiers: list[calico.Tier] = []
        self.namespaces: list[Namespace] = []
        self.pods: list[Pod] = []
        self.host_endpoints: list[HostEndpoint] = []
        self.workloads: list[workload_parsers.Workload] = []
        self.pod_owners: dict[str, tuple[workload_parsers.OwnerRef, ...]] = {}
        self.services: list[Service] = []
        self.endpoint_slices: list[EndpointSlice] = []
        self.network_sets: list[NetworkSet] = []

    def add(self, obj: Any, location: Location) -> None:
        if isinstance(obj, workload_parsers.OwnedPod):
            self.pod_owners.setdefault(obj.pod.key, obj.owners)
            obj = obj.pod
        identity, bucket = self._place(obj)
        first = self.seen.setdefault(identity, location)
        if first is not location:
            self.diags.error(location, f"duplicate {identity}: already defined at {first}")
            return
        bucket.append(obj)

    def _place(self, obj: Any) -> tuple[str, list[Any]]:
        """The identity that must be unique, and the list the object goes to."""
        if isinstance(obj, k8s.NetworkPolicy):
            return f"NetworkPolicy {obj.key}", self.k8s_policies
        if isinstance(obj, (calico.NetworkPolicy, calico.GlobalNetworkPolicy)):
            return obj.key, self.calico_policies
        if isinstance(obj, calico.StagedKubernetesNetworkPolicy):
            return obj.key, self.staged_k8s
        if isinstance(obj, calico.Tier):
            return f"Tier {obj.name}", self.tiers
        if isinstance(obj, Namespace):
            return f"Namespace {obj.name}", self.namespaces
        if isinstance(obj, Pod):
            return f"Pod {obj.key}", self.pods
        if isinstance(obj, HostEndpoint):
            return f"HostEndpoint {obj.name}", self.host_endpoints
        if isinstance(obj, NetworkSet):
            return obj.key, self.network_sets
        if isinstance(obj, workload_parsers.Workload):
            return f"{obj.kind} {obj.namespace}/{obj.name}", self.workloads
        if isinstance(obj, Service):
            return f"Service {obj.key}", self.services
        if isinstance(obj, EndpointSlice):
            return f"EndpointSlice {obj.key}", self.endpoint_slices
        raise TypeError(f"a parser returned an unsupported object: {type(obj).__name__}")

    def result(self, document_count: int, invalid_document_count: int) -> Loaded:
        policies = calico.PolicySet(
            k8s_policies=tuple(self.k8s_policies),
            calico_policies=tuple(self.calico_policies),
            staged_k8s_policies=tuple(self.staged_k8s),
            tiers=tuple(self.tiers),
        )
        return Loaded(
            policies=policies,
            namespaces=tuple(self.namespaces),
            pods=tuple(self.pods),
            host_endpoints=tuple(self.host_endpoints),
            diagnostics=tuple(self.diags.items),
            document_count=document_count,
            invalid_document_count=invalid_document_count,
            workloads=tuple(self.workloads),
            pod_owners=dict(self.pod_owners),
            services=tuple(self.services),
            endpoint_slices=tuple(self.endpoint_slices),
            network_sets=tuple(self.network_sets),
        )
