"""From changed cells back to a readable report: port ranges, CIDRs and lists of pods.

Records are (source item, destination item, family, protocol, port cell, before, after) where an
item is an endpoint class (`("class", index)`) or an address cell (`("external", family, cell)`).
They are merged in three steps, each exact (a `Change` never claims a connection that did not
change): adjacent ports with the same outcomes become ranges; sources with the same changes
towards the same destinations are merged; then destinations with the same sources. Items only
merge within one namespace (or "outside", or one host endpoint), so the report groups cleanly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, Protocol

from translator.diff.result import Change, EndpointKind, Endpoints, Outcome
from translator.diff.space import range_networks
from translator.model.cluster import HostEndpoint, Pod
from translator.model.common import PortRange
from translator.model.common import Protocol as NetProtocol

Item = tuple[Any, ...]


class Record(NamedTuple):
    source: Item
    destination: Item
    family: int | None
    protocol: NetProtocol
    first: int
    last: int
    before: Outcome
    after: Outcome


class ClassLike(Protocol):
    @property
    def members(self) -> Sequence[Any]: ...


def _port_ranges(records: Iterable[Record]) -> dict[tuple[Any, ...], tuple[PortRange, ...]]:
    """Per (source, destination, family, protocol, before, after): merged port ranges."""
    cells: dict[tuple[Any, ...], list[tuple[int, int]]] = defaultdict(list)
    for r in records:
        cells[(r.source, r.destination, r.family, r.protocol, r.before, r.after)].append(
            (r.first, r.last))
    return {key: _merge_ranges(found) for key, found in cells.items()}


def _merge_ranges(cells: list[tuple[int, int]]) -> tuple[PortRange, ...]:
    merged: list[list[int]] = []
    for first, last in sorted(cells):
        if merged and merged[-1][1] + 1 >= first:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return tuple(PortRange(a, b) for a, b in merged)


def _bucket(item: Item, classes: Sequence[Any]) -> tuple[str, ...]:
    """Items that may merge: pods of one namespace, one host-side endpoint, outside per family."""
    if item[0] == "external":
        return ("external", str(item[1]))
    info = classes[item[1]].rep
    if info.identity is not None:
        return ("host", info.identity)
    return ("pods", info.scope)


def _merge_products(ranges: dict[tuple[Any, ...], tuple[PortRange, ...]],
                    classes: Sequence[Any]) -> list[tuple[frozenset[Item], frozenset[Item], tuple[Any, ...]]]:
    """Sources with the same changes to the same destinations, then the converse."""
    by_source: dict[tuple[Any, ...], dict[Item, set[Item]]] = defaultdict(lambda: defaultdict(set))
    for (source, destination, family, protocol, before, after), ports in ranges.items():
        rest = (_bucket(source, classes), _bucket(destination, classes), family, protocol,
                ports, before, after)
        by_source[rest][source].add(destination)
    products = []
    for rest, targets in by_source.items():
        by_targets: dict[frozenset[Item], set[Item]] = defaultdict(set)
        for source, destinations in targets.items():
            by_targets[frozenset(destinations)].add(source)
        products.extend((frozenset(s), d, rest) for d, s in by_targets.items())
    return products


def _endpoints(items: frozenset[Item], classes: Sequence[Any],
               describe: Callable[[Sequence[Pod]], str] | None) -> Endpoints:
    first = next(iter(items))
    if first[0] == "external":
        return Endpoints(EndpointKind.EXTERNAL, networks=_networks(items))
    members = [m for item in items for m in classes[item[1]].members]
    rep = members[0]
    if rep.identity is not None:
        return Endpoints(EndpointKind.HOST, names=tuple(sorted({m.identity for m in members})))
    if describe is not None:
        pods = [m.endpoint for m in members]
        return Endpoints(EndpointKind.SYMBOLIC, rep.scope, conditions=describe(pods))
    names = sorted({m.endpoint.name for m in members if not isinstance(m.endpoint, HostEndpoint)})
    return Endpoints(EndpointKind.PODS, rep.scope, names=tuple(names))


def _networks(items: frozenset[Item]) -> tuple[str, ...]:
    family = next(iter(items))[1]
    cells = sorted(item[2] for item in items)
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


def assemble(records: Sequence[Record], classes: Sequence[Any],
             describe: Callable[[Sequence[Pod]], str] | None = None) -> tuple[Change, ...]:
    """The report's changes, merged and sorted deterministically."""
    changes = []
    for sources, destinations, rest in _merge_products(_port_ranges(records), classes):
        _, _, family, protocol, ports, before, after = rest
        changes.append(Change(_endpoints(sources, classes, describe),
                              _endpoints(destinations, classes, describe),
                              protocol, ports, before, after, family))
    return tuple(sorted(changes, key=change_sort_key))
