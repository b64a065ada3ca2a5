"""`diff --group-namespaces` with outside addresses: the engine cuts address cells per namespace,
so one product may hold overlapping cells of several namespaces. They are put on one partition
before merging, so what changed alike for several namespaces is one change (Hypothesis example
of `test_grouped_changes_are_the_changes`, seed 9099: 18 grouped changes against 15 apart)."""

from __future__ import annotations

import ipaddress

from translator.diff import diff_policies
from translator.diff.assemble import _cell_parts
from translator.diff.result import EndpointKind
from translator.model.calico import PolicySet
from translator.model.cluster import Cluster, NetworkSet, Pod
from translator.model.common import Direction, LabelSelector
from translator.model.k8s import IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyRule, normalise

ALPHA = Pod("alpha", "pod-0", {}, (ipaddress.ip_address("10.0.0.1"),))
SYSTEM = Pod("kube-system", "pod-2", {}, (ipaddress.ip_address("10.0.0.3"),))
# A network set over 10.0.0.0/24 puts a boundary there in every namespace's address cells;
# kube-system's ipBlock 10.0.0.0/29 cuts its cells further.
CLUSTER = Cluster.build((), (ALPHA, SYSTEM), network_sets=(
    NetworkSet("set-0", None, {}, (ipaddress.ip_network("10.0.0.0/24"),)),))
ISOLATED = normalise(NetworkPolicy("alpha", "allow", LabelSelector(), (Direction.INGRESS,)))
FROM_PODS = NetworkPolicyRule(
    peers=(NetworkPolicyPeer(ip_block=IPBlock(ipaddress.ip_network("10.0.0.0/29"))),))
SYSTEM_ISOLATED = normalise(NetworkPolicy("kube-system", "allow", LabelSelector(), (Direction.INGRESS,),
                                          ingress=(FROM_PODS,)))


def _incoming(group: bool) -> dict[tuple[str, ...], set[str]]:
    """Outside sources of the TCP changes: their networks -> the namespaces they reach."""
    diff = diff_policies(PolicySet(), PolicySet(k8s_policies=(ISOLATED, SYSTEM_ISOLATED)), CLUSTER,
                         group_namespaces=group)
    found: dict[tuple[str, ...], set[str]] = {}
    for change in diff.changes:
        if change.source.kind is EndpointKind.EXTERNAL and change.protocol.value == "TCP":
            spans = change.destination.spans or (change.destination,)
            found.setdefault(change.source.networks, set()).update(s.namespace or "" for s in spans)
    return found


def test_overlapping_address_cells_of_two_namespaces_merge_into_one_change() -> None:
    grouped = _incoming(group=True)
    everywhere = [nets for nets, namespaces in grouped.items() if namespaces == {"alpha", "kube-system"}]
    assert len(everywhere) == 1 and "10.0.0.8/29" in everywhere[0] and "10.0.1.0/24" in everywhere[0]
    assert grouped[("10.0.0.0/29",)] == {"alpha"}
    assert len(grouped) == 2
    apart = _incoming(group=False)
    assert apart[("0.0.0.0/0",)] == {"alpha"} and len(apart) == 2


def test_cell_parts_cut_each_cell_at_the_others_boundaries() -> None:
    assert _cell_parts([(0, 9), (10, 19)]) is None  # disjoint: left as they are
    assert _cell_parts([(0, 255), (8, 255), (0, 255)]) == {
        (0, 255): ((0, 7), (8, 255)), (8, 255): ((8, 255),)}
    assert _cell_parts([(0, 9), (5, 14)]) == {(0, 9): ((0, 4), (5, 9)), (5, 14): ((5, 9), (10, 14))}
