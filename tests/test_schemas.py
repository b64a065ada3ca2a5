"""Our JSON Schemas (schemas/calico-*.schema.json) against the upstream CRD openAPIV3Schema.

For every kind with an upstream CRD, ours must accept and reject exactly the objects the v3.32.1
CRD accepts and rejects (converted by tests/crd_validation.py, unknown fields rejected as
`kubectl apply --validate=strict` does), and whatever ours accepts the v3.31.7 storage CRD must
accept too. Compared on objects with a fixed apiVersion, kind and metadata (the CRD does not
describe metadata; ours requires a name). CEL rules are outside both (see crd_validation.py).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.crd_validation import PLURALS, schema_errors, upstream_json_schema
from tests.examples import examples

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
KINDS = sorted(PLURALS)
NAMESPACED = {"NetworkPolicy", "StagedNetworkPolicy", "StagedKubernetesNetworkPolicy"}


def schema_file(kind: str) -> Path:
    return SCHEMAS / f"calico-{kind.lower()}.schema.json"


@cache
def ours(kind: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_file(kind).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def envelope(kind: str, spec: Any) -> dict[str, Any]:
    metadata = {"name": "p", "namespace": "ns"} if kind in NAMESPACED else {"name": "p"}
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": metadata, "spec": spec}


def verdicts(obj: dict[str, Any]) -> tuple[bool, bool, bool]:
    kind = obj["kind"]
    return (
        ours(kind).is_valid(obj),
        not schema_errors(obj, "v3.32.1"),
        not schema_errors(obj, "v3.31.7"),
    )


def assert_same_verdict(obj: dict[str, Any]) -> None:
    mine, v332, v331 = verdicts(obj)
    assert mine == v332, f"ours={mine} v3.32.1={v332}: {schema_errors(obj, 'v3.32.1')}"
    if mine:
        assert v331, f"accepted by ours, rejected by v3.31.7: {schema_errors(obj, 'v3.31.7')}"


def test_every_schema_file_is_a_valid_json_schema() -> None:
    files = sorted(SCHEMAS.glob("calico-*.schema.json"))
    assert [f.name for f in files] == sorted(
        f"calico-{k.lower()}.schema.json" for k in [*KINDS, "HostEndpoint", "GlobalNetworkSet", "NetworkSet"]
    )
    for path in files:
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


RULE = {
    "action": "Allow",
    "protocol": "TCP",
    "source": {"selector": "app == 'a'", "namespaceSelector": "all()", "nets": ["10.0.0.0/8"]},
    "destination": {"ports": [80, "8000:8080", "http"], "notPorts": [81]},
}
# (kind, spec, accepted by the v3.32.1 CRD)
TABLE = [
    ("NetworkPolicy", {}, True),
    ("NetworkPolicy", {"selector": "all()", "types": ["Ingress"], "ingress": [RULE]}, True),
    ("NetworkPolicy", {"tier": "t", "order": 10.5, "egress": [{"action": "Deny"}]}, True),
    ("NetworkPolicy", {"types": ["Ingress", "Ingress"]}, False),
    ("NetworkPolicy", {"types": []}, False),
    ("NetworkPolicy", {"types": ["Sideways"]}, False),
    ("NetworkPolicy", {"ingress": [{"action": "Reject"}]}, False),
    ("NetworkPolicy", {"ingress": [{}]}, False),
    ("NetworkPolicy", {"ingress": [{"action": "Allow", "ipVersion": 5}]}, False),
    ("NetworkPolicy", {"ingress": [{"action": "Allow", "source": {"nets": ["a", "a"]}}]}, False),
    ("NetworkPolicy", {"ingress": [{"action": "Allow", "source": {"bogus": 1}}]}, False),
    ("NetworkPolicy", {"ingress": [{"action": "Allow", "icmp": {"type": 300}}]}, False),
    ("NetworkPolicy", {"order": "first"}, False),
    ("NetworkPolicy", {"namespaceSelector": "all()"}, False),
    ("NetworkPolicy", {"performanceHints": ["AssumeNeededOnEveryNode"]}, True),
    ("GlobalNetworkPolicy", {"namespaceSelector": "all()", "doNotTrack": False}, True),
    ("GlobalNetworkPolicy", {"egress": [RULE, {"action": "Pass"}]}, True),
    ("GlobalNetworkPolicy", {"applyOnForward": "yes"}, False),
    ("Tier", {"order": 100, "defaultAction": "Pass"}, True),
    ("Tier", {"defaultAction": "Allow"}, False),
    ("Tier", {"defaultAction": "Log"}, False),
    ("Tier", {"order": "1"}, False),
    ("StagedNetworkPolicy", {"stagedAction": "Delete", "tier": "default"}, True),
    ("StagedNetworkPolicy", {"stagedAction": "Remove"}, False),
    ("StagedGlobalNetworkPolicy", {"stagedAction": "Set", "selector": "all()"}, True),
    ("StagedKubernetesNetworkPolicy", {"podSelector": {"matchLabels": {"a": "b"}}}, True),
    (
        "StagedKubernetesNetworkPolicy",
        {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}]},
        True,
    ),
    ("StagedKubernetesNetworkPolicy", {"policyTypes": ["Ingress", "Egress"], "egress": [{}]}, True),
    ("StagedKubernetesNetworkPolicy", {"ingress": [{"from": [{"ipBlock": {}}]}]}, False),
    ("StagedKubernetesNetworkPolicy", {"podSelector": {"matchLabels": {"a": 1}}}, False),
    ("StagedKubernetesNetworkPolicy", {"selector": "all()"}, False),
]


@pytest.mark.parametrize(("kind", "spec", "accepted"), TABLE, ids=[f"{k}:{s}" for k, s, _ in TABLE])
def test_hand_table(kind: str, spec: dict[str, Any], accepted: bool) -> None:
    obj = envelope(kind, spec)
    assert verdicts(obj)[:2] == (accepted, accepted)
    assert_same_verdict(obj)


@pytest.mark.parametrize("kind", KINDS)
def test_envelope_fields(kind: str) -> None:
    valid = envelope(kind, {})
    assert ours(kind).is_valid(valid)
    for broken in (
        {k: v for k, v in valid.items() if k != "spec"},
        {**valid, "extra": 1},
        {**valid, "metadata": "p"},
    ):
        assert not ours(kind).is_valid(broken)
        assert schema_errors(broken, "v3.32.1")
    # Ours is stricter than the CRD on the envelope: a name and a known apiVersion are required.
    assert not ours(kind).is_valid({**valid, "metadata": {}})
    assert not ours(kind).is_valid({**valid, "apiVersion": "v1"})
    assert ours(kind).is_valid({**valid, "apiVersion": "crd.projectcalico.org/v1"})


HEP_TABLE = [
    ({"node": "n1", "interfaceName": "eth0"}, True),
    ({"node": "n1", "expectedIPs": ["10.0.0.1"], "profiles": ["projectcalico-default-allow"]}, True),
    ({"node": "n1", "interfaceName": "*", "ports": [{"name": "ssh", "port": 22, "protocol": "TCP"}]}, True),
    ({"interfaceName": "eth0"}, False),
    ({"node": "", "interfaceName": "eth0"}, False),
    # "interfaceName or expectedIPs" is a loader check (tests/unit/test_load_calico.py).
    ({"node": "n1"}, True),
    ({"node": "n1", "interfaceName": "eth0", "ports": [{"name": "s", "port": 0, "protocol": "TCP"}]}, False),
    ({"node": "n1", "interfaceName": "eth0", "ports": [{"name": "ssh", "port": 22}]}, False),
    ({"node": "n1", "interfaceName": "eth0", "profiles": ["a", "a"]}, False),
]


@pytest.mark.parametrize(("spec", "accepted"), HEP_TABLE, ids=[str(s) for s, _ in HEP_TABLE])
def test_host_endpoint_schema(spec: dict[str, Any], accepted: bool) -> None:
    obj = {"apiVersion": "projectcalico.org/v3", "kind": "HostEndpoint", "metadata": {"name": "h"}}
    obj["spec"] = spec
    assert ours("HostEndpoint").is_valid(obj) is accepted


# --- generated objects ---------------------------------------------------------------------------

STRINGS = ("", "a", "TCP", "Allow", "Ingress", "80:90", "10.0.0.0/8", "all()", "Set")
JUNK = (None, True, 0, -1, 70000, 1.5, "x", "", [], {}, ["x"], {"x": 1})


def from_schema(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped by an upstream (converted) schema; most are valid, bounds are probed."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "allOf" in schema:
        return from_schema(schema["allOf"][-1], depth)
    if "anyOf" in schema:
        return st.one_of([from_schema(s, depth) for s in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "object":
        return _object(schema, depth)
    if kind == "array":
        items = from_schema(schema.get("items", {}), depth + 1)
        return st.lists(items, max_size=2 if depth < 4 else 0)
    if kind == "integer":
        low, high = schema.get("minimum", -1), schema.get("maximum", 70000)
        return st.sampled_from(sorted({low - 1, low, high, high + 1, 0, 1, 80}))
    if kind == "number":
        return st.sampled_from((0, 1.5, -3, 1000000))
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return st.sampled_from(STRINGS)
    return st.sampled_from(JUNK)


def _object(schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    if "properties" not in schema:
        extra = schema.get("additionalProperties")
        values = from_schema(extra, depth + 1) if isinstance(extra, dict) else st.sampled_from(STRINGS)
        return st.dictionaries(st.sampled_from(("a", "b/c")), values, max_size=2)
    if depth > 5:
        return st.just({})
    optional = {k: from_schema(v, depth + 1) for k, v in schema["properties"].items()}
    required = {k: optional.pop(k) for k in schema.get("required", [])}
    return st.fixed_dictionaries(required, optional=optional)


def _containers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every dict and list inside `value` (the places a mutation can hit)."""
    found = [path] if isinstance(value, (dict, list)) else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found += _containers(child, (*path, key))
    return found


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


@st.composite
def mutated(draw: st.DrawFn, spec: Any) -> Any:
    """The spec with one random change: a junk value, an unknown key, or a duplicated item."""
    spec = copy.deepcopy(spec)
    target = _at(spec, draw(st.sampled_from(_containers(spec))))
    junk = draw(st.sampled_from(JUNK))
    if isinstance(target, dict):
        key = draw(st.sampled_from([*target, "unknownField"]))
        target[key] = junk
    elif target:
        index = draw(st.integers(0, len(target) - 1))
        if draw(st.booleans()):
            target.append(copy.deepcopy(target[index]))
        else:
            target[index] = junk
    else:
        target.append(junk)
    return spec


def spec_strategy(kind: str) -> st.SearchStrategy[Any]:
    return from_schema(upstream_json_schema(kind, "v3.32.1")["properties"]["spec"])


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=examples(200, 60))
@given(data=st.data())
def test_generated_objects_get_the_same_verdict(kind: str, data: st.DataObject) -> None:
    spec = data.draw(spec_strategy(kind), label="spec")
    assert_same_verdict(envelope(kind, spec))


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=examples(200, 60))
@given(data=st.data())
def test_mutated_objects_get_the_same_verdict(kind: str, data: st.DataObject) -> None:
    spec = data.draw(spec_strategy(kind), label="spec")
    assert_same_verdict(envelope(kind, data.draw(mutated(spec), label="mutated")))


# --- the helper other tests use on converted output ----------------------------------------------


def test_assert_valid_for_calico_checks_both_versions() -> None:
    from tests.crd_validation import assert_valid_for_calico, crd_errors, for_version

    good = envelope("NetworkPolicy", {"types": ["Ingress"], "ingress": [RULE]})
    assert_valid_for_calico(good)
    assert for_version(good, "v3.31.7")["apiVersion"] == "crd.projectcalico.org/v1"
    assert for_version(good, "v3.32.1")["apiVersion"] == "projectcalico.org/v3"
    bad = envelope("NetworkPolicy", {"types": ["Ingress", "Ingress"], "selecter": "all()"})
    with pytest.raises(AssertionError) as info:
        assert_valid_for_calico(bad)
    text = str(info.value)
    assert "v3.32.1: spec.types" in text and "v3.31.7: spec: Additional properties" in text
    # An action outside the enum: only the v3.32.1 CRD lists the actions.
    loose = envelope("NetworkPolicy", {"ingress": [{"action": "Reject"}]})
    assert crd_errors(loose, "v3.32.1") and not crd_errors(loose, "v3.31.7")


@pytest.mark.parametrize(
    ("name", "action", "valid"),
    [
        ("default", "Deny", True),
        ("default", "Pass", False),
        ("kube-admin", "Pass", True),
        ("kube-admin", None, False),
    ],
)
def test_tier_cel_rules_are_checked(name: str, action: str | None, valid: bool) -> None:
    from tests.crd_validation import crd_errors

    spec = {"order": 1000} if action is None else {"order": 1000, "defaultAction": action}
    tier = {"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": name}, "spec": spec}
    assert (not crd_errors(tier, "v3.32.1")) is valid


def test_kinds_without_an_upstream_crd_are_refused_clearly() -> None:
    from tests.crd_validation import crd_errors

    with pytest.raises(KeyError, match="no upstream CRD for kind 'HostEndpoint'"):
        crd_errors({"kind": "HostEndpoint", "metadata": {"name": "h"}, "spec": {}}, "v3.32.1")
