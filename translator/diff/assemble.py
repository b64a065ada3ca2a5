"""From changed cells back to a readable report: port ranges, CIDRs and lists of pods.

An item is an endpoint class (`ClassItem`) or an address cell (`ExternalItem`).
Changes are merged in steps, each exact (a `Change` never claims a connection that did
not change): adjacent ports with the same outcomes become ranges (`entries_of`); destinations
with the same entries for one source are collected; then sources with the same destinations
and entries are merged. Items only merge within one namespace (or "outside", or one host
endpoint), so the report groups cleanly; with `group_namespaces`, pods of any namespaces merge
(and host endpoints with one another), so changes alike in many namespaces are one product.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from operator import itemgetter
from typing import Any, NamedTuple, Protocol

from translator.diff.result import Change, EndpointKind, Endpoints, Outcome, direction_between
from translator.diff.space import range_networks
from translator.model.cluster import Pod
from translator.model.common import PortRange
from translator.model.common import Protocol as NetProtocol


class ClassItem(NamedTuple):
    """An endpoint class, by its position in the engine's classes."""

    position: int


class ExternalItem(NamedTuple):
    """An address cell outside the cluster: inclusive integer bounds in one family."""

    family: int
    cell: tuple[int, int]


Item = ClassItem | ExternalItem


class Entry(NamedTuple):
    """One protocol's changed ports with the outcomes before and after."""

    protocol: NetProtocol
    ports: tuple[PortRange, ...]
    before: Outcome
    after: Outcome


class Segment(NamedTuple):
    """Ports first..last (inclusive) with a value on each side (Causes in rows, Outcomes after)."""

    first: int
    last: int
    before: Any
    after: Any


class ClassLike(Protocol):
    @property
    def members(self) -> Sequence[Any]: ...


def merge_ranges(cells: Iterable[tuple[int, int]]) -> tuple[PortRange, ...]:
    merged: list[list[int]] = []
    for first, last in sorted(cells):
        if merged and merged[-1][1] + 1 >= first:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return tuple(PortRange(a, b) for a, b in merged)


def entries_of(per_protocol: Iterable[tuple[NetProtocol, Iterable[Segment]]]) -> tuple[Entry, ...]:
    """Changed segments of each protocol as entries: ports merged per pair of outcomes."""
    entries: list[Entry] = []
    for protocol, segments in per_protocol:
        by_outcome: dict[tuple[Outcome, Outcome], list[tuple[int, int]]] = {}
        for first, last, before, after in segments:
            by_outcome.setdefault((before, after), []).append((first, last))
        entries += [Entry(protocol, merge_ranges(c), b, a) for (b, a), c in by_outcome.items()]
    return tuple(sorted(entries, key=lambda e: (e.protocol.value, e.ports[0].start)))


# Changes found from a source: destination scope and blocks, family, entries, the blocks' bucket.
Hit = tuple[str | None, tuple[ClassItem, ...], int | None, tuple[Entry, ...], tuple[str, ...]]


class ChangeKey(NamedTuple):
    """What changes must share to be merged: buckets of both ends, family and entries (by the
    number `Collector` gives each distinct tuple of entries)."""

    source_bucket: tuple[str, ...]
    destination_bucket: tuple[str, ...]
    family: int | None
    entries: int


class Collector:
    """Accumulates changed products (sources × destinations × entries) and merges them."""

    def __init__(self, classes: Sequence[Any], group_namespaces: bool = False) -> None:
        self._classes = classes
        self._group_namespaces = group_namespaces
        self._by_source: dict[ChangeKey, dict[Item, AbstractSet[Item]]] = {}
        # With `group_namespaces`: the sources of each shared walk, by the walk's list of hits.
        self._walks: dict[int, tuple[list[Hit], list[tuple[Item, str | None]]]] = {}
        self._buckets: dict[Item, tuple[str, ...]] = {}
        # Entries are compared by value, but the engine hands out the same few tuples again and
        # again: hashing their outcomes at every addition cost more than finding the changes.
        self._numbers: dict[tuple[Entry, ...], int] = {}
        self._by_id: dict[int, tuple[tuple[Entry, ...], int]] = {}
        self._entries: list[tuple[Entry, ...]] = []

    def _number(self, entries: tuple[Entry, ...]) -> int:
        found = self._by_id.get(id(entries))
        if found is not None and found[0] is entries:
            return found[1]
        number = self._numbers.setdefault(entries, len(self._entries))
        if number == len(self._entries):
            self._entries.append(entries)
        self._by_id[id(entries)] = (entries, number)  # holds `entries`: its id stays its own
        return number

    def add(self, source: Item, destinations: Iterable[Item], family: int | None,
            entries: tuple[Entry, ...], destination_bucket: tuple[str, ...]) -> None:
        key = ChangeKey(self.bucket(source), destination_bucket, family, self._number(entries))
        targets = self._by_source.get(key)
        if targets is None:
            targets = self._by_source[key] = {}
        found = targets.get(source)
        if found is None:
            targets[source] = set(destinations)
        else:
            found.update(destinations)  # type: ignore[attr-defined]  # sets until `_fold_walks`

    @property
    def groups_namespaces(self) -> bool:
        return self._group_namespaces

    def add_walk(self, source: Item, own_scope: str | None, hits: list[Hit]) -> None:
        """Every hit of a shared walk from `source`, but those towards `own_scope` (its namespace,
        whose pairs the engine finds apart). Only with `group_namespaces`: the walk's sources
        are then merged without visiting each pair (`_fold_walks`). `hits` may still grow."""
        found = self._walks.get(id(hits))
        if found is None:
            found = self._walks[id(hits)] = (hits, [])
        found[1].append((source, own_scope))

    def _fold_walks(self) -> None:
        """Each walk's hits as destination sets of its sources, built once per walk: a source
        whose pairs in its own namespace changed exactly as the walk's hits there (same
        destinations, same entries) gets the walk's whole set, shared (so hashed once), not a
        copy; otherwise its own set. With many namespaces alike (no policies, under a global
        default deny) this keeps the merge linear where pairs of namespaces are quadratic."""
        for hits, sources in self._walks.values():
            whole: dict[tuple[tuple[str, ...], int | None, int], set[Item]] = {}
            scoped: dict[tuple[tuple[str, ...], int | None, int], dict[str | None, set[Item]]] = {}
            for scope, targets, family, entries, bucket in hits:
                kind = (bucket, family, self._number(entries))
                whole.setdefault(kind, set()).update(targets)
                scoped.setdefault(kind, {}).setdefault(scope, set()).update(targets)
            shared = {key: frozenset(found) for key, found in whole.items()}
            for source, own_scope in sources:
                bucket = self.bucket(source)
                for (destination_bucket, family, number), everything in shared.items():
                    key = ChangeKey(bucket, destination_bucket, family, number)
                    mine = scoped[(destination_bucket, family, number)].get(own_scope) \
                        if own_scope is not None else None
                    by_source = self._by_source.setdefault(key, {})
                    alone = by_source.get(source)
                    if mine and alone == mine:
                        found = everything  # its own namespace changed as the others: shared
                    elif not mine:
                        found = everything | alone if alone else everything
                    else:
                        found = (everything - mine) | (alone or set())
                    if found:
                        by_source[source] = found
        self._walks = {}

    def _common_address_cells(self) -> None:
        """Outside addresses of one product on one partition. The engine cuts address cells per
        namespace (`_compute_external`), so with `group_namespaces` one product may hold cells of
        several namespaces that overlap (10.0.0.0/24 from one, 10.0.0.8-10.0.0.255 from another):
        as items they differ, and what changed alike for both namespaces was split into separate
        changes. Each cell is cut at every boundary of the others (exact: a cell's changes hold
        for each of its parts); without overlaps nothing changes."""
        for key, targets in self._by_source.items():
            if key.source_bucket[0] == "external":
                self._by_source[key] = _refined_sources(targets)
            elif key.destination_bucket[0] == "external":
                self._by_source[key] = _refined_destinations(targets)

    def bucket(self, item: Item) -> tuple[str, ...]:
        found = self._buckets.get(item)
        if found is None:
            found = self._buckets[item] = _bucket(item, self._classes, self._group_namespaces)
        return found

    def changes(self, describe: Callable[[Sequence[Pod]], str] | None) -> tuple[Change, ...]:
        self._fold_walks()
        if self._group_namespaces:
            self._common_address_cells()
        found: list[tuple[tuple[Any, ...], Change]] = []
        sides: dict[frozenset[Item], tuple[Endpoints, str, str]] = {}

        def side(items: frozenset[Item]) -> tuple[Endpoints, str, str]:
            known = sides.get(items)
            if known is None:
                endpoints = _endpoints(items, self._classes, describe)
                known = sides[items] = (endpoints, endpoints.describe(), endpoints.group)
            return known

        for key, targets in self._by_source.items():
            by_targets: dict[frozenset[Item], set[Item]] = defaultdict(set)
            for source, destinations in targets.items():
                by_targets[frozenset(destinations)].add(source)
            for shared, sources in by_targets.items():
                src, src_text, src_group = side(frozenset(sources))
                dst, dst_text, dst_group = side(shared)
                direction = direction_between(src, dst)
                for e in self._entries[key.entries]:
                    change = Change(src, dst, e.protocol, e.ports, e.before, e.after, key.family)
                    # `change_sort_key`, with each side described once
                    found.append(((src_group, dst_group, direction, src_text, dst_text,
                                   e.protocol.value, key.family or 0, e.ports[0].start if e.ports else 0,
                                   change.status), change))
        found.sort(key=itemgetter(0))
        return tuple(change for _, change in found)


Cell = tuple[int, int]


def _cell_parts(cells: Iterable[Cell]) -> dict[Cell, tuple[Cell, ...]] | None:
    """Each cell cut at every boundary of the others; None when no two cells overlap."""
    distinct = sorted(set(cells))
    if all(a[1] < b[0] for a, b in itertools.pairwise(distinct)):
        return None
    bounds = sorted({edge for first, last in distinct for edge in (first, last + 1)})
    parts = {}
    for first, last in distinct:
        at = bisect.bisect_left(bounds, first)
        stop = bisect.bisect_left(bounds, last + 1)
        parts[(first, last)] = tuple((bounds[i], bounds[i + 1] - 1) for i in range(at, stop))
    return parts


def _refined_sources(targets: dict[Item, AbstractSet[Item]]) -> dict[Item, AbstractSet[Item]]:
    """Outside sources on one partition, each part with the destinations of every cell holding it."""
    parts = _cell_parts(item.cell for item in targets if isinstance(item, ExternalItem))
    if parts is None:
        return targets
    refined: dict[Item, set[Item]] = defaultdict(set)
    for item, destinations in targets.items():
        assert isinstance(item, ExternalItem)
        for part in parts[item.cell]:
            refined[ExternalItem(item.family, part)].update(destinations)
    return dict(refined.items())


def _refined_destinations(targets: dict[Item, AbstractSet[Item]]) -> dict[Item, AbstractSet[Item]]:
    """Outside destinations on one partition (shared by every source of the product)."""
    parts = _cell_parts(d.cell for found in targets.values() for d in found if isinstance(d, ExternalItem))
    if parts is None:
        return targets
    return {source: {ExternalItem(d.family, part) for d in found if isinstance(d, ExternalItem)
                     for part in parts[d.cell]}
            for source, found in targets.items()}


def _bucket(item: Item, classes: Sequence[Any], group_namespaces: bool) -> tuple[str, ...]:
    """Items that may merge: pods of one namespace (of any, `group_namespaces`), one host-side
    endpoint (any), outside per family."""
    if isinstance(item, ExternalItem):
        return ("external", str(item.family))
    info = classes[item.position].rep
    if info.identity is not None:
        return ("host",) if group_namespaces else ("host", info.identity)
    return ("pods",) if group_namespaces else ("pods", info.scope)


def _endpoints(items: frozenset[Item], classes: Sequence[Any],
               describe: Callable[[Sequence[Pod]], str] | None) -> Endpoints:
    first = next(iter(items))
    if isinstance(first, ExternalItem):
        return Endpoints(EndpointKind.EXTERNAL, networks=_networks(items))
    members = [m for item in items if isinstance(item, ClassItem) for m in classes[item.position].members]
    rep = members[0]
    if rep.identity is not None:
        return Endpoints(EndpointKind.HOST, names=tuple(sorted({m.identity for m in members})))
    if describe is not None:
        pods = [m.endpoint for m in members]
        return Endpoints(EndpointKind.SYMBOLIC, rep.scope, conditions=describe(pods))
    by_scope: dict[str, set[str]] = defaultdict(set)
    for member in members:
        if isinstance(member.endpoint, Pod):
            by_scope[member.scope].add(_name(member.endpoint))
    if len(by_scope) > 1:  # pods of several namespaces: only with `group_namespaces`
        return Endpoints(EndpointKind.PODS, spans=tuple(
            Endpoints(EndpointKind.PODS, scope, names=tuple(sorted(names)))
            for scope, names in sorted(by_scope.items())))
    return Endpoints(EndpointKind.PODS, rep.scope, names=tuple(sorted(by_scope.get(rep.scope, ()))))


def _name(pod: Pod) -> str:
    """A pod by name, a workload as `kind/name` (`Endpoints.describe` reads it back)."""
    return pod.name if pod.workload is None else f"{pod.workload}/{pod.name}"


def _networks(items: frozenset[Item]) -> tuple[str, ...]:
    cells = sorted(item.cell for item in items if isinstance(item, ExternalItem))
    family = next(item.family for item in items if isinstance(item, ExternalItem))
    merged: list[list[int]] = []
    for first, last in cells:
        if merged and merged[-1][1] + 1 == first:
            merged[-1][1] = last
        else:
            merged.append([first, last])
    return tuple(str(net) for a, b in merged for net in range_networks((a, b), family))


def change_sort_key(change: Change) -> tuple[Any, ...]:
    return (change.source.group, change.destination.group, change.direction,
            change.source.describe(), change.destination.describe(), change.protocol.value,
            change.family or 0, change.ports[0].start if change.ports else 0, change.status)
