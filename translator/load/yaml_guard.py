"""YAML text to JSON-like values in one pass over libyaml's events, refusing what must not load.

libyaml (the C parser) reads the text into events; this module builds the values from them
directly, without the node tree PyYAML would compose first (10x the size of the text, most of the
peak memory of a big snapshot). On the way it refuses what libyaml lets through:
- a mapping key written twice: kubectl refuses it, PyYAML would silently keep the last value;
- alias bombs ("billion laughs"): aliases stay shared references, but every later walk of the
  value (schema check, parsers) would expand them, so more than `max_alias_nodes` nodes reached
  through aliases are refused, counted exactly and without expanding anything;
- recursive aliases (an alias inside the node its anchor names);
- nesting deeper than `max_depth`: libyaml 0.2.5 has no limit of its own, slows down
  quadratically with depth, and PyYAML's composer recurses in C until the interpreter crashes.
  Nothing here recurses, and the pass stops at the first level too deep.

Values are what Kubernetes' YAML decoder gives: string keys, timestamps as ISO text. Plain
scalars resolve as PyYAML's safe loader resolves them (YAML 1.1: `yes` is true, `0x1F` is 31).
Rare constructs whose meaning belongs to PyYAML's constructor (merge keys `<<`, keys that are not
strings, tagged collections such as `!!set`) are still checked by this pass; the text is then
built by PyYAML's safe constructor instead, which is safe once the pass has accepted it.

Streaming. The items of a List (a document's top-level `items` sequence, while its kind is a
`*List` kind or not read yet: kubectl prints `items` before `kind`) are handed out one by one as
each is complete, and not kept: a snapshot's raw pods never all sit in memory at once. The
document itself follows, with `items` replaced by an empty `StreamedItems`.
"""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_PLAIN_COLLECTION_TAGS = (None, "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_IMPLICIT_RESOLVERS = Loader.yaml_implicit_resolvers
_CACHE_LIMIT = 200_000  # distinct plain scalars remembered (values repeat a lot in manifests)


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


def key_text(key: Any) -> str:
    """A mapping key as Kubernetes' YAML decoder gives it: `true`, `null`, `1` as text."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return key if isinstance(key, str) else str(key)


def plain_value(value: Any) -> Any:
    """JSON-like values, as Kubernetes' YAML decoder gives them: string keys, timestamps as text."""
    if isinstance(value, dict):
        return {key_text(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


class Piece(NamedTuple):
    """A whole document (`item` None), or one item of a List document's `items` as it is read."""

    document: int  # 1-based index of the YAML document
    item: int | None  # index in `items`; None for the document itself
    value: Any
    head: dict[str, Any] | None  # an item's List document as read so far (its kind may follow)


class StreamedItems(list):  # type: ignore[type-arg]
    """`items` of a List whose items were handed out one by one (see `Piece`): empty; `delivered`
    says how many there were."""

    delivered = 0


Source = str | bytes | Path  # a Path is read as it is parsed, never held whole


def iter_pieces(text: Source, *, max_alias_nodes: int, max_depth: int) -> Iterator[Piece]:
    """The documents of `text` as JSON-like values, List items one by one; YAMLRefused when the
    text is refused or unparsable (possibly after some pieces were handed out)."""
    builder = _Builder(max_alias_nodes, max_depth)
    done = _Delivered()
    with _opened(text) as stream:
        loader = Loader(stream)
        try:
            for piece in builder.pieces(loader):
                if not builder.needs_constructor:  # else finish the checks, then construct (below)
                    done.note(piece)
                    yield piece
        except yaml.MarkedYAMLError as exc:
            raise YAMLRefused(max(builder.document, 1), syntax_message(exc)) from None
        except yaml.YAMLError as exc:
            raise YAMLRefused(max(builder.document, 1), error_message(exc)) from None
        except OSError as exc:  # a file that fails while it is read
            raise YAMLRefused(max(builder.document, 1), f"cannot read: {exc.strerror or exc}") from None
        finally:
            loader.dispose()
    if builder.needs_constructor:
        with _opened(text) as stream:
            bodies = _construct_all(stream)
        yield from done.rest(bodies)


@contextmanager
def _opened(source: Source) -> Iterator[Any]:
    """What libyaml reads: the text, or the open file (read a chunk at a time as it parses)."""
    if isinstance(source, Path):
        with source.open("rb") as handle:
            yield handle
    else:
        yield source


class _Delivered:
    """How far the pieces handed out go: what PyYAML's constructor builds is handed out after it."""

    def __init__(self) -> None:
        self.documents = 0  # documents handed out whole
        self.items = 0  # items handed out of the next document

    def note(self, piece: Piece) -> None:
        if piece.item is None:
            self.documents, self.items = piece.document, 0
        else:
            self.items = piece.item + 1

    def rest(self, bodies: list[Any]) -> Iterator[Piece]:
        for index, body in enumerate(bodies[self.documents:], start=self.documents + 1):
            items = body.get("items") if isinstance(body, dict) else None
            if index == self.documents + 1 and self.items and isinstance(items, list):
                for position in range(self.items, len(items)):
                    yield Piece(index, position, items[position], body)
                body["items"] = streamed = StreamedItems()
                streamed.delivered = len(items)
            yield Piece(index, None, body, None)


def _construct_all(text: Any) -> list[Any]:
    """PyYAML's safe constructor, for the rare constructs it gives meaning to (see the docstring)."""
    loader = Loader(text)
    bodies: list[Any] = []
    try:
        while loader.check_node():
            bodies.append(plain_value(loader.construct_document(loader.get_node())))
    except yaml.MarkedYAMLError as exc:
        raise YAMLRefused(len(bodies) + 1, syntax_message(exc)) from None
    except yaml.YAMLError as exc:
        raise YAMLRefused(len(bodies) + 1, error_message(exc)) from None
    finally:
        loader.dispose()
    return bodies


class _Open:
    """A collection being built: a list, or a dict with the key waiting for its value."""

    __slots__ = ("anchor", "key", "key_marks", "value")

    def __init__(self, value: Any, anchor: str | None) -> None:
        self.value = value
        self.anchor = anchor
        self.key: Any = _NO_KEY
        self.key_marks: dict[Any, Any] | None = {} if type(value) is dict else None


_NO_KEY = object()


class _Builder:
    def __init__(self, max_alias_nodes: int, max_depth: int) -> None:
        self.max_alias_nodes = max_alias_nodes
        self.max_depth = max_depth
        self.document = 0
        self.needs_constructor = False
        self.anchors: dict[str, Any] = {}
        self.anchor_sizes: dict[str, int] = {}
        self.through_aliases = 0
        self.plain: dict[str, Any] = {}  # plain scalar text -> value, shared (values are immutable)

    def pieces(self, loader: Any) -> Iterator[Piece]:
        """The documents and streamed items; the loop is inlined by event kind, the commonest
        first (it is hot)."""
        stack: list[_Open] = []
        get_event = loader.get_event
        plain = self.plain
        root: Any = None
        while True:
            event = get_event()
            kind = event.__class__
            if kind is ScalarEvent:
                tag = event.tag
                if tag is None and event.implicit[0]:
                    value = plain.get(event.value, _NO_KEY)
                    if value is _NO_KEY:
                        value = self.resolve_plain(loader, event)
                elif tag is None or tag == _STR_TAG:
                    value = event.value
                else:
                    value = self.construct_tagged(loader, event)
                if event.anchor is not None:
                    self.check_new_anchor(event)
                    self.anchors[event.anchor] = value
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if len(stack) >= self.max_depth:
                    raise self.refuse(event, f"nesting deeper than {self.max_depth} levels")
                if event.tag not in _PLAIN_COLLECTION_TAGS:
                    self.needs_constructor = True  # `!!set`, `!!omap`, a custom tag, ...
                if event.anchor is not None:
                    self.check_new_anchor(event)
                if len(stack) == 1 and kind is SequenceStartEvent and self.streams(stack[0], event):
                    stack.append(_Open(StreamedItems(), None))
                else:
                    stack.append(_Open({} if kind is MappingStartEvent else [], event.anchor))
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                done = stack.pop()
                value = done.value
                if done.anchor is not None:
                    self.anchors[done.anchor] = value
            elif kind is AliasEvent:
                value = self.alias(event, stack)
            elif kind is DocumentStartEvent:
                self.document += 1
                self.anchors.clear()  # anchors do not cross documents
                self.anchor_sizes.clear()
                continue
            elif kind is DocumentEndEvent:
                yield Piece(self.document, None, root, None)
                root = None
                continue
            elif kind is StreamEndEvent:
                return
            else:
                continue  # the stream's start
            if not stack:
                root = value
                continue
            parent = stack[-1]
            key_marks = parent.key_marks
            if key_marks is None:
                items = parent.value
                if items.__class__ is list:
                    items.append(value)
                else:  # the List's items, handed out as they come
                    yield Piece(self.document, items.delivered, value, stack[0].value)
                    items.delivered += 1
            elif parent.key is _NO_KEY:
                text = event.value if kind is ScalarEvent else None
                if value.__class__ is str and text not in key_marks and value == text:
                    key_marks[text] = event.start_mark  # a new text key: the usual case, inlined
                    parent.key = value
                else:
                    parent.key = self.key(event, value, key_marks)
            else:
                parent.value[parent.key] = value
                parent.key = _NO_KEY

    def streams(self, head: _Open, event: Any) -> bool:
        """Whether the sequence `event` starts is a List's `items`, to hand out item by item: under
        the top-level key `items`, while the kind read so far (if any) is a `*List` kind. Not when
        aliases could reach it (an anchor) or the constructor will build the document anyway."""
        if head.key != "items" or event.anchor is not None or event.tag is not None:
            return False
        kind = head.value.get("kind") if type(head.value) is dict else ""
        listed = kind is None or (type(kind) is str and kind.endswith("List"))
        return listed and not self.needs_constructor

    def resolve_plain(self, loader: Any, event: Any) -> Any:
        """A plain scalar as the safe loader reads it: null, bool, int, float, timestamp or text."""
        text = event.value
        tag = _STR_TAG
        for candidate, pattern in _IMPLICIT_RESOLVERS.get(text[:1], ()):
            if pattern.match(text):
                tag = candidate
                break
        if tag == _STR_TAG:
            value: Any = text
        elif tag in loader.yaml_constructors and tag != "tag:yaml.org,2002:merge":
            value = self.construct(loader, event, tag)
        else:
            self.needs_constructor = True  # a merge key `<<` (or a value spelled like one)
            return _Unusual(text)
        if len(self.plain) >= _CACHE_LIMIT:
            self.plain.clear()
        self.plain[text] = value
        return value

    def construct_tagged(self, loader: Any, event: Any) -> Any:
        if event.tag == "!":
            self.needs_constructor = True  # a non-specific tag: libyaml's composer decides
            return _Unusual(event.value)
        return self.construct(loader, event, event.tag)

    def construct(self, loader: Any, event: Any, tag: str) -> Any:
        """The safe constructor's value for one scalar (an unknown tag raises its usual error)."""
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        value = loader.construct_object(node)
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.isoformat()
        return value

    def key(self, event: Any, value: Any, key_marks: dict[Any, Any]) -> Any:
        """The key of a mapping entry; a key written twice (compared as text) is refused."""
        if event.__class__ is not ScalarEvent:
            self.needs_constructor = True  # a collection or an alias as a key
            return object()  # a placeholder: the constructor builds (or refuses) the real key
        text = event.value
        if type(value) is not str or value != text:
            if isinstance(value, _Unusual):
                return object()  # a merge key is not a key of its own
            # `80:`, `true:`, a date: typed first, then turned into text (as the constructor does)
            self.needs_constructor = True
            if not isinstance(value, Hashable):
                return object()
            value = text
        mark: Any = event.start_mark
        first = key_marks.get(text)
        if first is not None:
            message = (f"YAML mapping key {text!r} at line {mark.line + 1} already defined at line "
                       f"{first.line + 1}")
            raise YAMLRefused(max(self.document, 1), message)
        key_marks[text] = mark
        return value  # shared with every other use of the same plain text

    # --- anchors and aliases --------------------------------------------------------------------

    def check_new_anchor(self, event: Any) -> None:
        if event.anchor in self.anchors:
            raise ComposerError(f"found duplicate anchor {event.anchor!r}; first occurrence", None,
                                "second occurrence", event.start_mark)

    def alias(self, event: Any, stack: list[_Open]) -> Any:
        name = event.anchor
        if name not in self.anchors:
            if any(frame.anchor == name for frame in stack):
                raise self.refuse(event, f"recursive alias *{name}")
            raise ComposerError(None, None, f"found undefined alias {name!r}", event.start_mark)
        size = self.anchor_sizes.get(name)
        if size is None:
            size = self.anchor_sizes[name] = _node_count(self.anchors[name])
        self.through_aliases += size
        if self.through_aliases > self.max_alias_nodes:
            message = f"YAML aliases expand to more than {self.max_alias_nodes} nodes (alias bomb?)"
            raise self.refuse(event, message)
        return self.anchors[name]

    def refuse(self, event: Any, message: str) -> YAMLRefused:
        return YAMLRefused(max(self.document, 1), f"{message} (line {event.start_mark.line + 1}); refused")


class _Unusual(str):
    """A scalar whose meaning the constructor gives (a merge key); only ever a placeholder."""


def _node_count(value: Any) -> int:
    """The YAML nodes `value` stands for, aliases expanded (each shared collection counted once
    per use), computed without expanding: a collection seen before reuses its count."""
    counts: dict[int, int] = {}
    pending: list[tuple[Any, bool]] = [(value, False)]
    while pending:
        item, children_done = pending.pop()
        if type(item) is dict:
            children = [*item.values()]
            extra = len(item)  # the keys: scalars (or placeholders), one node each
        elif type(item) is list:
            children, extra = item, 0
        else:
            continue
        if id(item) in counts:
            continue
        if children_done:
            counts[id(item)] = 1 + extra + sum(_count_of(c, counts) for c in children)
        else:
            pending.append((item, True))
            pending.extend((c, False) for c in children if type(c) in (dict, list))
    return _count_of(value, counts)


def _count_of(value: Any, counts: dict[int, int]) -> int:
    return counts[id(value)] if type(value) in (dict, list) else 1
