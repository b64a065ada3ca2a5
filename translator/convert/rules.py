"""One Kubernetes rule → Calico Allow rules, the way Calico's own converter does it (semantics.md §2.8).

`libcalico-go/lib/backend/k8s/conversion/conversion.go` emits one Allow rule per (protocol × peer),
protocol-major (no protocol first, then SCTP < TCP < UDP), peers in input order; ports are
destination ports merged per protocol (`k8sRuleToCalico`, `SimplifyPorts`). This one converter
serves both the evaluator (`evaluate.knp`: Kubernetes policies as Calico enforces them,
`PeerScope.calico`) and np2calico's output, which differs in three deliberate ways, each an option
of `PeerScope`, that keep the meaning exact on every cluster:

- `spoof_proof_namespaces`: "the pod's namespace is N" is always written on the endpoint label
  `projectcalico.org/namespace`, never through a namespaceSelector on `projectcalico.org/name`
  (see `in_namespaces`): a same-namespace peer of a GlobalNetworkPolicy, and the
  `kubernetes.io/metadata.name` terms of a namespaceSelector; and every namespaceSelector we emit
  is *positive* (cannot match an entity without labels): Felix evaluates it over the endpoint's
  inherited namespace labels, which host endpoints and global network sets lack, so `k != 'v'`
  alone would also match them;
- `explicit`: a "same namespace" peer of a GlobalNetworkPolicy names its namespace, because a
  bare rule `selector` in a GNP matches every namespace (and host endpoints, and network sets);
- `pods_only_named_ports`: named egress ports towards an ipBlock or "every peer" get their own
  rule restricted to pods (`namespaceSelector: all()`): Calico resolves a named port on every
  endpoint that declares it, host endpoints included, while Kubernetes resolves it on the
  destination pod only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from translator.model.calico import Action, EntityRule, PortSpec, Rule
from translator.model.cluster import NAMESPACE_NAME_LABEL as K8S_NAMESPACE_NAME_LABEL
from translator.model.common import Direction, LabelSelector, PortRange, Protocol, RuleProtocol
from translator.model.k8s import NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule
from translator.selectors import (
    ENDPOINT_NAMESPACE_LABEL,
    NAMESPACE_NAME_LABEL,
    ORCHESTRATOR_LABEL,
    All,
    And,
    Equals,
    Has,
    In,
    Selector,
    and_,
    from_label_selector,
)

# Every pod Calico learns from Kubernetes carries this label; Calico's converter adds the term to
# every pod selector, which also keeps (namespaced) network sets out of pod peers.
K8S_PODS = Equals(ORCHESTRATOR_LABEL, "k8s")
# A namespaceSelector matching every namespace and nothing else (no host endpoint, no global set).
ANY_NAMESPACE = All()

# (protocol or None for "every protocol", ports or None for "every port"), in rule order.
ProtocolPorts = tuple[tuple[Protocol | None, tuple[PortSpec, ...] | None], ...]


@dataclass(frozen=True)
class PeerScope:
    """Where the rules are written (`namespace`), and how: np2calico's three differences from
    Calico's converter (module docstring), all on by default; `calico()` turns them off."""

    namespace: str
    explicit: bool = False
    spoof_proof_namespaces: bool = True
    pods_only_named_ports: bool = True

    @classmethod
    def calico(cls, namespace: str) -> PeerScope:
        """Calico's own conversion of a policy of `namespace`, as Felix enforces it."""
        return cls(namespace, explicit=False, spoof_proof_namespaces=False, pods_only_named_ports=False)


# The same selectors, peers and port lists recur across a policy set: translate each once.
@lru_cache(maxsize=65536)
def pod_selector(selector: LabelSelector) -> Selector:
    """A Kubernetes pod selector as Calico writes it: `projectcalico.org/orchestrator == 'k8s' && …`."""
    return and_([K8S_PODS, from_label_selector(selector)])


@lru_cache(maxsize=65536)
def namespace_selector(selector: LabelSelector, make_positive: bool = True) -> Selector:
    """A Kubernetes namespaceSelector as a Calico one (`{}` is `all()`); positive unless asked not
    to (Calico's own converter does not)."""
    translated = from_label_selector(selector)
    if isinstance(translated, All):
        return ANY_NAMESPACE
    return positive(translated) if make_positive else translated


def positive(selector: Selector) -> Selector:
    """The same selection of namespaces, guaranteed not to match an entity without labels.

    Every namespace carries `projectcalico.org/name`, so adding `has(…)` changes nothing for
    namespaces and excludes host endpoints and global network sets.
    """
    if isinstance(selector, All) or not selector.matches({}):
        return selector
    return and_([Has(NAMESPACE_NAME_LABEL), selector])


def in_namespaces(namespaces: Sequence[str]) -> Selector:
    """"The endpoint is in one of these namespaces", on a label no pod can set.

    Calico copies a pod's labels onto its workload endpoint and only then writes
    `projectcalico.org/namespace` (and `…/orchestrator`, `…/serviceaccount`) itself
    (libcalico-go/lib/backend/k8s/conversion/workload_endpoint_default.go), so the pod cannot
    override it. A namespaceSelector on `projectcalico.org/name` would instead be evaluated on the
    inherited `pcns.projectcalico.org/name`, which the pod's own labels override
    (felix/labelindex/label_inheritance_index.go: "endpoint labels take priority").
    """
    names = tuple(sorted(set(namespaces)))
    if len(names) == 1:
        return Equals(ENDPOINT_NAMESPACE_LABEL, names[0])
    return In(ENDPOINT_NAMESPACE_LABEL, names)


def within(namespaces: Sequence[str], selector: Selector) -> Selector:
    """`selector` (a pod selector starting with the orchestrator term) confined to `namespaces`."""
    rest = selector.operands if isinstance(selector, And) else (selector,)
    return and_([K8S_PODS, in_namespaces(namespaces), *(t for t in rest if t != K8S_PODS)])


def namespaces_selector(namespaces: Sequence[str]) -> Selector:
    """`projectcalico.org/name == 'ns'`, or `… in {…}` for several namespaces.

    Only for selecting *namespaces* (a label a pod can spoof through `pcns.`): the output names
    the namespace of a pod with `in_namespaces`.
    """
    names = tuple(sorted(set(namespaces)))
    return Equals(NAMESPACE_NAME_LABEL, names[0]) if len(names) == 1 else In(NAMESPACE_NAME_LABEL, names)


def split_by_name(selector: LabelSelector) -> tuple[LabelSelector, LabelSelector]:
    """A namespaceSelector as (terms on the namespace's name, terms on its other labels).

    The API server sets `kubernetes.io/metadata.name` to the namespace's name on every namespace
    and keeps it so, so its terms are terms on the name: the first part is returned re-keyed to
    `projectcalico.org/namespace`, for the endpoint selector, where a pod cannot spoof it.
    """
    key = K8S_NAMESPACE_NAME_LABEL
    by_name = LabelSelector(
        tuple((ENDPOINT_NAMESPACE_LABEL, v) for k, v in selector.match_labels if k == key),
        tuple(replace(r, key=ENDPOINT_NAMESPACE_LABEL) for r in selector.match_expressions if r.key == key),
    )
    others = LabelSelector(
        tuple((k, v) for k, v in selector.match_labels if k != key),
        tuple(r for r in selector.match_expressions if r.key != key),
    )
    return by_name, others


@lru_cache(maxsize=65536)
def peer_entity(peer: NetworkPolicyPeer, scope: PeerScope) -> EntityRule:
    """The endpoint half of an EntityRule (selectors or nets) for one Kubernetes peer."""
    if peer.ip_block is not None:
        return EntityRule(nets=(peer.ip_block.cidr,), not_nets=tuple(peer.ip_block.except_))
    pods = peer.pod_selector or LabelSelector()
    if peer.namespace_selector is not None and not scope.spoof_proof_namespaces:
        return EntityRule(selector=pod_selector(pods), namespace_selector=namespace_selector(
            peer.namespace_selector, make_positive=False))
    if peer.namespace_selector is not None:
        by_name, others = split_by_name(peer.namespace_selector)
        selector = and_([K8S_PODS, from_label_selector(by_name), from_label_selector(pods)])
        return EntityRule(selector=selector, namespace_selector=namespace_selector(others))
    if scope.explicit:
        return EntityRule(selector=within([scope.namespace], pod_selector(pods)))
    return EntityRule(selector=pod_selector(pods))


def depends_on_namespace(rule: NetworkPolicyRule) -> bool:
    """True when the rule has a podSelector-only peer, whose meaning is "pods of my namespace"."""
    return any(p.ip_block is None and p.namespace_selector is None for p in rule.peers)


# --- ports ------------------------------------------------------------------------------------


def _port_spec(port: NetworkPolicyPort) -> PortSpec | None:
    if port.port is None:
        return None
    if isinstance(port.port, str):
        return port.port
    return PortRange(port.port, port.end_port if port.end_port is not None else port.port)


@lru_cache(maxsize=65536)
def protocol_ports(ports: tuple[NetworkPolicyPort, ...]) -> ProtocolPorts:
    """Ports grouped by protocol, protocol-major; an entry without a port opens all of its protocol."""
    if not ports:
        return ((None, None),)
    groups: dict[Protocol | None, tuple[PortSpec, ...] | None] = {}
    for port in ports:
        assert port.protocol is not None, "rule used before normalise()"
        spec = _port_spec(port)
        if spec is None:
            groups[port.protocol] = None
        elif port.protocol not in groups or groups[port.protocol] is not None:
            groups[port.protocol] = (*(groups.get(port.protocol) or ()), spec)
    ordered = sorted(groups.items(), key=_protocol_key)
    return tuple((p, None if s is None else merge_ports(s)) for p, s in ordered)


def _protocol_key(item: tuple[Protocol | None, object]) -> str:
    return "" if item[0] is None else item[0].value


def merge_ports(specs: Iterable[PortSpec]) -> tuple[PortSpec, ...]:
    """Named ports first (input order, no repeats), then sorted, coalesced numeric ranges."""
    named = tuple(dict.fromkeys(s for s in specs if isinstance(s, str)))
    return named + coalesce(s for s in specs if isinstance(s, PortRange))


def coalesce(ranges: Iterable[PortRange]) -> tuple[PortRange, ...]:
    """The fewest ranges covering the same ports: overlapping and adjacent ranges join."""
    merged: list[PortRange] = []
    for current in sorted(ranges):
        if merged and current.start <= merged[-1].end + 1:
            last = merged[-1]
            merged[-1] = PortRange(last.start, max(last.end, current.end))
        else:
            merged.append(current)
    return tuple(merged)


# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvertedRule:
    """A Calico rule and what it stands for: the peer's index in the Kubernetes rule (None: the
    rule has no peers) and the protocol (None: every protocol)."""

    rule: Rule
    peer: int | None
    protocol: Protocol | None


def convert_rule_parts(
    rule: NetworkPolicyRule, direction: Direction, scope: PeerScope
) -> tuple[ConvertedRule, ...]:
    """One Kubernetes ingress/egress rule → Calico Allow rules (protocol-major, peers in order),
    each with the peer and protocol it came from."""
    peers: Sequence[NetworkPolicyPeer | None] = rule.peers or (None,)
    converted: list[ConvertedRule] = []
    for protocol, ports in protocol_ports(rule.ports):
        for index, peer in enumerate(peers):
            entity = EntityRule() if peer is None else peer_entity(peer, scope)
            where = None if peer is None else index
            rules = _rules_for(direction, protocol, ports or (), entity, scope.pods_only_named_ports)
            converted.extend(ConvertedRule(r, where, protocol) for r in rules)
    return tuple(converted)


def convert_rule(rule: NetworkPolicyRule, direction: Direction, scope: PeerScope) -> tuple[Rule, ...]:
    """One Kubernetes ingress/egress rule → Calico Allow rules (protocol-major, peers in order)."""
    return tuple(part.rule for part in convert_rule_parts(rule, direction, scope))


def _rules_for(
    direction: Direction,
    protocol: Protocol | None,
    ports: tuple[PortSpec, ...],
    peer: EntityRule,
    pods_only_named_ports: bool,
) -> tuple[Rule, ...]:
    proto = None if protocol is None else RuleProtocol.of(protocol)
    if direction is Direction.INGRESS:
        return (Rule(Action.ALLOW, protocol=proto, source=peer, destination=EntityRule(ports=ports)),)
    named = tuple(p for p in ports if isinstance(p, str))
    if not named or peer.has_endpoint_constraint or not pods_only_named_ports:
        return (Rule(Action.ALLOW, protocol=proto, destination=_with_ports(peer, ports)),)
    numeric = tuple(p for p in ports if not isinstance(p, str))
    pods_only = _with_ports(peer, named, namespace_selector=ANY_NAMESPACE)
    split = [_with_ports(peer, numeric)] if numeric else []
    return tuple(Rule(Action.ALLOW, protocol=proto, destination=d) for d in (*split, pods_only))


def _with_ports(
    peer: EntityRule, ports: tuple[PortSpec, ...], namespace_selector: Selector | None = None
) -> EntityRule:
    return EntityRule(
        selector=peer.selector,
        namespace_selector=namespace_selector or peer.namespace_selector,
        nets=peer.nets,
        not_nets=peer.not_nets,
        ports=ports,
    )


def convert_rules(
    rules: Sequence[NetworkPolicyRule], direction: Direction, scope: PeerScope
) -> tuple[Rule, ...]:
    return tuple(r for rule in rules for r in convert_rule(rule, direction, scope))
