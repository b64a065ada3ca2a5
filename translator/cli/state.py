"""The cluster state of `--cluster` (repeatable: the files are read as one state) and `--pod-cidr`.

Shared by the commands that judge traffic on a cluster (explain, diff). Notes on how workloads
were counted and addressed, and warnings about Services, go to stderr like the loader's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from translator.cli import console
from translator.cli.common import report
from translator.cli.progress import step
from translator.errors import Diagnostic, InputError, Level, Location, UsageError

if TYPE_CHECKING:  # loaded where a command reads its state, not when the command line starts
    from translator.load import Loaded
    from translator.model.calico import PolicySet
    from translator.model.cluster import Cluster, NetworkSet
    from translator.model.common import IPNetwork


def pod_cidrs(values: Sequence[str] | None) -> tuple[IPNetwork, ...]:
    from translator.load.cluster_state import DEFAULT_POD_CIDRS

    if not values:
        return DEFAULT_POD_CIDRS
    found = []
    for value in values:
        try:
            found.append(ipaddress.ip_network(value, strict=True))
        except ValueError as exc:
            raise UsageError(f"--pod-cidr {value!r}: {exc}") from None
    if len({n.version for n in found}) != len(found):
        raise UsageError("--pod-cidr: give at most one CIDR per IP family")
    return tuple(found)


def read_state(paths: Sequence[str], namespace: str) -> Loaded:
    """Every `--cluster` input read as one state (an object defined twice is an error)."""
    from translator.load import LoadContext, load

    with step("reading the cluster state"):
        loaded = load(list(paths), context=LoadContext(default_namespace=namespace))
    report(d for d in loaded.diagnostics if d.level is not Level.ERROR)
    return loaded


NETWORK_SETS_ARE_STATE = "network sets are cluster state: give them with --cluster"


def refuse_network_sets(network_sets: Iterable[NetworkSet], why: str) -> None:
    """Network sets change which addresses rule selectors match: where they would not be used,
    each is an error at its document, never silently dropped."""
    found = [Diagnostic(n.origin or Location(), Level.ERROR, f"{n.key}: {why}") for n in network_sets]
    if found:
        raise InputError(found)


def state_cluster(loaded: Loaded, cidrs: Sequence[IPNetwork]) -> Cluster:
    """The cluster of a state, with its notes (workloads counted, Services unbacked) reported."""
    with step("building the cluster"):
        cluster, notes = loaded.cluster_with_notes(cidrs)
    report(notes)
    return cluster


def address_notes(loaded: Loaded, cidrs: Sequence[IPNetwork], *policy_sets: PolicySet) -> list[str]:
    """How ipBlocks were judged for workloads and pods without an address of their own."""
    from translator.load.cluster_state import ip_block_notes, unaddressed

    if not unaddressed(loaded.pods, loaded.workloads):
        return []
    return ip_block_notes((c for ps in policy_sets for c in policy_cidrs(ps)), cidrs)


def policy_cidrs(policies: PolicySet) -> list[IPNetwork]:
    """Every CIDR a rule of `policies` names (ipBlocks, and Calico nets / notNets)."""
    found: list[IPNetwork] = []
    for k8s_policy in (*policies.k8s_policies, *(s.policy for s in policies.staged_k8s_policies)):
        for rule in (*k8s_policy.ingress, *k8s_policy.egress):
            for peer in rule.peers:
                if peer.ip_block is not None:
                    found += [peer.ip_block.cidr, *peer.ip_block.except_]
    for calico_policy in policies.calico_policies:
        for calico_rule in (*calico_policy.spec.ingress, *calico_policy.spec.egress):
            for side in (calico_rule.source, calico_rule.destination):
                found += [*side.nets, *side.not_nets]
    return found


def emptiness_warnings(cluster: Cluster, policies: PolicySet) -> list[str]:
    """A verdict on a cluster without pods is an answer about nothing: say so, and name the
    namespaces whose policies select pods the state does not have."""
    judged = [p for p in cluster.pods if not p.host_network]
    if not cluster.pods:
        return ["the cluster state holds no pod and no workload: every answer is about nothing; "
                "give the workloads with --cluster (manifests, helm template or kustomize build output)"]
    populated = {p.namespace for p in judged}
    namespaced = (*policies.k8s_policies, *policies.staged_k8s_policies, *policies.calico_policies)
    policy_namespaces = sorted({ns for p in namespaced if (ns := getattr(p, "namespace", None))})
    return [f"namespace {ns} has policies but 0 pods in the cluster state: nothing in it is judged"
            for ns in policy_namespaces if ns not in populated]


def warn(messages: Sequence[str]) -> None:
    for message in messages:
        console.warning(message)


def note(messages: Sequence[str]) -> None:
    for message in messages:
        console.note(f"np2calico: note: {message}")


def host_network_summary(cluster: Cluster) -> list[str]:
    """Host-network pods and workloads are not counted per namespace: they are judged as their node."""
    host = sorted(p.label for p in cluster.pods if p.host_network)
    return [f"host network, judged as their node: {', '.join(host)}"] if host else []


def holds_policies(policies: PolicySet) -> bool:
    return bool(policies.k8s_policies or policies.calico_policies or policies.staged_k8s_policies)
