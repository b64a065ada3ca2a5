"""Single mutations of a Calico policy set, each with a description (for the mutation test).

Drop a rule, Allow↔Deny, change a port, a protocol or a CIDR, drop a selector term, change an
order, flip a tier's default action.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from translator.model import calico
from translator.model.common import Direction, IPNetwork, PortRange
from translator.selectors import And, Selector, and_

Mutation = tuple[str, calico.PolicySet]


def _with_policy(ps: calico.PolicySet, index: int, policy: calico.CalicoPolicy) -> calico.PolicySet:
    policies = list(ps.calico_policies)
    policies[index] = policy
    return replace(ps, calico_policies=tuple(policies))


def _with_rules(
    policy: calico.CalicoPolicy, direction: Direction, rules: list[calico.Rule]
) -> calico.CalicoPolicy:
    field = "ingress" if direction is Direction.INGRESS else "egress"
    return replace(policy, spec=replace(policy.spec, **{field: tuple(rules)}))


def _fewer_terms(selector: Selector | None) -> Iterator[Selector | None]:
    if selector is None:
        return
    if isinstance(selector, And):
        for i in range(len(selector.operands)):
            yield and_(selector.operands[:i] + selector.operands[i + 1:])
    else:
        yield None


def _other_port(port: calico.PortSpec) -> calico.PortSpec:
    if isinstance(port, str):
        return port + "x"
    shift = 1 if port.end < 65535 else -1
    return PortRange(port.start + shift, port.end + shift)


def _other_net(net: IPNetwork) -> IPNetwork:
    if net.prefixlen < net.max_prefixlen:
        return next(net.subnets(1))
    return net.supernet(1)


def _entity_mutations(entity: calico.EntityRule) -> Iterator[tuple[str, calico.EntityRule]]:
    for k, port in enumerate(entity.ports):
        ports = list(entity.ports)
        ports[k] = _other_port(port)
        yield f"port {port} -> {ports[k]}", replace(entity, ports=tuple(ports))
    for field in ("nets", "not_nets"):
        nets: tuple[IPNetwork, ...] = getattr(entity, field)
        for k, net in enumerate(nets):
            changed = list(nets)
            changed[k] = _other_net(net)
            yield f"{field} {net} -> {changed[k]}", replace(entity, **{field: tuple(changed)})
    for field in ("selector", "namespace_selector"):
        for fewer in _fewer_terms(getattr(entity, field)):
            yield f"{field} -> {fewer}", replace(entity, **{field: fewer})


def _rule_mutations(rule: calico.Rule) -> Iterator[tuple[str, calico.Rule | None]]:
    yield "drop", None
    flipped = {calico.Action.ALLOW: calico.Action.DENY, calico.Action.DENY: calico.Action.ALLOW}
    if rule.action in flipped:
        action = flipped[rule.action]
        yield f"{rule.action.value} -> {action.value}", replace(rule, action=action)
    protocol = {None: "TCP", "TCP": "UDP"}.get(rule.protocol, "TCP")  # type: ignore[arg-type]
    if not (protocol is None and (rule.destination.ports or rule.source.ports)):
        yield f"protocol {rule.protocol} -> {protocol}", replace(rule, protocol=protocol)
    for side in ("source", "destination"):
        for text, entity in _entity_mutations(getattr(rule, side)):
            yield f"{side} {text}", replace(rule, **{side: entity})


def _policy_mutations(policy: calico.CalicoPolicy) -> Iterator[tuple[str, calico.CalicoPolicy]]:
    for direction in (Direction.INGRESS, Direction.EGRESS):
        rules = list(policy.spec.rules(direction))
        for j, rule in enumerate(rules):
            for text, changed in _rule_mutations(rule):
                new = rules[:j] + ([changed] if changed is not None else []) + rules[j + 1:]
                yield f"{direction.value.lower()}[{j}] {text}", _with_rules(policy, direction, new)
    order = policy.spec.order
    yield f"order {order} -> none", replace(policy, spec=replace(policy.spec, order=None))
    if order is not None:
        yield f"order {order} -> 0", replace(policy, spec=replace(policy.spec, order=0.0))
    for fewer in _fewer_terms(policy.spec.selector):
        yield f"selector -> {fewer}", replace(policy, spec=replace(policy.spec, selector=fewer))


def mutations(ps: calico.PolicySet) -> Iterator[Mutation]:
    for i, policy in enumerate(ps.calico_policies):
        for text, changed in _policy_mutations(policy):
            yield f"{policy.key}: {text}", _with_policy(ps, i, changed)
    for k, tier in enumerate(ps.tiers):
        action = calico.Action.DENY if tier.default_action is calico.Action.PASS else calico.Action.PASS
        tiers = list(ps.tiers)
        tiers[k] = replace(tier, default_action=action)
        yield f"tier {tier.name}: defaultAction -> {action.value}", replace(ps, tiers=tuple(tiers))
