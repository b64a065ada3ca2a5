"""Builders for model objects that many test files need, written once (sqlglot keeps its test
helpers in one place the same way). Short names, keyword options, model types out."""

from __future__ import annotations

from translator.model.calico import EntityRule
from translator.model.common import (
    Direction,
    LabelSelector,
    LabelSelectorRequirement,
    PortRange,
    Protocol,
    SelectorOperator,
    parse_network,
)
from translator.model.k8s import (
    IPBlock,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
)
from translator.selectors import parse

INGRESS = (Direction.INGRESS,)
EGRESS = (Direction.EGRESS,)
BOTH = (Direction.INGRESS, Direction.EGRESS)
TCP, UDP, SCTP = Protocol.TCP, Protocol.UDP, Protocol.SCTP


# --- Kubernetes ------------------------------------------------------------------------------


def sel(labels: dict[str, str] | None = None, *exprs: tuple[str, str, tuple[str, ...]]) -> LabelSelector:
    """`sel({"app": "web"}, ("tier", "In", ("a", "b")))`."""
    reqs = (LabelSelectorRequirement(k, SelectorOperator(op), v) for k, op, v in exprs)
    return LabelSelector.of(labels, *reqs)


def pol(
    name: str,
    select: LabelSelector | None = None,
    *,
    ns: str = "default",
    types: tuple[Direction, ...] | None = None,
    ingress: tuple[NetworkPolicyRule, ...] = (),
    egress: tuple[NetworkPolicyRule, ...] = (),
) -> NetworkPolicy:
    """A NetworkPolicy as written (not normalised): `types=None` leaves policyTypes absent."""
    return NetworkPolicy(ns, name, select or LabelSelector(), types, ingress, egress)


def rule(*peers: NetworkPolicyPeer, ports: tuple[NetworkPolicyPort, ...] = ()) -> NetworkPolicyRule:
    return NetworkPolicyRule(ports, peers)


def port(
    number: int | str | None = None, protocol: Protocol | None = None, end: int | None = None
) -> NetworkPolicyPort:
    return NetworkPolicyPort(protocol, number, end)


def pods(labels: LabelSelector | None = None, namespaces: LabelSelector | None = None) -> NetworkPolicyPeer:
    return NetworkPolicyPeer(pod_selector=labels, namespace_selector=namespaces)


def block(cidr: str, *excepted: str) -> NetworkPolicyPeer:
    return NetworkPolicyPeer(ip_block=IPBlock(parse_network(cidr), tuple(parse_network(e) for e in excepted)))


# --- Calico ----------------------------------------------------------------------------------

PortText = int | str | tuple[int, int]


def _port_spec(p: PortText) -> PortRange | str:
    if isinstance(p, tuple):
        return PortRange(*p)
    return PortRange.single(p) if isinstance(p, int) else p


def ent(
    selector: str | None = None,
    *,
    not_selector: str | None = None,
    ns: str | None = None,
    nets: tuple[str, ...] = (),
    not_nets: tuple[str, ...] = (),
    ports: tuple[PortText, ...] = (),
    not_ports: tuple[PortText, ...] = (),
) -> EntityRule:
    """A rule side from text: selectors parsed, CIDRs parsed, ports as 80, "http" or (80, 90)."""
    return EntityRule(
        selector=parse(selector) if selector is not None else None,
        not_selector=parse(not_selector) if not_selector is not None else None,
        namespace_selector=parse(ns) if ns is not None else None,
        nets=tuple(parse_network(n) for n in nets),
        not_nets=tuple(parse_network(n) for n in not_nets),
        ports=tuple(_port_spec(p) for p in ports),
        not_ports=tuple(_port_spec(p) for p in not_ports),
    )
