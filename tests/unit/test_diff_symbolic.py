"""Symbolic diff: every change for every possible pod, as regions described in user terms (exact).

Includes the changes issue 9 (item 3) found the former, sampled `--symbolic` missing.
"""

from __future__ import annotations

import pytest

from tests.unit.test_verify import DIFFERENT, EQUIVALENT
from tests.verify_helpers import policies
from translator.diff import diff_policies
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


def test_narrowing_a_namespace_selector_is_described_by_labels() -> None:
    before = allow_web_from((NetworkPolicyPeer(namespace_selector=LabelSelector()),))
    after = allow_web_from((NetworkPolicyPeer(namespace_selector=TEAM),))
    diff = diff_policies(before, after, None)
    assert not diff.changes
    assert diff.symbolic_changes
    for change in diff.symbolic_changes:
        assert change.status == "newly denied"
        assert (change.protocol, change.ports_text()) == (Protocol.TCP, "80")
        assert change.destination.describe() == "pods in namespace shop with app=web"
        # Only sources whose namespace is not labelled team=x lose access.
        assert "team" in change.source.describe()
        assert "team=x" not in change.source.describe()


@pytest.mark.parametrize("case", sorted(DIFFERENT))
def test_changes_issue_9_found_missing_are_reported(case: str) -> None:
    a, b = (policies(text) for text in DIFFERENT[case])
    diff = diff_policies(a, b, None)
    assert not diff.is_empty
    texts = [f"{c.source.describe()} {c.destination.describe()}" for c in diff.symbolic_changes]
    assert not any("np2calico-other" in t for t in texts)


@pytest.mark.parametrize("case", sorted(EQUIVALENT))
def test_equivalent_sets_report_no_symbolic_change(case: str) -> None:
    a, b = (policies(text) for text in EQUIVALENT[case])
    assert diff_policies(a, b, None).is_empty


def test_no_cap_and_an_exact_note() -> None:
    before = allow_web_from((NetworkPolicyPeer(namespace_selector=TEAM),))
    diff = diff_policies(before, PolicySet(), None)
    assert diff.symbolic_changes
    assert any("exact" in note for note in diff.notes)
    assert not any("capped" in note for note in diff.notes)
