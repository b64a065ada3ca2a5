"""Every difference between two policy sets, as regions described in user terms (exact, no cap).

A region is a conjunction of literals over the atoms the policies can tell apart: each label a
selector reads (absent, one of the mentioned values, another value, or the truth of a string
test), the namespace, the named ports the destination declares, the CIDRs the rules name, whether
an end is an endpoint of a Service a `services` rule names, the protocol and the port interval
between two port boundaries the rules name. Every connection in a region has the same verdict on
each side, so regions are found by enumeration: take a differing connection, widen its region by
dropping every literal the difference does not need (one solver query each), record it, exclude
it, and ask again until nothing differs. The regions of one pair of endpoint classes are disjoint,
and together they cover every difference.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import z3

from translator.evaluate.calico_policies import TierPolicies
from translator.model.cluster import NetworkSet
from translator.model.common import Direction, IPNetwork, PortRange
from translator.selectors import Contains, EndsWith, Selector, StartsWith
from translator.verify import invariants as inv
from translator.verify.domains import EnumValue, FixedValue, StringValue, Value
from translator.verify.encode import decision
from translator.verify.engine import DEFAULT_TIMEOUT_MS, DIRECTIONS, Engine, UndecidedError
from translator.verify.symbols import OUTSIDE, Endpoint, EndpointClass, Packet
from translator.verify.terms import Term

STRING_TESTS: dict[type[Selector], str] = {
    Contains: "contains", StartsWith: "starts with", EndsWith: "ends with"
}


@dataclass(frozen=True)
class Literal:
    """One fact of a region: its formula, and how to say it (`side` is src, dst or the packet)."""

    term: z3.BoolRef
    side: str
    text: str
    kind: str = "label"  # label, presence, namespace, port, protocol, address, family, named-port
    key: str = ""


@dataclass(frozen=True)
class Region:
    source: EndpointClass
    destination: EndpointClass
    literals: tuple[Literal, ...]
    allowed_a: bool
    allowed_b: bool
    seed: z3.ModelRef
    packet: Packet

    base: tuple[z3.BoolRef, ...] = ()
    strings: bool = True

    def seed_for(self, protocol: int) -> z3.ModelRef | None:
        """A connection of the region using `protocol` (the verdicts, hence causes, of one)."""
        if self.seed.eval(self.packet.protocol, model_completion=True).as_long() == protocol:
            return self.seed
        solver = _solver(self.strings)
        solver.add(*self.base, *(x.term for x in self.literals), self.packet.protocol == protocol)
        return solver.model() if _check(solver) == z3.sat else None

    def facts(self, side: str, kind: str | None = None) -> list[Literal]:
        return [x for x in self.literals if x.side == side and (kind is None or x.kind == kind)]


def _solver(strings: bool, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> z3.Solver:
    """A solver with the engine's time limit: without one a hard string query could run forever."""
    solver = z3.Solver() if strings else z3.SolverFor("QF_BV")
    solver.set("timeout", timeout_ms)
    return solver


def _check(solver: z3.Solver) -> z3.CheckSatResult:
    """`unknown` is never taken as "no more regions" or "no such connection": the diff must not
    claim no change for what it did not examine."""
    answer = solver.check()
    if answer == z3.unknown:
        raise UndecidedError(f"the solver could not decide a query ({solver.reason_unknown()})")
    return answer


def _true(model: z3.ModelRef, term: Term) -> bool:
    if isinstance(term, bool):
        return term
    return z3.is_true(model.eval(term, model_completion=True))


def _value_literals(end: Endpoint, key: str, value: Value, model: z3.ModelRef) -> Iterator[Literal]:
    if isinstance(value, EnumValue):
        index = value.index(model)
        if index < len(value.constants):
            yield Literal(value.term == index, end.tag, f"{key}={value.constants[index]}")
        else:
            shown = ", ".join(value.constants)
            text = f"{key} not in {{{shown}}}" if shown else f"has {key}"
            yield Literal(z3.UGE(value.term, len(value.constants)), end.tag, text)
    elif isinstance(value, StringValue):
        for constant in sorted(end.domains.constants.get(key, ())):
            tests = [(value.equals(constant), "=", "!=")]
            tests += [(value.string_test(kind, constant), f" {word} ", f" not {word} ")
                      for kind, word in STRING_TESTS.items()]
            for term, yes, no in tests:
                holds = _true(model, term)
                text = f"{key}{yes if holds else no}'{constant}'"
                if not isinstance(term, bool):
                    yield Literal(term if holds else z3.Not(term), end.tag, text)


def _endpoint_literals(end: Endpoint, model: z3.ModelRef) -> Iterator[Literal]:
    if not end.where.always_pod:
        return
    if not isinstance(end.namespace, FixedValue):
        for literal in _value_literals(end, inv.CALICO_WRITTEN[0], end.namespace, model):
            yield Literal(literal.term, end.tag, literal.text, "namespace")
    for key, (present, value) in sorted(end.labels.items()):
        if key == inv.CALICO_WRITTEN[0] or isinstance(value, FixedValue) or present is False:
            continue
        if not _true(model, present):
            yield Literal(z3.Not(present), end.tag, f"no {key} label")
            continue
        if present is not True:
            yield Literal(present, end.tag, f"has {key}", "presence", key)
        for literal in _value_literals(end, key, value, model):
            yield Literal(literal.term, literal.side, literal.text, literal.kind, key)
    for name, declared in sorted(end.named_ports.items()):
        if not isinstance(declared, bool):
            holds = _true(model, declared)
            text = f"declaring the port as {name!r}" if holds else f"not declaring it as {name!r}"
            yield Literal(declared if holds else z3.Not(declared), end.tag, text, "named-port")


def _service_literals(packet: Packet, model: z3.ModelRef) -> Iterator[Literal]:
    """Whether an end is an endpoint of a Service a `services` rule names (any endpoint set)."""
    for (tag, key), member in sorted(packet.services.items(), key=lambda item: item[0]):
        holds = _true(model, member)
        if tag == "dst":
            text = f"{'' if holds else 'not '}an endpoint of svc {key} on the port and protocol"
        else:
            text = f"{'' if holds else 'not '}an endpoint address of svc {key}"
        yield Literal(member if holds else z3.Not(member), tag, text, "service", key)


def _namespace_label_literals(packet: Packet, model: z3.ModelRef) -> Iterator[Literal]:
    """The labels of network sets' namespaces the region needs (side "cluster")."""
    if packet.network_sets is None:
        return
    for (namespace, key), (present, value) in sorted(packet.network_sets.namespaces.found.items()):
        if isinstance(present, bool):
            continue
        plain = key[len(inv.NAMESPACE_PREFIX):]
        if not _true(model, present):
            yield Literal(z3.Not(present), "cluster", f"namespace {namespace} without label {plain}",
                          "namespace-label", key)
            continue
        yield Literal(present, "cluster", f"namespace {namespace} labelled {plain}", "presence", key)
        for literal in _value_literals(packet.source, key, value, model):
            text = f"namespace {namespace} labelled {literal.text.replace(key, plain, 1)}"
            yield Literal(literal.term, "cluster", text, "namespace-label", key)


def _networks(sides: tuple[tuple[TierPolicies, ...], ...], network_sets: Iterable[NetworkSet] = ()
              ) -> list[IPNetwork]:
    """The CIDRs that tell addresses apart: those rules name, and the nets of network sets."""
    found: set[IPNetwork] = {n for network_set in network_sets for n in network_set.nets}
    for tiers in sides:
        for tier in tiers:
            for policy in tier.policies:
                for rule in (*policy.ingress, *policy.egress):
                    for entity in (rule.source, rule.destination):
                        found.update(entity.nets)
                        found.update(entity.not_nets)
    return sorted(found, key=lambda n: (n.version, n.network_address, n.prefixlen))


def _port_bounds(sides: tuple[tuple[TierPolicies, ...], ...]) -> list[int]:
    """Where the verdict may change along the port axis: each range's start and one past its end."""
    bounds = {inv.PORT_RANGE[0], inv.PORT_RANGE[1] + 1}
    for tiers in sides:
        for tier in tiers:
            for policy in tier.policies:
                for rule in (*policy.ingress, *policy.egress):
                    for spec in (*rule.destination.ports, *rule.destination.not_ports):
                        if isinstance(spec, PortRange):
                            bounds.update((spec.start, spec.end + 1))
    return sorted(bounds)


def _protocols(sides: tuple[tuple[TierPolicies, ...], ...]) -> list[int]:
    found = set(inv.PORTED_PROTOCOLS.values())
    for tiers in sides:
        for tier in tiers:
            for policy in tier.policies:
                for rule in (*policy.ingress, *policy.egress):
                    found.update(p for p in (rule.protocol, rule.not_protocol) if p is not None)
    return sorted(found)


class RegionFinder:
    """Enumerates the regions where the two sides of an engine disagree."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        sides = (engine.sides.a, engine.sides.b)
        self.networks = _networks(sides, engine.sides.network_sets)
        self.bounds = _port_bounds(sides)
        self.protocols = _protocols(sides)

    def _packet_literals(self, packet: Packet, model: z3.ModelRef) -> Iterator[Literal]:
        number = model.eval(packet.protocol, model_completion=True).as_long()
        if number in self.protocols:
            yield Literal(packet.protocol == number, "packet", str(number), "protocol")
        else:
            others = z3.And(*(packet.protocol != p for p in self.protocols))
            yield Literal(others, "packet", "other", "protocol")
        if number in inv.PORTED_PROTOCOLS.values():
            port = model.eval(packet.port, model_completion=True).as_long()
            low = max(b for b in self.bounds if b <= port)
            high = min(b for b in self.bounds if b > port) - 1
            term = z3.And(z3.UGE(packet.port, low), z3.ULE(packet.port, high))
            yield Literal(term, "packet", f"{low}:{high}", "port")
        v6 = _true(model, packet.v6)
        yield Literal(packet.v6 if v6 else z3.Not(packet.v6), "packet", "6" if v6 else "4", "family")
        for end in (packet.source, packet.destination):
            for net in self.networks:
                inside = end.in_network(net)
                if _true(model, inside):
                    yield Literal(inside, end.tag, str(net), "address")
                elif (net.version == 6) == v6:
                    yield Literal(z3.Not(inside), end.tag, f"not {net}", "address")

    def _literals(self, packet: Packet, model: z3.ModelRef) -> list[Literal]:
        found = [*_endpoint_literals(packet.source, model), *_endpoint_literals(packet.destination, model),
                 *self._packet_literals(packet, model), *_namespace_label_literals(packet, model),
                 *_service_literals(packet, model)]
        return found

    def regions(self, source: EndpointClass, destination: EndpointClass) -> Iterator[Region]:
        engine = self.engine
        packet = engine._packet(source, destination)
        verdicts = []
        for tiers in (engine.sides.a, engine.sides.b):
            egress = decision(engine.sides.scoped(tiers, source), Direction.EGRESS, packet, _keeps(source))
            ingress = decision(engine.sides.scoped(tiers, destination), Direction.INGRESS, packet,
                               _keeps(destination))
            verdicts.append(z3.And(egress, ingress))
        a, b = verdicts
        solver = _solver(bool(engine.sides.domains.strings), engine.timeout_ms)
        solver.add(a != b)
        base = packet.constraints()
        solver.add(*base)
        while _check(solver) == z3.sat:
            model = solver.model()
            allowed_a = _true(model, a)
            literals = self._literals(packet, model)
            base = packet.constraints()  # literal creation may have added label constraints
            kept = self._widen(literals, base, z3.And(a == allowed_a, b != allowed_a))
            yield Region(source, destination, tuple(kept), allowed_a, not allowed_a, model, packet,
                         tuple(base), bool(engine.sides.domains.strings))
            solver.add(*base)
            solver.add(z3.Not(z3.And(*(x.term for x in kept))) if kept else z3.BoolVal(False))

    def _widen(self, literals: list[Literal], base: list[z3.BoolRef], same: z3.BoolRef) -> list[Literal]:
        """Drop each literal whose absence keeps every connection of the region differing alike."""
        checker = _solver(bool(self.engine.sides.domains.strings), self.engine.timeout_ms)
        checker.add(*base, z3.Not(same))
        kept = list(literals)
        for literal in literals:
            trial = [x for x in kept if x is not literal]
            checker.push()
            checker.add(*(x.term for x in trial))
            if checker.check() == z3.unsat:  # unknown keeps the literal: a narrower region, still exact
                kept = trial
            checker.pop()
        return kept


def _keeps(where: EndpointClass):  # type: ignore[no-untyped-def]
    from translator.verify.engine import keeps

    return keeps(where)


def class_pairs(engine: Engine) -> Iterator[tuple[EndpointClass, EndpointClass]]:
    """The (source, destination) class pairs where a difference may be: a side whose own decision
    differs somewhere, with every class on the other side."""
    classes = [*engine.sides.classes()]
    egress: list[EndpointClass] = []
    ingress: list[EndpointClass] = []
    for where in classes:
        for direction in DIRECTIONS:
            if engine.direction_check(where, direction).differs:
                (egress if direction is Direction.EGRESS else ingress).append(where)
    pairs: dict[tuple[EndpointClass, EndpointClass], None] = {}
    for source in egress:
        for destination in [OUTSIDE, *classes]:
            pairs[(source, destination)] = None
    for destination in ingress:
        for source in [OUTSIDE, *classes]:
            pairs[(source, destination)] = None
    yield from pairs


def all_regions(engine: Engine) -> Iterator[Region]:
    finder = RegionFinder(engine)
    for source, destination in class_pairs(engine):
        yield from finder.regions(source, destination)


def _overlaps(net: IPNetwork, other: IPNetwork) -> bool:
    return net.version == other.version and net.overlaps(other)  # type: ignore[arg-type]


def _narrowed(net: IPNetwork, included: IPNetwork) -> IPNetwork:
    return included if included.subnet_of(net) else net  # type: ignore[arg-type]


def _without(net: IPNetwork, excluded: IPNetwork) -> list[IPNetwork]:
    if excluded.subnet_of(net):  # type: ignore[arg-type]
        return list(net.address_exclude(excluded))  # type: ignore[arg-type]
    return [] if net.subnet_of(excluded) else [net]  # type: ignore[arg-type]


def network_list(region: Region, side: str) -> list[str]:
    """The CIDRs an outside side of a region covers (its family, minus excluded networks)."""
    family = next((x.text for x in region.facts("packet", "family")), "4")
    whole = ipaddress.ip_network("::/0" if family == "6" else "0.0.0.0/0")
    nets: list[IPNetwork] = [whole]
    for literal in region.facts(side, "address"):
        if literal.text.startswith("not "):
            excluded = ipaddress.ip_network(literal.text[4:])
            nets = [piece for n in nets for piece in _without(n, excluded)]
        else:
            included = ipaddress.ip_network(literal.text)
            nets = [_narrowed(n, included) for n in nets if _overlaps(n, included)]
    return [str(n) for n in sorted(set(nets), key=lambda n: (n.network_address, n.prefixlen))]
