"""A policy's rules indexed by the addresses their nets allow, for first-match scans.

A rule with `nets` on one side matches no packet whose address on that side is outside those
nets (`calico_match._address_matches`). A Kubernetes policy with 638 ipBlocks becomes 638 such
rules: scanning them all for every packet made a diff over a few hundred address cells cost tens
of seconds. The index gives, for a packet's two addresses, the rules that can still match, in
their order; every other field is still tested by `rule_matches`, so first-match is unchanged.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from translator.evaluate.calico_match import ResolvedEntity, ResolvedRule
from translator.model.common import IPAddress

# Below this many rules a plain scan is as fast as the index.
INDEXED_FROM = 8


class _Stabbing:
    """Per IP family, elementary address intervals with the positions of the rules covering them."""

    def __init__(self, covered: Sequence[tuple[int, ResolvedEntity]]) -> None:
        self._starts: dict[int, list[int]] = {}
        self._positions: dict[int, list[tuple[int, ...]]] = {}
        for family in (4, 6):
            events: dict[int, list[tuple[int, int]]] = {}
            for position, entity in covered:
                for first, last in entity.net_set.intervals(family):
                    events.setdefault(first, []).append((position, 1))
                    events.setdefault(last + 1, []).append((position, -1))
            if not events:
                continue
            starts: list[int] = []
            positions: list[tuple[int, ...]] = []
            active: dict[int, int] = {}
            for boundary in sorted(events):
                for position, change in events[boundary]:
                    active[position] = active.get(position, 0) + change
                    if not active[position]:
                        del active[position]
                starts.append(boundary)
                positions.append(tuple(sorted(active)))
            self._starts[family], self._positions[family] = starts, positions

    def at(self, address: IPAddress | None) -> tuple[int, ...]:
        """Positions of the rules whose nets hold `address` (none for an unknown address)."""
        if address is None:
            return ()
        starts = self._starts.get(address.version)
        if not starts:
            return ()
        found = bisect_right(starts, int(address)) - 1
        return self._positions[address.version][found] if found >= 0 else ()


class RuleIndex:
    """The rules of one policy and direction; `candidates` keeps their order."""

    def __init__(self, rules: tuple[ResolvedRule, ...]) -> None:
        self._rules = rules
        self._indexed = len(rules) >= INDEXED_FROM
        if not self._indexed:
            return
        by_source: list[tuple[int, ResolvedEntity]] = []
        by_destination: list[tuple[int, ResolvedEntity]] = []
        anywhere: list[int] = []
        for position, rule in enumerate(rules):
            if rule.source.nets:
                by_source.append((position, rule.source))
            elif rule.destination.nets:
                by_destination.append((position, rule.destination))
            else:
                anywhere.append(position)
        self._anywhere = tuple(anywhere)
        self._source = _Stabbing(by_source)
        self._destination = _Stabbing(by_destination)
        self._merged: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[ResolvedRule, ...]] = {}

    def candidates(self, source_ip: IPAddress | None,
                   destination_ip: IPAddress | None) -> tuple[ResolvedRule, ...]:
        """The rules that can match a packet between these addresses, in order."""
        if not self._indexed:
            return self._rules
        key = (self._source.at(source_ip), self._destination.at(destination_ip))
        found = self._merged.get(key)
        if found is None:
            positions = sorted({*self._anywhere, *key[0], *key[1]})
            found = self._merged[key] = tuple(self._rules[p] for p in positions)
        return found
