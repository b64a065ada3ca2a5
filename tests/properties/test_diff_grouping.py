"""`diff --group-namespaces` is exact: its changes, expanded to every (source, destination,
protocol, family, port, address, outcomes), are the changes without it, over generated clusters
and policies (the diff itself is checked against brute force in `test_diff_properties`)."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.examples import examples
from tests.properties.test_diff_properties import _merged
from tests.strategies import clusters, policy_sets
from translator.convert import convert
from translator.convert.options import ConvertOptions, DefaultDenyOptions
from translator.diff import Change, diff_policies
from translator.diff.result import EndpointKind, Endpoints
from translator.model.calico import PolicySet
from translator.model.cluster import Cluster


def _members(side: Endpoints) -> list[str]:
    if side.spans:
        assert side.kind is EndpointKind.PODS and side.namespace is None and not side.names
        assert [s.namespace for s in side.spans] == sorted({s.namespace for s in side.spans})
        assert len(side.spans) > 1 and not any(s.spans for s in side.spans)
        return [m for span in side.spans for m in _members(span)]
    if side.kind is EndpointKind.EXTERNAL:
        return ["outside"]
    if side.kind is EndpointKind.HOST:
        return [f"(host)/{n}" for n in side.names]
    return [f"{side.namespace}/{n}" for n in side.names]


def _expanded(changes: tuple[Change, ...]) -> dict[tuple[object, ...], tuple[object, ...]]:
    """Every (source, destination, protocol, family, before, after) with its ports and networks."""
    ports: dict[tuple[object, ...], list[tuple[int, int]]] = {}
    nets: dict[tuple[object, ...], list[object]] = {}
    for c in changes:
        for src in _members(c.source):
            for dst in _members(c.destination):
                key = (src, dst, c.protocol, c.family, c.before, c.after)
                ports.setdefault(key, []).extend((r.start, r.end) for r in c.ports)
                nets.setdefault(key, []).extend(
                    ipaddress.ip_network(n) for n in (*c.source.networks, *c.destination.networks))
    return {k: (_merged(v), tuple(ipaddress.collapse_addresses(nets[k]))) for k, v in ports.items()}



after_kinds = st.sampled_from(["k8s", "default-deny"])


@settings(max_examples=examples(150, 40))
@given(cluster=clusters(), first=policy_sets(), second=policy_sets(), kind=after_kinds)
def test_grouped_changes_are_the_changes(cluster: Cluster, first, second, kind: str) -> None:
    before = PolicySet(k8s_policies=first)
    after = (PolicySet(k8s_policies=second) if kind == "k8s" else
             convert(second, ConvertOptions(default_deny=DefaultDenyOptions())).policy_set)
    apart = diff_policies(before, after, cluster)
    grouped = diff_policies(before, after, cluster, group_namespaces=True)
    # Not asserted: fewer changes. Sources are merged by their whole set of destinations, so
    # sources differing independently in two namespaces (3 x 3 combinations) can give more
    # grouped changes than the 3 + 3 of the per-pair answer; what matters is that it is exact.
    assert _expanded(grouped.changes) == _expanded(apart.changes)
