"""Loading and validating Calico manifests (semantics.md §2.7, libcalico-go validator rules)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
import yaml

from tests.builders import CALICO_DOCS_DEFAULT_DENY
from translator.errors import Level
from translator.load import Loaded, parse_documents
from translator.load.documents import Document
from translator.model.calico import Action, EntityRule, GlobalNetworkPolicy, NetworkPolicy, StagedAction, Tier
from translator.model.cluster import ContainerPort, HostEndpoint
from translator.model.common import Direction, PortRange, Protocol, RuleProtocol
from translator.selectors import All, And, Equals, Global, Has, NotIn

V3 = "projectcalico.org/v3"


def load_objects(*bodies: dict[str, Any]) -> Loaded:
    docs = [Document("p.yaml", i, "", body) for i, body in enumerate(bodies, start=1)]
    return parse_documents(docs)


def np(spec: dict[str, Any], name: str = "allow", kind: str = "NetworkPolicy", **meta: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, **meta}
    if kind in ("NetworkPolicy", "StagedNetworkPolicy", "StagedKubernetesNetworkPolicy"):
        metadata.setdefault("namespace", "dev")
    return {"apiVersion": V3, "kind": kind, "metadata": metadata, "spec": spec}


def rule(**fields: Any) -> dict[str, Any]:
    return {"action": "Allow", **fields}


def messages(loaded: Loaded, level: Level = Level.ERROR) -> list[str]:
    return [f"{d.location.path}: {d.message}" for d in loaded.diagnostics if d.level is level]


def only_policy(loaded: Loaded) -> Any:
    assert not loaded.errors, messages(loaded)
    (policy,) = loaded.policies.calico_policies
    return policy


# --- valid objects and the model they give --------------------------------------------------


def test_network_policy_model() -> None:
    body = np(
        {
            "tier": "default",
            "order": 100,
            "selector": "app == 'web'",
            "ingress": [
                rule(
                    protocol="TCP",
                    source={"selector": "app == 'x'", "namespaceSelector": "all()", "nets": ["10.0.0.1/8"]},
                    destination={"ports": [80, "8000:8080", "http"], "notPorts": ["81"]},
                ),
                {"action": "Deny", "notProtocol": 17, "ipVersion": 4},
            ],
        }
    )
    policy = only_policy(load_objects(body))
    assert isinstance(policy, NetworkPolicy)
    assert (policy.name, policy.namespace, policy.kind) == ("allow", "dev", "NetworkPolicy")
    assert policy.spec.order == 100.0 and policy.spec.selector == Equals("app", "web")
    assert policy.spec.types == (Direction.INGRESS,)
    first, second = policy.spec.ingress
    assert first.action is Action.ALLOW and first.protocol == RuleProtocol(6)
    assert first.protocol is not None and first.protocol.written == "TCP"
    assert first.source == EntityRule(
        selector=Equals("app", "x"), namespace_selector=All(), nets=(ipaddress.ip_network("10.0.0.0/8"),)
    )
    assert first.destination.ports == (PortRange(80, 80), PortRange(8000, 8080), "http")
    assert first.destination.not_ports == (PortRange(81, 81),)
    assert (second.action, second.not_protocol, second.ip_version) == (Action.DENY, RuleProtocol(17), 4)
    assert second.not_protocol is not None and second.not_protocol.written == 17


def test_absent_and_empty_selectors_are_no_constraint() -> None:
    policy = only_policy(load_objects(np({"selector": "", "egress": [rule(destination={"selector": ""})]})))
    assert policy.spec.selector is None
    assert policy.spec.egress[0].destination == EntityRule()
    assert not policy.spec.egress[0].destination.has_endpoint_constraint


TYPES = [
    ({}, (Direction.INGRESS,)),
    ({"ingress": [rule()]}, (Direction.INGRESS,)),
    ({"egress": [rule()]}, (Direction.EGRESS,)),
    ({"ingress": [rule()], "egress": [rule()]}, (Direction.INGRESS, Direction.EGRESS)),
    ({"types": ["Egress"], "ingress": [rule()]}, (Direction.EGRESS,)),
    ({"types": ["Egress", "Ingress"]}, (Direction.EGRESS, Direction.INGRESS)),
]


@pytest.mark.parametrize(("spec", "types"), TYPES, ids=[str(s) for s, _ in TYPES])
def test_types_defaulting(spec: dict[str, Any], types: tuple[Direction, ...]) -> None:
    assert only_policy(load_objects(np(spec))).spec.types == types


def test_global_network_policy_from_the_calico_docs() -> None:
    policy = only_policy(load_objects(yaml.safe_load(CALICO_DOCS_DEFAULT_DENY)))
    assert isinstance(policy, GlobalNetworkPolicy)
    assert policy.namespace_selector == And(
        (Has("projectcalico.org/name"), NotIn("projectcalico.org/name", ("calico-system", "kube-system")))
    )
    assert policy.spec.egress[0].destination.ports == (PortRange(53, 53),)


def test_rule_namespace_selector_global_alone_is_accepted() -> None:
    policy = only_policy(load_objects(np({"ingress": [rule(source={"namespaceSelector": "global()"})]})))
    assert policy.spec.ingress[0].source.namespace_selector == Global()


def test_crd_v1_api_version_is_read_the_same_way() -> None:
    body = {**np({"egress": [rule()]}, name="default.allow"), "apiVersion": "crd.projectcalico.org/v1"}
    assert only_policy(load_objects(body)).name == "default.allow"


def test_tier() -> None:
    loaded = load_objects(
        {"apiVersion": V3, "kind": "Tier", "metadata": {"name": "t1"}, "spec": {"order": 10}}
    )
    assert loaded.policies.tiers == (Tier("t1", 10.0, Action.DENY),)
    loaded = load_objects(
        {"apiVersion": V3, "kind": "Tier", "metadata": {"name": "t"}, "spec": {"defaultAction": "Pass"}}
    )
    assert loaded.policies.tiers == (Tier("t", None, Action.PASS),)


def test_staged_policies() -> None:
    loaded = load_objects(
        np({"stagedAction": "Set", "ingress": [rule()]}, kind="StagedNetworkPolicy"),
        np({"stagedAction": "Delete", "tier": "t1"}, name="t1.gone", kind="StagedGlobalNetworkPolicy"),
        np({"selector": "all()"}, name="set-by-default", kind="StagedGlobalNetworkPolicy"),
    )
    assert not loaded.errors, messages(loaded)
    staged, deleted, defaulted = loaded.policies.calico_policies
    assert staged.kind == "StagedNetworkPolicy" and staged.staged_action is StagedAction.SET
    assert deleted.staged_action is StagedAction.DELETE and deleted.spec.tier == "t1"
    assert deleted.spec.ingress == () and deleted.spec.types == ()
    assert defaulted.staged_action is StagedAction.SET


def test_staged_kubernetes_network_policy_is_normalised() -> None:
    loaded = load_objects(
        np({"stagedAction": "Set", "podSelector": {}, "egress": [{}]}, kind="StagedKubernetesNetworkPolicy")
    )
    assert not loaded.errors, messages(loaded)
    (staged,) = loaded.policies.staged_k8s_policies
    assert staged.staged_action is StagedAction.SET
    # Kubernetes defaulting: egress rules without policyTypes isolate both directions.
    assert staged.policy.policy_types == (Direction.INGRESS, Direction.EGRESS)
    assert staged.policy.key == "dev/allow"


def test_host_endpoint() -> None:
    body = {
        "apiVersion": V3,
        "kind": "HostEndpoint",
        "metadata": {"name": "node1-eth0", "labels": {"role": "node"}},
        "spec": {
            "node": "node1",
            "interfaceName": "eth0",
            "expectedIPs": ["192.168.0.1", "fd00::1"],
            "profiles": ["projectcalico-default-allow"],
            "ports": [
                {"name": "ssh", "port": 22, "protocol": "TCP"},
                {"name": "dns", "port": 53, "protocol": 17},
            ],
        },
    }
    loaded = load_objects(body)
    assert not loaded.errors, messages(loaded)
    assert loaded.host_endpoints == (
        HostEndpoint(
            name="node1-eth0",
            node="node1",
            interface="eth0",
            labels={"role": "node"},
            expected_ips=(ipaddress.ip_address("192.168.0.1"), ipaddress.ip_address("fd00::1")),
            profiles=("projectcalico-default-allow",),
            ports=(ContainerPort(22, Protocol.TCP, "ssh"), ContainerPort(53, Protocol.UDP, "dns")),
        ),
    )
    assert loaded.host_endpoints[0].labels == {"role": "node"}


# --- invalid objects: (body, field path, message fragment) ----------------------------------

GNP = "GlobalNetworkPolicy"
INVALID = [
    # names and tiers
    (np({}, name="Allow"), "metadata.name", "name must be lower case"),
    (np({}, name="a.b.c"), "metadata.name", "at most two dot-separated parts"),
    (np({}, name="a" * 254), "metadata.name", "name is too long by 1"),
    (np({}, name="knp.default.x"), "metadata.name", "prefix 'knp.' is reserved"),
    (np({}, name="ossg.default.x", kind=GNP), "metadata.name", "prefix 'ossg.' is reserved"),
    (np({}, name="allow\n"), "metadata.name", "name"),
    (np({}, name="allow\n", kind=GNP), "metadata.name", "name"),
    (np({"tier": "t\n"}, name="t.x"), "spec.tier", "one DNS label"),
    (np({}, namespace="Dev"), "metadata.namespace", "invalid namespace"),
    (np({"tier": "a.b"}, name="a.b.p"), "spec.tier", "one DNS label"),
    (np({"tier": "t" * 64}, name="x"), "spec.tier", "too long"),
    (np({}, labels={"-bad": "x"}), "metadata.labels.-bad", "label key"),
    # selectors
    (
        np({"selector": "app = 'x'"}),
        "spec.selector",
        "invalid selector \"app = 'x'\": expected '==' at column 5",
    ),
    (np({"selector": "global()"}), "spec.selector", "global() can only be used"),
    (np({"namespaceSelector": "global()"}, kind=GNP), "spec.namespaceSelector", "global() can only be used"),
    (np({"namespaceSelector": "all()"}), "spec.namespaceSelector", "unknown field"),
    (np({"ingress": [rule(source={"selector": "has(a"})]}), "spec.ingress[0].source.selector", "column 6"),
    (
        np({"ingress": [rule(source={"notSelector": "a in"})]}),
        "spec.ingress[0].source.notSelector",
        "invalid selector",
    ),
    (np({"ingress": [rule(source={"selector": "global()"})]}), "spec.ingress[0].source.selector", "global()"),
    (
        np({"ingress": [rule(source={"namespaceSelector": "global() || all()"})]}),
        "spec.ingress[0].source.namespaceSelector",
        "cannot be combined",
    ),
    # ports and protocols
    (
        np({"ingress": [rule(destination={"ports": [80]})]}),
        "spec.ingress[0].destination.ports",
        "must set protocol",
    ),
    (
        np({"ingress": [rule(destination={"ports": ["http", 80]})]}),
        "spec.ingress[0].destination.ports",
        "numeric port or port range must set protocol",
    ),
    (
        np({"ingress": [rule(protocol="ICMP", destination={"ports": ["http"]})]}),
        "spec.ingress[0].destination.ports",
        "must set protocol",
    ),
    (
        np({"ingress": [rule(protocol="ICMP", source={"notPorts": [1]})]}),
        "spec.ingress[0].source.notPorts",
        "must set protocol",
    ),
    (
        np({"ingress": [rule(protocol="TCP", destination={"ports": [0]})]}),
        "spec.ingress[0].destination.ports[0]",
        "between 1 and 65535",
    ),
    (
        np({"ingress": [rule(protocol="TCP", destination={"ports": [65536]})]}),
        "spec.ingress[0].destination.ports[0]",
        "between 1 and 65535",
    ),
    (
        np({"ingress": [rule(protocol="TCP", destination={"ports": ["90:80"]})]}),
        "spec.ingress[0].destination.ports[0]",
        "ends before it starts",
    ),
    (
        np({"ingress": [rule(protocol="TCP", destination={"ports": ["web_port"]})]}),
        "spec.ingress[0].destination.ports[0]",
        "invalid port",
    ),
    (np({"ingress": [rule(protocol="tcp")]}), "spec.ingress[0].protocol", "protocol name 'tcp' is invalid"),
    (np({"ingress": [rule(protocol=0)]}), "spec.ingress[0].protocol", "between 1 and 255"),
    (np({"ingress": [rule(notProtocol=256)]}), "spec.ingress[0].notProtocol", "between 1 and 255"),
    (
        np({"ingress": [rule(protocol="ICMP", ipVersion=6)]}),
        "spec.ingress[0].ipVersion",
        "ipVersion must be 4",
    ),
    # nets
    (
        np({"ingress": [rule(source={"nets": ["10.0.0.0/8", "fd00::/8"]})]}),
        "spec.ingress[0].source.nets",
        "both IPv4 and IPv6",
    ),
    (
        np({"ingress": [rule(source={"nets": ["10.0.0.0/8"]}, destination={"notNets": ["fd00::/8"]})]}),
        "spec.ingress[0].destination.notNets",
        "both IPv4 and IPv6",
    ),
    (
        np({"ingress": [rule(ipVersion=6, source={"nets": ["10.0.0.0/8"]})]}),
        "spec.ingress[0].source.nets",
        "ipVersion 6",
    ),
    (
        np({"ingress": [rule(source={"notNets": ["0.0.0.0/0"]})]}),
        "spec.ingress[0].source.notNets[0]",
        "every address",
    ),
    (
        np({"ingress": [rule(source={"nets": ["10.0.0.1"]})]}),
        "spec.ingress[0].source.nets[0]",
        "invalid CIDR",
    ),
    (
        np({"ingress": [rule(source={"nets": ["10.0.0.0/33"]})]}),
        "spec.ingress[0].source.nets[0]",
        "invalid CIDR",
    ),
    # schema-level rules
    (np({"types": ["Ingress", "Ingress"]}), "spec.types", "non-unique"),
    (np({"ingress": [{"action": "Reject"}]}), "spec.ingress[0].action", "unsupported value 'Reject'"),
    (np({"ingress": [{}]}), "spec.ingress[0].action", "required value"),
    (np({"order": "first"}), "spec.order", "must be a number"),
    # YAML's .nan/.inf: no JSON number, and a NaN order would make the policy order meaningless
    (np({"order": float("nan")}), "spec.order", "finite"),
    (np({"order": float("-inf")}, kind=GNP), "spec.order", "finite"),
    (np({"ingress": [rule(ipVersion=5)]}), "spec.ingress[0].ipVersion", "unsupported value 5"),
    (np({"ingres": []}), "spec.ingres", "unknown field"),
    # fields np2calico cannot evaluate
    (np({"ingress": [rule(http={"methods": ["GET"]})]}), "spec.ingress[0].http", "cannot evaluate 'http'"),
    (
        np({"ingress": [rule(protocol="ICMP", icmp={"type": 8})]}),
        "spec.ingress[0].icmp",
        "cannot evaluate 'icmp'",
    ),
    (
        np({"ingress": [rule(protocol="ICMP", notICMP={"type": 8})]}),
        "spec.ingress[0].notICMP",
        "cannot evaluate",
    ),
    (
        np({"egress": [rule(source={"services": {"name": "s", "namespace": "n"}})]}),
        "spec.egress[0].source.services",
        "not allowed in egress rule source",
    ),
    (
        np({"ingress": [rule(source={"serviceAccounts": {"names": ["sa"]}})]}),
        "spec.ingress[0].source.serviceAccounts",
        "cannot evaluate",
    ),
    (np({"serviceAccountSelector": "role == 'x'"}), "spec.serviceAccountSelector", "cannot evaluate"),
    (
        np({"doNotTrack": True, "applyOnForward": True}, kind=GNP),
        "spec.doNotTrack",
        "cannot evaluate doNotTrack",
    ),
    (np({"preDNAT": True, "applyOnForward": True}, kind=GNP), "spec.preDNAT", "cannot evaluate preDNAT"),
    (np({"applyOnForward": True}, kind=GNP), "spec.applyOnForward", "cannot evaluate applyOnForward"),
    # staged kinds
    (np({"stagedAction": "Learn"}, kind="StagedNetworkPolicy"), "spec.stagedAction", "only Set and Delete"),
    (
        np({"stagedAction": "Delete", "selector": "all()"}, kind="StagedNetworkPolicy"),
        "spec.selector",
        "stagedAction is Delete",
    ),
    (
        np(
            {"stagedAction": "Delete", "podSelector": {"matchLabels": {"a": "b"}}},
            kind="StagedKubernetesNetworkPolicy",
        ),
        "spec.podSelector",
        "stagedAction is Delete",
    ),
    (np({"ingress": [{"from": [{}]}]}, kind="StagedKubernetesNetworkPolicy"), "spec.ingress[0].from[0]", ""),
]


@pytest.mark.parametrize(("body", "path", "fragment"), INVALID, ids=[f"{p}:{f}" for _, p, f in INVALID])
def test_invalid_objects_are_refused_at_the_field(body: dict[str, Any], path: str, fragment: str) -> None:
    loaded = load_objects(body)
    assert not loaded.policies.calico_policies and not loaded.policies.staged_k8s_policies
    assert loaded.invalid_document_count == 1
    found = [m for m in messages(loaded) if m.startswith(f"{path}: ") and fragment in m]
    assert found, messages(loaded)


TIER_INVALID = [
    ({"name": "a.b"}, {}, "metadata.name", "one DNS label"),
    (
        {"name": "default"},
        {"defaultAction": "Pass"},
        "spec.defaultAction",
        "'default' tier must have default action 'Deny'",
    ),
    ({"name": "default"}, {"order": 5}, "spec.order", "order must be 1000000"),
    ({"name": "kube-admin"}, {"order": 1000}, "spec.defaultAction", "must have default action 'Pass'"),
    ({"name": "t"}, {"defaultAction": "Allow"}, "spec.defaultAction", "unsupported value"),
    ({"name": "t"}, {"order": float("nan")}, "spec.order", "finite"),
    ({"name": "t"}, {"order": float("inf")}, "spec.order", "finite"),
]


@pytest.mark.parametrize(
    ("meta", "spec", "path", "fragment"), TIER_INVALID, ids=[f for *_, f in TIER_INVALID]
)
def test_invalid_tiers(meta: dict[str, Any], spec: dict[str, Any], path: str, fragment: str) -> None:
    loaded = load_objects({"apiVersion": V3, "kind": "Tier", "metadata": meta, "spec": spec})
    assert not loaded.policies.tiers
    assert [m for m in messages(loaded) if m.startswith(f"{path}: ") and fragment in m], messages(loaded)


HEP_INVALID = [
    (
        {"node": "n", "interfaceName": "eth0", "expectedIPs": ["10.0.0.300"]},
        "spec.expectedIPs[0]",
        "invalid IP",
    ),
    ({"node": "n", "interfaceName": "a-very-long-interface-name"}, "spec.interfaceName", "1-15 characters"),
    ({"node": "n"}, "spec", "at least one of interfaceName or expectedIPs"),
    ({"node": "n", "interfaceName": "", "expectedIPs": []}, "spec", "at least one of interfaceName"),
    ({"interfaceName": "eth0"}, "spec.node", "required value"),
    (
        {"node": "n", "interfaceName": "eth0", "ports": [{"name": "ssh", "port": 22, "protocol": "ICMP"}]},
        "spec.ports[0].protocol",
        "needs protocol TCP, UDP or SCTP",
    ),
    (
        {"node": "n", "interfaceName": "eth0", "ports": [{"name": "SSH", "port": 22, "protocol": "TCP"}]},
        "spec.ports[0].name",
        "port name",
    ),
    # libcalico-go validator_test: "should reject host endpoint with no prefix and dots at the start"
    ({"node": "n", "interfaceName": "eth0", "profiles": [".fun"]}, "spec.profiles[0]", "profile name"),
    ({"node": "n", "interfaceName": "eth0", "profiles": ["ok", "Fun"]}, "spec.profiles[1]", "profile name"),
]


def test_profile_names_of_the_upstream_tests_are_accepted() -> None:
    profiles = ["knp.default.fun", "knp.default.funner.11234-a"]
    spec = {"node": "n", "interfaceName": "eth0", "profiles": profiles}
    body = {"apiVersion": V3, "kind": "HostEndpoint", "metadata": {"name": "hep"}, "spec": spec}
    loaded = load_objects(body)
    assert messages(loaded) == []
    assert loaded.host_endpoints[0].profiles == ("knp.default.fun", "knp.default.funner.11234-a")


@pytest.mark.parametrize(("spec", "path", "fragment"), HEP_INVALID, ids=[p for _, p, _ in HEP_INVALID])
def test_invalid_host_endpoints(spec: dict[str, Any], path: str, fragment: str) -> None:
    body = {"apiVersion": V3, "kind": "HostEndpoint", "metadata": {"name": "hep"}, "spec": spec}
    loaded = load_objects(body)
    assert not loaded.host_endpoints
    assert [m for m in messages(loaded) if m.startswith(f"{path}") and fragment in m], messages(loaded)


# --- the v3.31 tier-prefix rule: warnings, the object still loads ----------------------------

PREFIX = [
    (np({"tier": "t1"}, name="allow"), True),
    (np({"tier": "t1"}, name="t1.allow"), False),
    (np({"tier": "t1"}, name="t2.allow"), True),
    (np({}, name="team.allow"), True),
    (np({}, name="default.allow"), False),
    (np({}, name="allow"), False),
    (np({"tier": "t1"}, name="allow", kind=GNP), True),
]


@pytest.mark.parametrize(
    ("body", "warned"), PREFIX, ids=[f"{b['spec']}:{b['metadata']['name']}" for b, _ in PREFIX]
)
def test_tier_prefix_rule_of_v331_is_a_warning(body: dict[str, Any], warned: bool) -> None:
    loaded = load_objects(body)
    assert not loaded.errors, messages(loaded)
    warnings = [m for m in messages(loaded, Level.WARNING) if "not valid for Calico v3.31" in m]
    assert bool(warnings) is warned
    assert all(w.startswith("metadata.name: ") for w in warnings)


def test_every_problem_of_a_document_is_reported() -> None:
    body = np(
        {"selector": "(", "ingress": [rule(protocol="TCP", destination={"ports": [0, "b_"]})]}, name="X"
    )
    found = messages(load_objects(body))
    assert len(found) == 4, found


def test_schema_and_value_problems_of_one_document_are_all_reported() -> None:
    body = np({"types": ["Egress", "Egress"], "order": "1", "selector": "a ="}, name="a.b.c", kind=GNP)
    found = messages(load_objects(body))
    assert any(m.startswith("spec.types: ") for m in found), found
    assert any(m.startswith("spec.order: must be a number") for m in found), found
    assert any(m.startswith("spec.selector: invalid selector") for m in found), found
    assert any(m.startswith("metadata.name: name must be lower case") for m in found), found


WRONG_TYPES = [
    np({"ingress": "all"}),
    np(
        {
            "ingress": [
                {"action": ["Allow"], "protocol": True, "source": [], "destination": {"ports": [True, None]}}
            ]
        }
    ),
    np({"egress": [{"action": "Allow", "destination": {"nets": [1], "selector": 5, "notPorts": {}}}]}),
    np({"tier": 7, "types": [["Ingress"]]}),
    np({"stagedAction": ["Set"]}, kind="StagedNetworkPolicy"),
    {
        "apiVersion": V3,
        "kind": "Tier",
        "metadata": {"name": ["t"]},
        "spec": {"order": [], "defaultAction": {}},
    },
    {
        "apiVersion": V3,
        "kind": "HostEndpoint",
        "metadata": {"name": "h", "labels": []},
        "spec": {"node": 1, "expectedIPs": [1], "ports": [{"name": 1, "port": "x", "protocol": []}, "p"]},
    },
    np({"podSelector": [], "ingress": [{"from": "x"}]}, kind="StagedKubernetesNetworkPolicy"),
]


@pytest.mark.parametrize("body", WRONG_TYPES, ids=[str(b["spec"])[:40] for b in WRONG_TYPES])
def test_wrongly_typed_fields_are_errors_not_crashes(body: dict[str, Any]) -> None:
    loaded = load_objects(body)
    assert loaded.errors and loaded.invalid_document_count == 1


def test_named_ports_without_protocol_are_valid_in_v3_32_with_a_v3_31_warning() -> None:
    """libcalico-go validateRule: without a protocol only numeric ports are refused (issue 9 item 6)."""
    named = rule(destination={"ports": ["http"]}, source={"notPorts": ["dns"]})
    loaded = load_objects(np({"ingress": [named]}))
    assert messages(loaded) == []
    warnings = messages(loaded, Level.WARNING)
    assert any("not valid for Calico v3.31" in w and "destination.ports" in w for w in warnings), warnings
    assert any("source.notPorts" in w for w in warnings), warnings
    assert only_policy(loaded).spec.ingress[0].destination.ports == ("http",)
