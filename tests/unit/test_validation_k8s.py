"""Every rule of semantics.md §1.6 (upstream networking validation), valid and invalid, as tables.

Each invalid case names the field path the error must point at and a fragment of its message.
"""

from __future__ import annotations

from typing import Any

import pytest

from translator.errors import Level
from translator.load import Loaded, parse_documents
from translator.load.documents import Document
from translator.load.names import (
    dns1123_label_errors,
    dns1123_subdomain_errors,
    label_value_errors,
    port_name_errors,
    qualified_name_errors,
)


def policy(spec: dict[str, Any] | None = None, **metadata: Any) -> dict[str, Any]:
    meta = {"name": "p", "namespace": "default", **metadata}
    body: dict[str, Any] = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta}
    if spec is not None:
        body["spec"] = spec
    return body


def parse(body: Any) -> Loaded:
    return parse_documents([Document("np.yaml", 1, "", body)])


def error_lines(loaded: Loaded) -> list[str]:
    return [f"{d.location.path}: {d.message}" for d in loaded.errors]


def ingress_port(**port: Any) -> dict[str, Any]:
    return {"ingress": [{"ports": [port]}]}


def ingress_peer(**peer: Any) -> dict[str, Any]:
    return {"ingress": [{"from": [peer]}]}


def pod_selector(**selector: Any) -> dict[str, Any]:
    return {"podSelector": selector}


# --- names (rule 1) ---------------------------------------------------------------------------

VALID_METADATA = {
    "simple name": {"name": "allow-dns"},
    "dotted subdomain name": {"name": "a.b-c.d"},
    "253 characters": {"name": ".".join(["a" * 63] * 4)[:253].rstrip(".")},
    "namespace label": {"namespace": "kube-system"},
    "qualified label key": {"labels": {"example.com/app": "x_y.z"}},
    "empty label value": {"labels": {"app": ""}},
    "annotation key of any case": {"annotations": {"Example.com/Owner": "Team A: anything goes here"}},
    "annotations up to 256 KiB": {"annotations": {"a": "x" * (256 * 1024 - 1)}},
}


@pytest.mark.parametrize("metadata", VALID_METADATA.values(), ids=VALID_METADATA.keys())
def test_valid_metadata(metadata: dict[str, Any]) -> None:
    loaded = parse(policy({}, **metadata))
    assert error_lines(loaded) == []
    assert len(loaded.policies.k8s_policies) == 1


INVALID_METADATA = {
    "upper case name": ({"name": "Allow"}, "metadata.name", "RFC 1123 subdomain"),
    "underscore in name": ({"name": "a_b"}, "metadata.name", "RFC 1123 subdomain"),
    "name too long": ({"name": "a" * 254}, "metadata.name", "no more than 253"),
    "empty name": ({"name": ""}, "metadata.name", "required value"),
    "dotted namespace": ({"namespace": "a.b"}, "metadata.namespace", "RFC 1123 label"),
    "namespace too long": ({"namespace": "a" * 64}, "metadata.namespace", "no more than 63"),
    "bad label key": ({"labels": {"-app": "x"}}, "metadata.labels.-app", "invalid label key"),
    "bad label value": ({"labels": {"app": "a b"}}, "metadata.labels.app", "invalid label value"),
    "name with trailing newline": ({"name": "web\n"}, "metadata.name", "RFC 1123 subdomain"),
    "bad annotation key": ({"annotations": {"a b": "x"}}, "metadata.annotations.a b", "annotation key"),
    "annotation key with two slashes": (
        {"annotations": {"a/b/c": "x"}},
        "metadata.annotations.a/b/c",
        "invalid annotation key",
    ),
    "annotations over 256 KiB": (
        {"annotations": {"a": "x" * (256 * 1024)}},
        "metadata.annotations",
        "may not be more than 262144 bytes",
    ),
    "namespace with trailing newline": ({"namespace": "dev\n"}, "metadata.namespace", "RFC 1123 label"),
}


@pytest.mark.parametrize(
    ("metadata", "path", "message"), INVALID_METADATA.values(), ids=INVALID_METADATA.keys()
)
def test_invalid_metadata(metadata: dict[str, Any], path: str, message: str) -> None:
    loaded = parse(policy({}, **metadata))
    assert any(line.startswith(f"{path}: ") and message in line for line in error_lines(loaded)), error_lines(
        loaded
    )
    assert loaded.policies.k8s_policies == ()


def test_missing_name_is_required() -> None:
    body = policy({})
    del body["metadata"]["name"]
    assert error_lines(parse(body)) == ["metadata.name: required value"]


# --- label selectors (rule 2) -----------------------------------------------------------------

VALID_SELECTORS = {
    "empty selector": {},
    "null selector": None,
    "match labels": {"matchLabels": {"app": "web", "example.com/tier": "front.end_1"}},
    "In with values": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]},
    "NotIn with values": {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a"]}]},
    "Exists": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
    "DoesNotExist with empty values": {
        "matchExpressions": [{"key": "t", "operator": "DoesNotExist", "values": []}]
    },
    "63-character key and value": {"matchLabels": {"k" * 63: "v" * 63}},
}


@pytest.mark.parametrize("selector", VALID_SELECTORS.values(), ids=VALID_SELECTORS.keys())
def test_valid_selectors(selector: Any) -> None:
    for spec in (
        {"podSelector": selector},
        ingress_peer(podSelector=selector or {}, namespaceSelector=selector),
    ):
        assert error_lines(parse(policy(spec))) == []


SEL = "spec.podSelector"
INVALID_SELECTORS = {
    "key with two slashes": ({"matchLabels": {"a/b/c": "x"}}, f"{SEL}.matchLabels.a/b/c", "qualified name"),
    "key with empty prefix": ({"matchLabels": {"/app": "x"}}, f"{SEL}.matchLabels./app", "prefix part"),
    "key with upper-case prefix": (
        {"matchLabels": {"Ex.com/a": "x"}},
        f"{SEL}.matchLabels.Ex.com/a",
        "prefix",
    ),
    "key name too long": ({"matchLabels": {"k" * 64: "x"}}, f"{SEL}.matchLabels.{'k' * 64}", "63"),
    "key ends with dash": ({"matchLabels": {"app-": "x"}}, f"{SEL}.matchLabels.app-", "name part"),
    "value too long": ({"matchLabels": {"a": "v" * 64}}, f"{SEL}.matchLabels.a", "no more than 63"),
    "value with slash": ({"matchLabels": {"a": "x/y"}}, f"{SEL}.matchLabels.a", "label value"),
    "value not a string": ({"matchLabels": {"a": 1}}, f"{SEL}.matchLabels.a", "must be a string"),
    "In without values": (
        {"matchExpressions": [{"key": "t", "operator": "In"}]},
        f"{SEL}.matchExpressions[0].values",
        "must be specified",
    ),
    "NotIn with empty values": (
        {"matchExpressions": [{"key": "t", "operator": "NotIn", "values": []}]},
        f"{SEL}.matchExpressions[0].values",
        "must be specified",
    ),
    "Exists with values": (
        {"matchExpressions": [{"key": "t", "operator": "Exists", "values": ["a"]}]},
        f"{SEL}.matchExpressions[0].values",
        "may not be specified",
    ),
    "DoesNotExist with values": (
        {"matchExpressions": [{"key": "t", "operator": "DoesNotExist", "values": ["a"]}]},
        f"{SEL}.matchExpressions[0].values",
        "may not be specified",
    ),
    "unknown operator": (
        {"matchExpressions": [{"key": "t", "operator": "Gt", "values": ["1"]}]},
        f"{SEL}.matchExpressions[0].operator",
        "unsupported value 'Gt'",
    ),
    "lower-case operator": (
        {"matchExpressions": [{"key": "t", "operator": "in", "values": ["1"]}]},
        f"{SEL}.matchExpressions[0].operator",
        "unsupported value",
    ),
    "invalid expression key": (
        {"matchExpressions": [{"key": "a b", "operator": "Exists"}]},
        f"{SEL}.matchExpressions[0].key",
        "invalid label key",
    ),
    "invalid expression value": (
        {"matchExpressions": [{"key": "a", "operator": "In", "values": ["ok", "not ok"]}]},
        f"{SEL}.matchExpressions[0].values[1]",
        "invalid label value",
    ),
    "missing operator": (
        {"matchExpressions": [{"key": "a"}]},
        f"{SEL}.matchExpressions[0].operator",
        "required",
    ),
    "unknown selector field": ({"matchLabel": {"a": "b"}}, f"{SEL}.matchLabel", "unknown field"),
}


@pytest.mark.parametrize(
    ("selector", "path", "message"), INVALID_SELECTORS.values(), ids=INVALID_SELECTORS.keys()
)
def test_invalid_selectors(selector: dict[str, Any], path: str, message: str) -> None:
    lines = error_lines(parse(policy({"podSelector": selector})))
    assert any(line.startswith(f"{path}: ") and message in line for line in lines), lines


def test_selector_errors_are_found_in_peers_too() -> None:
    spec = ingress_peer(namespaceSelector={"matchExpressions": [{"key": "t", "operator": "In"}]})
    assert error_lines(parse(policy(spec))) == [
        "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values: "
        "must be specified when `operator` is 'In'"
    ]


# --- ports (rule 3) ---------------------------------------------------------------------------

VALID_PORTS = {
    "empty port entry": {},
    "TCP": {"protocol": "TCP"},
    "UDP number": {"protocol": "UDP", "port": 53},
    "SCTP": {"protocol": "SCTP", "port": 9000},
    "lowest port": {"port": 1},
    "highest port": {"port": 65535},
    "named port": {"port": "http"},
    "15-character name": {"port": "a" * 15},
    "name with digits and dash": {"port": "h2-c0"},
    "range": {"port": 8000, "endPort": 9000},
    "one-port range": {"port": 80, "endPort": 80},
    "range to 65535": {"port": 1, "endPort": 65535},
}


@pytest.mark.parametrize("port", VALID_PORTS.values(), ids=VALID_PORTS.keys())
def test_valid_ports(port: dict[str, Any]) -> None:
    assert error_lines(parse(policy(ingress_port(**port)))) == []
    assert error_lines(parse(policy({"egress": [{"ports": [port]}]}))) == []


PORT = "spec.ingress[0].ports[0]"
INVALID_PORTS = {
    "ICMP": ({"protocol": "ICMP"}, f"{PORT}.protocol", "unsupported value 'ICMP'"),
    "lower-case tcp": ({"protocol": "tcp"}, f"{PORT}.protocol", "unsupported value 'tcp'"),
    "port 0": ({"port": 0}, f"{PORT}.port", "between 1 and 65535"),
    "port 65536": ({"port": 65536}, f"{PORT}.port", "between 1 and 65535"),
    "negative port": ({"port": -1}, f"{PORT}.port", "between 1 and 65535"),
    "fractional port": ({"port": 80.5}, f"{PORT}.port", "must be an integer or a string"),
    "quoted number": ({"port": "80"}, f"{PORT}.port", "at least one letter"),
    "name too long": ({"port": "a" * 16}, f"{PORT}.port", "no more than 15"),
    "upper-case name": ({"port": "HTTP"}, f"{PORT}.port", "alpha-numeric"),
    "underscore in name": ({"port": "my_port"}, f"{PORT}.port", "alpha-numeric"),
    "double dash": ({"port": "a--b"}, f"{PORT}.port", "consecutive hyphens"),
    "leading dash": ({"port": "-web"}, f"{PORT}.port", "begin or end with a hyphen"),
    "trailing dash": ({"port": "web-"}, f"{PORT}.port", "begin or end with a hyphen"),
    "empty name": ({"port": ""}, f"{PORT}.port", "alpha-numeric"),
    "name with trailing newline": ({"port": "http\n"}, f"{PORT}.port", "alpha-numeric"),
    "endPort below port": ({"port": 80, "endPort": 79}, f"{PORT}.endPort", "greater than or equal to `port`"),
    "endPort above 65535": ({"port": 80, "endPort": 65536}, f"{PORT}.endPort", "between 1 and 65535"),
    "endPort with named port": ({"port": "web", "endPort": 90}, f"{PORT}.endPort", "non-numeric"),
    "endPort without port": ({"endPort": 90}, f"{PORT}.endPort", "`port` is not specified"),
    "endPort as string": ({"port": 80, "endPort": "90"}, f"{PORT}.endPort", "must be an integer"),
    "unknown field": ({"port": 80, "portEnd": 90}, f"{PORT}.portEnd", "unknown field"),
}


@pytest.mark.parametrize(("port", "path", "message"), INVALID_PORTS.values(), ids=INVALID_PORTS.keys())
def test_invalid_ports(port: dict[str, Any], path: str, message: str) -> None:
    lines = error_lines(parse(policy(ingress_port(**port))))
    assert any(line.startswith(f"{path}: ") and message in line for line in lines), lines


def test_port_errors_in_egress_rules_point_at_egress() -> None:
    lines = error_lines(parse(policy({"egress": [{"ports": [{}, {"port": 80, "endPort": 10}]}]})))
    assert lines == ["spec.egress[0].ports[1].endPort: 10 must be greater than or equal to `port` (80)"]


# --- peers (rule 4) and ipBlock (rule 5) ------------------------------------------------------

VALID_PEERS = {
    "podSelector only": {"podSelector": {}},
    "namespaceSelector only": {"namespaceSelector": {}},
    "both selectors": {"podSelector": {"matchLabels": {"a": "b"}}, "namespaceSelector": {}},
    "ipBlock": {"ipBlock": {"cidr": "10.0.0.0/8"}},
    "IPv6 ipBlock": {"ipBlock": {"cidr": "fd00::/8", "except": ["fd00:1::/32"]}},
    "ipBlock with excepts": {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16", "10.2.3.4/32"]}},
    "ipBlock 0.0.0.0/0 except": {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}},
    "ipBlock with null selectors": {"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": None},
}


@pytest.mark.parametrize("peer", VALID_PEERS.values(), ids=VALID_PEERS.keys())
def test_valid_peers(peer: dict[str, Any]) -> None:
    assert error_lines(parse(policy(ingress_peer(**peer)))) == []
    assert error_lines(parse(policy({"egress": [{"to": [peer]}]}))) == []


PEER = "spec.ingress[0].from[0]"
INVALID_PEERS = {
    "empty peer": ({}, PEER, "must specify a peer"),
    "null peer": (None, PEER, "must specify a peer"),
    "peer with only null fields": ({"podSelector": None}, PEER, "must specify a peer"),
    "ipBlock and podSelector": (
        {"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}},
        PEER,
        "both ipBlock and another peer",
    ),
    "ipBlock and namespaceSelector": (
        {"ipBlock": {"cidr": "10.0.0.0/8"}, "namespaceSelector": {}},
        PEER,
        "both ipBlock and another peer",
    ),
    "missing cidr": ({"ipBlock": {"except": ["10.0.0.0/8"]}}, f"{PEER}.ipBlock.cidr", "required value"),
    "empty cidr": ({"ipBlock": {"cidr": ""}}, f"{PEER}.ipBlock.cidr", "required value"),
    "cidr without prefix": ({"ipBlock": {"cidr": "10.0.0.1"}}, f"{PEER}.ipBlock.cidr", "invalid CIDR"),
    "cidr with netmask": (
        {"ipBlock": {"cidr": "10.0.0.0/255.0.0.0"}},
        f"{PEER}.ipBlock.cidr",
        "invalid CIDR",
    ),
    "prefix too long": ({"ipBlock": {"cidr": "10.0.0.0/33"}}, f"{PEER}.ipBlock.cidr", "invalid CIDR"),
    "not an address": ({"ipBlock": {"cidr": "ten/8"}}, f"{PEER}.ipBlock.cidr", "invalid CIDR"),
    "IPv4 leading zeros past a byte": ({"ipBlock": {"cidr": "0256.0.0.0/8"}}, f"{PEER}.ipBlock.cidr",
                                       "leading zeros"),
    "cidr with trailing newline": ({"ipBlock": {"cidr": "10.0.0.0/8\n"}}, f"{PEER}.ipBlock.cidr", "CIDR"),
    "bad except": (
        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/40"]}},
        f"{PEER}.ipBlock.except[0]",
        "invalid CIDR",
    ),
    "except equal to cidr": (
        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/8"]}},
        f"{PEER}.ipBlock.except[0]",
        "strict subset",
    ),
    "except wider than cidr": (
        {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/8"]}},
        f"{PEER}.ipBlock.except[0]",
        "strict subset",
    ),
    "except outside cidr": (
        {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.1.0.0/24"]}},
        f"{PEER}.ipBlock.except[0]",
        "strict subset",
    ),
    "except of the other family": (
        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["fd00::/64"]}},
        f"{PEER}.ipBlock.except[0]",
        "same IP family",
    ),
    "IPv6 except outside": (
        {"ipBlock": {"cidr": "fd00::/64", "except": ["fd01::/96"]}},
        f"{PEER}.ipBlock.except[0]",
        "strict subset",
    ),
    "unknown peer field": ({"podSelectors": {}}, f"{PEER}.podSelectors", "unknown field"),
}


@pytest.mark.parametrize(("peer", "path", "message"), INVALID_PEERS.values(), ids=INVALID_PEERS.keys())
def test_invalid_peers(peer: Any, path: str, message: str) -> None:
    lines = error_lines(parse(policy({"ingress": [{"from": [peer]}]})))
    assert any(line.startswith(f"{path}: ") and message in line for line in lines), lines


def test_host_bits_are_masked_with_a_warning() -> None:
    loaded = parse(policy(ingress_peer(ipBlock={"cidr": "10.0.0.1/24", "except": ["10.0.0.129/25"]})))
    assert error_lines(loaded) == []
    warnings = [(str(d.location.path), d.message) for d in loaded.diagnostics if d.level is Level.WARNING]
    assert [path for path, _ in warnings] == [
        "spec.ingress[0].from[0].ipBlock.cidr",
        "spec.ingress[0].from[0].ipBlock.except[0]",
    ]
    assert "10.0.0.0/24" in warnings[0][1]
    block = loaded.policies.k8s_policies[0].ingress[0].peers[0].ip_block
    assert block is not None
    assert (str(block.cidr), [str(e) for e in block.except_]) == ("10.0.0.0/24", ["10.0.0.128/25"])


# --- policyTypes (rule 6) ---------------------------------------------------------------------

VALID_POLICY_TYPES = {
    "Ingress": ["Ingress"],
    "Egress": ["Egress"],
    "both": ["Ingress", "Egress"],
    "both reversed": ["Egress", "Ingress"],
    "empty": [],
    "repeated (accepted upstream)": ["Ingress", "Ingress"],
}


@pytest.mark.parametrize("types", VALID_POLICY_TYPES.values(), ids=VALID_POLICY_TYPES.keys())
def test_valid_policy_types(types: list[str]) -> None:
    assert error_lines(parse(policy({"policyTypes": types}))) == []


INVALID_POLICY_TYPES = {
    "three entries": (["Ingress", "Egress", "Ingress"], "spec.policyTypes", "at most 2"),
    "lower case": (["ingress"], "spec.policyTypes[0]", "unsupported value 'ingress'"),
    "unknown type": (["Ingress", "Both"], "spec.policyTypes[1]", "unsupported value 'Both'"),
    "not a list": ("Ingress", "spec.policyTypes", "must be an array"),
}


@pytest.mark.parametrize(
    ("types", "path", "message"), INVALID_POLICY_TYPES.values(), ids=INVALID_POLICY_TYPES.keys()
)
def test_invalid_policy_types(types: Any, path: str, message: str) -> None:
    lines = error_lines(parse(policy({"policyTypes": types})))
    assert any(line.startswith(f"{path}: ") and message in line for line in lines), lines


# --- structure and reporting ------------------------------------------------------------------

STRUCTURE = {
    "misspelled spec field": ({"podSelecter": {}}, "spec.podSelecter", "unknown field"),
    "ingress not a list": ({"ingress": {"from": []}}, "spec.ingress", "must be an array"),
    "rule with unknown field": ({"ingress": [{"to": []}]}, "spec.ingress[0].to", "unknown field"),
    "egress rule with from": ({"egress": [{"from": []}]}, "spec.egress[0].from", "unknown field"),
    "spec not an object": ("deny", "spec", "must be an object"),
}


@pytest.mark.parametrize(("spec", "path", "message"), STRUCTURE.values(), ids=STRUCTURE.keys())
def test_structure_errors(spec: Any, path: str, message: str) -> None:
    lines = error_lines(parse(policy(spec)))
    assert any(line.startswith(f"{path}: ") and message in line for line in lines), lines


def test_every_error_of_a_document_is_reported() -> None:
    spec = {
        "podSelector": {"matchLabels": {"a/b/c": "x"}},
        "policyTypes": ["Ingress", "Sideways"],
        "ingress": [
            {"ports": [{"port": 80, "endPort": 79}, {"protocol": "ICMP"}], "from": [{}]},
        ],
        "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]}}]}],
    }
    paths = [d.location.path for d in parse(policy(spec, name="Bad")).errors]
    assert sorted(paths) == sorted(
        [
            "metadata.name",
            "spec.podSelector.matchLabels.a/b/c",
            "spec.policyTypes[1]",
            "spec.ingress[0].ports[0].endPort",
            "spec.ingress[0].ports[1].protocol",
            "spec.ingress[0].from[0]",
            "spec.egress[0].to[0].ipBlock.except[0]",
        ]
    )


def test_errors_carry_file_document_and_list_item() -> None:
    document = Document("policies/a.yaml", 2, "items[3]", policy(ingress_port(port=80, endPort=1)))
    [error] = parse_documents([document]).errors
    assert str(error).startswith("policies/a.yaml:2:items[3].spec.ingress[0].ports[0].endPort: error: ")


# --- the name checkers on their own -----------------------------------------------------------

NAME_CHECKS = {
    "label: ok": (dns1123_label_errors, "kube-system", True),
    "label: dot": (dns1123_label_errors, "a.b", False),
    "label: 64": (dns1123_label_errors, "a" * 64, False),
    "subdomain: ok": (dns1123_subdomain_errors, "a.b.c", True),
    "subdomain: empty label": (dns1123_subdomain_errors, "a..b", False),
    "qualified: prefix": (qualified_name_errors, "kubernetes.io/metadata.name", True),
    "qualified: upper case name": (qualified_name_errors, "App_Name.x", True),
    "qualified: empty": (qualified_name_errors, "", False),
    "qualified: empty name": (qualified_name_errors, "example.com/", False),
    "label value: empty": (label_value_errors, "", True),
    "label value: dot at end": (label_value_errors, "a.", False),
    "port name: letters and digits": (port_name_errors, "dns-tcp", True),
    "port name: only digits": (port_name_errors, "8080", False),
    # Go's `$` is the end of the text; Python's also matches before a final newline.
    "label: trailing newline": (dns1123_label_errors, "web\n", False),
    "subdomain: trailing newline": (dns1123_subdomain_errors, "a.b\n", False),
    "qualified: trailing newline": (qualified_name_errors, "app\n", False),
    "qualified: prefix with trailing newline": (qualified_name_errors, "example.com\n/app", False),
    "label value: trailing newline": (label_value_errors, "web\n", False),
    "port name: trailing newline": (port_name_errors, "http\n", False),
}


@pytest.mark.parametrize(("check", "value", "valid"), NAME_CHECKS.values(), ids=NAME_CHECKS.keys())
def test_name_checks(check: Any, value: str, valid: bool) -> None:
    assert (check(value) == []) is valid
