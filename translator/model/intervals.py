"""Sets of addresses as sorted, merged integer intervals: membership by bisection.

A Calico rule or Kubernetes peer list may hold hundreds of CIDRs; testing an address against
each network object in turn made a 638-ipBlock policy cost seconds per diff. The set is built
once per rule, and a test is one bisection per family.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from translator.model.common import IPAddress, IPNetwork


class AddressSet:
    """The union of some networks (both families), as disjoint sorted intervals per family."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, networks: Iterable[IPNetwork]) -> None:
        by_family: dict[int, list[tuple[int, int]]] = {}
        for net in networks:
            by_family.setdefault(net.version, []).append(
                (int(net.network_address), int(net.broadcast_address)))
        self._starts: dict[int, list[int]] = {}
        self._ends: dict[int, list[int]] = {}
        for family, ranges in by_family.items():
            starts: list[int] = []
            ends: list[int] = []
            self._starts[family], self._ends[family] = starts, ends
            for first, last in sorted(ranges):
                if ends and first <= ends[-1] + 1:
                    ends[-1] = max(ends[-1], last)
                else:
                    starts.append(first)
                    ends.append(last)

    def __contains__(self, address: IPAddress) -> bool:
        starts = self._starts.get(address.version)
        if not starts:
            return False
        value = int(address)
        at = bisect_right(starts, value) - 1
        return at >= 0 and value <= self._ends[address.version][at]

    def intervals(self, family: int) -> list[tuple[int, int]]:
        """The disjoint inclusive integer intervals of one family, in order."""
        return list(zip(self._starts.get(family, []), self._ends.get(family, []), strict=True))

    def __bool__(self) -> bool:
        return bool(self._starts)
