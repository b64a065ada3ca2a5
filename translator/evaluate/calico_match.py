"""Does one Calico rule match one packet? Every present field must match (semantics.md §2.5).

Rules are resolved once per policy (`resolve_rule`): selectors rewritten to what Felix evaluates
(`calico_scope`), protocols turned into numbers, and the IP families in which the rule exists
computed the way felix/rules/policy.go (FilterRuleToIPVersion) filters rules per family:

- a rule with `ipVersion` set does not exist for the other family;
- a rule whose `nets` (or `notNets`) of one side are all of the other family does not exist at
  all for this family (not "matches nothing": a Deny rule vanishes too);
- a `notNets` holding the catch-all CIDR of the family drops the rule for that family.

Source ports are part of the connection. A connection may name its source port
(`Connection.source_port`): source `ports`/`notPorts` then match it like destination ports do (a
named port resolves on the *source* endpoint, whose port it is). When it names none, the connection
stands for every source port the client may pick: a source port constraint that every port
satisfies (`ports` covering 1-65535, no `notPorts`) matches; any other one makes the verdict depend
on the source port, and evaluating it is refused (`SourcePortNeeded`) rather than guessed — never
"no match". np2calico's converter never emits source ports.

A side naming `services` matches the endpoints of that Service (`service_members`): the
destination's (address, port, protocol) for egress, the source's address for ingress. When the
cluster state cannot tell the endpoints, a rule that would otherwise match is refused the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from translator.errors import UsageError
from translator.evaluate.calico_scope import EndpointView, EntitySelectors, entity_selectors
from translator.evaluate.service_members import ServiceEndpoints, ServiceEndpointsUnknown, ServiceIndex
from translator.model import calico
from translator.model.common import IPAddress, IPNetwork, PortRange, Protocol
from translator.model.intervals import AddressSet
from translator.selectors import Selector

IP_FAMILIES = (4, 6)
EVERY_PORT = PortRange(1, 65535)


class SourcePortNeeded(UsageError):
    """A rule's source ports decide only some source ports, and the connection names none."""


@dataclass(frozen=True)
class Packet:
    """The first packet of a connection, as both endpoints' policies see it."""

    protocol: Protocol
    version: int
    source: EndpointView
    destination: EndpointView
    source_ip: IPAddress | None
    destination_ip: IPAddress | None
    port: int | None  # destination port; None when a named port did not resolve
    source_port: int | None = None  # None: any source port (see the module docstring)
    # The protocol's IANA number, computed once: every rule of every applicable policy compares it.
    protocol_number: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "protocol_number", self.protocol.number)


@dataclass(frozen=True)
class _PortSpecs:
    """A rule side's `ports` (or `notPorts`): numeric ranges as (start, end) pairs, and names."""

    ranges: tuple[tuple[int, int], ...]
    names: tuple[str, ...]

    @classmethod
    def of(cls, specs: tuple[calico.PortSpec, ...]) -> _PortSpecs:
        return cls(tuple((s.start, s.end) for s in specs if isinstance(s, PortRange)),
                   tuple(s for s in specs if not isinstance(s, PortRange)))

    def hold(self, port: int, owner: EndpointView, protocol: Protocol) -> bool:
        """Whether a range holds `port`, or a name does: any (IP, port, protocol) the endpoint
        owning the port declares under that name."""
        for start, end in self.ranges:
            if start <= port <= end:
                return True
        return any(port in owner.named_ports(name, protocol) for name in self.names)


@dataclass(frozen=True)
class ResolvedEntity:
    selectors: EntitySelectors
    nets: tuple[IPNetwork, ...]
    not_nets: tuple[IPNetwork, ...]
    ports: tuple[calico.PortSpec, ...]
    not_ports: tuple[calico.PortSpec, ...]
    # `services` with its namespace filled in (a namespaced policy's own when not written).
    services: calico.ServiceMatch | None = None
    # The same nets as interval sets, for matching (hundreds of CIDRs are common).
    net_set: AddressSet = field(init=False, compare=False, repr=False)
    not_net_set: AddressSet = field(init=False, compare=False, repr=False)
    # Whether any address field is present: most rules have none, and skip address matching.
    has_nets: bool = field(init=False, compare=False, repr=False)
    # `ports` and `notPorts` split once into numeric bounds and names, for matching.
    port_specs: _PortSpecs = field(init=False, compare=False, repr=False)
    not_port_specs: _PortSpecs = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "net_set", AddressSet(self.nets))
        object.__setattr__(self, "not_net_set", AddressSet(self.not_nets))
        object.__setattr__(self, "has_nets", bool(self.nets or self.not_nets))
        object.__setattr__(self, "port_specs", _PortSpecs.of(self.ports))
        object.__setattr__(self, "not_port_specs", _PortSpecs.of(self.not_ports))


@dataclass(frozen=True)
class ResolvedRule:
    """A rule ready for matching; `origin` says where it came from, for explanations."""

    index: int
    action: calico.Action
    protocol: int | None
    not_protocol: int | None
    families: frozenset[int]
    source: ResolvedEntity
    destination: ResolvedEntity
    origin: str


def _resolve_entity(entity: calico.EntityRule, namespace: str | None) -> ResolvedEntity:
    services = entity.services
    if services is not None and services.namespace is None:
        services = calico.ServiceMatch(services.name, namespace)
    return ResolvedEntity(
        entity_selectors(entity, namespace), entity.nets, entity.not_nets, entity.ports, entity.not_ports,
        services,
    )


def _cidrs_exist_in(nets: tuple[IPNetwork, ...], family: int, negated: bool) -> bool:
    if not nets:
        return True
    same_family = [n for n in nets if n.version == family]
    if negated and any(n.prefixlen == 0 for n in same_family):
        return False  # a negated catch-all is dropped by Felix rather than rendered
    return bool(same_family)


def rule_families(rule: calico.Rule) -> frozenset[int]:
    """The IP families in which Felix renders this rule at all."""
    families = set()
    for family in IP_FAMILIES:
        if rule.ip_version is not None and rule.ip_version != family:
            continue
        sides = (rule.source, rule.destination)
        if all(
            _cidrs_exist_in(side.nets, family, False) and _cidrs_exist_in(side.not_nets, family, True)
            for side in sides
        ):
            families.add(family)
    return frozenset(families)


def resolve_rule(rule: calico.Rule, index: int, namespace: str | None, origin: str) -> ResolvedRule:
    """Prepare `rule` of a policy in `namespace` (None: a global policy) for matching."""
    return ResolvedRule(
        index=index,
        action=rule.action,
        protocol=rule.protocol.number if rule.protocol is not None else None,
        not_protocol=rule.not_protocol.number if rule.not_protocol is not None else None,
        families=rule_families(rule),
        source=_resolve_entity(rule.source, namespace),
        destination=_resolve_entity(rule.destination, namespace),
        origin=origin,
    )


SelectorTest = Callable[[Selector, EndpointView], bool]


def _address_matches(entity: ResolvedEntity, address: IPAddress | None) -> bool:
    if not entity.has_nets:
        return True
    if entity.nets and (address is None or address not in entity.net_set):
        return False
    # An unknown address is in no network, so notNets cannot exclude it.
    return not (entity.not_nets and address is not None and address in entity.not_net_set)


def _in_selector_set(selector: Selector, view: EndpointView, test: SelectorTest) -> bool:
    """Is the address in the IP set Felix builds for `selector`? The endpoint's addresses are when
    its labels match; any address is when a network set holding it has matching labels."""
    if view.labels is not None and test(selector, view):
        return True
    return any(test(selector, network_set) for network_set in view.network_sets)


def _endpoint_matches(entity: ResolvedEntity, view: EndpointView, test: SelectorTest) -> bool:
    """Selectors match endpoints and network sets: an address outside the cluster and outside every
    network set is in no selector's set."""
    positive, negative = entity.selectors.positive, entity.selectors.negative
    if positive is not None and not _in_selector_set(positive, view, test):
        return False
    return negative is None or not _in_selector_set(negative, view, test)


def _ports_match(entity: ResolvedEntity, port: int | None, owner: EndpointView, protocol: Protocol) -> bool:
    # No port is in any spec: a port constraint then fails, and a notPorts one cannot exclude.
    if entity.ports and (port is None or not entity.port_specs.hold(port, owner, protocol)):
        return False
    return not (entity.not_ports and port is not None
                and entity.not_port_specs.hold(port, owner, protocol))


def _destination_ports_match(entity: ResolvedEntity, packet: Packet) -> bool:
    if not entity.ports and not entity.not_ports:
        return True
    return _ports_match(entity, packet.port, packet.destination, packet.protocol)


def covers_every_port(specs: tuple[calico.PortSpec, ...]) -> bool:
    """True when the numeric ranges of `specs` hold every port 1-65535."""
    next_port = EVERY_PORT.start
    for spec in sorted(s for s in specs if isinstance(s, PortRange)):
        if spec.start > next_port:
            return False
        next_port = max(next_port, spec.end + 1)
    return next_port > EVERY_PORT.end


def _source_ports_match(rule: ResolvedRule, packet: Packet) -> bool:
    entity = rule.source
    if not entity.ports and not entity.not_ports:
        return True
    if packet.source_port is not None:
        return _ports_match(entity, packet.source_port, packet.source, packet.protocol)
    if not entity.not_ports and covers_every_port(entity.ports):
        return True
    raise SourcePortNeeded(
        f"{rule.origin}: its source ports match only some source ports, so the verdict depends on "
        "the connection's source port; name one (explain --source-port)"
    )


def _protocol_matches(rule: ResolvedRule, packet: Packet) -> bool:
    number = packet.protocol_number
    if rule.protocol is not None and rule.protocol != number:
        return False
    return rule.not_protocol is None or rule.not_protocol != number


def rule_service_endpoints(rule: ResolvedRule, services: ServiceIndex | None) -> list[ServiceEndpoints]:
    """The endpoints of the Services `rule` names (source first); refused when there is no state."""
    named = [s for s in (rule.source.services, rule.destination.services) if s is not None]
    if named and services is None:
        raise ServiceEndpointsUnknown(
            f"{rule.origin}: a rule matching a Service's endpoints needs a cluster state holding them")
    assert services is not None or not named
    return [services.endpoints(s.namespace or "", s.name) for s in named] if services else []


def _services_match(rule: ResolvedRule, packet: Packet, services: ServiceIndex | None) -> bool:
    if rule.source.services is None and rule.destination.services is None:
        return True
    found = iter(rule_service_endpoints(rule, services))
    if rule.source.services is not None:
        source = next(found)
        if not source.known:
            raise source.unknown(rule.origin)
        if not source.holds_source(packet.source.endpoint, packet.source_ip):
            return False
    if rule.destination.services is not None:
        destination = next(found)
        if not destination.known:
            raise destination.unknown(rule.origin)
        view = packet.destination
        return destination.holds_destination(
            view.endpoint, packet.destination_ip, packet.port, packet.protocol)
    return True


def rule_matches(rule: ResolvedRule, packet: Packet, test: SelectorTest,
                 services: ServiceIndex | None = None) -> bool:
    """All present fields of `rule` match `packet` (and the rule exists for its IP family);
    `services` holds the endpoints of the Services rules name (the cluster state's)."""
    if packet.version not in rule.families or not _protocol_matches(rule, packet):
        return False
    src, dst = rule.source, rule.destination
    return (
        _address_matches(src, packet.source_ip)
        and _address_matches(dst, packet.destination_ip)
        and _destination_ports_match(dst, packet)
        and _endpoint_matches(src, packet.source, test)
        and _endpoint_matches(dst, packet.destination, test)
        # last: they may refuse, only when they would decide
        and _source_ports_match(rule, packet)
        and _services_match(rule, packet, services)
    )
