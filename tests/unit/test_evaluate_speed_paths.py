"""The Calico evaluator's namespace index gives each endpoint exactly the policies a scan would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import Scenario, scenarios
from translator.convert import convert
from translator.convert.options import ConvertOptions, DefaultDenyOptions, Target
from translator.evaluate.calico import CalicoEvaluator, required_value
from translator.evaluate.calico_policies import TierPolicies
from translator.model.calico import PolicySet
from translator.model.common import Direction
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
