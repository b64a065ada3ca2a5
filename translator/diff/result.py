"""What a semantic diff reports: connections whose verdict changes, with the deciding rules.

A `Change` is a product: every source of `source` × every destination of `destination` × every
port of `ports` on `protocol` has verdict `before` on one side and `after` on the other. Sources
and destinations are pods of one namespace (listed by name), one host endpoint or host-network
pod, addresses outside the cluster (as CIDRs), or — in symbolic mode — any pod matching label
conditions. With `group_namespaces` (`diff --group-namespaces`) one side may hold pods of several
namespaces (`Endpoints.spans`) and several host endpoints: changes alike in every namespace are
one product, where the per-namespace answer grows with the square of the namespaces.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from translator.evaluate.verdict import DecidedBy, Decision, ending
from translator.model.calico import Action
from translator.model.common import Direction, PortRange, Protocol

OUTSIDE = "(outside)"
HOST = "(host)"
SEVERAL = "(namespaces)"  # the group of a side holding pods of several namespaces


@dataclass(frozen=True)
class Cause:
    """Why one direction was allowed or denied: the deciding policy and rule, or what decided."""

    direction: Direction
    allowed: bool
    policy: str | None = None
    rule: int | None = None
    tier: str | None = None
    action: Action | None = None
    ending: DecidedBy | None = None
    profile: str | None = None

    @classmethod
    def of(cls, decision: Decision) -> Cause:
        """The decision without its explanation: changes with equal causes are listed together."""
        outcome, profile = ending(decision)
        return cls(decision.direction, decision.allowed, decision.policy, decision.rule,
                   decision.tier, decision.action, outcome, profile)


@dataclass(frozen=True)
class Outcome:
    """The verdict of one side: allowed iff egress (at the source) and ingress (at the destination)."""

    allowed: bool
    egress: Cause
    ingress: Cause

    def deciding(self) -> tuple[Cause, ...]:
        """The causes that explain the verdict: the denying direction(s), or both allows."""
        if self.allowed:
            return (self.egress, self.ingress)
        return tuple(c for c in (self.egress, self.ingress) if not c.allowed)


class EndpointKind(str, Enum):
    PODS = "pods"
    HOST = "host"
    EXTERNAL = "external"
    SYMBOLIC = "symbolic"


@dataclass(frozen=True)
class Endpoints:
    """One side of a change: pods of a namespace, a host-side endpoint, addresses, or conditions.

    `names` are pod names, or `kind/name` for a workload (`deployment/color-api`); `services`
    pairs an entry of `names` with the Services of its namespace selecting it (by name).
    `spans`: pods of several namespaces (kind PODS, no `namespace`, `names` or `services` of its
    own), as one single-namespace side per namespace, sorted by namespace.
    """

    kind: EndpointKind
    namespace: str | None = None
    names: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    conditions: str = ""
    services: tuple[tuple[str, tuple[str, ...]], ...] = ()
    spans: tuple[Endpoints, ...] = ()

    @property
    def group(self) -> str:
        """The namespace (or `(outside)`, `(host)`, `(namespaces)`) this side is grouped under."""
        if self.kind is EndpointKind.EXTERNAL:
            return OUTSIDE
        if self.kind is EndpointKind.HOST:
            return HOST
        if self.spans:
            return SEVERAL
        return self.namespace or HOST

    @property
    def namespaces(self) -> tuple[str, ...]:
        """The namespaces of its pods (one, or those of `spans`); none for other kinds."""
        if self.spans:
            return tuple(s.namespace for s in self.spans if s.namespace is not None)
        if self.kind in (EndpointKind.PODS, EndpointKind.SYMBOLIC) and self.namespace is not None:
            return (self.namespace,)
        return ()

    def describe(self) -> str:
        if self.kind is EndpointKind.EXTERNAL:
            # conditions: what else the addresses need (the labels of a network set's namespace)
            return " ".join(t for t in (describe_networks(self.networks), self.conditions) if t)
        if self.kind is EndpointKind.SYMBOLIC:
            return self.conditions
        if self.kind is EndpointKind.HOST:
            return ", ".join(self.names)
        if self.spans:
            # Every pod is named `ns/pod`; the head says at once which namespaces the side spans.
            spanned = self.namespaces
            pods = ", ".join(span.describe() for span in self.spans)
            return f"pods of {len(spanned)} namespaces ({', '.join(spanned)}): {pods}"
        return ", ".join(self.member(n) for n in self.names)

    def member(self, name: str) -> str:
        """`ns/pod` or `deployment ns/name` (as explain names them), with the Services selecting it."""
        kind, _, short = name.rpartition("/")
        text = f"{kind} {self.namespace}/{short}" if kind else f"{self.namespace}/{name}"
        services = dict(self.services).get(name)
        return f"{text} (svc {', '.join(services)})" if services else text


@dataclass(frozen=True)
class JudgedNamespace:
    """What a diff judged in one namespace: its pods and workloads (host-network ones apart), and
    whether policies of either side are in it (then 0 pods is an answer about nothing)."""

    namespace: str
    pods: int
    workloads: int
    has_policies: bool = False

    def describe(self) -> str:
        if not self.pods and not self.workloads:
            suffix = " (its policies judge nothing)" if self.has_policies else ""
            return f"0 pods in namespace {self.namespace}{suffix}"
        counts = [_count(self.pods, "pod"), _count(self.workloads, "workload")]
        return f"namespace {self.namespace}: {', '.join(c for c in counts if c)}"


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}" if number else ""


def describe_networks(networks: Sequence[str]) -> str:
    """CIDRs as listed, or `0.0.0.0/0 except …` when the complement is the shorter list."""
    nets = [ipaddress.ip_network(n) for n in networks]
    if len(nets) <= 2 or len({n.version for n in nets}) != 1:
        return ", ".join(networks)
    full = ipaddress.ip_network("0.0.0.0/0" if nets[0].version == 4 else "::/0")
    gaps, cursor = [], int(full.network_address)
    for net in sorted(nets):
        if int(net.network_address) > cursor:
            gaps.append((cursor, int(net.network_address) - 1))
        cursor = max(cursor, int(net.broadcast_address) + 1)
    if cursor <= int(full.broadcast_address):
        gaps.append((cursor, int(full.broadcast_address)))
    build = type(full.network_address)
    missing = [str(n) for a, b in gaps for n in ipaddress.summarize_address_range(build(a), build(b))]
    if len(missing) >= len(nets):
        return ", ".join(networks)
    return f"{full} except {', '.join(missing)}"


def direction_between(source: Endpoints, destination: Endpoints) -> str:
    """`egress` (to outside the cluster), `ingress` (from outside) or `internal`."""
    if destination.kind is EndpointKind.EXTERNAL:
        return "egress"
    if source.kind is EndpointKind.EXTERNAL:
        return "ingress"
    return "internal"


@dataclass(frozen=True)
class Change:
    source: Endpoints
    destination: Endpoints
    protocol: Protocol
    ports: tuple[PortRange, ...]
    before: Outcome
    after: Outcome
    family: int | None = None

    @property
    def newly_allowed(self) -> bool:
        return self.after.allowed

    @property
    def status(self) -> str:
        return "newly allowed" if self.after.allowed else "newly denied"

    @property
    def changed_at(self) -> tuple[Direction, ...]:
        """The directions whose own decision changed (egress at the source, ingress at the dest)."""
        return tuple(
            d for d, b, a in (
                (Direction.EGRESS, self.before.egress, self.after.egress),
                (Direction.INGRESS, self.before.ingress, self.after.ingress),
            ) if b.allowed != a.allowed
        )

    @property
    def direction(self) -> str:
        return direction_between(self.source, self.destination)

    def ports_text(self) -> str:
        return ",".join(str(p) for p in self.ports)


@dataclass(frozen=True)
class SemanticDiff:
    """Every change, sorted; `notes` say what was capped or approximated (symbolic mode)."""

    changes: tuple[Change, ...] = ()
    symbolic_changes: tuple[Change, ...] = ()
    notes: tuple[str, ...] = ()
    evaluated: int = 0  # representative connections evaluated per side (for the curious)
    # What the concrete diff judged, per namespace (empty without a cluster state).
    judged: tuple[JudgedNamespace, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.changes and not self.symbolic_changes

    def judged_text(self) -> str | None:
        """`judged: namespace default: 2 pods, 1 workload; 0 pods in namespace prod`, or None."""
        if not self.judged:
            return None
        return "judged: " + "; ".join(j.describe() for j in self.judged)

    def groups(self, symbolic: bool = False) -> Mapping[tuple[str, str, str], tuple[Change, ...]]:
        """Changes by (source group, destination group, direction), in sorted order."""
        found: dict[tuple[str, str, str], list[Change]] = {}
        for change in self.symbolic_changes if symbolic else self.changes:
            key = (change.source.group, change.destination.group, change.direction)
            found.setdefault(key, []).append(change)
        return {k: tuple(v) for k, v in sorted(found.items())}
