"""Whole-policy conversion: types, explicit denies, global confinement and merging, tiers, staging."""

from __future__ import annotations

import pytest

from translator.convert import SOURCE_ANNOTATION, ConvertOptions, Target, convert
from translator.convert.ordering import ALLOW_ORDER, DENY_ORDER
from translator.errors import InputError
from translator.model.calico import Action, GlobalNetworkPolicy, NetworkPolicy, StagedAction
from translator.model.common import Direction, LabelSelector
from translator.model.k8s import NetworkPolicy as K8sPolicy
from translator.model.k8s import NetworkPolicyPeer, NetworkPolicyRule

INGRESS, EGRESS = Direction.INGRESS, Direction.EGRESS
WEB = LabelSelector.of({"app": "web"})
DB = LabelSelector.of({"app": "db"})
FROM_ALL_NAMESPACES = NetworkPolicyRule(peers=(NetworkPolicyPeer(namespace_selector=LabelSelector()),))
FROM_OWN_NAMESPACE = NetworkPolicyRule(peers=(NetworkPolicyPeer(pod_selector=LabelSelector()),))


def by_name(policies: tuple) -> dict[str, object]:
    return {p.name: p for p in policies}


@pytest.mark.parametrize(
    ("policy_types", "ingress", "egress", "types"),
    [
        (None, (), (), (INGRESS,)),
        (None, (), (NetworkPolicyRule(),), (INGRESS, EGRESS)),
        ((EGRESS,), (NetworkPolicyRule(),), (), (EGRESS,)),
        ((EGRESS, INGRESS), (), (), (INGRESS, EGRESS)),
    ],
    ids=["absent-ingress-only", "absent-with-egress-rules", "explicit-egress-only", "both-canonical-order"],
)
def test_types_follow_kubernetes_defaulting(policy_types, ingress, egress, types) -> None:
    policy = K8sPolicy("prod", "p", WEB, policy_types, ingress, egress)
    converted = convert([policy]).policies[0]
    assert converted.spec.types == types


def test_rules_of_an_ungoverned_direction_are_reported_not_converted() -> None:
    policy = K8sPolicy("prod", "p", WEB, (EGRESS,), ingress=(NetworkPolicyRule(),))
    result = convert([policy])
    assert result.policies[0].spec.ingress == ()
    assert [d.level.value for d in result.diagnostics.items] == ["info"]
    assert "spec.ingress" in str(result.diagnostics.items[0])


def test_one_deny_per_namespace_and_direction_selects_exactly_the_isolated_pods() -> None:
    policies = [
        K8sPolicy("prod", "web", WEB, (INGRESS,)),
        K8sPolicy("prod", "db", DB, (INGRESS, EGRESS)),
        K8sPolicy("dev", "all", LabelSelector(), (EGRESS,)),
    ]
    names = by_name(convert(policies).policies)
    ingress = names["np2calico-deny-ingress"]
    assert isinstance(ingress, NetworkPolicy)
    assert ingress.namespace == "prod"
    assert str(ingress.spec.selector) == (
        "projectcalico.org/orchestrator == 'k8s' && (app == 'db' || app == 'web')"
    )
    assert ingress.spec.ingress[0].action is Action.DENY and ingress.spec.order == DENY_ORDER
    assert dict(ingress.metadata.annotations)[SOURCE_ANNOTATION] == "prod/db,prod/web"
    denies = [p for p in convert(policies).policies if p.name.startswith("np2calico-deny")]
    assert {(p.namespace, p.spec.types) for p in denies} == {
        ("dev", (EGRESS,)),
        ("prod", (INGRESS,)),
        ("prod", (EGRESS,)),
    }


def test_apply_order_puts_every_allow_before_every_deny() -> None:
    policies = [K8sPolicy(ns, name, WEB, (INGRESS,)) for ns in ("b", "a") for name in ("z", "y")]
    orders = [p.spec.order for p in convert(policies).policies]
    assert orders == sorted(orders) and orders[0] == ALLOW_ORDER and orders[-1] == DENY_ORDER


def test_global_policies_are_confined_to_their_namespace_and_never_select_host_endpoints() -> None:
    policy = K8sPolicy("prod", "p", WEB, (INGRESS,), ingress=(FROM_OWN_NAMESPACE,))
    result = convert([policy], ConvertOptions(target=Target.GLOBAL))
    for gnp in result.policies:
        assert isinstance(gnp, GlobalNetworkPolicy)
        # Named on the label Calico writes itself, never on a namespaceSelector a pod can spoof.
        assert gnp.namespace_selector is None
        assert str(gnp.spec.selector).startswith(
            "projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == 'prod'"
        )
    source = result.policies[0].spec.ingress[0].source
    assert source.namespace_selector is None
    assert "projectcalico.org/namespace == 'prod'" in str(source.selector)


def test_identical_namespace_independent_policies_merge_into_one_gnp() -> None:
    policies = [K8sPolicy(ns, "allow", WEB, (INGRESS,), ingress=(FROM_ALL_NAMESPACES,)) for ns in ("b", "a")]
    allows = [
        p for p in convert(policies, ConvertOptions(target=Target.GLOBAL)).policies if p.spec.order == 1000
    ]
    assert len(allows) == 1
    assert allows[0].namespace_selector is None
    assert "projectcalico.org/namespace in {'a', 'b'}" in str(allows[0].spec.selector)
    assert dict(allows[0].metadata.annotations)[SOURCE_ANNOTATION] == "a/allow,b/allow"


def test_policies_with_same_namespace_peers_are_not_merged() -> None:
    policies = [K8sPolicy(ns, "allow", WEB, (INGRESS,), ingress=(FROM_OWN_NAMESPACE,)) for ns in ("a", "b")]
    allows = [
        p for p in convert(policies, ConvertOptions(target=Target.GLOBAL)).policies if p.spec.order == 1000
    ]
    assert len(allows) == 2


def test_tier_and_staging() -> None:
    options = ConvertOptions(tier="migration", staged=True)
    result = convert([K8sPolicy("prod", "p", WEB, (INGRESS,))], options)
    assert [(t.name, t.order, t.default_action) for t in result.tiers] == [
        ("migration", 100_000, Action.PASS)
    ]
    assert all(p.spec.tier == "migration" and p.name.startswith("migration.") for p in result.policies)
    assert all(p.staged_action is StagedAction.SET for p in result.policies)


def test_the_default_tier_by_name_emits_no_tier() -> None:
    result = convert([K8sPolicy("prod", "p")], ConvertOptions(tier="default"))
    assert result.tiers == () and result.policies[0].name == "p"


def test_a_policy_defined_twice_is_an_input_error() -> None:
    with pytest.raises(InputError, match="defined twice"):
        convert([K8sPolicy("prod", "p"), K8sPolicy("prod", "p", WEB)])


def test_no_policies_give_no_output() -> None:
    result = convert([])
    assert result.policies == () and result.tiers == ()
