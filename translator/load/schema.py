"""Structural validation against the JSON Schemas shipped in `translator/schemas/`.

A schema says what fields exist and what type they have; the kind's parser checks the rules a
schema cannot express well (names, label keys, CIDRs, cross-field rules). Errors point at the
offending field: an unknown field or a missing required field is reported at that field's own
path, not at its parent, so messages read like kubectl's (`spec.podSelecter: unknown field`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from translator.errors import Diagnostics, Location
from translator.load.schema_check import Check, compile_schema

if TYPE_CHECKING:  # jsonschema is imported only when a document fails the compiled check
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Resource

SCHEMA_PACKAGE = "translator"
SCHEMA_FOLDER = "schemas"

FieldPath = tuple[str | int, ...]

_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def schema_errors(body: Any, schema_file: str) -> list[tuple[str, str]]:
    """Every schema violation of `body` as `(field path, message)`, e.g. `("spec.ingress[0]", …)`."""
    return [(render_path(path), message) for path, message in field_errors(body, schema_file)]


def check_schema(body: Any, schema_file: str, location: Location, diags: Diagnostics) -> bool:
    """Report every violation below `location`; True when the body is structurally valid."""
    errors = field_errors(body, schema_file)
    for path, message in errors:
        diags.error(location_at(location, path), message)
    return not errors


def field_errors(body: Any, schema_file: str) -> list[tuple[FieldPath, str]]:
    """Every violation as (path of keys and indexes, message), in a stable order.

    Most documents are valid: a compiled check says so quickly, and only a document it cannot
    vouch for goes through jsonschema, which finds and words every error.
    """
    if is_valid(body, schema_file):
        return []
    found: list[tuple[FieldPath, str]] = []
    for error in validator(schema_file).iter_errors(body):
        found.extend(_explain(error))
    return sorted(set(found), key=lambda item: (_sort_key(item[0]), item[1]))


@cache
def validator(schema_file: str) -> Draft202012Validator:
    """The (cached) validator of `translator/schemas/<schema_file>`.

    A `$ref` to another file (`networkpolicy.schema.json#/$defs/ObjectMeta`) is resolved in the
    same folder, whatever the host of the `$id`, so schemas can share definitions offline.
    """
    from jsonschema import Draft202012Validator
    from referencing import Registry

    schema = load_schema(schema_file)
    Draft202012Validator.check_schema(schema)
    registry: Registry = Registry(retrieve=_retrieve_sibling)  # type: ignore[call-arg]
    return Draft202012Validator(schema, registry=registry)


def is_valid(body: Any, schema_file: str) -> bool:
    """True only if jsonschema would find no error; False means "let jsonschema look"."""
    check = compiled(schema_file)
    return check is not None and check(body)


@cache
def compiled(schema_file: str) -> Check | None:
    """The fast check of a schema, or None if it uses a keyword the compiler does not know."""
    return compile_schema(schema_file, load_schema)


@cache
def load_schema(schema_file: str) -> dict[str, Any]:
    # One joinpath argument at a time: Traversable.joinpath takes only one on Python 3.10.
    text = resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_FOLDER).joinpath(schema_file).read_text("utf-8")
    return json.loads(text)


def _retrieve_sibling(uri: str) -> Resource:
    from referencing import Resource
    from referencing.exceptions import NoSuchResource

    name = uri.rstrip("/").rsplit("/", 1)[-1]
    try:
        return Resource.from_contents(load_schema(name))
    except (OSError, ValueError) as exc:
        raise NoSuchResource(uri) from exc  # its one field, `ref`


def location_at(location: Location, path: Iterable[str | int]) -> Location:
    for key in path:
        location = location.child(key)
    return location


def render_path(path: Sequence[str | int]) -> str:
    return location_at(Location(), path).path


# --- messages ---------------------------------------------------------------------------------


def _explain(error: ValidationError) -> list[tuple[FieldPath, str]]:
    """One or more (path, message) for an error, worded for people who write manifests."""
    path: FieldPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    kind = error.validator
    if kind == "additionalProperties":
        return [((*path, key), "unknown field") for key in _unexpected_keys(error.instance, schema)]
    if kind == "required":
        return [((*path, key), "required value") for key in _missing_keys(error)]
    if kind == "type":
        return [(path, f"must be {_article(error.validator_value)}, not {_json_type(error.instance)}")]
    if kind in ("minimum", "maximum"):
        return [(path, _range_message(error.instance, schema))]
    if kind == "enum":
        allowed = ", ".join(repr(v) for v in _listed(error) if v is not None)
        return [(path, f"unsupported value {error.instance!r}: supported values: {allowed}")]
    if kind == "maxItems":
        return [(path, f"must have at most {error.validator_value} items")]
    if kind == "minItems":
        return [(path, f"must have at least {error.validator_value} item(s)")]
    return [(path, error.message)]


def _unexpected_keys(instance: Any, schema: Mapping[str, Any]) -> list[str]:
    known = set(schema.get("properties", {}))
    return sorted(str(key) for key in instance if key not in known)


def _missing_keys(error: ValidationError) -> list[str]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    return [key for key in _listed(error) if key not in instance]


def _listed(error: ValidationError) -> list[Any]:
    """The list an `enum` or `required` keyword holds (the schemas only hold lists there)."""
    value = error.validator_value
    return list(value) if isinstance(value, (list, tuple)) else []


def _range_message(value: Any, schema: Mapping[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"{value} must be between {low} and {high}, inclusive"
    if low is not None:
        return f"{value} must be at least {low}"
    return f"{value} must be at most {high}"


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _article(expected: Any) -> str:
    # JSON null stands for "absent" in these schemas: not worth naming as an accepted type.
    names = [expected] if isinstance(expected, str) else [n for n in expected if n != "null"]
    worded = [f"an {n}" if n[0] in "aeiou" else f"a {n}" for n in names]
    return " or ".join(worded)


def _sort_key(path: FieldPath) -> tuple[tuple[int, str, int], ...]:
    """Order paths as a reader expects: `items[2]` before `items[10]`."""
    return tuple((1, "", key) if isinstance(key, int) else (0, key, 0) for key in path)
