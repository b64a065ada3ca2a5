"""One pass over a YAML event stream that refuses what must never be composed.

libyaml parses into events without building anything; composing and constructing is where a
hostile file hurts. So before composing, this walks the events once and refuses:
- alias bombs ("billion laughs"): more than `max_alias_nodes` nodes reached through aliases,
  counted with each anchor's expanded size, so the count is exact and nothing is expanded;
- recursive aliases (an alias inside the node its anchor names);
- nesting deeper than `max_depth` (libyaml's composer recurses in C and would crash the
  interpreter; libyaml also slows down quadratically with depth);
- a mapping key written twice: kubectl refuses it, PyYAML would silently keep the last value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        count = self.anchor_sizes.get(event.anchor, 1)
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
    handlers = {
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
        raise YAMLRefused(max(watch.document, 1), f"YAML error: {exc}") from None
