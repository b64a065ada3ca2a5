"""Calico's evaluation as z3 formulas: selectors, rule matches and the per-endpoint decision.

Each function mirrors its concrete counterpart in `translator.evaluate` (named in its docstring),
on the symbolic packet of `symbols`: the engine is only as right as that agreement, which the
tests check by brute force against the evaluators.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import z3

from translator.errors import UsageError
from translator.evaluate.calico_match import ResolvedEntity, ResolvedRule, covers_every_port, resolve_rule
from translator.evaluate.calico_policies import PreparedPolicy, TierPolicies
from translator.model import calico
from translator.model.cluster import DEFAULT_ALLOW_PROFILE
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
from translator.verify.network_sets import NetworkSetTerms, NetworkSetView
from translator.verify.symbols import Endpoint, Packet
from translator.verify.terms import Term, conj, disj, ite, neg, to_z3

# What selectors are evaluated on: a pod endpoint, or a network set (both give `label` and a cache).
Labelled = Endpoint | NetworkSetView


def _label_test(selector: Selector, endpoint: Labelled) -> Term:
    present, value = endpoint.label(selector.label)  # type: ignore[attr-defined]
    if isinstance(selector, Has):
        return present
    if isinstance(selector, Equals):
        return conj((present, value.equals(selector.value)))
    if isinstance(selector, NotEquals):
        return disj((neg(present), neg(value.equals(selector.value))))
    if isinstance(selector, In):
        return conj((present, disj(value.equals(v) for v in selector.values)))
    if isinstance(selector, NotIn):
        return disj((neg(present), conj(neg(value.equals(v)) for v in selector.values)))
    if isinstance(selector, (Contains, StartsWith, EndsWith)):
        return conj((present, value.string_test(type(selector), selector.value)))
    raise TypeError(f"unknown selector node {selector!r}")


def selector_holds(selector: Selector, endpoint: Labelled) -> Term:
    """`selector.matches(labels)` on the endpoint's labels (translator.selectors), for a pod.
    Memoised per endpoint: converted policies repeat the same peer selectors rule after rule."""
    found = endpoint.selector_cache.get(selector)
    if found is None:
        found = endpoint.selector_cache[selector] = _selector_holds(selector, endpoint)
    return found


def _selector_holds(selector: Selector, endpoint: Labelled) -> Term:
    if isinstance(selector, All):
        return True
    if isinstance(selector, Global):
        return neg(endpoint.label(ENDPOINT_NAMESPACE_LABEL)[0])
    if isinstance(selector, Not):
        return neg(selector_holds(selector.operand, endpoint))
    if isinstance(selector, And):
        return conj(selector_holds(o, endpoint) for o in selector.operands)
    if isinstance(selector, Or):
        return disj(selector_holds(o, endpoint) for o in selector.operands)
    return _label_test(selector, endpoint)


def _in_selector_set(selector: Selector, endpoint: Endpoint, sets: NetworkSetTerms | None) -> Term:
    """calico_match._in_selector_set: the address is in the selector's IP set when its pod matches,
    or when it lies in the nets of a network set that matches (whoever owns the address)."""
    terms = [conj((endpoint.is_pod, selector_holds(selector, endpoint)))]
    for view in sets.views if sets is not None else ():
        terms.append(conj((selector_holds(selector, view), view.holds(endpoint))))
    return disj(terms)


def _endpoint_matches(entity: ResolvedEntity, endpoint: Endpoint, sets: NetworkSetTerms | None) -> Term:
    """calico_match._endpoint_matches: selectors see pods and network sets; an outside address
    in no matching network set matches no selector."""
    terms: list[Term] = []
    positive, negative = entity.selectors.positive, entity.selectors.negative
    if positive is not None:
        terms.append(_in_selector_set(positive, endpoint, sets))
    if negative is not None:
        terms.append(neg(_in_selector_set(negative, endpoint, sets)))
    return conj(terms)


def _address_matches(entity: ResolvedEntity, endpoint: Endpoint) -> Term:
    """calico_match._address_matches (every endpoint of the symbolic connection has an address)."""
    terms: list[Term] = []
    if entity.nets:
        terms.append(disj(endpoint.in_network(n) for n in entity.nets))
    if entity.not_nets:
        terms.append(neg(disj(endpoint.in_network(n) for n in entity.not_nets)))
    return conj(terms)


def _port_matches(spec: calico.PortSpec, packet: Packet) -> Term:
    found = packet.port_cache.get(spec)
    if found is None:
        if isinstance(spec, PortRange):
            found = conj((packet.ported, z3.UGE(packet.port, spec.start), z3.ULE(packet.port, spec.end)))
        else:
            found = packet.named_port(spec)
        packet.port_cache[spec] = found
    return found


def _destination_ports_match(entity: ResolvedEntity, packet: Packet) -> Term:
    terms: list[Term] = []
    if entity.ports:
        terms.append(disj(_port_matches(p, packet) for p in entity.ports))
    if entity.not_ports:
        terms.append(neg(disj(_port_matches(p, packet) for p in entity.not_ports)))
    return conj(terms)


def _family_exists(rule: ResolvedRule, packet: Packet) -> Term:
    if rule.families >= {4, 6}:
        return True
    if rule.families == {4}:
        return neg(packet.v6)
    if rule.families == {6}:
        return packet.v6
    return False


def _protocol_matches(rule: ResolvedRule, packet: Packet) -> Term:
    terms: list[Term] = []
    if rule.protocol is not None:
        terms.append(packet.protocol_is(rule.protocol))
    if rule.not_protocol is not None:
        terms.append(neg(packet.protocol_is(rule.not_protocol)))
    return conj(terms)


def _check_source_ports(policy: PreparedPolicy, rule: ResolvedRule) -> None:
    """Source ports the engine can drop: none, or `ports` holding every port (calico_match).

    Any other source-port constraint makes the verdict depend on the client's source port, which
    the engine does not model yet: refused clearly, never taken as "no match" (issue 9 item 4).
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


def _services_match(rule: ResolvedRule, packet: Packet) -> Term:
    """calico_match._services_match: the source an endpoint address of its Service (any port),
    the destination's (address, port, protocol) an endpoint of its Service; each Service's
    endpoints are any set (`Packet.in_service`), never the cluster's."""
    terms: list[Term] = []
    for tag, named in (("src", rule.source.services), ("dst", rule.destination.services)):
        if named is not None:
            terms.append(packet.in_service(tag, service_key(named)))
    return conj(terms)


def service_key(named: calico.ServiceMatch) -> str:
    """"namespace/name" as the evaluator looks the Service up (namespace filled in by resolve_rule)."""
    return f"{named.namespace or ''}/{named.name}"


def rule_matches(rule: ResolvedRule, packet: Packet) -> Term:
    """calico_match.rule_matches on the symbolic packet (source ports checked by the caller)."""
    return conj((
        _family_exists(rule, packet),
        _protocol_matches(rule, packet),
        _address_matches(rule.source, packet.source),
        _address_matches(rule.destination, packet.destination),
        _destination_ports_match(rule.destination, packet),
        _endpoint_matches(rule.source, packet.source, packet.network_sets),
        _endpoint_matches(rule.destination, packet.destination, packet.network_sets),
        _services_match(rule, packet),
    ))


PolicyFilter = Callable[[PreparedPolicy], bool]


def _tier_outcome(
    tier: TierPolicies, policies: Sequence[PreparedPolicy], direction: Direction,
    subject: Endpoint, packet: Packet, after: Term,
) -> Term:
    """One tier (CalicoEvaluator._run_tier): first matching Allow/Deny decides, Pass goes on to
    `after` (the later tiers), Log keeps going; no match: defaultAction."""
    outcome: Term = after if tier.tier.default_action is calico.Action.PASS else False
    selected = [selector_holds(p.selector, subject) for p in policies]
    for policy, chosen in reversed(list(zip(policies, selected, strict=True))):
        if chosen is False:
            continue
        for rule in reversed(policy.rules(direction)):
            if rule.action is calico.Action.LOG:
                continue
            _check_source_ports(policy, rule)
            action: Term = {calico.Action.ALLOW: True, calico.Action.DENY: False}.get(rule.action, after)
            outcome = ite(conj((chosen, rule_matches(rule, packet))), action, outcome)
    return ite(disj(selected), outcome, after)


def decision(
    tiers: Sequence[TierPolicies], direction: Direction, packet: Packet, keep: PolicyFilter
) -> z3.BoolRef:
    """Whether the subject endpoint (the source for egress, the destination for ingress) allows
    the packet: tiers in order, then the pod's profile `kns.<namespace>`, which allows.

    `keep` leaves out the policies that cannot select the subject's class (other namespaces').
    """
    subject = packet.source if direction is Direction.EGRESS else packet.destination
    if subject.where.outside:
        return to_z3(True)  # Calico policy applies only at pods (and host endpoints)
    # After the tiers, the profiles: a pod's kns.<namespace> allows; a host endpoint's allow only
    # if one is projectcalico-default-allow (calico._profiles).
    host = subject.where.host
    result: Term = True if host is None else DEFAULT_ALLOW_PROFILE in host.profiles
    for tier in reversed(tiers):
        policies = [p for p in tier.policies if direction in p.types and keep(p)]
        if policies:
            result = _tier_outcome(tier, policies, direction, subject, packet, result)
    if not subject.where.always_pod and host is None:
        result = ite(subject.is_pod, result, True)
    return to_z3(result)


# What `decision` reads, without names: two equal shapes give equivalent decisions, so a check
# between them needs no solver. Keep in step with `_tier_outcome`/`decision` above: a field those
# read must be in the shape (rules keep every field but their position and origin, so fields
# added to ResolvedRule/ResolvedEntity are compared automatically).
Shape = tuple[tuple[object, tuple[tuple[object, tuple[ResolvedRule, ...]], ...]], ...]


def _rule_shape(rule: ResolvedRule) -> ResolvedRule:
    return replace(rule, index=0, origin="")


def _denies_everything(rule: ResolvedRule, namespace: str | None) -> bool:
    """`rule` is `action: Deny` and nothing else (it matches every packet of both families)."""
    bare = resolve_rule(calico.Rule(calico.Action.DENY), 0, namespace, "")
    return _rule_shape(rule) == bare


def _without_trailing_denials(policies: list[PreparedPolicy], direction: Direction) -> list[PreparedPolicy]:
    """Drop the tier's last policies that only deny everything (or hold no rule) and select
    exactly what an earlier policy of the tier selects, in a tier whose end-of-tier action denies.

    Why this keeps the decision: such a policy P is reached only when no earlier rule matched;
    then it denies, as the end of the tier would; and a pod P selects is selected by the earlier
    policy with P's selector, so the tier still applies to exactly the same pods. (np2calico
    writes these `np2calico-deny-*` policies to say the default deny out loud.)
    """
    kept = list(policies)
    while len(kept) > 1:
        last = kept[-1]
        rules = [r for r in last.rules(direction) if r.action is not calico.Action.LOG]
        only_denies = all(_denies_everything(r, last.namespace) for r in rules[:1])
        if not only_denies or all(p.selector != last.selector for p in kept[:-1]):
            break
        kept.pop()
    return kept


def decision_shape(tiers: Sequence[TierPolicies], direction: Direction) -> Shape:
    """Per tier that holds a policy for `direction`: whether its end passes, and per policy its
    selector and rules (positions and origins left out; Log rules, which decide nothing, too)."""
    found = []
    for tier in tiers:
        policies = [p for p in tier.policies if direction in p.types]
        passes = tier.tier.default_action is calico.Action.PASS
        if not passes:
            policies = _without_trailing_denials(policies, direction)
        if policies:
            shaped = tuple((p.selector, tuple(_rule_shape(r) for r in p.rules(direction)
                                              if r.action is not calico.Action.LOG)) for p in policies)
            found.append((passes, shaped))
    return tuple(found)
