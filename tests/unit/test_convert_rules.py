"""Rule translation, construct by construct (semantics.md §2.8 and the three deliberate differences)."""

from __future__ import annotations

import pytest

from tests.builders import SCTP, TCP, UDP, block, pods, port, rule, sel
from translator.convert.rules import (
    PeerScope,
    coalesce,
    convert_rule,
    merge_ports,
    namespace_selector,
    pod_selector,
    protocol_ports,
)
from translator.model.calico import Action, EntityRule, Rule
from translator.model.common import Direction, LabelSelector, PortRange
from translator.model.k8s import NetworkPolicyRule
from translator.selectors import parse

NS = PeerScope("prod")
GLOBAL = PeerScope("prod", explicit=True)


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (LabelSelector(), "projectcalico.org/orchestrator == 'k8s'"),
        (
            sel({"b": "2", "a": "1"}),
            "projectcalico.org/orchestrator == 'k8s' && a == '1' && b == '2'",
        ),
        (
            sel(None, ("k", "DoesNotExist", ())),
            "projectcalico.org/orchestrator == 'k8s' && !has(k)",
        ),
    ],
    ids=["empty", "match-labels-sorted", "does-not-exist"],
)
def test_pod_selectors_carry_the_orchestrator_term(selector: LabelSelector, expected: str) -> None:
    assert pod_selector(selector).render() == expected


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (LabelSelector(), "all()"),
        (sel({"team": "x"}), "team == 'x'"),
        (
            sel(None, ("team", "NotIn", ("x",))),
            "has(projectcalico.org/name) && team != 'x'",
        ),
        (
            sel(None, ("team", "DoesNotExist", ())),
            "has(projectcalico.org/name) && !has(team)",
        ),
        (
            sel({"env": "prod"}, ("team", "NotIn", ("x", "y"))),
            "env == 'prod' && team not in {'x', 'y'}",
        ),
    ],
    ids=["empty-is-all", "positive", "not-in-made-positive", "does-not-exist-made-positive", "mixed"],
)
def test_namespace_selectors_never_match_an_entity_without_labels(
    selector: LabelSelector, expected: str
) -> None:
    translated = namespace_selector(selector)
    assert translated.render() == expected
    assert expected == "all()" or not translated.matches({})


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        ((), {None: None}),
        ((port(protocol=TCP),), {TCP: None}),
        ((port(80, TCP), port(protocol=TCP)), {TCP: None}),
        ((port(protocol=TCP), port(80, TCP)), {TCP: None}),
        (
            (port(53, UDP), port(53, TCP), port(9, SCTP)),
            {SCTP: (PortRange(9, 9),), TCP: (PortRange(53, 53),), UDP: (PortRange(53, 53),)},
        ),
        (
            (port(82, TCP), port("http", TCP), port(80, TCP, 81)),
            {TCP: ("http", PortRange(80, 82))},
        ),
    ],
    ids=["no-ports", "protocol-only", "all-ports-wins", "all-ports-wins-later", "protocol-major", "merged"],
)
def test_ports_are_grouped_by_protocol_and_merged(ports: tuple, expected: dict) -> None:
    assert dict(protocol_ports(ports)) == expected
    assert list(dict(protocol_ports(ports))) == list(expected)  # protocol-major order


def test_coalesce_joins_overlapping_and_adjacent_ranges() -> None:
    ranges = [
        PortRange(90, 95),
        PortRange(80, 80),
        PortRange(81, 85),
        PortRange(94, 100),
        PortRange(102, 102),
    ]
    assert coalesce(ranges) == (PortRange(80, 85), PortRange(90, 100), PortRange(102, 102))


def test_named_ports_come_first_without_repeats() -> None:
    specs = (PortRange(443, 443), "web", PortRange(80, 80), "dns", "web")
    assert merge_ports(specs) == ("web", "dns", PortRange(80, 80), PortRange(443, 443))


POD_PEER = pods(sel({"app": "db"}))
NS_PEER = pods(None, LabelSelector())
BLOCK_PEER = block("10.0.0.0/8", "10.1.0.0/16")
BLOCK = BLOCK_PEER.ip_block
DB = "projectcalico.org/orchestrator == 'k8s' && app == 'db'"
PODS = "projectcalico.org/orchestrator == 'k8s'"


def allow(
    protocol: str | None = None, source: EntityRule = EntityRule(), destination: EntityRule = EntityRule()
) -> Rule:
    return Rule(Action.ALLOW, protocol=protocol, source=source, destination=destination)


@pytest.mark.parametrize(
    ("rule", "direction", "scope", "expected"),
    [
        (rule(), Direction.INGRESS, NS, (allow(),)),
        (
            rule(POD_PEER),
            Direction.INGRESS,
            NS,
            (allow(source=EntityRule(selector=parse(DB))),),
        ),
        (
            rule(POD_PEER),
            Direction.INGRESS,
            GLOBAL,
            (
                allow(
                    source=EntityRule(
                        selector=parse(
                            "projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == 'prod'"
                            " && app == 'db'"
                        )
                    )
                ),
            ),
        ),
        (
            rule(NS_PEER),
            Direction.EGRESS,
            GLOBAL,
            (allow(destination=EntityRule(selector=parse(PODS), namespace_selector=parse("all()"))),),
        ),
        (
            rule(POD_PEER, BLOCK_PEER, ports=(port(53, UDP), port(53, TCP))),
            Direction.EGRESS,
            NS,
            (
                allow("TCP", destination=EntityRule(selector=parse(DB), ports=(PortRange(53, 53),))),
                allow(
                    "TCP",
                    destination=EntityRule(
                        nets=(BLOCK.cidr,), not_nets=BLOCK.except_, ports=(PortRange(53, 53),)
                    ),
                ),
                allow("UDP", destination=EntityRule(selector=parse(DB), ports=(PortRange(53, 53),))),
                allow(
                    "UDP",
                    destination=EntityRule(
                        nets=(BLOCK.cidr,), not_nets=BLOCK.except_, ports=(PortRange(53, 53),)
                    ),
                ),
            ),
        ),
        (
            rule(BLOCK_PEER, ports=(port("http", TCP), port(8080, TCP))),
            Direction.EGRESS,
            NS,
            (
                allow(
                    "TCP",
                    destination=EntityRule(
                        nets=(BLOCK.cidr,), not_nets=BLOCK.except_, ports=(PortRange(8080, 8080),)
                    ),
                ),
                allow(
                    "TCP",
                    destination=EntityRule(
                        namespace_selector=parse("all()"),
                        nets=(BLOCK.cidr,),
                        not_nets=BLOCK.except_,
                        ports=("http",),
                    ),
                ),
            ),
        ),
        (
            rule(ports=(port("http", TCP),)),
            Direction.INGRESS,
            NS,
            (allow("TCP", destination=EntityRule(ports=("http",))),),
        ),
    ],
    ids=[
        "allow-all",
        "same-namespace-pods",
        "same-namespace-pods-made-explicit-in-gnp",
        "all-namespaces",
        "protocol-major-peers-in-order",
        "named-egress-port-to-ipblock-restricted-to-pods",
        "named-ingress-port",
    ],
)
def test_convert_rule(
    rule: NetworkPolicyRule, direction: Direction, scope: PeerScope, expected: tuple
) -> None:
    assert convert_rule(rule, direction, scope) == expected
