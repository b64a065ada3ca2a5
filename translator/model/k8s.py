"""Kubernetes networking.k8s.io/v1 NetworkPolicy, in its own terms.

Absent and empty lists mean the same thing everywhere in this API (see semantics.md §1.3), so the
model keeps tuples only. `policy_types` and a port's `protocol` are `None` until `normalise()`
applies Kubernetes defaulting; everything downstream of the loader sees normalised policies.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from translator.errors import Location
from translator.model.common import (
    Direction,
    IPNetwork,
    LabelSelector,
    PolicyType,
    Protocol,
)


@dataclass(frozen=True)
class NetworkPolicyPort:
    """One entry of a rule's `ports`. `port` is a number, a name, or None (every port)."""

    protocol: Protocol | None = None
    port: int | str | None = None
    end_port: int | None = None


@dataclass(frozen=True)
class IPBlock:
    cidr: IPNetwork
    except_: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True)
class NetworkPolicyPeer:
    """One item of `from`/`to`. `None` selectors are absent; `LabelSelector()` is `{}`."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None


@dataclass(frozen=True)
class NetworkPolicyRule:
    """An ingress rule (`from`) or egress rule (`to`): empty peers/ports mean "all"."""

    ports: tuple[NetworkPolicyPort, ...] = ()
    peers: tuple[NetworkPolicyPeer, ...] = ()


@dataclass(frozen=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: LabelSelector = LabelSelector()
    policy_types: tuple[PolicyType, ...] | None = None
    ingress: tuple[NetworkPolicyRule, ...] = ()
    egress: tuple[NetworkPolicyRule, ...] = ()
    origin: Location | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def rules(self, direction: Direction) -> tuple[NetworkPolicyRule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress

    def governs(self, direction: Direction) -> bool:
        """True when this (normalised) policy isolates its selected pods in `direction`."""
        assert self.policy_types is not None, "policy used before normalise()"
        return direction in self.policy_types


def default_policy_types(policy: NetworkPolicy) -> tuple[PolicyType, ...]:
    """Kubernetes defaulting (pkg/apis/networking/v1/defaults.go): Ingress, plus Egress iff egress rules."""
    if policy.policy_types:
        return policy.policy_types
    if policy.egress:
        return (Direction.INGRESS, Direction.EGRESS)
    return (Direction.INGRESS,)


def _default_port(port: NetworkPolicyPort) -> NetworkPolicyPort:
    return port if port.protocol is not None else replace(port, protocol=Protocol.TCP)


def _default_rule(rule: NetworkPolicyRule) -> NetworkPolicyRule:
    return replace(rule, ports=tuple(_default_port(p) for p in rule.ports))


def normalise(policy: NetworkPolicy) -> NetworkPolicy:
    """Apply Kubernetes defaulting exactly once: policyTypes and port protocols.

    Idempotent, so objects read from an API server (already defaulted) pass through unchanged.
    """
    return replace(
        policy,
        policy_types=default_policy_types(policy),
        ingress=tuple(_default_rule(r) for r in policy.ingress),
        egress=tuple(_default_rule(r) for r in policy.egress),
    )
