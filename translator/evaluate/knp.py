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

The rules come from the one converter np2calico also writes its output with
(`translator.convert.rules`), with np2calico's three differences turned off (`PeerScope.calico`).
Unlike conversion.go we start from a *normalised* policy (semantics.md §2.8): Kubernetes
defaulting of `policyTypes` and port protocols is applied, and every CIDR was parsed by the
loader, so no rule can silently widen to "match everything".
"""

from __future__ import annotations

from dataclasses import dataclass

from translator.convert.rules import (
    ConvertedRule,
    PeerScope,
    convert_rule_parts,
    merge_ports,
    pod_selector,
)
from translator.model import calico, k8s
from translator.model.common import Direction

KNP_NAME_PREFIX = "knp.default."
# Calico's SimplifyPorts: named ports first, then sorted, coalesced numeric ranges.
simplify_ports = merge_ports


@dataclass(frozen=True)
class ConvertedPolicy:
    """The Calico policy plus, for each converted rule, the Kubernetes rule/peer it came from."""

    policy: calico.NetworkPolicy
    ingress_origins: tuple[str, ...]
    egress_origins: tuple[str, ...]

    def origins(self, direction: Direction) -> tuple[str, ...]:
        return self.ingress_origins if direction is Direction.INGRESS else self.egress_origins


def _origin(direction: Direction, rule_index: int, part: ConvertedRule) -> str:
    """`ingress[0].from[1] TCP`: the Kubernetes rule, peer and protocol a Calico rule stands for."""
    origin = f"{direction.value.lower()}[{rule_index}]"
    if part.peer is not None:
        origin += f".{'from' if direction is Direction.INGRESS else 'to'}[{part.peer}]"
    return f"{origin} {part.protocol.value}" if part.protocol is not None else origin


def _convert_rules(
    rules: tuple[k8s.NetworkPolicyRule, ...], direction: Direction, scope: PeerScope
) -> tuple[tuple[calico.Rule, ...], tuple[str, ...]]:
    parts = [
        (part, _origin(direction, index, part))
        for index, rule in enumerate(rules)
        for part in convert_rule_parts(rule, direction, scope)
    ]
    return tuple(p.rule for p, _ in parts), tuple(o for _, o in parts)


def k8s_to_calico(policy: k8s.NetworkPolicy) -> ConvertedPolicy:
    """The Calico NetworkPolicy through which Calico enforces `policy` (normalised first)."""
    policy = policy if policy.policy_types is not None else k8s.normalise(policy)
    scope = PeerScope.calico(policy.namespace)
    ingress, ingress_origins = _convert_rules(policy.ingress, Direction.INGRESS, scope)
    egress, egress_origins = _convert_rules(policy.egress, Direction.EGRESS, scope)
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
