"""Witness addresses look like a cluster's: pods in the pod CIDR, outside addresses from the
documentation ranges, whatever a policy's CIDR forces otherwise; and the witness still replays."""

from __future__ import annotations

import ipaddress

from tests.unit.test_verify import gnp
from tests.verify_helpers import assert_reproduces, policies
from translator.verify import verify

EMPTY = policies("")


def _addresses(found: dict[str, object]) -> dict[str, ipaddress.IPv4Address]:
    return {str(o["metadata"]["name"]): ipaddress.ip_address(o["status"]["podIP"])  # type: ignore[index]
            for o in found}  # type: ignore[attr-defined]


def test_pod_addresses_are_in_the_default_pod_cidr() -> None:
    b = policies(gnp("{action: Deny}", selector="app == 'db'"))
    result = verify(EMPTY, b)
    assert result.witness is not None
    assert_reproduces(result.witness, (EMPTY, b))
    pods = [o for o in result.witness.objects if o["kind"] == "Pod"]
    for address in _addresses(pods).values():  # type: ignore[arg-type]
        assert address in ipaddress.ip_network("10.244.0.0/16")
        assert int(address) & 0xFF not in (0, 255)


def test_pod_addresses_follow_the_pod_cidr_given() -> None:
    b = policies(gnp("{action: Deny}", selector="app == 'db'"))
    result = verify(EMPTY, b, pod_cidrs=(ipaddress.ip_network("172.20.0.0/16"),))
    assert result.witness is not None
    pods = [o for o in result.witness.objects if o["kind"] == "Pod"]
    assert all(a in ipaddress.ip_network("172.20.0.0/16") for a in _addresses(pods).values())  # type: ignore[arg-type]


def test_an_outside_address_comes_from_a_documentation_range() -> None:
    b = policies(gnp("{action: Deny, source: {notNets: [10.0.0.0/8]}}\n{action: Allow}"))
    result = verify(EMPTY, b)
    assert result.witness is not None
    assert_reproduces(result.witness, (EMPTY, b))
    source = ipaddress.ip_address(result.witness.source)
    assert source in ipaddress.ip_network("198.51.100.0/24")


def test_a_cidr_the_policy_names_wins_and_the_host_number_stays_plain() -> None:
    b = policies(gnp("{action: Deny, source: {nets: [192.168.7.0/24]}}\n{action: Allow}"))
    result = verify(EMPTY, b)
    assert result.witness is not None
    assert_reproduces(result.witness, (EMPTY, b))
    source = ipaddress.ip_address(result.witness.source)
    assert source in ipaddress.ip_network("192.168.7.0/24")
    assert int(source) & 0xFF not in (0, 255)
