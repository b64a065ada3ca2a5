"""The namespace × namespace view of a diff: one cell per (source group, destination group).

Rows are sources and columns destinations: every namespace (of the cluster and of the changes),
then the host side if it appears, then "outside the cluster". A cell counts the changes (the
entries of the JSON output) that are newly denied and newly allowed between its two groups. A
change whose side holds pods of several namespaces (`diff --group-namespaces`) counts in every cell
it spans, as its part between the two namespaces of that cell (the pods of each).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from translator.diff.result import HOST, OUTSIDE, Change, Endpoints


class CellState(str, Enum):
    UNCHANGED = "unchanged"
    NEWLY_DENIED = "newly denied"
    NEWLY_ALLOWED = "newly allowed"
    MIXED = "both"
    NOT_APPLICABLE = "not applicable"  # outside to outside: never a connection of the cluster


@dataclass(frozen=True)
class MatrixCell:
    source: str
    destination: str
    changes: tuple[Change, ...] = ()

    @property
    def newly_denied(self) -> int:
        return sum(1 for c in self.changes if not c.newly_allowed)

    @property
    def newly_allowed(self) -> int:
        return sum(1 for c in self.changes if c.newly_allowed)

    @property
    def state(self) -> CellState:
        if self.source == OUTSIDE and self.destination == OUTSIDE:
            return CellState.NOT_APPLICABLE
        if self.newly_denied and self.newly_allowed:
            return CellState.MIXED
        if self.newly_denied:
            return CellState.NEWLY_DENIED
        return CellState.NEWLY_ALLOWED if self.newly_allowed else CellState.UNCHANGED


@dataclass(frozen=True)
class Matrix:
    groups: tuple[str, ...]
    changed: Mapping[tuple[str, str], MatrixCell] = field(default_factory=dict)

    def cell(self, source: str, destination: str) -> MatrixCell:
        return self.changed.get((source, destination)) or MatrixCell(source, destination)

    # Summed over the cells: a change of several namespaces counts once per cell it spans.
    @property
    def newly_denied(self) -> int:
        return sum(c.newly_denied for c in self.changed.values())

    @property
    def newly_allowed(self) -> int:
        return sum(c.newly_allowed for c in self.changed.values())


def _parts(side: Endpoints) -> tuple[Endpoints, ...]:
    """The side as parts of one group each: its namespaces' pods, or itself."""
    return side.spans or (side,)


def cell_parts(change: Change) -> list[Change]:
    """The change once per cell it counts in, each restricted to the two groups of that cell (the
    change itself unless a side holds pods of several namespaces)."""
    if not change.source.spans and not change.destination.spans:
        return [change]
    return [Change(source, destination, change.protocol, change.ports, change.before, change.after,
                   change.family)
            for source in _parts(change.source) for destination in _parts(change.destination)]


def matrix_groups(changes: Iterable[Change], namespaces: Iterable[str] = ()) -> tuple[str, ...]:
    """Namespaces sorted, then `(host)` when a change involves it, then `(outside)` always."""
    found = set(namespaces)
    for change in changes:
        for side in (change.source, change.destination):
            found.update(part.group for part in _parts(side))
    special = [g for g in (HOST,) if g in found]
    return (*sorted(found - {HOST, OUTSIDE}), *special, OUTSIDE)


def build_matrix(changes: Iterable[Change], namespaces: Iterable[str] = ()) -> Matrix:
    changes = tuple(changes)
    by_pair: dict[tuple[str, str], list[Change]] = {}
    for change in changes:
        for part in cell_parts(change):
            by_pair.setdefault((part.source.group, part.destination.group), []).append(part)
    cells = {pair: MatrixCell(*pair, tuple(found)) for pair, found in sorted(by_pair.items())}
    return Matrix(matrix_groups(changes, namespaces), cells)
