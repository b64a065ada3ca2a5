"""The diff engine's shortcuts give exactly what the plain way gives.

- `ScopeIndex`: one pass over a side's policies gives each scope exactly what a scan would.
- `decide(conn, direction)` of both evaluators is the matching half of `evaluate(conn)`.
- `LeafVector` gives every selector leaf's value on a label set, as testing each leaf does.
- Sparse atom vectors: two label sets look alike through some leaves exactly when every one of
  those leaves has the same value on both.
- `SparseViews` finds every view the members take through some positions, as reading every
  member does, with a member that takes it.
- `held_address_cells` names, for each address cell, the CIDRs holding it, as testing each does
  (cells held alike are decided once).
"""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.selector_strategies import label_sets, requirements
from tests.selector_strategies import leaves as selector_leaves
from tests.strategies import Scenario, policy_sets, scenarios
from translator.convert import convert
from translator.convert.options import ConvertOptions, DefaultDenyOptions, Target
from translator.diff.atoms import GLOBAL_SCOPE, ScopeIndex, ScopePolicies, policy_scope
from translator.diff.cells import SparseViews
from translator.diff.semantic import one_direction
from translator.diff.space import (
    LABEL_SETS,
    AtomIndex,
    AtomVector,
    LeafVector,
    Positions,
    address_cells,
    held_address_cells,
    projector,
)
from translator.evaluate.calico import CalicoEvaluator
from translator.evaluate.k8s import K8sEvaluator
from translator.model.calico import PolicySet
from translator.model.common import Direction


def scanned(policies: PolicySet, scope: str | None) -> PolicySet:
    """The reference: every policy whose scope is `scope` or global, in its order."""

    def keep(policy: object) -> bool:
        found = policy_scope(policy)
        return found is GLOBAL_SCOPE or found == scope

    return PolicySet(tuple(p for p in policies.k8s_policies if keep(p)),
                     tuple(p for p in policies.calico_policies if keep(p)),
                     tuple(p for p in policies.staged_k8s_policies if keep(p)), policies.tiers)


def mixed(k8s: PolicySet, target: Target) -> PolicySet:
    """Kubernetes policies, their conversion (namespaced or global, with a default deny) and
    staged copies, interleaved so that the original order matters."""
    options = ConvertOptions(target=target, default_deny=DefaultDenyOptions(), staged=True)
    converted = convert(k8s.k8s_policies, options).policy_set
    return k8s.merged(converted)


@settings(max_examples=60)
@given(policy_sets(max_policies=5), st.sampled_from(list(Target)))
def test_scope_index_matches_a_scan(policies: tuple, target: Target) -> None:
    side = mixed(PolicySet(k8s_policies=policies), target)
    index = ScopeIndex(side)
    scopes = {GLOBAL_SCOPE, "absent", *(p.namespace for p in policies)}
    for scope in scopes:
        expected = scanned(side, scope)
        assert index.policy_set(scope) == expected
        namespaced = scope is not GLOBAL_SCOPE
        assert index.policies(scope) == ScopePolicies(
            frozenset(expected.k8s_policies if namespaced else ()),
            frozenset(expected.calico_policies),
            frozenset(expected.staged_k8s_policies if namespaced else ()),
            frozenset(expected.tiers))


@settings(max_examples=60)
@given(scenarios(), st.sampled_from(list(Target)))
def test_one_direction_is_half_a_verdict(scenario: Scenario, target: Target) -> None:
    k8s = PolicySet(k8s_policies=scenario.policies)
    evaluators = [K8sEvaluator(scenario.policies, scenario.cluster).evaluate,
                  CalicoEvaluator(mixed(k8s, target), scenario.cluster).evaluate]
    for evaluate in evaluators:
        decide = one_direction(evaluate)
        assert getattr(decide, "__name__", "") == "decide"  # the evaluator's own, not the fallback
        for conn in scenario.connections:
            verdict = evaluate(conn)
            for direction in Direction:
                assert decide(conn, direction) == verdict.decision(direction)


@settings(max_examples=150)
@given(st.lists(st.one_of(selector_leaves, requirements), max_size=12), label_sets)
def test_leaf_vector_is_every_leaf_tested(found: list, labels: dict[str, str]) -> None:
    assert LeafVector(found)(labels) == [leaf.matches(labels) for leaf in found]


@settings(max_examples=150)
@given(st.lists(st.one_of(selector_leaves, requirements), min_size=1, max_size=12), label_sets,
       label_sets, st.data())
def test_sparse_vectors_look_alike_exactly_when_the_leaves_read_agree(
        found: list, first: dict[str, str], second: dict[str, str], data: st.DataObject) -> None:
    index = AtomIndex(found, (), ())
    read = data.draw(st.sets(st.sampled_from(index.leaves)))

    def vector(labels: dict[str, str]) -> AtomVector:  # the own label set only, as a pod's
        flipped = index.leaf_vector.flipped(labels)
        return AtomVector(("pod", None, ()), frozenset(LABEL_SETS * leaf for leaf in flipped))

    pick = projector(index.positions(read, (), ()))
    agree = all(leaf.matches(first) == leaf.matches(second) for leaf in read)
    assert (pick(vector(first)) == pick(vector(second))) is agree


networks = st.one_of(
    st.builds(lambda bits, prefix: ipaddress.IPv4Network((bits, prefix), strict=False),
              st.integers(0, 2**32 - 1), st.integers(0, 32)),
    st.builds(lambda bits, prefix: ipaddress.IPv6Network((bits, prefix), strict=False),
              st.integers(0, 2**128 - 1), st.integers(0, 128)))


@settings(max_examples=200)
@given(st.lists(networks, max_size=8), st.sampled_from([4, 6]))
def test_held_address_cells_name_the_cidrs_holding_each_cell(nets: list, family: int) -> None:
    held = held_address_cells(nets, family)
    assert [cell for cell, _ in held] == list(address_cells(nets, family))
    for (first, last), holders in held:
        holding = {(int(n.network_address), int(n.broadcast_address)) for n in nets
                   if n.version == family and int(n.network_address) <= first <= int(n.broadcast_address)}
        assert holders == holding
        assert all(lo <= first and last <= hi for lo, hi in holders)


_dense_entries = st.tuples(st.sampled_from("ab"), st.just(None), st.just((4,)), st.sampled_from((1, 2, 3)))
_vectors = st.builds(AtomVector, _dense_entries, st.frozensets(st.integers(0, 11), max_size=6))


@settings(max_examples=200)
@given(st.lists(_vectors, min_size=1, max_size=30), st.frozensets(st.integers(0, 3)),
       st.frozensets(st.integers(0, 11)), st.frozensets(st.integers(0, 3)), st.integers(0, 6),
       st.frozensets(st.integers(0, 29)))
def test_sparse_views_are_the_views_of_every_member(
        vectors: list[AtomVector], indexed: frozenset[int], leaves: frozenset[int],
        dense: frozenset[int], common_above: int, unusable: frozenset[int]) -> None:
    positions = Positions(tuple(sorted(dense)), leaves)
    found = SparseViews(vectors, Positions(tuple(sorted(indexed)), frozenset()),
                        common_above).members(positions, lambda m: m not in unusable)
    pick = projector(positions)
    usable = [m for m in range(len(vectors)) if m not in unusable]
    assert set(found) == {pick(vectors[m]) for m in usable}
    assert all(m in usable and pick(vectors[m]) == view for view, m in found.items())
