"""Block-style YAML text of JSON-like values, written directly (PyYAML's emitter is too slow for
the 150,000-pod snapshot: about a minute and gigabytes of memory for one `yaml.dump`).

The text reads back (`yaml.safe_load`) as exactly the values given: strings are written plain
where the safe loader reads them back as the same string, else double-quoted (JSON's escapes are
YAML's). Layout follows PyYAML's default and kubectl's: two spaces per level, a list under a key
not indented, `- ` opening each list item. Only for the benchmarks: a seeded generator's output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import yaml
from yaml.nodes import ScalarNode

_PLAIN_SHAPE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./:-]*")
_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = yaml.SafeLoader("")


def list_text(items: Iterable[Any]) -> Iterator[str]:
    """A `kind: List` snapshot as `kubectl get -o yaml` prints it: `items` before `kind`."""
    yield "apiVersion: v1\nitems:\n"
    for item in items:
        yield "".join(_item(item, ""))
    yield 'kind: List\nmetadata:\n  resourceVersion: ""\n'


def stream_text(documents: Iterable[Any]) -> Iterator[str]:
    """A multi-document stream, `---` between documents."""
    for index, document in enumerate(documents):
        yield ("---\n" if index else "") + "".join(_value_lines(document, ""))


@lru_cache(maxsize=1 << 16)
def scalar(value: Any) -> str:
    """One scalar: plain when it reads back as itself, else quoted."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if _PLAIN_SHAPE.fullmatch(value) and not value.endswith(":") and _reads_as_text(value):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _reads_as_text(text: str) -> bool:
    return _RESOLVER.resolve(ScalarNode, text, (True, False)) == _STR_TAG


def _value_lines(value: Any, indent: str) -> Iterator[str]:
    """A top-level value (or one under a key): collections on lines of their own."""
    if type(value) is dict and value:
        yield from _mapping(value, indent)
    elif type(value) is list and value:
        for item in value:
            yield from _item(item, indent)
    else:
        yield _flow(value) + "\n"


def _mapping(value: dict[str, Any], indent: str) -> Iterator[str]:
    for key, child in value.items():
        yield from _entry(key, child, indent)


def _entry(key: str, child: Any, indent: str) -> Iterator[str]:
    head = f"{indent}{scalar(key)}:"
    if type(child) is dict and child:
        yield head + "\n"
        yield from _mapping(child, indent + "  ")
    elif type(child) is list and child:
        yield head + "\n"
        for item in child:
            yield from _item(item, indent)
    else:
        yield f"{head} {_flow(child)}\n"


def _item(value: Any, indent: str) -> Iterator[str]:
    """One list item, `- ` at `indent`; a mapping's first entry on the same line."""
    if type(value) is dict and value:
        inner = indent + "  "
        first = True
        for key, child in value.items():
            lines = _entry(key, child, inner)
            if first:
                yield f"{indent}- " + next(lines)[len(inner):]
                first = False
            yield from lines
    elif type(value) is list and value:
        yield f"{indent}-\n"
        for item in value:
            yield from _item(item, indent + "  ")
    else:
        yield f"{indent}- {_flow(value)}\n"


def _flow(value: Any) -> str:
    if type(value) is dict:
        return "{}"
    if type(value) is list:
        return "[]"
    return scalar(value)
