"""verify agrees exactly with enumerating every endpoint of a complete tiny universe.

`tests/verify_strategies` explains why the universe is complete for the generated policies: the
brute force finds a differing connection iff one exists at all. So the engine must say
"equivalent" exactly when the enumeration finds nothing, and otherwise give a witness that the
evaluator reproduces.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.examples import examples
from tests.verify_helpers import assert_reproduces
from tests.verify_strategies import (
    HOSTS,
    NETWORK_SETS,
    connections,
    network_set_universes,
    policy_sets,
    universe,
)
from translator.diff import diff_policies
from translator.evaluate.calico import CalicoEvaluator
from translator.model import calico
from translator.model.calico import PolicySet
from translator.model.cluster import Connection
from translator.selectors import ORCHESTRATOR_LABEL, And, Has
from translator.verify import verify

CLUSTER, ENDPOINTS = universe()
CONNECTIONS = connections(ENDPOINTS)
HOST_CLUSTER, HOST_ENDPOINTS = universe(HOSTS)
HOST_CONNECTIONS = connections(HOST_ENDPOINTS)


def brute_force(a: PolicySet, b: PolicySet, with_hosts: bool = False) -> Connection | None:
    cluster, every = (HOST_CLUSTER, HOST_CONNECTIONS) if with_hosts else (CLUSTER, CONNECTIONS)
    first, second = CalicoEvaluator(a, cluster), CalicoEvaluator(b, cluster)
    return next((c for c in every if first.evaluate(c).allowed != second.evaluate(c).allowed), None)


def _mutated(draw: st.DrawFn, a: PolicySet) -> PolicySet:
    """Half the time B is A with one policy dropped or one more: close pairs are often equivalent."""
    if draw(st.booleans()):
        return draw(policy_sets())
    extra = draw(policy_sets())
    if a.calico_policies and draw(st.booleans()):
        kept = a.calico_policies[1:]
        return PolicySet(a.k8s_policies, kept, (), a.tiers)
    return PolicySet(a.k8s_policies, a.calico_policies, (), a.tiers).merged(
        PolicySet(extra.k8s_policies[:1], (), (), ()))


@st.composite
def pairs(draw: st.DrawFn) -> tuple[PolicySet, PolicySet]:
    a = draw(policy_sets())
    return a, _mutated(draw, a)


@settings(max_examples=examples(100, 25))
@given(pairs())
def test_verify_agrees_with_brute_force(pair: tuple[PolicySet, PolicySet]) -> None:
    a, b = pair
    expected = brute_force(a, b)
    result = verify(a, b)
    assert result.equivalent == (expected is None), (expected, result.witness)
    if result.witness is not None:
        assert_reproduces(result.witness, (a, b))


@settings(max_examples=examples(50, 15))
@given(pairs())
def test_verify_with_host_endpoints_agrees_with_brute_force(pair: tuple[PolicySet, PolicySet]) -> None:
    """The inputs' host endpoints are endpoints too: selected by global policies (and by a
    namespaced one when they carry its namespace label), matched as peers, allowed at the end only
    by the default-allow profile; the witness replays with their manifests."""
    a, b = pair
    expected = brute_force(a, b, with_hosts=True)
    result = verify(a, b, host_endpoints=HOSTS)
    assert result.equivalent == (expected is None), (expected, result.witness)
    if result.witness is not None:
        assert_reproduces(result.witness, (a, b))


@settings(max_examples=examples(40, 10))
@given(pairs())
def test_symbolic_diff_agrees_with_brute_force(pair: tuple[PolicySet, PolicySet]) -> None:
    """No symbolic change exactly when enumeration finds no differing connection; each reported
    change's verdicts are those of a real connection (built and evaluated by the diff itself)."""
    a, b = pair
    expected = brute_force(a, b)
    diff = diff_policies(a, b, None)
    assert diff.is_empty == (expected is None), (expected, diff.symbolic_changes)
    for change in diff.symbolic_changes:
        assert change.before.allowed != change.after.allowed


WITH_SETS = [(cluster, connections(endpoints)) for cluster, endpoints in network_set_universes()]


def brute_force_with_network_sets(a: PolicySet, b: PolicySet) -> Connection | None:
    for cluster, every in WITH_SETS:
        first, second = CalicoEvaluator(a, cluster), CalicoEvaluator(b, cluster)
        found = next((c for c in every if first.evaluate(c).allowed != second.evaluate(c).allowed), None)
        if found is not None:
            return found
    return None


def _pods_only(policies: PolicySet) -> PolicySet:
    """Every rule selector narrowed to endpoints (network sets lack the orchestrator label): the
    verdicts then differ only for addresses that network sets bring into a selector."""
    endpoint = Has(ORCHESTRATOR_LABEL)

    def narrowed(entity: calico.EntityRule) -> calico.EntityRule:
        if entity.selector is None:
            return entity
        return replace(entity, selector=And((entity.selector, endpoint)))

    def rules(found: tuple[calico.Rule, ...]) -> tuple[calico.Rule, ...]:
        return tuple(replace(r, source=narrowed(r.source), destination=narrowed(r.destination))
                     for r in found)

    policies_found = tuple(
        replace(p, spec=replace(p.spec, ingress=rules(p.spec.ingress), egress=rules(p.spec.egress)))
        for p in policies.calico_policies)
    return PolicySet(policies.k8s_policies, policies_found, (), policies.tiers)


@st.composite
def set_pairs(draw: st.DrawFn) -> tuple[PolicySet, PolicySet]:
    """Random pairs, and pairs that differ only through network sets."""
    a = draw(policy_sets())
    return (a, _pods_only(a)) if draw(st.booleans()) else (a, _mutated(draw, a))


@settings(max_examples=examples(60, 15))
@given(set_pairs())
def test_verify_with_network_sets_agrees_with_brute_force(pair: tuple[PolicySet, PolicySet]) -> None:
    """With network sets the pods of the universe do not cover every pod/set-membership pairing,
    so the agreement is checked both ways it can be: a difference enumeration finds is one verify
    finds (no false proof), and every witness verify gives replays, its network sets included."""
    a, b = pair
    expected = brute_force_with_network_sets(a, b)
    result = verify(a, b, network_sets=NETWORK_SETS)
    if expected is not None:
        assert not result.equivalent, expected
    if result.witness is not None:
        assert_reproduces(result.witness, (a, b))
