"""The units the pair walk of `semantic` visits: blocks of classes, and peer types of blocks.

- A *block* is the classes of one scope that no decision can tell apart in any role: same view
  as a subject of either direction, same view as a peer of either direction inside their
  namespace, and same view through every position any subject of any scope reads on a peer of
  another namespace. Classes of a block have the same rows towards and from every endpoint, so
  the walk visits the block once and the report lists all its members.
- A *peer type* is the blocks of all scopes that subjects of other namespaces cannot tell apart
  (the same view through those positions). A source's egress peer positions are a subset of
  them, so its destination groups are unions of peer types: grouping costs one step per peer
  type, not one per class, and no scope copies a destination table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from translator.diff.cells import EndpointClass
from translator.diff.space import AtomVector, Positions, projector


class DestinationKey(NamedTuple):
    """Destinations deciding ingress alike: their scope and their view as its ingress subject."""

    scope: str | None
    ingress_view: int


@dataclass
class PeerType:
    """Blocks no subject can tell apart as peers of another namespace, by `DestinationKey`."""

    rep: int  # a class of one of its blocks: the view of every block of the type
    members: dict[DestinationKey, list[int]] = field(default_factory=dict)
    # (scope, class) of its first blocks in up to two scopes: a peer outside any one namespace
    outside: list[tuple[str | None, int]] = field(default_factory=list)


def merge_blocks(classes: Sequence[EndpointClass], by_scope: Mapping[str | None, Sequence[int]],
                 other: Positions,
                 own: Mapping[str | None, Positions]) -> tuple[list[EndpointClass], list[int]]:
    """The blocks of every scope (classes alike through `other` and through the scope's `own`
    positions), in class order, and the class each block was built from (its representative)."""
    blocks: list[EndpointClass] = []
    first: list[int] = []
    seen = projector(other)
    for scope, members in by_scope.items():
        pick = projector(own[scope])
        grouped: dict[tuple[Any, ...], list[int]] = {}
        for index in members:
            bits = classes[index].rep.bits
            grouped.setdefault((seen(bits), pick(bits)), []).append(index)
        for group in grouped.values():
            merged = [member for index in group for member in classes[index].members]
            blocks.append(EndpointClass(classes[group[0]].rep, merged))
            first.append(group[0])
    return blocks, first


class PeerTypes:
    """Every block as a peer of another namespace, and destination groups per egress positions."""

    def __init__(self, blocks: Sequence[EndpointClass], first: Sequence[int],
                 positions: Positions, ingress_view: Sequence[int]) -> None:
        pick = projector(positions)
        interned: dict[tuple[Any, ...], int] = {}
        self.types: list[PeerType] = []
        self.of_block: list[int] = []
        for block, cls in zip(blocks, first, strict=True):
            number = interned.setdefault(pick(block.rep.bits), len(interned))
            if number == len(self.types):
                self.types.append(PeerType(cls))
            found = self.types[number]
            scope = block.rep.scope
            found.members.setdefault(DestinationKey(scope, ingress_view[cls]), []).append(len(self.of_block))
            if len(found.outside) < 2 and all(s != scope for s, _ in found.outside):
                found.outside.append((scope, cls))
            self.of_block.append(number)
        self._groups: dict[Positions, tuple[int, list[list[int]]]] = {}

    def groups(self, positions: Positions,
               vectors: Sequence[AtomVector]) -> tuple[int, list[list[int]]]:
        """A number for `positions`, and the peer types grouped by their view through them
        (`positions` must be a subset of the types' own); `vectors` are the classes' atoms."""
        found = self._groups.get(positions)
        if found is None:
            pick = projector(positions)
            grouped: dict[tuple[Any, ...], list[int]] = {}
            for number, peer in enumerate(self.types):
                grouped.setdefault(pick(vectors[peer.rep]), []).append(number)
            found = self._groups[positions] = (len(self._groups), list(grouped.values()))
        return found

    def outside(self, group: Iterable[int], scope: str | None) -> int | None:
        """A class of the group outside namespace `scope` (any class for the global scope)."""
        for number in group:
            for found_scope, cls in self.types[number].outside:
                if scope is None or found_scope != scope:
                    return cls
        return None
