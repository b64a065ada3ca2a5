"""The Calico evaluator's indexes (policies by namespace, rules by nets) give what a scan would."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import Scenario, scenarios
from translator.convert import convert
from translator.convert.options import ConvertOptions, DefaultDenyOptions, Target
from translator.diff.atoms import scope_policy_set
from translator.evaluate.calico import CalicoEvaluator, EvaluatorShare, required_value
from translator.evaluate.calico_match import _address_matches, resolve_rule
from translator.evaluate.calico_policies import TierPolicies
from translator.evaluate.rule_index import INDEXED_FROM, RuleIndex
from translator.model.calico import (
    Action,
    EntityRule,
    GlobalNetworkPolicy,
    Metadata,
    PolicySet,
    PolicySpec,
    Rule,
)
from translator.model.cluster import Cluster
from translator.model.common import Direction, parse_ip, parse_network
from translator.selectors import ENDPOINT_NAMESPACE_LABEL, parse

NS = ENDPOINT_NAMESPACE_LABEL


@settings(max_examples=60)
@given(scenarios(), st.sampled_from(list(Target)))
def test_applicable_policies_match_a_scan(scenario: Scenario, target: Target) -> None:
    options = ConvertOptions(target=target, default_deny=DefaultDenyOptions(), staged=True)
    k8s = PolicySet(k8s_policies=scenario.policies)
    policies = k8s.merged(convert(scenario.policies, options).policy_set)
    evaluator = CalicoEvaluator(policies, scenario.cluster, preview_staged=True)
    for endpoint in (*scenario.cluster.pods, *scenario.cluster.host_endpoints):
        for direction in Direction:
            view = evaluator._views.of(endpoint, endpoint.ips[0] if endpoint.ips else None)
            if not view.is_judged:
                continue
            expected = tuple(
                TierPolicies(tp.tier, chosen) for tp in evaluator.tiers
                if (chosen := tuple(p for p in tp.policies if evaluator._governs(p, view, direction))))
            assert evaluator.applicable_policies(endpoint, direction) == expected


def test_required_value_reads_top_level_equality_only() -> None:
    assert required_value(parse(f"app == 'a' && {NS} == 'shop'"), NS) == "shop"
    assert required_value(parse(f"{NS} == 'shop'"), NS) == "shop"
    assert required_value(parse(f"{NS} == 'shop' || app == 'a'"), NS) is None
    assert required_value(parse(f"!({NS} == 'shop')"), NS) is None
    assert required_value(parse(f"{NS} != 'shop'"), NS) is None
    assert required_value(parse("all()"), NS) is None


_NETS = ("10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "192.168.0.0/16", "0.0.0.0/0",
         "fd00::/8", "fd00:1::/32")
_ADDRESSES = ("10.1.2.3", "10.9.9.9", "10.1.7.1", "192.168.3.4", "8.8.8.8", "fd00:1::5", "fe80::1")


def _entities() -> st.SearchStrategy[EntityRule]:
    nets = st.lists(st.sampled_from(_NETS), max_size=2, unique=True).map(
        lambda found: tuple(parse_network(n) for n in found))
    return st.builds(EntityRule, nets=nets, not_nets=nets)


@settings(max_examples=80)
@given(st.lists(st.tuples(_entities(), _entities()), min_size=INDEXED_FROM, max_size=14),
       st.sampled_from((None, *_ADDRESSES)), st.sampled_from((None, *_ADDRESSES)))
def test_rule_index_leaves_out_only_rules_whose_nets_exclude_the_packet(
        sides: list[tuple[EntityRule, EntityRule]], source: str | None, destination: str | None) -> None:
    rules = tuple(resolve_rule(Rule(Action.ALLOW, source=s, destination=d), i, None, f"rule {i}")
                  for i, (s, d) in enumerate(sides))
    source_ip = None if source is None else parse_ip(source)
    destination_ip = None if destination is None else parse_ip(destination)
    expected = tuple(r for r in rules if _address_matches(r.source, source_ip)
                     and _address_matches(r.destination, destination_ip))
    found = RuleIndex(rules).candidates(source_ip, destination_ip)
    assert [r.index for r in found] == sorted(r.index for r in found)
    assert set(expected) <= set(found)


@settings(max_examples=60)
@given(scenarios(), st.sampled_from(list(Target)))
def test_evaluators_sharing_caches_decide_as_alone(scenario: Scenario, target: Target) -> None:
    """The diff's evaluators (one per namespace's policies, one share) give the verdicts that
    evaluators of their own would, whichever evaluated first."""
    options = ConvertOptions(target=target, default_deny=DefaultDenyOptions(), staged=True)
    k8s = PolicySet(k8s_policies=scenario.policies)
    converted = convert(scenario.policies, options).policy_set
    namespaces = sorted({p.namespace for p in scenario.cluster.pods})
    parts = [k8s, converted, k8s.merged(converted),
             *(scope_policy_set(side, ns) for side in (k8s, converted) for ns in namespaces)]
    share = EvaluatorShare(scenario.cluster)
    shared = [CalicoEvaluator(p, scenario.cluster, preview_staged=True, share=share) for p in parts]
    alone = [CalicoEvaluator(p, scenario.cluster, preview_staged=True) for p in parts]
    for conn in scenario.connections:
        for with_share, without in zip(shared, alone, strict=True):
            assert with_share.evaluate(conn) == without.evaluate(conn)


def test_an_evaluator_share_serves_one_cluster_and_prepares_a_policy_once() -> None:
    one, other = Cluster(), Cluster()
    share = EvaluatorShare(one)
    with pytest.raises(ValueError, match="its own cluster"):
        CalicoEvaluator(PolicySet(), other, share=share)
    policy = GlobalNetworkPolicy(Metadata("deny"), PolicySpec(ingress=(Rule(Action.DENY),)))
    first = CalicoEvaluator(PolicySet(calico_policies=(policy,)), one, share=share)
    second = CalicoEvaluator(PolicySet(calico_policies=(policy,)), one, share=share)
    assert first.tiers[0].policies[0] is second.tiers[0].policies[0]
