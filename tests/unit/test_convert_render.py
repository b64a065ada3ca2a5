"""The renderer: canonical, deterministic manifests; selectors that parse back to the same AST."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.examples import examples
from tests.strategies import policy_sets
from translator.convert import ConvertOptions, DefaultDenyOptions, Target, convert
from translator.model.calico import (
    Action,
    EntityRule,
    GlobalNetworkPolicy,
    Metadata,
    PolicySpec,
    Rule,
    StagedAction,
    Tier,
)
from translator.model.common import Direction, LabelSelector, PortRange, parse_network
from translator.model.k8s import NetworkPolicy, NetworkPolicyPeer, NetworkPolicyRule
from translator.render.calico import manifest, manifests, render_json, render_yaml
from translator.selectors import parse

GNP = GlobalNetworkPolicy(
    metadata=Metadata("t.p", annotations=(("np2calico.io/source", "a/p"),)),
    spec=PolicySpec(
        tier="t",
        order=1000.0,
        selector=parse("app == 'web'"),
        types=(Direction.EGRESS,),
        egress=(
            Rule(
                Action.ALLOW,
                protocol="TCP",
                destination=EntityRule(
                    nets=(parse_network("10.0.0.1/8"),),
                    ports=("http", PortRange(80, 80), PortRange(8000, 8080)),
                ),
            ),
        ),
    ),
    namespace_selector=parse("projectcalico.org/name == 'a'"),
    staged_action=StagedAction.SET,
)


def test_policy_manifest() -> None:
    assert manifest(GNP) == {
        "apiVersion": "projectcalico.org/v3",
        "kind": "StagedGlobalNetworkPolicy",
        "metadata": {"name": "t.p", "annotations": {"np2calico.io/source": "a/p"}},
        "spec": {
            "tier": "t",
            "order": 1000,
            "selector": "app == 'web'",
            "namespaceSelector": "projectcalico.org/name == 'a'",
            "types": ["Egress"],
            "stagedAction": "Set",
            "egress": [
                {
                    "action": "Allow",
                    "protocol": "TCP",
                    "destination": {"nets": ["10.0.0.0/8"], "ports": ["http", 80, "8000:8080"]},
                }
            ],
        },
    }


def test_tier_manifest() -> None:
    spec = manifest(Tier("t", 100_000.5, Action.PASS))["spec"]
    assert spec == {"order": 100_000.5, "defaultAction": "Pass"}


def test_yaml_and_json_carry_the_same_documents_with_sorted_keys() -> None:
    documents = manifests((Tier("t", 10.0, Action.PASS),), (GNP,))
    text = render_yaml(documents)
    assert text.startswith("---\napiVersion: projectcalico.org/v3\nkind: Tier\n")
    assert list(yaml.safe_load_all(text)) == documents
    assert json.loads(render_json(documents))["items"] == documents


def test_output_is_byte_identical_for_the_same_input_in_any_order() -> None:
    peer = NetworkPolicyPeer(namespace_selector=LabelSelector.of({"b": "2", "a": "1"}))
    policies = [
        NetworkPolicy(ns, name, LabelSelector.of({"app": name}), None, (NetworkPolicyRule(peers=(peer,)),))
        for ns in ("x", "y")
        for name in ("p", "q")
    ]
    for target in Target:
        options = ConvertOptions(target=target)
        first = convert(policies, options)
        second = convert(list(reversed(policies)), options)
        assert render_yaml(manifests(first.tiers, first.policies)) == render_yaml(
            manifests(second.tiers, second.policies)
        )


def test_rendered_selectors_parse_back_to_the_same_ast() -> None:
    policies = [NetworkPolicy("x", "p", LabelSelector.of({"app": "it's"}), None, (NetworkPolicyRule(),))]
    result = convert(policies, ConvertOptions(target=Target.GLOBAL))
    for policy in result.policies:
        assert parse(manifest(policy)["spec"]["selector"]) == policy.spec.selector


@settings(max_examples=examples(ci=300, dev=50))
@given(
    policy_sets(),
    st.sampled_from(Target),
    st.sampled_from((None, "t")),
    st.booleans(),
    st.sampled_from((None, DefaultDenyOptions.build())),
)
def test_yaml_reads_back_as_the_manifests(policies, target, tier, staged, default_deny) -> None:
    options = ConvertOptions(target=target, tier=tier, staged=staged, default_deny=default_deny)
    result = convert(policies, options)
    documents = manifests(result.tiers, result.policies)
    assert list(yaml.safe_load_all(render_yaml(documents))) == documents


@pytest.mark.parametrize(
    "value",
    ["yes", "No", "on", "null", "~", "10.0.0.0/8", "80:82", "a b", "it's", "x: y", "- a", "", "é", "#x"],
)
def test_strings_a_yaml_reader_could_misread_are_quoted(value: str) -> None:
    documents = [{"k": value, "l": [value], "f": 0.00001, "n": 1000}]
    assert list(yaml.safe_load_all(render_yaml(documents))) == documents
