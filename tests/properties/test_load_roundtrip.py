"""Loading is faithful: a policy written as a manifest loads back as the normalised model object.

The manifest writer below is deliberately naive (camelCase field by field, absent when empty), so
the property checks the loader against the model, not against another copy of the loader.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.examples import examples
from tests.strategies import NAMESPACES, POLICY_NAMES, raw_policies
from translator.load import parse_documents
from translator.load.documents import parse_text
from translator.model.common import LabelSelector
from translator.model.k8s import (
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    normalise,
)


def selector_manifest(selector: LabelSelector) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if selector.match_labels:
        body["matchLabels"] = dict(selector.match_labels)
    if selector.match_expressions:
        body["matchExpressions"] = [
            {"key": e.key, "operator": e.operator.value, **({"values": list(e.values)} if e.values else {})}
            for e in selector.match_expressions
        ]
    return body


def peer_manifest(peer: NetworkPolicyPeer) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if peer.pod_selector is not None:
        body["podSelector"] = selector_manifest(peer.pod_selector)
    if peer.namespace_selector is not None:
        body["namespaceSelector"] = selector_manifest(peer.namespace_selector)
    if peer.ip_block is not None:
        block: dict[str, Any] = {"cidr": str(peer.ip_block.cidr)}
        if peer.ip_block.except_:
            block["except"] = [str(e) for e in peer.ip_block.except_]
        body["ipBlock"] = block
    return body


def port_manifest(port: NetworkPolicyPort) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if port.protocol is not None:
        body["protocol"] = port.protocol.value
    if port.port is not None:
        body["port"] = port.port
    if port.end_port is not None:
        body["endPort"] = port.end_port
    return body


def rule_manifest(rule: NetworkPolicyRule, peers_field: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if rule.ports:
        body["ports"] = [port_manifest(p) for p in rule.ports]
    if rule.peers:
        body[peers_field] = [peer_manifest(p) for p in rule.peers]
    return body


def manifest(policy: NetworkPolicy) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": selector_manifest(policy.pod_selector)}
    if policy.policy_types is not None:
        spec["policyTypes"] = [t.value for t in policy.policy_types]
    if policy.ingress:
        spec["ingress"] = [rule_manifest(r, "from") for r in policy.ingress]
    if policy.egress:
        spec["egress"] = [rule_manifest(r, "to") for r in policy.egress]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": policy.name, "namespace": policy.namespace},
        "spec": spec,
    }


any_policy = st.tuples(st.sampled_from(NAMESPACES), st.sampled_from(POLICY_NAMES)).flatmap(
    lambda key: raw_policies(*key)
)


@settings(max_examples=examples(ci=300, dev=60))
@given(any_policy)
def test_a_yaml_manifest_loads_as_the_normalised_policy(policy: NetworkPolicy) -> None:
    loaded = parse_documents(parse_text("p.yaml", yaml.safe_dump(manifest(policy))))
    assert loaded.errors == ()
    assert loaded.policies.k8s_policies == (normalise(policy),)


@settings(max_examples=examples(ci=100, dev=30))
@given(st.lists(any_policy, min_size=1, max_size=3))
def test_a_json_list_loads_every_item_in_order(policies: list[NetworkPolicy]) -> None:
    named = [
        NetworkPolicy(p.namespace, f"p{i}", p.pod_selector, p.policy_types, p.ingress, p.egress)
        for i, p in enumerate(policies)
    ]
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": [manifest(p) for p in named]})
    loaded = parse_documents(parse_text("list.json", text))
    assert loaded.errors == ()
    assert loaded.policies.k8s_policies == tuple(normalise(p) for p in named)
    assert [str(p.origin) for p in loaded.policies.k8s_policies] == [
        f"list.json:1:items[{i}]" for i in range(len(named))
    ]
