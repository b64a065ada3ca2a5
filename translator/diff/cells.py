"""Building blocks of the diff engine: endpoint classes, view tables, port segments, rows.

A *row* holds, per protocol, the port segments of one decision (egress at a source, or ingress
at a destination) with the cause on each side; `changed_segments` walks an egress row and an
ingress row together and keeps the ports whose overall verdict changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from translator.diff.assemble import Segment
from translator.diff.atoms import Atoms
from translator.diff.result import Cause, Outcome
from translator.diff.space import AtomIndex, EndpointInfo
from translator.evaluate.verdict import Verdict
from translator.model.cluster import Connection
from translator.model.common import Direction, Protocol

Row = tuple[tuple[Segment, ...], ...]  # one tuple of segments per protocol, in PROTOCOLS order


@dataclass
class EndpointClass:
    rep: EndpointInfo
    members: list[EndpointInfo]


def atom_index(all_atoms: Iterable[Atoms]) -> AtomIndex:
    leaves: set[Any] = set()
    cidrs: set[Any] = set()
    names: set[tuple[str, Protocol]] = set()
    for atoms in all_atoms:
        leaves |= atoms.all_leaves
        cidrs |= atoms.cidrs
        names |= atoms.all_named_ports
    return AtomIndex(leaves, cidrs, names)


def endpoint_classes(infos: Iterable[EndpointInfo]) -> list[EndpointClass]:
    """Endpoints no policy can tell apart: same scope, kind, identity, families and atom vector."""
    grouped: dict[tuple[Any, ...], EndpointClass] = {}
    for info in infos:
        key = (info.scope or "", info.identity or "", info.kind, tuple(sorted(info.addresses)),
               info.bits)
        if key in grouped:
            grouped[key].members.append(info)
        else:
            grouped[key] = EndpointClass(info, [info])
    return list(grouped.values())


def connection(source: EndpointInfo, destination: EndpointInfo, protocol: Protocol, port: int,
                family: int | None) -> Connection:
    if family is None:
        return Connection(source.endpoint, destination.endpoint, protocol, port)
    return Connection(source.endpoint, destination.endpoint, protocol, port,
                      source.addresses[family], destination.addresses[family])


def external_connection(info: EndpointInfo, address: Any, protocol: Protocol, port: int,
                         family: int, direction: Direction) -> Connection:
    own = info.addresses.get(family)
    if direction is Direction.EGRESS:
        return Connection(info.endpoint, address, protocol, port, own, address)
    return Connection(address, info.endpoint, protocol, port, address, own)


def outcome(verdict: Verdict) -> Outcome:
    return Outcome(verdict.allowed, Cause.of(verdict.egress), Cause.of(verdict.ingress))


def append_segment(segments: list[Segment], first: int, last: int, before: Any, after: Any) -> None:
    """Add a cell, extending the previous segment when it ends just before with the same values."""
    if segments:
        p_first, p_last, p_before, p_after = segments[-1]
        if p_last + 1 == first and p_before == before and p_after == after:
            segments[-1] = Segment(p_first, last, before, after)
            return
    segments.append(Segment(first, last, before, after))


def changed_segments(egress: tuple[Segment, ...], ingress: tuple[Segment, ...]) -> tuple[Segment, ...]:
    """Walk both rows' port cells together; keep the cells whose overall verdict changes."""
    found: list[Segment] = []
    i = j = 0
    while i < len(egress) and j < len(ingress):
        e_first, e_last, e_before, e_after = egress[i]
        i_first, i_last, i_before, i_after = ingress[j]
        first, last = max(e_first, i_first), min(e_last, i_last)
        before_allowed = e_before.allowed and i_before.allowed
        after_allowed = e_after.allowed and i_after.allowed
        if before_allowed != after_allowed:
            before = Outcome(before_allowed, e_before, i_before)
            after = Outcome(after_allowed, e_after, i_after)
            append_segment(found, first, last, before, after)
        if e_last == last:
            i += 1
        if i_last == last:
            j += 1
    return tuple(found)
