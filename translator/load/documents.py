"""Text → documents: files, folders, stdin; multi-document YAML, JSON, and `*List` kinds.

Locations. A document's index is the 1-based position of the YAML document in its file (JSON
files hold one document, index 1); empty YAML documents count but produce nothing. The items of
a `List` (or any `*List` kind, as `kubectl get -o yaml` or the API prints them) become documents
of their own that keep the list's index and carry the path prefix `items[i]`, so an error in the
third item of the first document reads `file:1:items[2].spec.podSelector`.

Streaming. `iter_documents` hands out documents as they are read, and a List's items one by one
(`yaml_guard.iter_pieces`): `load` parses each and drops it, so the raw pods of a snapshot never
all sit in memory. Nor does the text of a regular YAML file: libyaml reads it a chunk at a time
as it parses (after a first pass that checks it is UTF-8, see `_scan`), so such a file has no
size limit. Stdin, special files (`<(kubectl ...)`) and JSON files are read whole, as UTF-8
bytes (checked, not decoded: libyaml reads them directly), up to `MAX_INPUT_BYTES`.

Safety. Only safe loading (libyaml's C parser when present). `yaml_guard.iter_pieces` builds the
values straight from libyaml's events and refuses, on the way, alias bombs (more than
`MAX_ALIAS_EXPANSION` nodes reached through aliases), recursive aliases, nesting deeper than
`MAX_NESTING_DEPTH`, and duplicate mapping keys: limits on what the text makes, not on its size.
Input read whole and larger than `MAX_INPUT_BYTES` is refused without being read in full. Every
refusal is an InputError naming the file and document.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from translator.errors import Diagnostic, InputError, Level, Location
from translator.load.yaml_guard import Piece, StreamedItems, YAMLRefused, iter_pieces

# Only a guard against reading an endless stream into memory (stdin, a FIFO, a JSON file); a
# regular YAML file is parsed as it is read, and hostile YAML is refused by its alias expansion
# and depth, not by its size.
MAX_INPUT_BYTES = 1024 * 1024 * 1024
MAX_ALIAS_EXPANSION = 1_000_000
# Kubernetes objects nest about 15 levels deep; this leaves ample room and keeps libyaml fast.
MAX_NESTING_DEPTH = 200
STDIN_NAME = "<stdin>"
YAML_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Document:
    """One object to load: its file, 1-based document index, `items[i]` prefix, and parsed body."""

    file: str
    index: int
    path_prefix: str
    body: Any

    @property
    def location(self) -> Location:
        return Location(self.file, self.index, self.path_prefix)


def read_documents(paths: Sequence[str], stdin: TextIO | None = None) -> list[Document]:
    """Every document of every path, in order (folders recursively, sorted); `-` reads stdin.

    Raises InputError naming every unreadable path (missing file, syntax error, alias bomb, …),
    after trying all of them.
    """
    return list(iter_documents(paths, stdin))


def iter_documents(paths: Sequence[str], stdin: TextIO | None = None) -> Iterator[Document]:
    """`read_documents` one document at a time. The InputError naming every unreadable path comes
    at the end, after the documents of the readable ones (and of an unreadable one's first part):
    a consumer must drop what it made of them."""
    problems: list[Diagnostic] = []
    for name in _once(_expand(paths, problems)):
        try:
            yield from _documents_of(name, _read_text(name, stdin))
        except InputError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems)


@dataclass(frozen=True)
class _OnDisk:
    """A regular YAML file, parsed as it is read (never held whole: no size limit), once a first
    pass checked its text (`_scan`): UTF-8, its first character, and any Helm template."""

    path: str
    first: str
    template: bool


Text = str | bytes | _OnDisk  # bytes: UTF-8 as read, already checked (see `_checked_utf8`)


def parse_text(file: str, text: Text) -> list[Document]:
    """The documents of one text (what `read_documents` does after reading a file)."""
    return list(_documents_of(file, text))


# --- paths and reading ------------------------------------------------------------------------


def _expand(paths: Sequence[str], problems: list[Diagnostic]) -> Iterator[str]:
    """Files to read: `-`, files as named, and folders expanded to their YAML/JSON files."""
    for name in paths:
        if name == "-":
            yield name
        elif os.path.isdir(name):
            yield from _files_under(name, problems)
        elif os.path.exists(name):
            yield name
        else:
            problems.append(_problem(Location(name), "no such file or directory"))


def _once(names: Iterable[str]) -> Iterator[str]:
    """Each file once, however often it is named (twice, or also inside a folder given)."""
    seen: set[str] = set()
    for name in names:
        key = name if name == "-" else os.path.realpath(name)
        if key not in seen:
            seen.add(key)
            yield name


def _files_under(folder: str, problems: list[Diagnostic]) -> list[str]:
    def unreadable(exc: OSError) -> None:
        problems.append(_problem(Location(exc.filename or folder), f"cannot read: {exc.strerror or exc}"))

    found = [
        os.path.join(root, file)
        for root, _dirs, files in os.walk(folder, onerror=unreadable)
        for file in files
        if file.endswith(YAML_SUFFIXES)
    ]
    # Sort on path components so that `a/b.yaml` and `a-b.yaml` order the same everywhere.
    return sorted(found, key=lambda p: Path(p).parts)


def _read_text(name: str, stdin: TextIO | None) -> Text:
    if name == "-":
        return _read_stdin(stdin if stdin is not None else sys.stdin)
    try:
        with open(name, "rb") as handle:
            status = os.fstat(handle.fileno())
            if stat.S_ISREG(status.st_mode) and not name.endswith(".json"):
                return _scan(name, handle)
            if status.st_size > MAX_INPUT_BYTES:
                raise _too_large(name, status.st_size)
            data = handle.read(MAX_INPUT_BYTES + 1)  # special files may report size 0
    except OSError as exc:
        raise InputError.at(Location(name), f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise _too_large(name, len(data))
    return _checked_utf8(name, data)


def _read_stdin(stream: TextIO | None) -> Text:
    try:
        return _read_stream(stream)
    except (OSError, ValueError) as exc:
        # No fd 0 (`<&-`): Python sets sys.stdin to None; a closed stream raises ValueError.
        if stream is None or getattr(stream, "closed", False) or not _fd_open(0):
            raise InputError.at(Location(STDIN_NAME), "cannot read: stdin is closed") from None
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError.at(Location(STDIN_NAME), f"cannot read: {reason}") from None


def _fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _read_stream(stream: TextIO | None) -> Text:
    if stream is None:
        raise ValueError("no stdin")
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:  # the real stdin: bytes, decoded as a file's are (not with the locale)
        data = buffer.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise _too_large(STDIN_NAME, len(data))
        return _checked_utf8(STDIN_NAME, data)
    text = stream.read(MAX_INPUT_BYTES + 1)
    if len(text) > MAX_INPUT_BYTES:
        raise _too_large(STDIN_NAME, len(text))
    return text


_CHECK_CHUNK = 1 << 22
_TEMPLATE_OVERLAP = 256  # a template marker split between two chunks is still found


def _checked_utf8(name: str, data: bytes) -> bytes:
    """`data` when it is UTF-8 text (a BOM allowed), checked a few MiB at a time: decoding a big
    snapshot whole would hold its text twice more (the str, and libyaml's UTF-8 copy of it)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _CHECK_CHUNK):
            decoder.decode(view[start:start + _CHECK_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        _decode(name, data)  # raises, worded as for any other file
    return data


def _scan(name: str, handle: BinaryIO) -> _OnDisk:
    """The first pass over a file parsed as it is read: a chunk at a time, it checks the text is
    UTF-8 and finds its first character and any Helm template (whose hint must come before the
    YAML errors a template makes)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    first, template, tail = "", False, b""
    try:
        while chunk := handle.read(_CHECK_CHUNK):
            decoded = decoder.decode(chunk)
            if not first:
                found = _NOT_BLANK.search(decoded)
                first = found.group() if found else ""
            template = template or _HELM_TEMPLATE_BYTES.search(tail + chunk) is not None
            tail = chunk[-_TEMPLATE_OVERLAP:]
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        handle.seek(0)
        _decode(name, handle.read())  # raises, worded as for any other input
    return _OnDisk(name, first, template)


def _as_str(text: str | bytes) -> str:
    return text if isinstance(text, str) else text.decode("utf-8-sig")


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.at(Location(name), f"not UTF-8 text (byte {exc.start})") from None


def _too_large(name: str, size: int) -> InputError:
    limit = MAX_INPUT_BYTES // (1024 * 1024)
    return InputError.at(Location(name), f"input is {size} bytes, more than the {limit} MiB limit")


def _problem(location: Location, message: str) -> Diagnostic:
    return Diagnostic(location, Level.ERROR, message)


# --- text to documents ------------------------------------------------------------------------


# Inputs that are not manifests yet: a hint to render them first beats a YAML syntax error.
_RENDER_FIRST = {
    "Chart.yaml": "a Helm chart: render it first, e.g. `helm template CHART | np2calico ... -`",
    "kustomization.yaml": "a kustomization: render it first, e.g. `kustomize build DIR | np2calico ... -`",
    "kustomization.yml": "a kustomization: render it first, e.g. `kustomize build DIR | np2calico ... -`",
    "Kustomization": "a kustomization: render it first, e.g. `kustomize build DIR | np2calico ... -`",
}
_HELM_TEMPLATE = re.compile(r"\{\{-?\s*[.$\w(\"/]")
_HELM_TEMPLATE_BYTES = re.compile(_HELM_TEMPLATE.pattern.encode())
# The first character that is not blank, as str.strip() sees it (bytes: for ASCII text).
_NOT_BLANK = re.compile(r"\S")
_NOT_BLANK_BYTES = re.compile(rb"[^ \t\n\r\x0b\x0c\x1c-\x1f]")


def _documents_of(name: str, text: Text) -> Iterator[Document]:
    file = STDIN_NAME if name == "-" else name
    hint = _RENDER_FIRST.get(os.path.basename(file))
    if hint is None and _has_template(text):
        hint = "a Helm template ({{ ... }}): render it first, e.g. `helm template CHART | np2calico ... -`"
    if hint is not None:
        raise InputError.at(Location(file), hint)
    if file.endswith(".json") and not isinstance(text, _OnDisk):
        text = _as_str(text)  # the bytes go: json reads a str, and keeps all of it in memory anyway
    lists = _StreamedLists(file)
    for piece in _pieces(file, text):
        if piece.item is not None:
            yield from lists.item(piece)
        elif piece.value is not None:
            yield from lists.flush(piece.value)  # items that waited for the List's kind
            body = lists.finish(piece)
            if body is not None:
                yield from _flatten(file, piece.document, Location(file, piece.document), body)


def _has_template(text: Text) -> bool:
    if isinstance(text, _OnDisk):
        return text.template
    if isinstance(text, str):
        return _HELM_TEMPLATE.search(text) is not None
    return _HELM_TEMPLATE_BYTES.search(text) is not None


def _pieces(file: str, text: Text) -> Iterator[Piece]:
    """The documents of a text as JSON-like values; a YAML List's items one by one."""
    first = text.first if isinstance(text, _OnDisk) else _first_character(text)
    if not first:
        return  # empty input holds no documents, whatever its format
    if isinstance(text, _OnDisk):
        yield from _parse_yaml(file, Path(text.path))
        return
    if file.endswith(".json"):
        yield Piece(1, None, _parse_json(file, _as_str(text)), None)
        return
    if file == STDIN_NAME and first in "{[":
        try:  # stdin has no file name: JSON if it parses as JSON
            body = _parse_json(file, _as_str(text))
        except InputError:
            pass  # flow-style YAML starts the same way; the YAML parser has the last word
        else:
            yield Piece(1, None, body, None)
            return
    yield from _parse_yaml(file, text)


def _first_character(text: str | bytes) -> str:
    """The first character that is not blank, or "" when there is none."""
    if isinstance(text, bytes):
        found = _NOT_BLANK_BYTES.search(text, len(codecs.BOM_UTF8) if text.startswith(codecs.BOM_UTF8) else 0)
        if found is None:
            return ""
        if text[found.start()] < 0x80:
            return chr(text[found.start()])
        text = text.decode("utf-8-sig")  # blank beyond ASCII, as str sees it (rare)
    found_str = _NOT_BLANK.search(text)
    return found_str.group() if found_str else ""


def _parse_json(file: str, text: str) -> Any:
    try:
        body = json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError.at(
            Location(file), f"JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:
        raise InputError.at(Location(file), f"JSON error: {exc}") from None
    except RecursionError:
        raise _too_deep(file) from None
    if _nesting_depth(body) > MAX_NESTING_DEPTH:
        raise _too_deep(file)
    return body


def _too_deep(file: str) -> InputError:
    return InputError.at(Location(file), f"JSON nested deeper than {MAX_NESTING_DEPTH} levels; refused")


def _nesting_depth(value: Any, limit: int = MAX_NESTING_DEPTH) -> int:
    """Levels of collections in a JSON value, one level at a time (every collection of a level
    gathered by one comprehension: a 150,000-pod snapshot has millions); stops past `limit`."""
    depth = 0
    level = [value] if type(value) in (dict, list) else []
    while level and depth <= limit:
        depth += 1
        below: list[Any] = []
        for item in level:
            children = item.values() if type(item) is dict else item
            below += [c for c in children if c.__class__ is dict or c.__class__ is list]
        level = below
    return depth


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)  # in C; only a shorter dict sends us looking for the key written twice
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_yaml(file: str, text: str | bytes | Path) -> Iterator[Piece]:
    try:
        yield from iter_pieces(text, max_alias_nodes=MAX_ALIAS_EXPANSION, max_depth=MAX_NESTING_DEPTH)
    except YAMLRefused as exc:
        raise InputError.at(Location(file, exc.document), exc.message) from None


# --- List kinds -------------------------------------------------------------------------------


def _is_list(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("kind"), str) and body["kind"].endswith("List")


def _flatten(file: str, index: int, location: Location, body: Any) -> Iterator[Document]:
    if not _is_list(body):
        yield Document(file, index, location.path, body)
        return
    items = body.get("items")
    if items is None:
        return
    if not isinstance(items, list):
        raise InputError.at(location.child("items"), f"{body['kind']}.items must be a list")
    for i, item in enumerate(items):
        yield from _flatten(file, index, location.child("items").child(i), _typed_item(body, item))


class _StreamedLists:
    """Items of a YAML List handed out before its document ends. A typed list's items may omit
    their kind (`_typed_item`), and kubectl prints `kind` after `items`: such items wait for the
    List's kind (and so do those after them, to keep the order)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.waiting: list[Piece] = []

    def item(self, piece: Piece) -> Iterator[Document]:
        head = piece.head or {}
        if self.waiting or (_needs_kind(piece.value) and not _kind_known(head)):
            self.waiting.append(piece)
        else:
            yield from self._documents(piece, head)

    def finish(self, piece: Piece) -> Any:
        """The document, once its streamed items (if any) were handed out and its kind checked."""
        body = piece.value
        streamed = body.get("items") if type(body) is dict else None
        if type(streamed) is not StreamedItems:
            return body
        if not streamed.delivered:
            body["items"] = []  # nothing was handed out: judged as a whole document
            return body
        if not _is_list(body):
            kind = body.get("kind")
            what = f"kind {kind!r}" if isinstance(kind, str) else "no kind"
            where = Location(self.file, piece.document).child("items")
            raise InputError.at(where, f"items are read only from a List kind (List, PodList, ...): "
                                       f"this document has {what}")
        return None

    def flush(self, body: Any) -> Iterator[Document]:
        waiting, self.waiting = self.waiting, []
        for piece in waiting:
            yield from self._documents(piece, body)

    def _documents(self, piece: Piece, head: Any) -> Iterator[Document]:
        assert piece.item is not None
        location = Location(self.file, piece.document, f"items[{piece.item}]")
        item = _typed_item(head, piece.value) if _is_list(head) else piece.value
        yield from _flatten(self.file, piece.document, location, item)


def _needs_kind(item: Any) -> bool:
    return isinstance(item, dict) and "kind" not in item


def _kind_known(head: dict[str, Any]) -> bool:
    return _is_list(head) and "apiVersion" in head


def _typed_item(list_body: dict[str, Any], item: Any) -> Any:
    """Items of a typed list (`NetworkPolicyList` from the API) may omit their kind: fill it in."""
    kind = list_body["kind"][: -len("List")]
    if not kind or not isinstance(item, dict) or "kind" in item:
        return item
    filled = {"apiVersion": list_body.get("apiVersion"), "kind": kind}
    filled.update(item)
    return filled
