"""The loader's fast paths say the same as the careful paths they stand in front of.

- The compiled schema check (`schema.is_valid`) never vouches for a document jsonschema rejects:
  checked on every invalid table of the loader tests and on random mutations of valid objects.
- The YAML event builder gives what PyYAML's safe loader gives (keys and timestamps as text), and
  refuses what it must: duplicate keys, too deep nesting.
"""

from __future__ import annotations

import copy
import gc
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit import test_load_calico as calico_tables
from tests.unit import test_validation_k8s as k8s_tables
from translator.errors import InputError
from translator.load import load
from translator.load.calico import schema_file as calico_schema_file
from translator.load.documents import parse_text
from translator.load.k8s import NAMESPACE_SCHEMA, NETWORK_POLICY_SCHEMA, POD_SCHEMA
from translator.load.schema import compiled, is_valid, validator
from translator.load.yaml_guard import plain_value

K8S_SCHEMAS = {"NetworkPolicy": NETWORK_POLICY_SCHEMA, "Namespace": NAMESPACE_SCHEMA, "Pod": POD_SCHEMA}


def schema_of(body: dict[str, Any]) -> str:
    kind = body["kind"]
    if body["apiVersion"] in ("networking.k8s.io/v1", "v1"):
        return K8S_SCHEMAS[kind]
    return calico_schema_file(kind)


def jsonschema_accepts(body: Any, schema_file: str) -> bool:
    return next(iter(validator(schema_file).iter_errors(body)), None) is None


def assert_never_looser(body: Any, schema_file: str) -> None:
    if is_valid(body, schema_file):
        assert jsonschema_accepts(body, schema_file), body


# --- every table of the loader tests ----------------------------------------------------------


def k8s_bodies() -> list[dict[str, Any]]:
    t = k8s_tables
    return [
        *(t.policy({}, **meta) for meta, *_ in t.INVALID_METADATA.values()),
        *(t.policy({}, **meta) for meta in t.VALID_METADATA.values()),
        *(t.policy({"podSelector": s}) for s, *_ in t.INVALID_SELECTORS.values()),
        *(t.policy({"podSelector": s}) for s in t.VALID_SELECTORS.values()),
        *(t.policy(t.ingress_port(**p)) for p, *_ in t.INVALID_PORTS.values()),
        *(t.policy(t.ingress_port(**p)) for p in t.VALID_PORTS.values()),
        *(t.policy({"ingress": [{"from": [p]}]}) for p, *_ in t.INVALID_PEERS.values()),
        *(t.policy(t.ingress_peer(**p)) for p in t.VALID_PEERS.values()),
        *(t.policy({"policyTypes": types}) for types, *_ in t.INVALID_POLICY_TYPES.values()),
        *(t.policy({"policyTypes": types}) for types in t.VALID_POLICY_TYPES.values()),
    ]


def calico_bodies() -> list[dict[str, Any]]:
    t = calico_tables
    v3 = t.V3
    return [
        *(body for body, *_ in t.INVALID),
        *t.WRONG_TYPES,
        *({"apiVersion": v3, "kind": "Tier", "metadata": m, "spec": s} for m, s, *_ in t.TIER_INVALID),
        *(
            {"apiVersion": v3, "kind": "HostEndpoint", "metadata": {"name": "hep"}, "spec": s}
            for s, *_ in t.HEP_INVALID
        ),
    ]


TABLE_BODIES = [b for b in k8s_bodies() + calico_bodies() if isinstance(b, dict)]


@pytest.mark.parametrize("body", TABLE_BODIES, ids=[str(i) for i in range(len(TABLE_BODIES))])
def test_the_fast_check_never_accepts_what_jsonschema_rejects(body: dict[str, Any]) -> None:
    assert_never_looser(body, schema_of(body))


def test_the_tables_hold_bodies_that_jsonschema_rejects() -> None:
    """Else the test above would prove nothing."""
    rejected = [b for b in TABLE_BODIES if not jsonschema_accepts(b, schema_of(b))]
    assert len(rejected) >= 20


def test_every_shipped_schema_compiles() -> None:
    for name in [*K8S_SCHEMAS.values(), *(calico_schema_file(k) for k in CALICO_KINDS)]:
        assert compiled(name) is not None, name


CALICO_KINDS = (
    "NetworkPolicy",
    "GlobalNetworkPolicy",
    "StagedNetworkPolicy",
    "StagedGlobalNetworkPolicy",
    "StagedKubernetesNetworkPolicy",
    "Tier",
    "HostEndpoint",
)

# --- valid documents take the fast path -------------------------------------------------------

RICH_POLICY: dict[str, Any] = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "p", "namespace": "dev", "labels": {"app": "x"}},
    "spec": {
        "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                "ports": [{"protocol": "TCP", "port": 80, "endPort": 90}, {"port": "http"}],
            }
        ],
        "egress": [{"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"a": "b"}}}]}],
    },
}

RICH_CALICO: dict[str, Any] = {
    "apiVersion": "projectcalico.org/v3",
    "kind": "GlobalNetworkPolicy",
    "metadata": {"name": "allow"},
    "spec": {
        "order": 10,
        "selector": "app == 'x'",
        "types": ["Ingress"],
        "ingress": [
            {
                "action": "Allow",
                "protocol": "TCP",
                "source": {"nets": ["10.0.0.0/8"], "selector": "all()"},
                "destination": {"ports": [80, "8000:9000"]},
            }
        ],
    },
}


@pytest.mark.parametrize("body", [RICH_POLICY, RICH_CALICO], ids=["k8s", "calico"])
def test_valid_documents_are_vouched_for(body: dict[str, Any]) -> None:
    assert jsonschema_accepts(body, schema_of(body))
    assert is_valid(body, schema_of(body))


# --- random mutations of valid documents ------------------------------------------------------

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", "TCP", "Ingress", "x", "10.0.0.0/8", "a" * 70, "In", "Allow", "v1"]),
    st.just([]),
    st.just({}),
    st.just(["x", "x"]),
    st.just([1, 1.0]),
    st.just({"unknown": 1}),
)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths_of(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(paths_of(item, (*prefix, index)))
    return found


def mutate(body: Any, path: tuple[Any, ...], how: str, value: Any) -> Any:
    """Replace the value at `path`, add an unknown key beside it, or delete it."""
    result = copy.deepcopy(body)
    if not path:
        return value
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if how == "replace":
        parent[last] = value
    elif how == "add" and isinstance(parent, dict):
        parent["zzUnknown"] = value
    elif how == "delete":
        del parent[last]
    return result


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_documents_are_never_vouched_for_wrongly(data: st.DataObject) -> None:
    body = data.draw(st.sampled_from([RICH_POLICY, RICH_CALICO]))
    mutated = body
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths_of(mutated)))
        how = data.draw(st.sampled_from(["replace", "add", "delete"]))
        mutated = mutate(mutated, path, how, data.draw(ODD_VALUES))
    assert_never_looser(mutated, schema_of(body))


# --- YAML: the pre-scan and the one-pass loader -----------------------------------------------


def outcome(text: str) -> Any:
    """The documents of `text`, or the diagnostics that refuse it."""
    try:
        return [d.body for d in parse_text("f.yaml", text)]
    except InputError as exc:
        return [str(d) for d in exc.diagnostics]


def reference(text: str) -> Any:
    """What PyYAML's own (pure Python) safe loader gives, made JSON-like; None when it refuses."""
    try:
        bodies = [plain_value(b) for b in yaml.load_all(text, Loader=yaml.SafeLoader)]
    except yaml.YAMLError:
        return None
    flat = []
    for body in bodies:
        if isinstance(body, dict) and body.get("kind") == "List":
            flat += body["items"]
        elif body is not None:
            flat.append(body)
    return flat


TRICKY_YAML = {
    "plain": "a: 1\nb: [x, {c: d}]\n",
    "keys as other types": "1: a\ntrue: b\nnull: c\n1.5: d\n",
    "keys equal once typed": "1: a\n1.0: b\n",
    "bool spellings": "True: a\ntrue: b\n",
    "YAML 1.1 scalars": "a: yes\nb: 0x1F\nc: 1_000\nd: 1:30\ne: .inf\nf: ~\ng: ''\nh: 0o17\n",
    "tagged scalars": "a: !!str 1\nb: !!int '12'\nc: !!float 1\nd: ! 12\n",
    "timestamp value": "a: 2001-12-14 21:59:43.10 -5\nb: [2002-01-01]\n",
    "timestamp key": "2001-12-14 21:59:43.10 -5: a\n2002-01-01: b\n",
    "merge key inline": "a: {x: 1}\nb:\n  <<: {y: 2}\n  z: 3\n",
    "merge key alias": "base: &b {a: 1}\nx:\n  <<: *b\n  c: 2\n",
    "anchors": "a: &x {k: [1, 2]}\nb: *x\nc: &s text\nd: *s\n",
    "set": "!!set {a, b}\n",
    "omap with a date": "!!omap [a: 2001-01-01]\n",
    "str-tagged mapping": "!!str {a: 1}\n",
    "complex key": "? [a, b]\n: c\n",
    "unhashable key": "? {a: b}\n: c\n",
    "unknown tag": "a: !thing 1\n",
    "python tag": "a: !!python/tuple [1, 2]\n",
    "scalar document": "--- 2001-01-01\n--- text\n",
    "empty documents": "---\n---\na: 1\n",
    "list kind": "kind: List\nitems:\n- {kind: Pod, a: 1}\n",
    "CRLF": "a: 1\r\nb: [x, {c: d}]\r\n",
    "selector with &&": "selector: a == 'x' && b == 'y'\nglob: '*.x'\n",
}
REFUSED_YAML = {
    "keys equal as text": ("true: a\n'true': b\n", "key 'true' at line 2 already defined at line 1"),
    "duplicate key": ("a: 1\nb: 2\na: 3\n", "key 'a' at line 3 already defined at line 1"),
    "duplicate quoted key": ("a: 1\n'a': 2\n", "key 'a' at line 2 already defined at line 1"),
    "duplicate in second document": ("a: 1\n---\nb: 1\nb: 2\n", "f.yaml:2: error: YAML mapping key 'b'"),
    "duplicate then syntax error": ("a: 1\na: 2\nb: [\n", "key 'a' at line 2 already defined"),
    "syntax error": ("a: 1\nb: : c\n", "f.yaml:1: error: YAML syntax error at line 2, column 4"),
    "tab indentation": ("a:\n\tb: 1\n", "YAML syntax error at line 2, column 1"),
    "duplicate anchor": ("a: &x 1\nb: &x 2\n", "found duplicate anchor 'x'"),
}


@pytest.mark.parametrize("text", TRICKY_YAML.values(), ids=TRICKY_YAML.keys())
def test_yaml_loads_as_the_safe_loader_reads_it(text: str) -> None:
    expected = reference(text)
    found = outcome(text)
    if expected is None:  # refused by PyYAML: refused here too, with PyYAML's reason
        assert all(isinstance(line, str) and ": error: YAML" in line for line in found), found
    else:
        assert found == expected


@pytest.mark.parametrize(("text", "message"), REFUSED_YAML.values(), ids=REFUSED_YAML.keys())
def test_yaml_refusals_name_the_document_and_line(text: str, message: str) -> None:
    found = outcome(text)
    assert any(message in line for line in found), found


def nested(depth: int, shape: str) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if shape[level % len(shape)] == "s" else {"k": value}
    return value


DUMP_STYLES = {
    "block": {"default_flow_style": False},
    "flow": {"default_flow_style": True},
    "mixed": {"default_flow_style": None},
}


@settings(max_examples=100, deadline=None)
@given(
    depth=st.integers(1, 120),
    shape=st.text(alphabet="sm", min_size=1, max_size=4),
    style=st.sampled_from(sorted(DUMP_STYLES)),
    indent=st.integers(2, 6),
)
def test_nested_values_load_whole(depth: int, shape: str, style: str, indent: int) -> None:
    value = nested(depth, shape)
    text = yaml.safe_dump(value, indent=indent, width=10_000, **DUMP_STYLES[style])
    assert outcome(text) == [value]


@pytest.mark.parametrize(
    "text",
    [
        "- " * 250 + "x\n",  # compact sequences: one line, 250 levels
        "a:\n" + "".join(f"{' ' * i}- k{i}:\n" for i in range(0, 250, 1)),
        "[" * 250 + "]" * 250 + "\n",
        "a: [\n" + "[\n" * 250 + "]\n" * 250 + "]\n",  # flow across lines
        "a: '{ }' # {\n" + "b: [" * 1 + "[" * 250 + "]" * 251 + "\n",
        "a:\r" + "- " * 250 + "x\r",  # lines broken by CR alone
        "a:\u2028" + "- " * 250 + "x\n",
    ],
    ids=["compact", "indentless", "flow", "multi-line flow", "quoted braces", "CR", "LS"],
)
def test_deep_text_is_refused(text: str) -> None:
    with pytest.raises(InputError, match=r"nesting deeper than|syntax"):
        parse_text("deep.yaml", text)


# --- the cycle collector is paused only while loading -----------------------------------------


def test_load_leaves_the_cycle_collector_as_it_found_it(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(yaml.safe_dump(RICH_POLICY))
    bad.write_text("a: [\n")
    assert load([str(good)]).policies.k8s_policies
    assert gc.isenabled()
    with pytest.raises(InputError):
        load([str(bad)])
    assert gc.isenabled()
    gc.disable()
    try:
        load([str(good)])
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()
