"""One protocol value everywhere: what `protocol: "6"` means in a Calico rule or host endpoint port.

Upstream (api/pkg/lib/numorstring): a protocol is a Uint8OrString whose UnmarshalJSON reads a
quoted number as that number, and Protocol.SupportsPorts is true for 6, 17 and 132 whether named
or numbered. So `"6"`, `6` and `TCP` are the same protocol, TCP, with ports, for the loader, the
evaluator and the diff alike.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.test_load_calico import V3, load_objects, messages, np, only_policy, rule
from translator.diff.atoms import rule_protocols
from translator.evaluate.calico_match import resolve_rule
from translator.model.calico import Action, Rule
from translator.model.common import Protocol, RuleProtocol
from translator.render.calico import rule_manifest

SAME_AS_TCP: list[Any] = ["6", 6, "TCP", "tcp", Protocol.TCP]


@pytest.mark.parametrize(
    ("value", "number", "ported", "written"),
    [
        ("6", 6, Protocol.TCP, 6),
        (6, 6, Protocol.TCP, 6),
        ("TCP", 6, Protocol.TCP, "TCP"),
        ("tcp", 6, Protocol.TCP, "TCP"),
        ("17", 17, Protocol.UDP, 17),
        ("SCTP", 132, Protocol.SCTP, "SCTP"),
        ("icmpv6", 58, None, "ICMPv6"),
        ("UDPLite", 136, None, "UDPLite"),
        (1, 1, None, 1),
        (255, 255, None, 255),
    ],
)
def test_rule_protocol_values(value: Any, number: int, ported: Protocol | None, written: Any) -> None:
    protocol = RuleProtocol.of(value)
    assert (protocol.number, protocol.port_protocol, protocol.written) == (number, ported, written)
    assert protocol.supports_ports is (ported is not None)


@pytest.mark.parametrize("value", [0, 256, "0", "-6", "FOO", "", "６"])
def test_rule_protocol_refuses(value: Any) -> None:
    with pytest.raises(ValueError):
        RuleProtocol.of(value)


def test_names_and_numbers_are_one_protocol() -> None:
    assert len({RuleProtocol.of(v) for v in SAME_AS_TCP}) == 1
    assert RuleProtocol.of("6") != RuleProtocol.of("UDP")


@pytest.mark.parametrize("value", SAME_AS_TCP)
def test_every_reader_agrees_on_tcp(value: Any) -> None:
    built = Rule(Action.ALLOW, protocol=value)
    assert built.protocol == RuleProtocol(6)
    assert resolve_rule(built, 0, "dev", "ingress[0]").protocol == 6  # the evaluator
    assert rule_protocols(built) == (Protocol.TCP,)  # the diff's atoms


@pytest.mark.parametrize("value", ["6", 6, "TCP"])
def test_loader_accepts_ports_with_tcp_by_name_or_number(value: Any) -> None:
    body = np({"ingress": [rule(protocol=value, destination={"ports": [80]})]})
    policy = only_policy(load_objects(body))
    protocol = policy.spec.ingress[0].protocol
    assert protocol == RuleProtocol(6)
    assert rule_manifest(policy.spec.ingress[0])["protocol"] == (value if value == "TCP" else 6)


@pytest.mark.parametrize("value", ["6", 6, "TCP", "17", 132])
def test_host_endpoint_named_port_protocol_by_name_or_number(value: Any) -> None:
    port = {"name": "web", "port": 80, "protocol": value}
    spec = {"node": "n", "interfaceName": "eth0", "ports": [port]}
    loaded = load_objects({"apiVersion": V3, "kind": "HostEndpoint", "metadata": {"name": "h"}, "spec": spec})
    assert messages(loaded) == []
    (declared,) = loaded.host_endpoints[0].ports
    assert declared.protocol is RuleProtocol.of(value).port_protocol


def test_host_endpoint_named_port_needs_a_protocol_with_ports() -> None:
    port = {"name": "web", "port": 80, "protocol": "1"}
    spec = {"node": "n", "interfaceName": "eth0", "ports": [port]}
    loaded = load_objects({"apiVersion": V3, "kind": "HostEndpoint", "metadata": {"name": "h"}, "spec": spec})
    assert any("a named port needs protocol TCP, UDP or SCTP" in m for m in messages(loaded))
