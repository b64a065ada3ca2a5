"""One pass over a YAML event stream that refuses what must never be composed.

libyaml parses into events without building anything; composing and constructing is where a
hostile file hurts. So before composing, this walks the events once and refuses:
- alias bombs ("billion laughs"): more than `max_alias_nodes` nodes reached through aliases,
  counted with each anchor's expanded size, so the count is exact and nothing is expanded;
- recursive aliases (an alias inside the node its anchor names);
- nesting deeper than `max_depth` (libyaml's composer recurses in C and would crash the
  interpreter; libyaml also slows down quadratically with depth);
- a mapping key written twice: kubectl refuses it, PyYAML would silently keep the last value.

That pass costs more than half of what libyaml takes to load the text, and it is needed only
where the text could hold what it refuses. `needs_event_pass` is a cheap, conservative scan of the
text (it may say yes needlessly, never no wrongly): no anchor or alias can occur without `&` or
`*` before a name, and no nesting can be deeper than the indentation and flow brackets allow.
Text that passes is loaded by `load_plain`, which refuses duplicate keys as it builds mappings and
hands anything unusual (merge keys, `!!set`, a refusal, a syntax error) back to the careful path,
which then says exactly what it always said.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode

Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# libyaml and PyYAML both read an anchor or alias name as `[0-9A-Za-z_-]+` right after `&`/`*`.
_ANCHOR_OR_ALIAS = re.compile(r"[&*][0-9A-Za-z_-]")
# What may stand before a block collection's first token on its line: indentation (a BOM at a line
# start counts as a column in libyaml) and the compact indicators `- `, `? ` and `: `.
_LINE_PREFIX = re.compile(r"^[ \t?:\-\ufeff]*", re.MULTILINE)
# Column-0 document markers: libyaml ends every collection there (or fails), so a flow
# collection never carries its depth across one.
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)
# libyaml also breaks lines at a lone CR, NEL, LS and PS; `^` above knows only LF, so text with
# any of them goes the careful way.
_OTHER_LINE_BREAK = re.compile(r"\r(?!\n)|[\x85\u2028\u2029]")
# `{}` and `[]` open and close at once: one level, however many of them.
_EMPTY_FLOW = re.compile(r"\{\s*\}|\[\s*\]")
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class YAMLRefused(Exception):
    """The stream is refused or unparsable: `document` (1-based) says where, `message` why."""

    def __init__(self, document: int, message: str) -> None:
        super().__init__(message)
        self.document = document
        self.message = message


def syntax_message(exc: yaml.MarkedYAMLError) -> str:
    """`YAML syntax error at line 3, column 5: what the parser expected` (lines from 1)."""
    mark = exc.problem_mark or exc.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    what = "; ".join(part for part in (exc.context, exc.problem) if part)
    return f"YAML syntax error{where}: {what}"


def error_message(exc: yaml.YAMLError) -> str:
    """Any other YAML error on one line, e.g. a control character the reader refuses."""
    if isinstance(exc, yaml.reader.ReaderError):
        char = exc.character
        code = ord(char) if isinstance(char, str) else char
        where = f"at character {exc.position + 1}"
        return f"YAML error: unacceptable character #x{code:04X} {where}: {exc.reason}"
    return "YAML error: " + " ".join(str(exc).split())


@dataclass
class _Open:
    """A collection being read: its anchor, expanded node count, and for a mapping its keys."""

    anchor: str | None
    count: int = 1
    keys: dict[str, int] | None = None  # key → line, only for mappings
    next_is_key: bool = True


@dataclass
class _Watch:
    max_alias_nodes: int
    max_depth: int
    document: int = 0
    open: list[_Open] = field(default_factory=list)
    anchor_sizes: dict[str, int] = field(default_factory=dict)
    through_aliases: int = 0

    def on_document(self, _event: yaml.Event) -> None:
        self.document += 1
        self.anchor_sizes.clear()  # anchors do not cross documents

    def on_mapping(self, event: yaml.MappingStartEvent) -> None:
        self.on_collection(event, {})

    def on_sequence(self, event: yaml.SequenceStartEvent) -> None:
        self.on_collection(event, None)

    def on_collection(self, event: yaml.CollectionStartEvent, keys: dict[str, int] | None) -> None:
        self.open.append(_Open(event.anchor, keys=keys))
        if len(self.open) > self.max_depth:
            raise self.refuse(event, f"nesting deeper than {self.max_depth} levels")

    def on_end(self, event: yaml.Event) -> None:
        done = self.open.pop()
        self.completed(event, done.count, done.anchor, key=None)

    def on_scalar(self, event: yaml.ScalarEvent) -> None:
        is_merge = event.value == "<<" and event.implicit[0]
        self.completed(event, 1, event.anchor, key=None if is_merge else event.value)

    def on_alias(self, event: yaml.AliasEvent) -> None:
        if any(entry.anchor == event.anchor for entry in self.open):
            raise self.refuse(event, f"recursive alias *{event.anchor}")
        # An undefined alias counts as one node here; the composer reports it properly.
        count = self.anchor_sizes.get(event.anchor, 1) if event.anchor is not None else 1
        self.through_aliases += count
        if self.through_aliases > self.max_alias_nodes:
            message = f"YAML aliases expand to more than {self.max_alias_nodes} nodes (alias bomb?)"
            raise self.refuse(event, message)
        self.completed(event, count, None, key=None)

    def completed(self, event: yaml.Event, count: int, anchor: str | None, key: str | None) -> None:
        """A node ended: record its anchor's size and add it to its parent."""
        if anchor is not None:
            self.anchor_sizes[anchor] = count
        if not self.open:
            return
        parent = self.open[-1]
        parent.count += count
        if parent.keys is None:
            return
        if parent.next_is_key and key is not None:
            self.check_key(parent.keys, key, event)
        parent.next_is_key = not parent.next_is_key

    def check_key(self, keys: dict[str, int], key: str, event: yaml.Event) -> None:
        line = _line(event)
        if key in keys:
            message = f"YAML mapping key {key!r} at line {line} already defined at line {keys[key]}"
            raise YAMLRefused(max(self.document, 1), message)
        keys[key] = line

    def refuse(self, event: yaml.Event, message: str) -> YAMLRefused:
        return YAMLRefused(max(self.document, 1), f"{message} (line {_line(event)}); refused")


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark else 0


def check_stream(text: str, *, max_alias_nodes: int, max_depth: int) -> None:
    """Raise YAMLRefused if `text` is unparsable or must not be loaded."""
    watch = _Watch(max_alias_nodes, max_depth)
    handlers: dict[type[yaml.Event], Callable[[Any], None]] = {
        yaml.DocumentStartEvent: watch.on_document,
        yaml.MappingStartEvent: watch.on_mapping,
        yaml.SequenceStartEvent: watch.on_sequence,
        yaml.MappingEndEvent: watch.on_end,
        yaml.SequenceEndEvent: watch.on_end,
        yaml.ScalarEvent: watch.on_scalar,
        yaml.AliasEvent: watch.on_alias,
    }
    try:
        for event in yaml.parse(text, Loader=Loader):
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)
    except yaml.MarkedYAMLError as exc:
        raise YAMLRefused(max(watch.document, 1), syntax_message(exc)) from None
    except yaml.YAMLError as exc:
        raise YAMLRefused(max(watch.document, 1), error_message(exc)) from None


# --- the fast path: a pre-scan, and a loader that builds plain values --------------------------


def needs_event_pass(text: str, *, max_depth: int) -> bool:
    """False only if `check_stream` could not refuse `text` for an alias or for its depth."""
    return (
        _ANCHOR_OR_ALIAS.search(text) is not None
        or _OTHER_LINE_BREAK.search(text) is not None
        or nesting_bound(text) > max_depth
    )


def nesting_bound(text: str) -> int:
    """An upper bound on how deeply collections nest in `text` (the root collection is level 1).

    Block collections: a nested one starts at a greater column than its parent, except a sequence
    that is a mapping's value, so 2 levels per column at most. Flow collections (which hold no
    block ones) add at most one level per `[` or `{` in their document.
    """
    widest_prefix = max(len(prefix) for prefix in _LINE_PREFIX.findall(text))
    flow = max(_flow_openers(part) for part in _DOCUMENT_MARKER.split(text))
    return 2 * (widest_prefix + 1) + flow


def _flow_openers(part: str) -> int:
    stripped = _EMPTY_FLOW.sub("", part)
    empty = 1 if len(stripped) != len(part) else 0
    return stripped.count("[") + stripped.count("{") + empty


class NeedsCarefulPath(Exception):
    """`load_plain` met something it leaves to the event pass and the careful loader."""


def load_plain(text: str) -> list[Any]:
    """Every document of `text` as JSON-like values (string keys, timestamps as ISO text).

    Raises NeedsCarefulPath for a duplicate key or anything unusual, and yaml.YAMLError for a
    syntax error: the caller then takes the careful path, which words the refusal.
    """
    loader = _PlainLoader(text)
    try:
        bodies = []
        while loader.check_node():
            bodies.append(loader.construct_document(loader.get_node()))
        return bodies
    finally:
        loader.dispose()


def key_text(key: Any) -> str:
    """A mapping key as Kubernetes' YAML decoder gives it: `true`, `null`, `1` as text."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return key if isinstance(key, str) else str(key)


class _PlainLoader(Loader):  # type: ignore[misc, valid-type]
    """The C loader, building mappings with string keys and refusing a key written twice."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, MappingNode):
            raise NeedsCarefulPath("not a mapping")
        mapping: dict[Any, Any] = {}
        written: set[str] = set()
        all_text = True
        construct = self.construct_object
        for key_node, value_node in node.value:
            # The common key, a plain string written once, is taken as is (hot loop: inlined).
            if (
                key_node.tag == _STR_TAG
                and key_node.__class__ is ScalarNode
                and key_node.value not in written
                and key_node.value != "<<"
            ):
                key = key_node.value
                written.add(key)
            else:
                key = self._key(key_node, written)
                all_text = all_text and type(key) is str
            mapping[key] = construct(value_node, deep=deep)
        if all_text:
            return mapping
        # As the careful path does it: build with the YAML keys, then turn them into text.
        return {key_text(key): value for key, value in mapping.items()}

    def _key(self, key_node: Any, written: set[str]) -> Any:
        if isinstance(key_node, ScalarNode):
            raw = key_node.value
            # A duplicate (as the event pass compares keys: by their text), a merge key, or a
            # timestamp key (which the careful path turns into text its own way).
            if raw in written or raw == "<<" or key_node.tag in (_MERGE_TAG, _TIMESTAMP_TAG):
                raise NeedsCarefulPath(f"key {raw!r}")
            written.add(raw)
            if key_node.tag == _STR_TAG:
                return raw
        key = self.construct_object(key_node)
        if not isinstance(key, Hashable):
            raise NeedsCarefulPath("unhashable key")
        return key

    def construct_iso_timestamp(self, node: Any) -> str:
        value: datetime.date = self.construct_yaml_timestamp(node)
        return value.isoformat()

    def refuse(self, node: Any) -> Any:
        # Sets, ordered maps and pairs keep values the careful path leaves unconverted.
        raise NeedsCarefulPath(node.tag)


_PlainLoader.add_constructor(_TIMESTAMP_TAG, _PlainLoader.construct_iso_timestamp)
for _tag in ("set", "omap", "pairs"):
    _PlainLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _PlainLoader.refuse)
