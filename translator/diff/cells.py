"""Building blocks of the diff engine: endpoint classes, view tables, port segments, rows.

A *row* holds, per protocol, the port segments of one decision (egress at a source, or ingress
at a destination) with the cause on each side; `changed_segments` walks an egress row and an
ingress row together and keeps the ports whose overall verdict changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from translator.diff.assemble import Segment
from translator.diff.atoms import Atoms
from translator.diff.result import Cause, Outcome
from translator.diff.space import AtomIndex, AtomVector, EndpointInfo, Positions, projector
from translator.evaluate.verdict import Verdict
from translator.model.cluster import Connection
from translator.model.common import Direction, Protocol

Row = tuple[tuple[Segment, ...], ...]  # one tuple of segments per protocol, in PROTOCOLS order


@dataclass
class EndpointClass:
    rep: EndpointInfo
    members: list[EndpointInfo]


class SparseViews:
    """Every view a set of vectors takes through given positions, one member per view, without
    reading every member: destinations are many, and each reads a few leaves of its own.

    A member's view through positions is its dense entries there and its flipped leaves among
    them (`projector`). Leaves flipped on many members are *common*: members are grouped by
    their dense entries (at `dense`, which must hold every dense position asked about) and
    their common flipped leaves. A query looks at the members flipping one of its other leaves
    one by one, and at one member of each group flipping none: every other member of that group
    looks exactly like it through the query's positions.
    """

    def __init__(self, vectors: Sequence[AtomVector], dense: Positions,
                 common_above: int | None = None) -> None:
        self._vectors = vectors
        self._dense = frozenset(dense.dense)
        postings: dict[int, list[int]] = {}
        for member, vector in enumerate(vectors):
            for leaf in vector.flipped:
                postings.setdefault(leaf, []).append(member)
        if common_above is None:  # a query then reads at most about √members one by one per leaf
            common_above = max(8, math.isqrt(len(vectors)))
        self._common = frozenset(leaf for leaf, found in postings.items()
                                 if len(found) > common_above)
        self._postings = {leaf: found for leaf, found in postings.items() if leaf not in self._common}
        pick = projector(dense)
        groups: dict[tuple[Any, ...], list[int]] = {}
        for member, vector in enumerate(vectors):
            groups.setdefault((pick(vector), vector.flipped & self._common), []).append(member)
        self._groups = list(groups.values())

    def members(self, positions: Positions, usable: Callable[[int], bool]) -> dict[Any, int]:
        """One `usable` member per view through `positions` that a usable member takes."""
        pick = projector(positions)
        vectors = self._vectors
        views: dict[Any, int] = {}
        if not self._dense.issuperset(positions.dense):  # not what the groups were built for
            for member, vector in enumerate(vectors):
                if usable(member):
                    views.setdefault(pick(vector), member)
            return views
        apart: set[int] = set()
        for leaf in positions.leaves:
            apart.update(self._postings.get(leaf, ()))
        for member in apart:
            if usable(member):
                views.setdefault(pick(vectors[member]), member)
        for group in self._groups:
            for member in group:
                if member not in apart and usable(member):
                    views.setdefault(pick(vectors[member]), member)
                    break
        return views


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
