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
from typing import Protocol as TypingProtocol

from translator.model import calico, k8s
from translator.model.common import (
    MAX_PORT,
    MIN_PORT,
    IPNetwork,
    Labels,
    LabelSelector,
    Protocol,
)
from translator.selectors import And, Equals, Not, Or, Selector

PROTOCOLS = (Protocol.TCP, Protocol.UDP, Protocol.SCTP)
GLOBAL_SCOPE: str | None = None  # the scope of host endpoints: global policies only


class Leaf(TypingProtocol):
    """A selector leaf: a Calico selector without And/Or/Not, or a Kubernetes requirement."""

    def matches(self, labels: Labels) -> bool: ...


@dataclass
class Atoms:
    """What the policies of one scope (on either side of a diff) test."""

    leaves: set[Leaf] = field(default_factory=set)
    cidrs: set[IPNetwork] = field(default_factory=set)
    # Port boundaries per protocol: every cell of ports starts at one of these.
    port_starts: dict[Protocol, set[int]] = field(
        default_factory=lambda: {p: {MIN_PORT} for p in PROTOCOLS}
    )
    named_ports: set[tuple[str, Protocol]] = field(default_factory=set)

    def add_range(self, protocols: Iterable[Protocol], start: int, end: int) -> None:
        for protocol in protocols:
            self.port_starts[protocol].add(start)
            if end < MAX_PORT:
                self.port_starts[protocol].add(end + 1)

    def merge(self, other: Atoms) -> None:
        self.leaves |= other.leaves
        self.cidrs |= other.cidrs
        self.named_ports |= other.named_ports
        for protocol, starts in other.port_starts.items():
            self.port_starts[protocol] |= starts


def selector_leaves(selector: Selector | None) -> Iterator[Leaf]:
    if selector is None:
        return
    if isinstance(selector, (And, Or)):
        for operand in selector.operands:
            yield from selector_leaves(operand)
    elif isinstance(selector, Not):
        yield from selector_leaves(selector.operand)
    else:
        yield selector


def label_selector_leaves(selector: LabelSelector | None) -> Iterator[Leaf]:
    if selector is None:
        return
    for key, value in selector.match_labels:
        yield Equals(key, value)
    yield from selector.match_expressions


# --- Kubernetes policies -------------------------------------------------------------------------


def _k8s_port(atoms: Atoms, entry: k8s.NetworkPolicyPort) -> None:
    protocol = entry.protocol or Protocol.TCP
    if isinstance(entry.port, int):
        atoms.add_range((protocol,), entry.port, entry.end_port or entry.port)
    elif isinstance(entry.port, str):
        atoms.named_ports.add((entry.port, protocol))


def _k8s_peer(atoms: Atoms, peer: k8s.NetworkPolicyPeer) -> None:
    atoms.leaves.update(label_selector_leaves(peer.pod_selector))
    atoms.leaves.update(label_selector_leaves(peer.namespace_selector))
    if peer.ip_block is not None:
        atoms.cidrs.add(peer.ip_block.cidr)
        atoms.cidrs.update(peer.ip_block.except_)


def add_k8s_policy(atoms: Atoms, policy: k8s.NetworkPolicy) -> None:
    atoms.leaves.update(label_selector_leaves(policy.pod_selector))
    for rule in (*policy.ingress, *policy.egress):
        for entry in rule.ports:
            _k8s_port(atoms, entry)
        for peer in rule.peers:
            _k8s_peer(atoms, peer)


# --- Calico policies -----------------------------------------------------------------------------


def rule_protocols(rule: calico.Rule) -> tuple[Protocol, ...]:
    """The connection protocols a rule's ports can concern (all three when it names none)."""
    names = {"TCP": Protocol.TCP, "UDP": Protocol.UDP, "SCTP": Protocol.SCTP, 6: Protocol.TCP,
             17: Protocol.UDP, 132: Protocol.SCTP}
    found = names.get(rule.protocol.upper() if isinstance(rule.protocol, str) else rule.protocol)
    return (found,) if found is not None else PROTOCOLS


def _calico_entity(atoms: Atoms, entity: calico.EntityRule, protocols: tuple[Protocol, ...]) -> None:
    for selector in (entity.selector, entity.not_selector, entity.namespace_selector):
        atoms.leaves.update(selector_leaves(selector))
    atoms.cidrs.update(entity.nets)
    atoms.cidrs.update(entity.not_nets)
    for spec in (*entity.ports, *entity.not_ports):
        if isinstance(spec, str):
            atoms.named_ports.update((spec, p) for p in protocols)
        else:
            atoms.add_range(protocols, spec.start, spec.end)


def add_calico_policy(atoms: Atoms, policy: calico.CalicoPolicy) -> None:
    atoms.leaves.update(selector_leaves(policy.spec.selector))
    if isinstance(policy, calico.GlobalNetworkPolicy):
        atoms.leaves.update(selector_leaves(policy.namespace_selector))
    for rule in (*policy.spec.ingress, *policy.spec.egress):
        protocols = rule_protocols(rule)
        _calico_entity(atoms, rule.source, protocols)
        _calico_entity(atoms, rule.destination, protocols)


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


def scope_policies(policies: calico.PolicySet, scope: str | None) -> ScopePolicies:
    def keep(policy: object) -> bool:
        found = policy_scope(policy)
        return found is GLOBAL_SCOPE or found == scope

    return ScopePolicies(
        frozenset(p for p in policies.k8s_policies if scope is not GLOBAL_SCOPE and keep(p)),
        frozenset(p for p in policies.calico_policies if keep(p)),
        frozenset(p for p in policies.staged_k8s_policies if scope is not GLOBAL_SCOPE and keep(p)),
        frozenset(policies.tiers),
    )


def scope_atoms(sides: Iterable[calico.PolicySet], scope: str | None) -> Atoms:
    """Every atom the policies of `scope` mention, on all the given sides."""
    atoms = Atoms()
    for policies in sides:
        chosen = scope_policies(policies, scope)
        for policy in chosen.k8s_policies:
            add_k8s_policy(atoms, policy)
        for staged in chosen.staged_k8s:
            add_k8s_policy(atoms, staged.policy)
        for calico_policy in chosen.calico_policies:
            add_calico_policy(atoms, calico_policy)
    return atoms
