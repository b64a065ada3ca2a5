"""`json.dumps(value, indent=2, sort_keys=True)`, byte for byte, with pre-rendered fragments.

The standard library's C encoder is not used when `indent` is set: a diff with a hundred
thousand changes spent most of its rendering in the pure-Python one. Here the big parts of such
a document (the same outcome or pod list in thousands of changes) are rendered once as `Raw`
text for the depth they appear at and spliced in, and the rest is encoded by the same rules
(ASCII-only strings, `sort_keys`, ", "-less item separator, ": " between key and value).
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii
from typing import Any

INDENT = "  "


class Raw(str):
    """Text already encoded for the depth it is placed at: emitted as it is."""


def _key(key: Any) -> str:
    """A dict key as json writes it (non-string keys are converted after sorting)."""
    if isinstance(key, str):
        return key
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, float):
        return _float(key)
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


def encode(value: Any, level: int = 0) -> str:
    """`value` as json writes it with indent=2 and sorted keys, its first line at depth `level`."""
    if isinstance(value, Raw):
        return value
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = "\n" + INDENT * (level + 1)
        items = [encode_basestring_ascii(_key(k)) + ": " + encode(v, level + 1)
                 for k, v in sorted(value.items())]
        return "{" + inner + ("," + inner).join(items) + "\n" + INDENT * level + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        inner = "\n" + INDENT * (level + 1)
        return ("[" + inner + ("," + inner).join(encode(v, level + 1) for v in value)
                + "\n" + INDENT * level + "]")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
