"""`json.dumps(value, indent=2, sort_keys=True)`, byte for byte, with pre-rendered fragments.

The standard library's C encoder is not used when `indent` is set: a diff with a hundred
thousand changes spent most of its rendering in the pure-Python one. Here the big parts of such
a document (the same outcome or pod list in thousands of changes) are rendered once as `Raw`
text for the depth they appear at and spliced in, and the rest is encoded by the same rules
(ASCII-only strings, `sort_keys`, ", "-less item separator, ": " between key and value).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from json.encoder import encode_basestring_ascii
from typing import Any, TypeVar

T = TypeVar("T")

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


class Pieces:
    """A value that writes its own text: `write(level, out)` appends it, for depth `level`, to
    `out` in pieces (a big array need not exist as one string before the document does)."""

    def __init__(self, write: Callable[[int, list[str]], None]) -> None:
        self.write = write


def encode(value: Any, level: int = 0) -> str:
    """`value` as json writes it with indent=2 and sorted keys, its first line at depth `level`."""
    out: list[str] = []
    encode_into(value, level, out)
    return "".join(out)


def encode_into(value: Any, level: int, out: list[str]) -> None:
    """`encode(value, level)`, appended to `out` in pieces."""
    if isinstance(value, Raw):
        out.append(value)
    elif isinstance(value, str):
        out.append(encode_basestring_ascii(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float(value))
    elif isinstance(value, Pieces):
        value.write(level, out)
    elif isinstance(value, dict):
        _dict_into(value, level, out)
    elif isinstance(value, (list, tuple)):
        _list_into(value, level, out)
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _dict_into(value: dict[Any, Any], level: int, out: list[str]) -> None:
    if not value:
        out.append("{}")
        return
    inner = "\n" + INDENT * (level + 1)
    separator = "{"
    for key, item in sorted(value.items()):
        out.append(separator + inner + encode_basestring_ascii(_key(key)) + ": ")
        encode_into(item, level + 1, out)
        separator = ","
    out.append("\n" + INDENT * level + "}")


def _list_into(value: list[Any] | tuple[Any, ...], level: int, out: list[str]) -> None:
    array_into(value, level, out, encode_into)


def array_into(items: Sequence[T], level: int, out: list[str],
               item_into: Callable[[T, int, list[str]], None]) -> None:
    """A JSON array at depth `level`, each item written by `item_into` one level deeper."""
    if not items:
        out.append("[]")
        return
    inner = "\n" + INDENT * (level + 1)
    separator = "["
    for item in items:
        out.append(separator + inner)
        item_into(item, level + 1, out)
        separator = ","
    out.append("\n" + INDENT * level + "]")
