"""The sequences behind `apply`, `promote` and `rollback`: read, plan, write the bundle, run.

The plan compares the manifests with the objects the cluster holds under the same names, read
through the kubernetes client (`translator.cluster`), so the plan does not depend on which tool
applies. Nothing is changed before the rollback bundle is on disk.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from translator.apply import bundle as bundles
from translator.apply.plan import (
    CALICO_V3,
    ENFORCED_KINDS,
    Plan,
    build_apply_plan,
    build_promote_plan,
    build_rollback_plan,
    staged,
)
from translator.apply.runner import Runner, run_plan
from translator.cluster import CALICO_CRD, CALICO_KINDS, ClusterClient, calico_resource
from translator.errors import ClusterError, Diagnostic, InputError, Level
from translator.load.documents import Document, read_documents
from translator.resource_diff import expand_lists

# What apply accepts: Calico policies and tiers (HostEndpoints are cluster state, not policy).
APPLICABLE_KINDS = tuple(k for k in CALICO_KINDS if k != "HostEndpoint")


def read_manifests(paths: Sequence[str], stdin: TextIO | None = None) -> list[dict[str, Any]]:
    """The Calico manifests to apply; any other kind is an InputError naming where it is."""
    documents = read_documents(paths, stdin)
    problems = [p for d in documents if (p := _unsupported(d)) is not None]
    if problems:
        raise InputError(problems)
    return [dict(m) for m in expand_lists([d.body for d in documents])]


def _unsupported(document: Document) -> Diagnostic | None:
    body = document.body
    if not isinstance(body, dict):
        return Diagnostic(document.location, Level.ERROR, "expected an object")
    kind, api_version = body.get("kind"), body.get("apiVersion")
    if api_version == CALICO_V3 and kind in APPLICABLE_KINDS:
        if (body.get("metadata") or {}).get("name"):
            return None
        return Diagnostic(document.location.child("metadata").child("name"), Level.ERROR, "required")
    return Diagnostic(document.location, Level.ERROR,
                      f"apply takes {CALICO_V3} {', '.join(APPLICABLE_KINDS)}; not {api_version} {kind}")


def check_tool(client: ClusterClient, runner: Runner) -> None:
    """kubectl can only write projectcalico.org/v3 objects through the Calico API server."""
    calico = client.calico()
    if calico is None:
        raise ClusterError(f"the Calico API is absent: neither {CALICO_V3} nor {CALICO_CRD} is served "
                           f"by {client.host}; install Calico first")
    if calico[0] == CALICO_CRD and runner.tool == "kubectl":
        raise ClusterError(f"kubectl cannot apply {CALICO_V3} objects: the Calico API server is not "
                           f"installed (only {CALICO_CRD} is served); use --with calicoctl")


def current(client: ClusterClient, manifests: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The cluster's objects with the names of `manifests` (those that exist)."""
    calico = client.calico()
    api_version, served = (calico[0], {r.kind for r in calico[1]}) if calico else (CALICO_V3, set())
    found = []
    for manifest in manifests:
        metadata = manifest.get("metadata") or {}
        kind = str(manifest.get("kind"))
        if calico and kind not in served:
            raise ClusterError(f"this cluster's Calico does not serve {kind} ({api_version}); "
                               "staged policies need Calico v3.30 or later")
        resource = calico_resource(kind, api_version)
        obj = client.get(resource, metadata.get("namespace") or "default", str(metadata.get("name")))
        if obj is not None:
            found.append(obj)
    return found


def plan_apply(client: ClusterClient, manifests: Sequence[Mapping[str, Any]], *, stage: bool) -> Plan:
    """The plan for `apply` (`stage`: as Staged kinds, for a preview in Calico's flow logs)."""
    proposed = [staged(m) if stage else dict(m) for m in manifests]
    return build_apply_plan(proposed, current(client, proposed))


def plan_promote(client: ClusterClient, from_bundle: bundles.Bundle | None) -> Plan:
    """Promote the staged policies a bundle applied, or every staged policy of the cluster."""
    if from_bundle is not None:
        wanted = [m for m in from_bundle.planned if m.get("kind") in ENFORCED_KINDS]
        staged_objects = current(client, wanted)
    else:
        staged_objects = _all_staged(client)
    # Enforced policies that already carry those names: the promote updates them (and a rollback
    # restores them).
    enforced_names = [{**s, "kind": ENFORCED_KINDS[str(s.get("kind"))]}
                      for s in staged_objects if s.get("kind") in ENFORCED_KINDS]
    return build_promote_plan(staged_objects, current(client, enforced_names))


def missing_staged(client: ClusterClient, bundle: bundles.Bundle) -> list[str]:
    """The staged objects a bundle applied that the cluster no longer holds, as `Kind ns/name`."""
    wanted = [m for m in bundle.planned if m.get("kind") in ENFORCED_KINDS]
    present = {_name_of(o) for o in current(client, wanted)}
    return [name for name in map(_name_of, wanted) if name not in present]


def _name_of(manifest: Mapping[str, Any]) -> str:
    metadata = manifest.get("metadata") or {}
    namespace = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
    return f"{manifest.get('kind')} {namespace}{metadata.get('name')}"


def _all_staged(client: ClusterClient) -> list[dict[str, Any]]:
    calico = client.calico()
    resources = calico[1] if calico else ()
    return [obj for r in resources if r.kind.startswith("Staged") for obj in client.list(r)]


def plan_rollback(bundle: bundles.Bundle) -> Plan:
    return build_rollback_plan(bundle.previous, bundle.created)


def execute(
    plan: Plan, runner: Runner, command: str, bundle_path: Path | None,
    progress: Callable[[str], None], now: datetime.datetime | None = None,
) -> Path | None:
    """Write the rollback bundle (unless `bundle_path` is None), then run the plan step by step."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if bundle_path is not None:
        bundle = bundles.bundle_for(plan, command, now, tool=runner.tool, context=runner.context,
                                    kubeconfig=runner.kubeconfig)
        bundles.write(bundle, bundle_path)
        progress(f"rollback bundle: {bundle_path}")
    hint = f"undo with: np2calico rollback {bundle_path}" if bundle_path else ""
    run_plan(plan, runner, progress, undo_hint=hint)
    return bundle_path


def dry_run(plan: Plan, runner: Runner, progress: Callable[[str], None]) -> None:
    """kubectl's server-side dry run of every step; calicoctl has none (said, not faked)."""
    if not runner.has_server_dry_run:
        progress("calicoctl has no server-side dry run: nothing was sent to the cluster")
        return
    run_plan(plan, runner, progress, dry_run=True)
