"""Validate np2calico's machine-readable outputs against their JSON Schemas (schemas/).

Any test that reads a JSON output can call `validate_output(text)`: it parses the text, picks the
schema named by the document's `kind` (np2calico-<kind>.schema.json) and fails with the schema
error if the document does not conform.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
API_VERSION = "np2calico.io/v1alpha1"
OUTPUT_KINDS = ("ExplainResult", "DiffResult", "ResourceDiffResult", "ValidationResult", "VerifyResult",
                "ChangePlan")


@cache
def output_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"np2calico-{kind.lower()}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def validate_document(document: Any) -> dict[str, Any]:
    assert isinstance(document, dict), f"an output document is an object, not {type(document).__name__}"
    assert document.get("apiVersion") == API_VERSION, document.get("apiVersion")
    kind = document.get("kind")
    assert kind in OUTPUT_KINDS, f"unknown output kind {kind!r}"
    jsonschema.Draft202012Validator(output_schema(kind)).validate(document)
    return document


def validate_output(text: str) -> dict[str, Any]:
    """The parsed output, after checking it against its schema."""
    return validate_document(json.loads(text))
