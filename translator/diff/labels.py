"""What a concrete diff says about the cluster it judged: the Services selecting each pod group,
and the pods and workloads per namespace (0 where policies are but no pod is).

Both read the cluster state only: the changes themselves are not recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from translator.diff.result import EndpointKind, Endpoints, JudgedNamespace, SemanticDiff
from translator.model.calico import PolicySet
from translator.model.cluster import Cluster, Pod


def _entry(pod: Pod) -> str:
    return pod.name if pod.workload is None else f"{pod.workload}/{pod.name}"


def selecting_services(cluster: Cluster) -> dict[tuple[str, str], tuple[str, ...]]:
    """(namespace, entry of `Endpoints.names`) → the names of the Services selecting it."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for pod in cluster.pods:
        services = sorted(s.name for s in cluster.services_selecting(pod))
        if services:
            found[(pod.namespace, _entry(pod))] = tuple(services)
    return found


def _labelled(side: Endpoints, services: dict[tuple[str, str], tuple[str, ...]]) -> Endpoints:
    if side.spans:  # pods of several namespaces: each span is one namespace's pods
        spans = tuple(_labelled(span, services) for span in side.spans)
        return replace(side, spans=spans) if spans != side.spans else side
    if side.kind is not EndpointKind.PODS or side.namespace is None:
        return side
    pairs = tuple((n, found) for n in side.names if (found := services.get((side.namespace, n))))
    return replace(side, services=pairs) if pairs else side


def with_services(diff: SemanticDiff, cluster: Cluster) -> SemanticDiff:
    """Every group of pods names the Services selecting its pods and workloads."""
    services = selecting_services(cluster)
    if not services:
        return diff
    # Changes share their sides: each is labelled once, and stays shared (the JSON renderer
    # finds a side's text by identity first).
    labelled: dict[int, tuple[Endpoints, Endpoints]] = {}

    def side(found: Endpoints) -> Endpoints:
        known = labelled.get(id(found))
        if known is None or known[0] is not found:
            known = labelled[id(found)] = (found, _labelled(found, services))
        return known[1]

    return replace(diff, changes=tuple(
        replace(c, source=side(c.source), destination=side(c.destination)) for c in diff.changes))


def _policy_namespaces(policy_sets: Iterable[PolicySet]) -> set[str]:
    found: set[str] = set()
    for policies in policy_sets:
        for policy in (*policies.k8s_policies, *policies.calico_policies):
            namespace = getattr(policy, "namespace", None)
            if isinstance(namespace, str):
                found.add(namespace)
        found.update(s.policy.namespace for s in policies.staged_k8s_policies)
    return found


def judged_namespaces(cluster: Cluster, *policy_sets: PolicySet) -> tuple[JudgedNamespace, ...]:
    """Pods and workloads per namespace of the state or of the policies (host-network ones are
    judged as their node and not counted)."""
    with_policies = _policy_namespaces(policy_sets)
    by_namespace: dict[str, list[Pod]] = {}  # one pass: a scan per namespace was quadratic
    for pod in cluster.pods:
        by_namespace.setdefault(pod.namespace, []).append(pod)
    judged = []
    for namespace in sorted(set(by_namespace) | set(cluster.namespaces) | with_policies):
        members = [p for p in by_namespace.get(namespace, ()) if not p.host_network]
        workloads = sum(1 for p in members if p.workload is not None)
        judged.append(JudgedNamespace(namespace, len(members) - workloads, workloads,
                                      namespace in with_policies))
    return tuple(judged)


def with_judged(diff: SemanticDiff, cluster: Cluster, *policy_sets: PolicySet) -> SemanticDiff:
    return replace(diff, judged=judged_namespaces(cluster, *policy_sets))
