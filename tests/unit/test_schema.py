"""The generic JSON Schema helper: field paths, worded messages, shared definitions, caching."""

from __future__ import annotations

from importlib import resources

import pytest

from translator.errors import Diagnostics, Location
from translator.load.schema import check_schema, render_path, schema_errors, validator

SCHEMA_FILES = sorted(
    entry.name
    for entry in resources.files("translator").joinpath("schemas").iterdir()
    if entry.name.endswith(".json")
)


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_every_shipped_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    assert validator(name) is validator(name)  # built once, checked against the metaschema


def test_errors_come_as_field_path_and_message() -> None:
    body = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "p", "labels": {"a": 1}},
        "spec": {"ingress": [{"ports": [{"port": 0, "protocol": "HTTP"}]}], "extra": True},
    }
    assert schema_errors(body, "networkpolicy.schema.json") == [
        ("metadata.labels.a", "must be a string, not integer"),
        ("spec.extra", "unknown field"),
        ("spec.ingress[0].ports[0].port", "0 must be between 1 and 65535, inclusive"),
        (
            "spec.ingress[0].ports[0].protocol",
            "unsupported value 'HTTP': supported values: 'TCP', 'UDP', 'SCTP'",
        ),
    ]


def test_missing_fields_are_reported_at_their_own_path() -> None:
    assert schema_errors({"kind": "Namespace"}, "namespace.schema.json") == [
        ("apiVersion", "required value"),
        ("metadata", "required value"),
    ]


def test_definitions_are_shared_across_files() -> None:
    """pod.schema.json uses ObjectMeta from networkpolicy.schema.json, offline."""
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "nmespace": "x"}}
    assert schema_errors(body, "pod.schema.json") == [("metadata.nmespace", "unknown field")]


def test_list_indexes_sort_numerically() -> None:
    rules = [{"ports": [{"port": 0}]} for _ in range(12)]
    body = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p"}}
    body["spec"] = {"egress": rules}
    paths = [path for path, _ in schema_errors(body, "networkpolicy.schema.json")]
    assert paths == [f"spec.egress[{i}].ports[0].port" for i in range(12)]


def test_check_schema_reports_below_a_location() -> None:
    diags = Diagnostics()
    valid = check_schema(
        {"kind": "Namespace"}, "namespace.schema.json", Location("f.yaml", 2, "items[1]"), diags
    )
    assert not valid
    assert [str(d) for d in diags.items] == [
        "f.yaml:2:items[1].apiVersion: error: required value",
        "f.yaml:2:items[1].metadata: error: required value",
    ]


@pytest.mark.parametrize(
    ("path", "text"),
    [((), ""), (("spec",), "spec"), (("spec", "ingress", 0, "from", 2), "spec.ingress[0].from[2]")],
    ids=["empty", "one key", "keys and indexes"],
)
def test_render_path(path: tuple[str | int, ...], text: str) -> None:
    assert render_path(path) == text
