"""From changed cells back to a readable report: port ranges, CIDRs and lists of pods.

An item is an endpoint class (`ClassItem`) or an address cell (`ExternalItem`).
Changes are merged in steps, each exact (a `Change` never claims a connection that did
not change): adjacent ports with the same outcomes become ranges (`entries_of`); destinations
with the same entries for one source are collected; then sources with the same destinations
and entries are merged. Items only merge within one namespace (or "outside", or one host
endpoint), so the report groups cleanly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, Protocol

from translator.diff.result import Change, EndpointKind, Endpoints, Outcome
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


class ChangeKey(NamedTuple):
    """What changes must share to be merged: buckets of both ends, family and entries."""

    source_bucket: tuple[str, ...]
    destination_bucket: tuple[str, ...]
    family: int | None
    entries: tuple[Entry, ...]


class Collector:
    """Accumulates changed products (sources × destinations × entries) and merges them."""

    def __init__(self, classes: Sequence[Any]) -> None:
        self._classes = classes
        self._by_source: dict[ChangeKey, dict[Item, set[Item]]] = defaultdict(
            lambda: defaultdict(set))

    def add(self, source: Item, destinations: Iterable[Item], family: int | None,
            entries: tuple[Entry, ...], destination_bucket: tuple[str, ...]) -> None:
        key = ChangeKey(_bucket(source, self._classes), destination_bucket, family, entries)
        self._by_source[key][source].update(destinations)

    def bucket(self, item: Item) -> tuple[str, ...]:
        return _bucket(item, self._classes)

    def changes(self, describe: Callable[[Sequence[Pod]], str] | None) -> tuple[Change, ...]:
        found = []
        for key, targets in self._by_source.items():
            by_targets: dict[frozenset[Item], set[Item]] = defaultdict(set)
            for source, destinations in targets.items():
                by_targets[frozenset(destinations)].add(source)
            for shared, sources in by_targets.items():
                src = _endpoints(frozenset(sources), self._classes, describe)
                dst = _endpoints(shared, self._classes, describe)
                found += [Change(src, dst, e.protocol, e.ports, e.before, e.after, key.family)
                          for e in key.entries]
        return tuple(sorted(found, key=change_sort_key))


def _bucket(item: Item, classes: Sequence[Any]) -> tuple[str, ...]:
    """Items that may merge: pods of one namespace, one host-side endpoint, outside per family."""
    if isinstance(item, ExternalItem):
        return ("external", str(item.family))
    info = classes[item.position].rep
    if info.identity is not None:
        return ("host", info.identity)
    return ("pods", info.scope)


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
    names = sorted({_name(m.endpoint) for m in members if isinstance(m.endpoint, Pod)})
    return Endpoints(EndpointKind.PODS, rep.scope, names=tuple(names))


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
