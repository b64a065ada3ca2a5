"""The verify engine's fast paths agree with the plain definitions they shortcut.

- `Sides.scoped`: the policies a pod of a namespace class can be selected by, found through a
  per-namespace index, are exactly (and in the same order as) those `keeps` lets through.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.examples import examples
from tests.verify_strategies import specs
from translator.model import calico
from translator.verify.engine import Sides, keeps

NAMESPACES = ("n1", "n2", "n3")


@st.composite
def spread_policy_sets(draw: st.DrawFn) -> calico.PolicySet:
    """Calico policies in several namespaces and global ones, in two tiers, orders interleaved."""
    tier = calico.Tier("t", 100.0, calico.Action.PASS)
    policies: list[calico.CalicoPolicy] = []
    for index in range(draw(st.integers(0, 8))):
        tier_name = draw(st.sampled_from(("t", calico.DEFAULT_TIER)))
        spec = draw(specs(tier_name))
        name = f"t.p{index}" if tier_name == "t" else f"p{index}"
        namespace = draw(st.sampled_from((None, *NAMESPACES)))
        if namespace is None:
            policies.append(calico.GlobalNetworkPolicy(calico.Metadata(name), spec))
        else:
            policies.append(calico.NetworkPolicy(calico.Metadata(name, namespace), spec))
    return calico.PolicySet((), tuple(policies), (), (tier,))


@settings(max_examples=examples(60, 15))
@given(spread_policy_sets(), spread_policy_sets())
def test_scoped_tiers_are_the_policies_keeps_lets_through(a: calico.PolicySet, b: calico.PolicySet) -> None:
    sides = Sides.of(a, b)
    for tiers in (sides.a, sides.b):
        for where in sides.classes():
            keep = keeps(where)
            expected = [(t.tier, tuple(p for p in t.policies if keep(p))) for t in tiers]
            found = [(t.tier, t.policies) for t in sides.scoped(tiers, where)]
            assert found == [(tier, kept) for tier, kept in expected if kept]
