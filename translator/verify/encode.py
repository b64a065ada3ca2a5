"""Calico's evaluation as z3 formulas: selectors, rule matches and the per-endpoint decision.

Each function mirrors its concrete counterpart in `translator.evaluate` (named in its docstring),
on the symbolic packet of `symbols`: the engine is only as right as that agreement, which the
tests check by brute force against the evaluators.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import z3

from translator.errors import UsageError
from translator.evaluate.calico_match import ResolvedEntity, ResolvedRule, covers_every_port
from translator.evaluate.calico_policies import PreparedPolicy, TierPolicies
from translator.model import calico
from translator.model.common import Direction, PortRange
from translator.selectors import (
    ENDPOINT_NAMESPACE_LABEL,
    All,
    And,
    Contains,
    EndsWith,
    Equals,
    Global,
    Has,
    In,
    Not,
    NotEquals,
    NotIn,
    Or,
    Selector,
    StartsWith,
)
from translator.verify.symbols import Endpoint, Packet

TRUE, FALSE = z3.BoolVal(True), z3.BoolVal(False)


def _label_test(selector: Selector, endpoint: Endpoint) -> z3.BoolRef:
    present, value = endpoint.label(selector.label)  # type: ignore[attr-defined]
    if isinstance(selector, Has):
        return present
    if isinstance(selector, Equals):
        return z3.And(present, value.equals(selector.value))
    if isinstance(selector, NotEquals):
        return z3.Or(z3.Not(present), z3.Not(value.equals(selector.value)))
    if isinstance(selector, In):
        return z3.And(present, z3.Or(*(value.equals(v) for v in selector.values)))
    if isinstance(selector, NotIn):
        return z3.Or(z3.Not(present), z3.And(*(z3.Not(value.equals(v)) for v in selector.values)))
    if isinstance(selector, (Contains, StartsWith, EndsWith)):
        return z3.And(present, value.string_test(type(selector), selector.value))
    raise TypeError(f"unknown selector node {selector!r}")


def selector_holds(selector: Selector, endpoint: Endpoint) -> z3.BoolRef:
    """`selector.matches(labels)` on the endpoint's labels (translator.selectors), for a pod."""
    if isinstance(selector, All):
        return TRUE
    if isinstance(selector, Global):
        return z3.Not(endpoint.label(ENDPOINT_NAMESPACE_LABEL)[0])
    if isinstance(selector, Not):
        return z3.Not(selector_holds(selector.operand, endpoint))
    if isinstance(selector, And):
        return z3.And(*(selector_holds(o, endpoint) for o in selector.operands))
    if isinstance(selector, Or):
        return z3.Or(*(selector_holds(o, endpoint) for o in selector.operands))
    return _label_test(selector, endpoint)


def _endpoint_matches(entity: ResolvedEntity, endpoint: Endpoint) -> z3.BoolRef:
    """calico_match._endpoint_matches: selectors see pods only; outside addresses match no selector."""
    terms = []
    positive, negative = entity.selectors.positive, entity.selectors.negative
    if positive is not None:
        terms.append(z3.And(endpoint.is_pod, selector_holds(positive, endpoint)))
    if negative is not None:
        terms.append(z3.Not(z3.And(endpoint.is_pod, selector_holds(negative, endpoint))))
    return z3.And(*terms) if terms else TRUE


def _address_matches(entity: ResolvedEntity, endpoint: Endpoint) -> z3.BoolRef:
    """calico_match._address_matches (every endpoint of the symbolic connection has an address)."""
    terms = []
    if entity.nets:
        terms.append(z3.Or(*(endpoint.in_network(n) for n in entity.nets)))
    if entity.not_nets:
        terms.append(z3.Not(z3.Or(*(endpoint.in_network(n) for n in entity.not_nets))))
    return z3.And(*terms) if terms else TRUE


def _port_matches(spec: calico.PortSpec, packet: Packet) -> z3.BoolRef:
    if isinstance(spec, PortRange):
        return z3.And(packet.ported, z3.UGE(packet.port, spec.start), z3.ULE(packet.port, spec.end))
    return packet.named_port(spec)


def _destination_ports_match(entity: ResolvedEntity, packet: Packet) -> z3.BoolRef:
    terms = []
    if entity.ports:
        terms.append(z3.Or(*(_port_matches(p, packet) for p in entity.ports)))
    if entity.not_ports:
        terms.append(z3.Not(z3.Or(*(_port_matches(p, packet) for p in entity.not_ports))))
    return z3.And(*terms) if terms else TRUE


def _family_exists(rule: ResolvedRule, packet: Packet) -> z3.BoolRef:
    if rule.families >= {4, 6}:
        return TRUE
    if rule.families == {4}:
        return z3.Not(packet.v6)
    if rule.families == {6}:
        return packet.v6
    return FALSE


def _protocol_matches(rule: ResolvedRule, packet: Packet) -> z3.BoolRef:
    terms = []
    if rule.protocol is not None:
        terms.append(packet.protocol == rule.protocol)
    if rule.not_protocol is not None:
        terms.append(packet.protocol != rule.not_protocol)
    return z3.And(*terms) if terms else TRUE


def _check_source_ports(policy: PreparedPolicy, rule: ResolvedRule) -> None:
    """Source ports the engine can drop: none, or `ports` holding every port (calico_match).

    Any other source-port constraint makes the verdict depend on the client's source port, which
    the engine does not model yet: refused clearly, never taken as "no match".
    """
    source = rule.source
    if not source.ports and not source.not_ports:
        return
    if not source.not_ports and covers_every_port(source.ports):
        return
    raise UsageError(
        f"{policy.key} {rule.origin}: a rule matching only some source ports cannot be verified yet "
        "(the verdict depends on the client's source port); compare with `diff --cluster` and "
        "`explain --source-port` instead"
    )


def rule_matches(rule: ResolvedRule, packet: Packet) -> z3.BoolRef:
    """calico_match.rule_matches on the symbolic packet."""
    return z3.And(
        _family_exists(rule, packet),
        _protocol_matches(rule, packet),
        _address_matches(rule.source, packet.source),
        _address_matches(rule.destination, packet.destination),
        _destination_ports_match(rule.destination, packet),
        _endpoint_matches(rule.source, packet.source),
        _endpoint_matches(rule.destination, packet.destination),
    )


PolicyFilter = Callable[[PreparedPolicy], bool]


def _tier_outcome(
    tier: TierPolicies, policies: Sequence[PreparedPolicy], direction: Direction,
    subject: Endpoint, packet: Packet, after: z3.BoolRef,
) -> z3.BoolRef:
    """One tier (CalicoEvaluator._run_tier): first matching Allow/Deny decides, Pass goes on to
    `after` (the later tiers), Log keeps going; no match: defaultAction."""
    outcome = after if tier.tier.default_action is calico.Action.PASS else FALSE
    selected = [selector_holds(p.selector, subject) for p in policies]
    for policy, chosen in reversed(list(zip(policies, selected, strict=True))):
        for rule in reversed(policy.rules(direction)):
            if rule.action is calico.Action.LOG:
                continue
            _check_source_ports(policy, rule)
            action = {calico.Action.ALLOW: TRUE, calico.Action.DENY: FALSE}.get(rule.action, after)
            outcome = z3.If(z3.And(chosen, rule_matches(rule, packet)), action, outcome)
    return z3.If(z3.Or(*selected), outcome, after)


def decision(
    tiers: Sequence[TierPolicies], direction: Direction, packet: Packet, keep: PolicyFilter
) -> z3.BoolRef:
    """Whether the subject endpoint (the source for egress, the destination for ingress) allows
    the packet: tiers in order, then the pod's profile `kns.<namespace>`, which allows.

    `keep` leaves out the policies that cannot select the subject's class (other namespaces').
    """
    subject = packet.source if direction is Direction.EGRESS else packet.destination
    if subject.where.outside:
        return TRUE  # Calico policy applies only at pods (and host endpoints)
    result: z3.BoolRef = TRUE
    for tier in reversed(tiers):
        policies = [p for p in tier.policies if direction in p.types and keep(p)]
        if policies:
            result = _tier_outcome(tier, policies, direction, subject, packet, result)
    return z3.If(subject.is_pod, result, TRUE) if not subject.where.always_pod else result
