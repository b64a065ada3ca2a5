"""The atoms policies test: what can tell two endpoints, ports or addresses apart.

A verdict is a function of the truth values of every selector leaf, CIDR and named port the
policies mention, plus the namespace relations a namespaced policy adds (its own namespace). So
two endpoints that agree on all of them get the same verdicts, and the diff evaluates one of them.

Atoms are collected per *scope*: the policies that can apply to an endpoint. A pod of namespace
`ns` can only be selected by the namespaced policies of `ns` (Kubernetes and Calico, staged ones
included) and by global policies; a host endpoint (or host-network pod) only by global policies.
Selector leaves are kept whole (`app == 'x'`, a Kubernetes `In` requirement, …): any selector is
a boolean function of its leaves, however Calico rewrites it (`pcns.` prefixes, added namespace
terms), because those rewrites only add leaves about the namespace and the endpoint kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Protocol as TypingProtocol
from typing import TypeVar

from translator.model import calico, k8s
from translator.model.common import (
    MAX_PORT,
    MIN_PORT,
    Direction,
    IPNetwork,
    Labels,
    LabelSelector,
    Protocol,
)
from translator.selectors import Equals, Selector, leaves

PROTOCOLS = (Protocol.TCP, Protocol.UDP, Protocol.SCTP)
PortStarts = dict[Protocol, set[int]]
NamedPorts = set[tuple[str, Protocol]]
GLOBAL_SCOPE: str | None = None  # the scope of host endpoints: global policies only
T = TypeVar("T")


class Leaf(TypingProtocol):
    """A selector leaf: a Calico selector without And/Or/Not, or a Kubernetes requirement."""

    def matches(self, labels: Labels) -> bool: ...


@dataclass
class Atoms:
    """What the policies of one scope (on either side of a diff) test, for one direction.

    `subject_leaves` are read on the endpoint the decision is made at (policy selectors, and a
    Calico rule's own side); `peer_leaves` on the other end. `own_namespace_leaves` are peer leaves
    used only in own-namespace peer selectors (a Kubernetes podSelector without
    namespaceSelector, a namespaced Calico rule selector without namespaceSelector): they cannot
    tell apart two peers of *other* namespaces. Port boundaries of Kubernetes policies are kept
    per policy with its podSelector, so a subject only gets the boundaries of policies that can
    select it.
    """

    subject_leaves: set[Leaf] = field(default_factory=set)
    peer_leaves: set[Leaf] = field(default_factory=set)
    own_namespace_leaves: set[Leaf] = field(default_factory=set)
    _anywhere_leaves: set[Leaf] = field(default_factory=set)
    cidrs: set[IPNetwork] = field(default_factory=set)
    # Port boundaries per protocol: every cell of ports starts at one of these.
    port_starts: dict[Protocol, set[int]] = field(
        default_factory=lambda: {p: {MIN_PORT} for p in PROTOCOLS}
    )
    named_ports: set[tuple[str, Protocol]] = field(default_factory=set)
    # The named ports resolved on the peer (egress: destination ports; ingress: source ports).
    peer_named_ports: set[tuple[str, Protocol]] = field(default_factory=set)
    # Kubernetes policies' own boundaries and names, applying only to pods their podSelector selects.
    k8s_ports: list[tuple[LabelSelector, Atoms]] = field(default_factory=list)
    # Services Calico rules name (namespace, name): their endpoints are atoms too (`service_atoms`).
    services: set[tuple[str, str]] = field(default_factory=set)
    # The protocols (of TCP, UDP, SCTP) some rule treats otherwise than the others (a protocol,
    # notProtocol or Kubernetes port entry names it; ports and Services name theirs): the
    # others are decided alike, port by port.
    protocols: set[Protocol] = field(default_factory=set)

    def add_range(self, protocols: Iterable[Protocol], start: int, end: int) -> None:
        for protocol in protocols:
            self.port_starts[protocol].add(start)
            if end < MAX_PORT:
                self.port_starts[protocol].add(end + 1)

    def add_peer(self, leaves: Iterable[Leaf], own_namespace: bool) -> None:
        found = set(leaves)
        self.peer_leaves |= found
        (self.own_namespace_leaves if own_namespace else self._anywhere_leaves).update(found)

    @property
    def other_namespace_leaves(self) -> set[Leaf]:
        """The peer leaves that can tell apart peers of other namespaces."""
        return self.peer_leaves - (self.own_namespace_leaves - self._anywhere_leaves)

    def merge(self, other: Atoms) -> None:
        self.subject_leaves |= other.subject_leaves
        self.peer_leaves |= other.peer_leaves
        self.own_namespace_leaves |= other.own_namespace_leaves
        self._anywhere_leaves |= other._anywhere_leaves
        self.cidrs |= other.cidrs
        self.named_ports |= other.named_ports
        self.services |= other.services
        self.protocols |= other.protocols
        self.peer_named_ports |= other.peer_named_ports
        self.k8s_ports.extend(other.k8s_ports)
        for protocol, starts in other.port_starts.items():
            self.port_starts[protocol] |= starts

    def ports_for(self, own_labels: Labels | None) -> tuple[PortStarts, NamedPorts]:
        """Port boundaries and named ports that matter for a subject with these own labels
        (None: not a pod, so no Kubernetes policy selects it)."""
        starts = {p: set(s) for p, s in self.port_starts.items()}
        names = set(self.named_ports)
        for selector, atoms in self.k8s_ports:
            if own_labels is not None and selector.matches(own_labels):
                for protocol, found in atoms.port_starts.items():
                    starts[protocol] |= found
                names |= atoms.named_ports
        return starts, names

    @property
    def all_named_ports(self) -> set[tuple[str, Protocol]]:
        return self.named_ports.union(*(a.named_ports for _, a in self.k8s_ports))

    @property
    def all_leaves(self) -> set[Leaf]:
        return self.subject_leaves | self.peer_leaves


def selector_leaves(selector: Selector | None) -> Iterator[Leaf]:
    if selector is not None:
        yield from leaves(selector)


def label_selector_leaves(selector: LabelSelector | None) -> Iterator[Leaf]:
    if selector is None:
        return
    for key, value in selector.match_labels:
        yield Equals(key, value)
    yield from selector.match_expressions


# --- Kubernetes policies -------------------------------------------------------------------------


def _k8s_port(atoms: Atoms, entry: k8s.NetworkPolicyPort) -> None:
    protocol = entry.protocol or Protocol.TCP
    atoms.protocols.add(protocol)
    if isinstance(entry.port, int):
        atoms.add_range((protocol,), entry.port, entry.end_port or entry.port)
    elif isinstance(entry.port, str):
        atoms.named_ports.add((entry.port, protocol))


def _k8s_peer(atoms: Atoms, peer: k8s.NetworkPolicyPeer) -> None:
    own_namespace = peer.namespace_selector is None
    atoms.add_peer(label_selector_leaves(peer.pod_selector), own_namespace)
    atoms.add_peer(label_selector_leaves(peer.namespace_selector), False)
    if peer.ip_block is not None:
        atoms.cidrs.add(peer.ip_block.cidr)
        atoms.cidrs.update(peer.ip_block.except_)


def add_k8s_policy(atoms: Atoms, policy: k8s.NetworkPolicy, direction: Direction) -> None:
    if direction not in (policy.policy_types or ()):
        return
    atoms.subject_leaves.update(label_selector_leaves(policy.pod_selector))
    ports = Atoms()
    for rule in policy.rules(direction):
        for entry in rule.ports:
            _k8s_port(ports, entry)
        for peer in rule.peers:
            _k8s_peer(atoms, peer)
    if direction is Direction.EGRESS:  # destination ports: the peer's names
        atoms.peer_named_ports |= ports.named_ports
    atoms.protocols |= ports.protocols
    atoms.k8s_ports.append((policy.pod_selector, ports))


# --- Calico policies -----------------------------------------------------------------------------


def rule_protocols(rule: calico.Rule) -> tuple[Protocol, ...]:
    """The connection protocols a rule's ports can concern (all three when it names none)."""
    found = rule.protocol.port_protocol if rule.protocol is not None else None
    return (found,) if found is not None else PROTOCOLS


def _calico_entity(atoms: Atoms, entity: calico.EntityRule, protocols: tuple[Protocol, ...],
                   peer: bool, namespaced: bool) -> None:
    if entity.services is not None:
        atoms.protocols.update(PROTOCOLS)  # a Service port names its protocol
        if entity.services.namespace is not None:
            atoms.services.add((entity.services.namespace, entity.services.name))
    if entity.ports or entity.not_ports:
        atoms.protocols.update(protocols)
    own_namespace = namespaced and entity.namespace_selector is None
    for selector in (entity.selector, entity.not_selector):
        if peer:
            atoms.add_peer(selector_leaves(selector), own_namespace)
        else:
            atoms.subject_leaves.update(selector_leaves(selector))
    if peer:
        atoms.add_peer(selector_leaves(entity.namespace_selector), False)
    else:
        atoms.subject_leaves.update(selector_leaves(entity.namespace_selector))
    atoms.cidrs.update(entity.nets)
    atoms.cidrs.update(entity.not_nets)
    for spec in (*entity.ports, *entity.not_ports):
        if isinstance(spec, str):
            atoms.named_ports.update((spec, p) for p in protocols)
            if peer:
                atoms.peer_named_ports.update((spec, p) for p in protocols)
        else:
            atoms.add_range(protocols, spec.start, spec.end)


def add_calico_policy(atoms: Atoms, policy: calico.CalicoPolicy, direction: Direction) -> None:
    if direction not in calico.default_types(policy.spec).types:
        return
    atoms.subject_leaves.update(selector_leaves(policy.spec.selector))
    namespaced = isinstance(policy, calico.NetworkPolicy)
    if isinstance(policy, calico.GlobalNetworkPolicy):
        atoms.subject_leaves.update(selector_leaves(policy.namespace_selector))
    egress = direction is Direction.EGRESS
    for rule in policy.spec.rules(direction):
        protocols = rule_protocols(rule)
        for named in (rule.protocol, rule.not_protocol):
            if named is not None and named.port_protocol is not None:
                atoms.protocols.add(named.port_protocol)
        # Egress: the source is the subject, the destination the peer; ingress the other way.
        _calico_entity(atoms, rule.source, protocols, peer=not egress, namespaced=namespaced)
        _calico_entity(atoms, rule.destination, protocols, peer=egress, namespaced=namespaced)


# --- scopes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopePolicies:
    """The policies of one side that can apply to endpoints of one scope (for equality tests)."""

    k8s_policies: frozenset[k8s.NetworkPolicy]
    calico_policies: frozenset[calico.CalicoPolicy]
    staged_k8s: frozenset[calico.StagedKubernetesNetworkPolicy]
    tiers: frozenset[calico.Tier]


def policy_scope(policy: object) -> str | None:
    """The namespace whose endpoints a policy can select; None for a global policy."""
    if isinstance(policy, (k8s.NetworkPolicy, calico.NetworkPolicy)):
        return policy.namespace
    if isinstance(policy, calico.StagedKubernetesNetworkPolicy):
        return policy.policy.namespace
    return GLOBAL_SCOPE


def _by_scope(policies: Iterable[T]) -> dict[str | None, list[tuple[int, T]]]:
    grouped: dict[str | None, list[tuple[int, T]]] = {}
    for position, policy in enumerate(policies):
        grouped.setdefault(policy_scope(policy), []).append((position, policy))
    return grouped


def _in_order(*groups: list[tuple[int, T]]) -> tuple[T, ...]:
    return tuple(policy for _, policy in sorted((e for g in groups for e in g), key=itemgetter(0)))


class ScopeIndex:
    """One side's policies grouped by scope in a single pass.

    A scope's policies are then a lookup, not a scan of every policy: a cluster has thousands of
    namespaces, and scanning all policies per namespace made the diff quadratic.
    """

    def __init__(self, policies: calico.PolicySet) -> None:
        self._tiers = policies.tiers
        self._k8s = _by_scope(policies.k8s_policies)
        self._calico = _by_scope(policies.calico_policies)
        self._staged = _by_scope(policies.staged_k8s_policies)
        self._sets: dict[str | None, calico.PolicySet] = {}
        self._chosen: dict[str | None, ScopePolicies] = {}

    def _of(self, groups: dict[str | None, list[tuple[int, T]]], scope: str | None) -> tuple[T, ...]:
        """The policies of `scope` and the global ones, in their original order."""
        found = groups.get(GLOBAL_SCOPE, [])
        if scope is GLOBAL_SCOPE:
            return _in_order(found)
        return _in_order(found, groups.get(scope, []))

    def policy_set(self, scope: str | None) -> calico.PolicySet:
        """The policies (in their order) that can apply to endpoints of `scope`, and every tier."""
        found = self._sets.get(scope)
        if found is None:
            found = self._sets[scope] = calico.PolicySet(
                self._of(self._k8s, scope), self._of(self._calico, scope),
                self._of(self._staged, scope), self._tiers)
        return found

    def policies(self, scope: str | None) -> ScopePolicies:
        """The same policies as sets (Kubernetes ones only for a namespace), for equality tests."""
        found = self._chosen.get(scope)
        if found is None:
            chosen = self.policy_set(scope)
            namespaced = scope is not GLOBAL_SCOPE
            found = self._chosen[scope] = ScopePolicies(
                frozenset(chosen.k8s_policies if namespaced else ()),
                frozenset(chosen.calico_policies),
                frozenset(chosen.staged_k8s_policies if namespaced else ()),
                frozenset(chosen.tiers),
            )
        return found


def scope_policies(policies: calico.PolicySet, scope: str | None) -> ScopePolicies:
    return ScopeIndex(policies).policies(scope)


def scope_policy_set(policies: calico.PolicySet, scope: str | None) -> calico.PolicySet:
    """The policies (in their order) that can apply to endpoints of `scope`, and every tier."""
    return ScopeIndex(policies).policy_set(scope)


def scope_atoms(sides: Iterable[ScopeIndex], scope: str | None, direction: Direction) -> Atoms:
    """Every atom the policies of `scope` governing `direction` mention, on all the given sides."""
    atoms = Atoms()
    for index in sides:
        chosen = index.policies(scope)
        for policy in sorted(chosen.k8s_policies, key=lambda p: p.key):
            add_k8s_policy(atoms, policy, direction)
        for staged in sorted(chosen.staged_k8s, key=lambda p: p.key):
            add_k8s_policy(atoms, staged.policy, direction)
        for calico_policy in sorted(chosen.calico_policies, key=lambda p: p.key):
            add_calico_policy(atoms, calico_policy, direction)
    return atoms


# --- atoms per subject ---------------------------------------------------------------------------

ScopePolicy = k8s.NetworkPolicy | calico.StagedKubernetesNetworkPolicy | calico.CalicoPolicy


def scope_policy_list(sides: Iterable[ScopeIndex], scope: str | None) -> list[ScopePolicy]:
    """Every policy of `scope` on any side, once, in the order `scope_atoms` reads them."""
    found: dict[ScopePolicy, None] = {}
    for index in sides:
        chosen = index.policies(scope)
        found.update((p, None) for p in sorted(chosen.k8s_policies, key=lambda p: p.key))
        found.update((p, None) for p in sorted(chosen.staged_k8s, key=lambda p: p.key))
        found.update((p, None) for p in sorted(chosen.calico_policies, key=lambda p: p.key))
    return list(found)


def policy_atoms(policy: ScopePolicy, direction: Direction) -> Atoms:
    """The atoms of one policy governing `direction` (empty when it does not)."""
    atoms = Atoms()
    if isinstance(policy, k8s.NetworkPolicy):
        add_k8s_policy(atoms, policy, direction)
    elif isinstance(policy, calico.StagedKubernetesNetworkPolicy):
        add_k8s_policy(atoms, policy.policy, direction)
    else:
        add_calico_policy(atoms, policy, direction)
    return atoms


def may_select(policy: ScopePolicy, own: Labels | None, full: Labels | None) -> bool:
    """False only when `policy` certainly selects no endpoint with these label sets (a pod's
    own labels and the labels Calico selectors read); None: not a pod, every policy may."""
    if own is None or full is None:
        return True
    if isinstance(policy, calico.StagedKubernetesNetworkPolicy):
        policy = policy.policy
    if isinstance(policy, k8s.NetworkPolicy):
        return policy.pod_selector.matches(own) or policy.pod_selector.matches(full)
    if isinstance(policy, calico.NetworkPolicy):
        selector = policy.spec.selector
        return selector is None or selector.matches(full) or selector.matches(own)
    return True  # global policies: their namespace selector reads other label sets


def merged_atoms(found: Iterable[Atoms]) -> Atoms:
    atoms = Atoms()
    for one in found:
        atoms.merge(one)
    return atoms
