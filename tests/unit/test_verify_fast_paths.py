"""The verify engine's fast paths agree with the plain definitions they shortcut.

- `Sides.scoped`: the policies a pod of a namespace class can be selected by, found through a
  per-namespace index, are exactly (and in the same order as) those `keeps` lets through.
- `decision_shape`: a check settled without the solver (both sides' shapes equal) is one the
  solver proves equal too, and `verify` still agrees with enumerating every endpoint, on pairs
  made to hit the shortcut: renamed policies, trailing deny-everything policies (the kind
  np2calico writes), and near misses (a conditional deny, a Pass tier, a selector of its own).
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.examples import examples
from tests.verify_strategies import connections, pod_selectors, policy_sets, specs, universe
from translator.evaluate.calico import CalicoEvaluator
from translator.model import calico
from translator.model.common import Direction
from translator.selectors import Selector
from translator.verify import verify
from translator.verify.encode import decision_shape
from translator.verify.engine import DIRECTIONS, Engine, Sides, keeps

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


CLUSTER, ENDPOINTS = universe()
CONNECTIONS = connections(ENDPOINTS)


def _renamed(policy: calico.CalicoPolicy, name: str,
             spec: calico.PolicySpec | None = None) -> calico.CalicoPolicy:
    return replace(policy, metadata=replace(policy.metadata, name=name), spec=spec or policy.spec)


DENIALS = ("deny-all", "no-rules", "log-then-deny", "deny-tcp", "own-selector")


def denial(like: calico.CalicoPolicy, kind: str, direction: Direction,
           selector: Selector) -> calico.CalicoPolicy:
    """A policy last in `like`'s tier and scope that denies everything (the first three kinds), or
    nearly: only TCP, or with a selector of its own (`selector`), which must not be dropped."""
    rules: tuple[calico.Rule, ...] = (calico.Rule(calico.Action.DENY),)
    if kind == "no-rules":
        rules = ()
    elif kind == "log-then-deny":
        rules = (calico.Rule(calico.Action.LOG), calico.Rule(calico.Action.DENY))
    elif kind == "deny-tcp":
        rules = (calico.Rule(calico.Action.DENY, "TCP"),)
    field = "ingress" if direction is Direction.INGRESS else "egress"
    # No order and a name after the others': last in the tier.
    chosen = selector if kind == "own-selector" else like.spec.selector
    spec = calico.PolicySpec(tier=like.spec.tier, selector=chosen, types=(direction,), **{field: rules})
    prefix = f"{like.spec.tier}." if like.spec.tier != calico.DEFAULT_TIER else ""
    return _renamed(like, f"{prefix}zz-deny", spec)


@st.composite
def shortcut_cases(draw: st.DrawFn) -> tuple[calico.PolicySet, list[calico.PolicySet]]:
    """A, and per kind of denial a B: A with its Calico policies renamed and that denial appended
    after one of them."""
    a = draw(policy_sets().filter(lambda s: bool(s.calico_policies)))
    renamed = tuple(_renamed(p, p.name.replace("p", "q", 1)) for p in a.calico_policies)
    like = draw(st.sampled_from(a.calico_policies))
    direction = draw(st.sampled_from(DIRECTIONS))
    selector = draw(pod_selectors)
    variants = [(*renamed, denial(like, kind, direction, selector)) for kind in DENIALS]
    return a, [replace(a, calico_policies=policies) for policies in variants]


def _brute_force_differs(a: calico.PolicySet, b: calico.PolicySet) -> bool:
    first, second = CalicoEvaluator(a, CLUSTER), CalicoEvaluator(b, CLUSTER)
    return any(first.evaluate(c).allowed != second.evaluate(c).allowed for c in CONNECTIONS)


@settings(max_examples=examples(60, 15))
@given(shortcut_cases(), st.integers(0, len(DENIALS) - 1))
def test_checks_settled_by_shape_are_proven_by_the_solver(
        case: tuple[calico.PolicySet, list[calico.PolicySet]], enumerated: int) -> None:
    a, variants = case
    for b in variants:
        solver = Engine(Sides.of(a, b), shortcuts=False)
        sides = solver.sides
        for where in sides.classes():
            for direction in DIRECTIONS:
                a_tiers, b_tiers = sides.scoped(sides.a, where), sides.scoped(sides.b, where)
                if decision_shape(a_tiers, direction) == decision_shape(b_tiers, direction):
                    assert not solver.direction_check(where, direction).differs, (b, where, direction)
    # The whole answer, shortcuts on, against every endpoint (one variant: enumerating is slow).
    b = variants[enumerated]
    assert verify(a, b).equivalent == (not _brute_force_differs(a, b))
