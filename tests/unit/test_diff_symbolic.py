"""Symbolic diff: synthetic pods from label atoms, described by conditions."""

from __future__ import annotations

from translator.diff import diff_policies
from translator.diff.symbolic import (
    OTHER_NAMESPACE,
    describe_labels,
    label_space,
    symbolic_cluster,
)
from translator.model.calico import PolicySet
from translator.model.common import Direction, LabelSelector, Protocol
from translator.model.k8s import (
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    normalise,
)

TEAM = LabelSelector.of({"team": "x"})


def allow_web_from(peers: tuple[NetworkPolicyPeer, ...]) -> PolicySet:
    rule = NetworkPolicyRule((NetworkPolicyPort(Protocol.TCP, 80),), peers)
    policy = NetworkPolicy("shop", "web", LabelSelector.of({"app": "web"}), (Direction.INGRESS,), (rule,))
    return PolicySet(k8s_policies=(normalise(policy),))


def test_label_space_collects_pod_and_namespace_atoms() -> None:
    space = label_space([allow_web_from((NetworkPolicyPeer(namespace_selector=TEAM),))])
    assert space.pod_values == {"app": {"web"}}
    assert space.namespace_values == {"team": {"x"}}
    assert space.namespaces == {"shop"}


def test_synthetic_cluster_covers_every_combination() -> None:
    synthetic = symbolic_cluster([allow_web_from((NetworkPolicyPeer(namespace_selector=TEAM),))])
    namespaces = set(synthetic.cluster.namespaces)
    # shop, plus "any other namespace" without team, with team=x and with another team.
    assert namespaces == {"shop", *(f"{OTHER_NAMESPACE}-{i}" for i in range(3))}
    # Each namespace: a pod without app, with app=web, with another app.
    assert len(synthetic.cluster.pods) == 4 * 3
    assert not synthetic.capped


def test_cap_is_reported() -> None:
    before = allow_web_from((NetworkPolicyPeer(namespace_selector=TEAM),))
    diff = diff_policies(before, PolicySet(), None, max_symbolic_pods=4)
    assert any("capped" in note for note in diff.notes)


def test_narrowing_a_namespace_selector_is_described_by_labels() -> None:
    before = allow_web_from((NetworkPolicyPeer(namespace_selector=LabelSelector()),))
    after = allow_web_from((NetworkPolicyPeer(namespace_selector=TEAM),))
    diff = diff_policies(before, after, None)
    assert not diff.changes
    sources = {c.source.conditions for c in diff.symbolic_changes}
    destinations = {c.destination.conditions for c in diff.symbolic_changes}
    assert destinations == {"any pod in namespace shop with app=web"}
    # Every namespace but those labelled team=x loses access, whatever the source pod's labels.
    assert sources == {"any pod in namespace shop", "any pod in any other namespace with no team",
                       "any pod in any other namespace with team=<other>"}
    assert {(c.protocol, c.ports_text(), c.status) for c in diff.symbolic_changes} == {
        (Protocol.TCP, "80", "newly denied")}


def test_describe_labels() -> None:
    assert describe_labels({"app": "web", "tier": None, "team": "np2calico-other-value"}) == (
        "app=web, team=<other>, no tier")
