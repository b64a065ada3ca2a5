"""A Kubernetes NetworkPolicy as Calico enforces it (libcalico-go/lib/backend/k8s/conversion).

Calico turns every Kubernetes NetworkPolicy into a Calico NetworkPolicy in tier `default` at
order 1000 (named `knp.default.<name>` up to v3.31), selecting
`projectcalico.org/orchestrator == 'k8s' && <podSelector>`, with one Allow rule per
(protocol × peer), protocols sorted (`""` < SCTP < TCP < UDP), peers in input order:

- ports are destination ports, merged per protocol: named first, then coalesced numeric ranges;
  `endPort` gives `port:endPort`; an entry without `port` opens every port of its protocol;
- an ipBlock peer gives `nets: [cidr]`, `notNets: except`;
- any other peer gives `selector: orchestrator == 'k8s' && <podSelector>` and a namespaceSelector:
  absent → none (the policy's own namespace), `{}` → `all()`, else the converted selector.

Unlike conversion.go we start from a *normalised* policy (semantics.md §2.8): Kubernetes
defaulting of `policyTypes` and port protocols is applied, and every CIDR was parsed by the
loader, so no rule can silently widen to "match everything".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from translator.evaluate.calico_scope import ORCHESTRATOR_K8S
from translator.model import calico, k8s
from translator.model.common import Direction, PortRange, Protocol, RuleProtocol
from translator.selectors import ORCHESTRATOR_LABEL, All, Equals, Selector, and_, from_label_selector

KNP_NAME_PREFIX = "knp.default."
_ALL_PORTS = None  # marks "every port of this protocol" in the per-protocol port table


@dataclass(frozen=True)
class ConvertedPolicy:
    """The Calico policy plus, for each converted rule, the Kubernetes rule/peer it came from."""

    policy: calico.NetworkPolicy
    ingress_origins: tuple[str, ...]
    egress_origins: tuple[str, ...]

    def origins(self, direction: Direction) -> tuple[str, ...]:
        return self.ingress_origins if direction is Direction.INGRESS else self.egress_origins


def pod_selector(selector: k8s.LabelSelector | None) -> Selector:
    """`projectcalico.org/orchestrator == 'k8s' && <labels>`: pods only, never host endpoints."""
    orchestrator = Equals(ORCHESTRATOR_LABEL, ORCHESTRATOR_K8S)
    if selector is None:
        return orchestrator
    return and_([orchestrator, from_label_selector(selector)])


def namespace_selector(selector: k8s.LabelSelector | None) -> Selector | None:
    """None keeps the policy's own namespace; `{}` is every namespace."""
    if selector is None:
        return None
    return All() if selector.is_empty else from_label_selector(selector)


def peer_entity(peer: k8s.NetworkPolicyPeer | None, ports: tuple[calico.PortSpec, ...]) -> calico.EntityRule:
    """The rule side describing `peer` (None: every peer); `ports` are only set on destinations."""
    if peer is None:
        return calico.EntityRule(ports=ports)
    if peer.ip_block is not None:
        return calico.EntityRule(nets=(peer.ip_block.cidr,), not_nets=peer.ip_block.except_, ports=ports)
    return calico.EntityRule(
        selector=pod_selector(peer.pod_selector),
        namespace_selector=namespace_selector(peer.namespace_selector),
        ports=ports,
    )


def simplify_ports(ports: Iterable[calico.PortSpec]) -> tuple[calico.PortSpec, ...]:
    """Named ports first (input order), then the numeric ports as coalesced sorted ranges."""
    named = [p for p in ports if isinstance(p, str)]
    ranges = sorted(p for p in ports if isinstance(p, PortRange))
    merged: list[PortRange] = []
    for r in ranges:
        if merged and r.start <= merged[-1].end + 1:
            merged[-1] = PortRange(merged[-1].start, max(merged[-1].end, r.end))
        else:
            merged.append(r)
    return (*dict.fromkeys(named), *merged)


def _port_spec(port: k8s.NetworkPolicyPort) -> calico.PortSpec | None:
    if port.port is None:
        return _ALL_PORTS
    if isinstance(port.port, str):
        return port.port
    return PortRange(port.port, port.end_port if port.end_port is not None else port.port)


def ports_by_protocol(
    ports: tuple[k8s.NetworkPolicyPort, ...],
) -> dict[str, tuple[calico.PortSpec, ...] | None]:
    """Protocol name → merged ports (None: every port); `""` → every protocol when no ports."""
    if not ports:
        return {"": _ALL_PORTS}
    table: dict[str, list[calico.PortSpec] | None] = {}
    for port in ports:
        protocol = (port.protocol or Protocol.TCP).value
        spec = _port_spec(port)
        if spec is _ALL_PORTS:
            table[protocol] = _ALL_PORTS
        elif protocol not in table or table[protocol] is not _ALL_PORTS:
            table.setdefault(protocol, []).append(spec)  # type: ignore[union-attr]
    return {p: (None if v is None else simplify_ports(v)) for p, v in sorted(table.items())}


def _origin(direction: Direction, rule_index: int, peer_index: int, peer: object, protocol: str) -> str:
    """`ingress[0].from[1] TCP`: the Kubernetes rule, peer and protocol a Calico rule stands for."""
    origin = f"{direction.value.lower()}[{rule_index}]"
    if peer is not None:
        origin += f".{'from' if direction is Direction.INGRESS else 'to'}[{peer_index}]"
    return f"{origin} {protocol}" if protocol else origin


def convert_rule(
    rule: k8s.NetworkPolicyRule, direction: Direction, rule_index: int
) -> list[tuple[calico.Rule, str]]:
    """One Allow rule per (protocol × peer), each with a note of where it came from."""
    peers: tuple[k8s.NetworkPolicyPeer | None, ...] = rule.peers or (None,)
    converted = []
    for protocol, ports in ports_by_protocol(rule.ports).items():
        for peer_index, peer in enumerate(peers):
            if direction is Direction.INGRESS:
                source, destination = peer_entity(peer, ()), calico.EntityRule(ports=ports or ())
            else:
                source, destination = calico.EntityRule(), peer_entity(peer, ports or ())
            number = RuleProtocol.of(protocol) if protocol else None
            action = calico.Rule(calico.Action.ALLOW, protocol=number, source=source, destination=destination)
            converted.append((action, _origin(direction, rule_index, peer_index, peer, protocol)))
    return converted


def _convert_rules(
    rules: tuple[k8s.NetworkPolicyRule, ...], direction: Direction
) -> tuple[tuple[calico.Rule, ...], tuple[str, ...]]:
    pairs = [pair for index, rule in enumerate(rules) for pair in convert_rule(rule, direction, index)]
    return tuple(r for r, _ in pairs), tuple(o for _, o in pairs)


def k8s_to_calico(policy: k8s.NetworkPolicy) -> ConvertedPolicy:
    """The Calico NetworkPolicy through which Calico enforces `policy` (normalised first)."""
    policy = policy if policy.policy_types is not None else k8s.normalise(policy)
    ingress, ingress_origins = _convert_rules(policy.ingress, Direction.INGRESS)
    egress, egress_origins = _convert_rules(policy.egress, Direction.EGRESS)
    types = tuple(d for d in (Direction.INGRESS, Direction.EGRESS) if policy.governs(d))
    spec = calico.PolicySpec(
        tier=calico.DEFAULT_TIER,
        order=calico.K8S_POLICY_ORDER,
        selector=pod_selector(policy.pod_selector),
        types=types,
        ingress=ingress,
        egress=egress,
    )
    metadata = calico.Metadata(name=KNP_NAME_PREFIX + policy.name, namespace=policy.namespace)
    converted = calico.NetworkPolicy(metadata, spec, origin=policy.origin)
    return ConvertedPolicy(converted, ingress_origins, egress_origins)
