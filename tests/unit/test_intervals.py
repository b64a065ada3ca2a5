"""`AddressSet` answers membership exactly like testing every network in turn."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from translator.model.common import network_in
from translator.model.intervals import AddressSet

V4 = st.builds(ipaddress.IPv4Address, st.integers(0, 2**32 - 1))
V6 = st.builds(ipaddress.IPv6Address, st.integers(0, 2**128 - 1))


@st.composite
def networks(draw: st.DrawFn) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if draw(st.booleans()):
        return ipaddress.IPv4Network((draw(V4), draw(st.integers(0, 32))), strict=False)
    return ipaddress.IPv6Network((draw(V6), draw(st.integers(0, 128))), strict=False)


@given(st.lists(networks(), max_size=12), st.lists(st.one_of(V4, V6), max_size=12))
def test_membership_matches_a_scan(nets: list, addresses: list) -> None:
    found = AddressSet(nets)
    assert bool(found) == bool(nets)
    probes = [*addresses]
    for net in nets:  # the edges of every network, and one past them
        for value in (int(net.network_address) - 1, int(net.network_address),
                      int(net.broadcast_address), int(net.broadcast_address) + 1):
            if 0 <= value < 2 ** net.max_prefixlen:
                probes.append(ipaddress.ip_address(value) if net.version == 4
                              else ipaddress.IPv6Address(value))
    for address in probes:
        assert (address in found) == any(network_in(address, n) for n in nets)
