"""Rule translation, construct by construct (semantics.md §2.8 and the three deliberate differences)."""

from __future__ import annotations

import pytest

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
from translator.model.common import (
    Direction,
    LabelSelector,
    LabelSelectorRequirement,
    PortRange,
    Protocol,
    SelectorOperator,
    parse_network,
)
from translator.model.k8s import IPBlock, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule
from translator.selectors import parse

TCP, UDP, SCTP = Protocol.TCP, Protocol.UDP, Protocol.SCTP
NS = PeerScope("prod")
GLOBAL = PeerScope("prod", explicit=True)


def sel(text: str) -> object:
    return parse(text)


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (LabelSelector(), "projectcalico.org/orchestrator == 'k8s'"),
        (
            LabelSelector.of({"b": "2", "a": "1"}),
            "projectcalico.org/orchestrator == 'k8s' && a == '1' && b == '2'",
        ),
        (
            LabelSelector.of(None, LabelSelectorRequirement("k", SelectorOperator.DOES_NOT_EXIST)),
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
        (LabelSelector.of({"team": "x"}), "team == 'x'"),
        (
            LabelSelector.of(None, LabelSelectorRequirement("team", SelectorOperator.NOT_IN, ("x",))),
            "has(projectcalico.org/name) && team != 'x'",
        ),
        (
            LabelSelector.of(None, LabelSelectorRequirement("team", SelectorOperator.DOES_NOT_EXIST)),
            "has(projectcalico.org/name) && !has(team)",
        ),
        (
            LabelSelector.of(
                {"env": "prod"}, LabelSelectorRequirement("team", SelectorOperator.NOT_IN, ("x", "y"))
            ),
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
        ((NetworkPolicyPort(TCP),), {TCP: None}),
        ((NetworkPolicyPort(TCP, 80), NetworkPolicyPort(TCP)), {TCP: None}),
        ((NetworkPolicyPort(TCP), NetworkPolicyPort(TCP, 80)), {TCP: None}),
        (
            (NetworkPolicyPort(UDP, 53), NetworkPolicyPort(TCP, 53), NetworkPolicyPort(SCTP, 9)),
            {SCTP: (PortRange(9, 9),), TCP: (PortRange(53, 53),), UDP: (PortRange(53, 53),)},
        ),
        (
            (NetworkPolicyPort(TCP, 82), NetworkPolicyPort(TCP, "http"), NetworkPolicyPort(TCP, 80, 81)),
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


POD_PEER = NetworkPolicyPeer(pod_selector=LabelSelector.of({"app": "db"}))
NS_PEER = NetworkPolicyPeer(namespace_selector=LabelSelector())
BLOCK = IPBlock(parse_network("10.0.0.0/8"), (parse_network("10.1.0.0/16"),))
BLOCK_PEER = NetworkPolicyPeer(ip_block=BLOCK)
DB = "projectcalico.org/orchestrator == 'k8s' && app == 'db'"
PODS = "projectcalico.org/orchestrator == 'k8s'"


def allow(
    protocol: str | None = None, source: EntityRule = EntityRule(), destination: EntityRule = EntityRule()
) -> Rule:
    return Rule(Action.ALLOW, protocol=protocol, source=source, destination=destination)


@pytest.mark.parametrize(
    ("rule", "direction", "scope", "expected"),
    [
        (NetworkPolicyRule(), Direction.INGRESS, NS, (allow(),)),
        (
            NetworkPolicyRule(peers=(POD_PEER,)),
            Direction.INGRESS,
            NS,
            (allow(source=EntityRule(selector=sel(DB))),),
        ),
        (
            NetworkPolicyRule(peers=(POD_PEER,)),
            Direction.INGRESS,
            GLOBAL,
            (
                allow(
                    source=EntityRule(
                        selector=sel(
                            "projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == 'prod'"
                            " && app == 'db'"
                        )
                    )
                ),
            ),
        ),
        (
            NetworkPolicyRule(peers=(NS_PEER,)),
            Direction.EGRESS,
            GLOBAL,
            (allow(destination=EntityRule(selector=sel(PODS), namespace_selector=sel("all()"))),),
        ),
        (
            NetworkPolicyRule(
                ports=(NetworkPolicyPort(UDP, 53), NetworkPolicyPort(TCP, 53)), peers=(POD_PEER, BLOCK_PEER)
            ),
            Direction.EGRESS,
            NS,
            (
                allow("TCP", destination=EntityRule(selector=sel(DB), ports=(PortRange(53, 53),))),
                allow(
                    "TCP",
                    destination=EntityRule(
                        nets=(BLOCK.cidr,), not_nets=BLOCK.except_, ports=(PortRange(53, 53),)
                    ),
                ),
                allow("UDP", destination=EntityRule(selector=sel(DB), ports=(PortRange(53, 53),))),
                allow(
                    "UDP",
                    destination=EntityRule(
                        nets=(BLOCK.cidr,), not_nets=BLOCK.except_, ports=(PortRange(53, 53),)
                    ),
                ),
            ),
        ),
        (
            NetworkPolicyRule(
                ports=(NetworkPolicyPort(TCP, "http"), NetworkPolicyPort(TCP, 8080)), peers=(BLOCK_PEER,)
            ),
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
                        namespace_selector=sel("all()"),
                        nets=(BLOCK.cidr,),
                        not_nets=BLOCK.except_,
                        ports=("http",),
                    ),
                ),
            ),
        ),
        (
            NetworkPolicyRule(ports=(NetworkPolicyPort(TCP, "http"),)),
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
