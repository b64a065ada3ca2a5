"""A JSON Schema compiled to plain Python checks: the fast "is this document valid?" of `schema`.

jsonschema's validator finds and explains every error, but pays for it on valid documents too
(one validator object per node, `$ref` lookups through `referencing`): about 1 ms per
NetworkPolicy. Most documents are valid, so `schema.field_errors` asks a compiled check first and
calls jsonschema only when the check cannot vouch for the document.

The one rule: a check may say False for a valid document (jsonschema then looks, finds nothing,
and the answer is still right), but never True for an invalid one. So every keyword is read as
jsonschema reads it or more strictly (`enum` compares types too; `uniqueItems` trusts only lists
of strings or integers), and a schema with a keyword not listed here compiles to None: no fast
path at all, rather than a guess.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Check = Callable[[Any], bool]
SchemaLoader = Callable[[str], Mapping[str, Any]]

# Keywords that only annotate (jsonschema asserts no `format` unless given a format checker).
_ANNOTATIONS = frozenset(
    ("$schema", "$id", "$defs", "$comment", "title", "description", "format", "default", "examples")
)
_SCALARS = (str, int, float, bool, type(None))


class Unsupported(Exception):
    """The schema uses something this compiler does not read exactly: no fast path for it."""


def compile_schema(schema_file: str, load: SchemaLoader) -> Check | None:
    """The check of `schema_file` (loaded, like its `$ref` siblings, through `load`), or None."""
    try:
        return _Compiler(load).compile(load(schema_file), schema_file)
    except Unsupported:
        return None


class _Compiler:
    def __init__(self, load: SchemaLoader) -> None:
        self.load = load
        # (file, JSON pointer) → check; a cell filled after compiling, so cycles still work.
        self.refs: dict[tuple[str, str], list[Check]] = {}

    def compile(self, schema: Any, base: str) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, Mapping):
            raise Unsupported(f"schema {schema!r}")
        checks = [self.keyword(name, value, schema, base) for name, value in schema.items()]
        return _all([c for c in checks if c is not None])

    def keyword(self, name: str, value: Any, schema: Mapping[str, Any], base: str) -> Check | None:
        if name in _ANNOTATIONS:
            return None
        if name == "$ref":
            return self.ref(value, base)
        if name in ("properties", "additionalProperties"):
            # Compiled once for the pair, at `properties` (or alone, if there is none).
            owner = name == "properties" or "properties" not in schema
            return self.object_keywords(schema, base) if owner else None
        if name == "items":
            return _items(self.compile(value, base))
        if name in ("anyOf", "allOf"):
            subs = tuple(self.compile(s, base) for s in value)
            return _any(subs) if name == "anyOf" else _all(list(subs))
        if name == "type" and value == "object" and _has_object_keywords(schema):
            return None  # checked by the object keywords, in the same call
        builder = _SIMPLE.get(name)
        if builder is None:
            raise Unsupported(f"keyword {name!r}")
        return builder(value)

    def object_keywords(self, schema: Mapping[str, Any], base: str) -> Check:
        """`properties` and `additionalProperties` together: one pass over the instance's keys."""
        properties = {k: self.compile(s, base) for k, s in schema.get("properties", {}).items()}
        additional = schema.get("additionalProperties", True)
        extra = None if additional is True else self.compile(additional, base)
        return _object(properties, extra, must_be_object=schema.get("type") == "object")

    def ref(self, ref: str, base: str) -> Check:
        file, _, pointer = ref.partition("#")
        file = file.rsplit("/", 1)[-1] or base  # siblings by file name, as schema.py retrieves them
        key = (file, pointer)
        if key not in self.refs:
            cell: list[Check] = []
            self.refs[key] = cell
            cell.append(self.compile(_resolve(self.load(file), pointer), file))
        cell = self.refs[key]
        if cell:
            return cell[0]
        return lambda value: cell[0](value)  # a cycle: filled in when its compilation ends


def _has_object_keywords(schema: Mapping[str, Any]) -> bool:
    return "properties" in schema or "additionalProperties" in schema


def _resolve(document: Any, pointer: str) -> Any:
    node = document
    for part in (p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]):
        if not isinstance(node, Mapping) or part not in node:
            raise Unsupported(f"$ref pointer {pointer!r}")
        node = node[part]
    return node


# --- combinators ------------------------------------------------------------------------------


def _always(_value: Any) -> bool:
    return True


def _never(_value: Any) -> bool:
    return False


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    chain = tuple(checks)

    def check_all(value: Any) -> bool:
        # Plain loops, not all(generator): this runs for every node of every document.
        for check in chain:  # noqa: SIM110
            if not check(value):
                return False
        return True

    return check_all


def _any(checks: Sequence[Check]) -> Check:
    options = tuple(checks)

    def check_any(value: Any) -> bool:
        for check in options:  # noqa: SIM110 (a loop is faster than any(generator) here)
            if check(value):
                return True
        return False

    return check_any


def _object(properties: dict[str, Check], additional: Check | None, *, must_be_object: bool) -> Check:
    """`properties` and `additionalProperties`; with `must_be_object`, also `type: object`."""

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return not must_be_object
        for key, item in value.items():
            sub = properties.get(key)
            if sub is None:
                if additional is not None and not additional(item):
                    return False
            elif not sub(item):
                return False
        return True

    if additional is None:
        return _open_object(properties, check, must_be_object=must_be_object)
    return check


def _open_object(properties: dict[str, Check], by_keys: Check, *, must_be_object: bool) -> Check:
    """An object whose other fields are free (no `additionalProperties`): only the fields named
    are checked, so a kubectl Pod's many other fields (a container's image, env, resources...)
    are not even looked at, unless the object has fewer keys than the schema names."""
    named = tuple(properties.items())

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return not must_be_object
        if len(value) < len(named):
            return by_keys(value)
        for key, sub in named:  # noqa: SIM110 (a loop is faster than all(generator) here)
            if key in value and not sub(value[key]):
                return False
        return True

    return check


def _items(sub: Check) -> Check:
    def check(value: Any) -> bool:
        if isinstance(value, list):
            for item in value:
                if not sub(item):
                    return False
        return True

    return check


# --- single keywords --------------------------------------------------------------------------


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": _is_integer,
    # jsonschema takes any numbers.Number; only int and float are vouched for here.
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


# The types that are exactly a Python class (integer and number must leave out bool).
_CLASSES: dict[str, type] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _type(expected: str | list[str]) -> Check:
    names = [expected] if isinstance(expected, str) else list(expected)
    if any(name not in _TYPES for name in names):
        raise Unsupported(f"type {expected!r}")
    if len(names) == 1:
        return _TYPES[names[0]]
    if all(name in _CLASSES for name in names):
        # One isinstance call for the usual `["object", "null"]`.
        classes = tuple(_CLASSES[name] for name in names)
        return lambda value: isinstance(value, classes)
    return _any([_TYPES[name] for name in names])


def _enum(allowed: Sequence[Any]) -> Check:
    if not all(isinstance(a, _SCALARS) for a in allowed):
        raise Unsupported("enum of collections")
    # Same type and equal: stricter than jsonschema (which takes 4.0 for 4), never looser.
    choices = frozenset((type(a), a) for a in allowed)
    return lambda value: isinstance(value, _SCALARS) and (type(value), value) in choices


def _const(expected: Any) -> Check:
    return _enum([expected])


def _is_number(value: Any) -> bool | None:
    """True for int and float, False for non-numbers (the keyword ignores them), None if unsure."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return None if isinstance(value, numbers.Number) else False


def _minimum(limit: float) -> Check:
    def check(value: Any) -> bool:
        number = _is_number(value)
        return number is False or (number is True and value >= limit)

    return check


def _maximum(limit: float) -> Check:
    def check(value: Any) -> bool:
        number = _is_number(value)
        return number is False or (number is True and value <= limit)

    return check


def _pattern(pattern: str) -> Check:
    search = re.compile(pattern).search  # jsonschema uses re.search as well
    return lambda value: not isinstance(value, str) or search(value) is not None


def _max_length(limit: int) -> Check:
    return lambda value: not isinstance(value, str) or len(value) <= limit


def _min_length(limit: int) -> Check:
    return lambda value: not isinstance(value, str) or len(value) >= limit


def _max_items(limit: int) -> Check:
    return lambda value: not isinstance(value, list) or len(value) <= limit


def _min_items(limit: int) -> Check:
    return lambda value: not isinstance(value, list) or len(value) >= limit


def _required(names: Sequence[str]) -> Check:
    wanted = tuple(names)
    return lambda value: not isinstance(value, dict) or all(name in value for name in wanted)


def _unique_items(unique: bool) -> Check:
    return _unique if unique else _always


def _unique(value: Any) -> bool:
    """Lists of strings, or of integers, are checked; any other list is left to jsonschema."""
    if not isinstance(value, list) or len(value) < 2:
        return True
    kinds = {type(item) for item in value}
    if kinds != {str} and kinds != {int}:
        return False
    return len(set(value)) == len(value)


_SIMPLE: dict[str, Callable[[Any], Check]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "minimum": _minimum,
    "maximum": _maximum,
    "pattern": _pattern,
    "maxLength": _max_length,
    "minLength": _min_length,
    "maxItems": _max_items,
    "minItems": _min_items,
    "required": _required,
    "uniqueItems": _unique_items,
}
