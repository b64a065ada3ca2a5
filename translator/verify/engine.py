"""Decide whether two policy sets give some possible connection different verdicts.

How the question is cut into small solver queries (each a few policies, not the whole input):

1. A connection's verdict is egress-at-the-source ∧ ingress-at-the-destination. If, for every
   pod, both sets decide each direction alike for every packet and peer, the sets are equivalent.
2. A pod's decision reads only the policies that can select it: the global ones and those of its
   own namespace (a NetworkPolicy's selector is confined to its namespace). So the check is made
   per (direction, namespace class): each namespace a namespaced policy lives in, and "any other
   namespace"; the peer stays fully symbolic (a pod of any namespace, or an outside address).
   A class whose policies are the same on both sides is skipped.
3. A direction that differs is not yet a different verdict: the other side of the connection may
   deny it on both sides. For each differing class the peer is then fixed to one class at a time
   (outside, same namespace, other namespace, each named namespace) and the whole verdict is
   compared; the first satisfiable query is the witness. If none is, the sets are equivalent.

Every step is exact: an unsat answer is a proof over all label values, addresses, ports and
protocols; a solver `unknown` is reported as such, never as "equivalent".
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import z3

from translator.errors import NP2CalicoError
from translator.evaluate.calico_policies import DEFAULT_TIE_BREAK, TierPolicies, ordered_tiers
from translator.model.calico import PolicySet, TieBreak
from translator.model.cluster import HostEndpoint, NetworkSet
from translator.model.common import Direction, IPAddress
from translator.verify.domains import Domains, tier_selectors
from translator.verify.encode import decision, decision_shape
from translator.verify.network_sets import NetworkSetTerms, network_set_namespaces
from translator.verify.symbols import OUTSIDE, EndpointClass, Packet

DIRECTIONS = (Direction.EGRESS, Direction.INGRESS)
# Per query; a query that hits it is reported as undecided, never as a proof.
DEFAULT_TIMEOUT_MS = 120_000


class UndecidedError(NP2CalicoError):
    """The solver gave up on a query: no answer can be claimed."""


@dataclass(frozen=True)
class Check:
    """One per-direction query: did some pod of `where` decide `direction` differently?"""

    direction: Direction
    where: EndpointClass
    differs: bool
    seconds: float
    skipped: bool = False
    # CPU seconds of this process for the whole check, and of them inside the solver (the rest
    # is building the formulas): wall time misleads on a shared machine.
    cpu_seconds: float = 0.0
    solver_seconds: float = 0.0


@dataclass(frozen=True)
class Difference:
    """A satisfiable whole-verdict query: its packet and model, for the witness."""

    packet: Packet
    model: z3.ModelRef
    allowed_a: bool
    allowed_b: bool
    # The query the model satisfies (for choosing realistic addresses afterwards).
    query: tuple[z3.BoolRef, ...] = ()


@dataclass
class Sides:
    """Both policy sets as Felix holds them (tiers of prepared policies, staged ones left out)."""

    a: tuple[TierPolicies, ...]
    b: tuple[TierPolicies, ...]
    # Cluster state both sides are judged on: rule selectors match these sets' nets.
    network_sets: tuple[NetworkSet, ...] = ()
    # The host endpoints given: endpoints of their own (see `symbols.Endpoint`).
    hosts: tuple[HostEndpoint, ...] = ()
    namespaces: tuple[str, ...] = field(init=False)
    domains: Domains = field(init=False)

    _scopes: dict[int, list[tuple[TierPolicies, dict[str | None, list[int]]]]] = field(
        init=False, repr=False)

    def __post_init__(self) -> None:
        found = {p.namespace for tiers in (self.a, self.b) for t in tiers for p in t.policies}
        self.namespaces = tuple(sorted(n for n in found if n is not None))
        selectors = [*tier_selectors(self.a), *tier_selectors(self.b)]
        # A network set's namespace must be nameable: a pod may share it (and its labels).
        named = {*self.namespaces, *network_set_namespaces(self.network_sets)}
        self.domains = Domains.of(selectors, named)
        self._scopes = {id(tiers): _scope_index(tiers) for tiers in (self.a, self.b)}

    def scoped(self, tiers: tuple[TierPolicies, ...], where: EndpointClass) -> tuple[TierPolicies, ...]:
        """`tiers` (this side's `a` or `b`) with only the policies that can select a pod of
        `where` (`keeps`), in their order: found through an index, so that a query reads its
        namespace's few policies rather than scanning every namespace's."""
        scoped = []
        for tier, positions in self._scopes[id(tiers)]:
            chosen = positions.get(None, [])
            if where.host is not None:
                chosen = list(range(len(tier.policies)))  # its labels are fixed: selectors decide
            elif where.namespace is not None and where.namespace in positions:
                chosen = sorted((*chosen, *positions[where.namespace]))
            if chosen:
                scoped.append(TierPolicies(tier.tier, tuple(tier.policies[i] for i in chosen)))
        return tuple(scoped)

    @classmethod
    def of(cls, a: PolicySet, b: PolicySet, tie_break: TieBreak | str = DEFAULT_TIE_BREAK,
           preview_staged: bool = False, network_sets: Iterable[NetworkSet] = (),
           hosts: Sequence[HostEndpoint] = ()) -> Sides:
        return cls(ordered_tiers(a, tie_break, preview_staged), ordered_tiers(b, tie_break, preview_staged),
                   tuple(network_sets), tuple(hosts))

    def classes(self) -> Iterator[EndpointClass]:
        """Every namespace class a pod can be in: each named namespace, then any other one; then
        each host endpoint."""
        for name in self.namespaces:
            yield EndpointClass(namespace=name)
        yield EndpointClass(excluded=frozenset(self.namespaces))
        yield from self.host_classes()

    def host_classes(self) -> Iterator[EndpointClass]:
        for host in self.hosts:
            yield EndpointClass(host=host)

    @property
    def host_addresses(self) -> tuple[IPAddress, ...]:
        return tuple(ip for host in self.hosts for ip in host.expected_ips)


def _scope_index(tiers: tuple[TierPolicies, ...]) -> list[tuple[TierPolicies, dict[str | None, list[int]]]]:
    """Per tier, the positions of its policies by namespace (None: global policies)."""
    index = []
    for tier in tiers:
        positions: dict[str | None, list[int]] = {}
        for i, policy in enumerate(tier.policies):
            positions.setdefault(policy.namespace, []).append(i)
        index.append((tier, positions))
    return index


def keeps(where: EndpointClass):  # type: ignore[no-untyped-def]
    """The policies that can select a pod of `where`: global ones and its namespace's. For a host
    endpoint every policy is kept (its labels are fixed; selectors decide)."""
    if where.host is not None:
        return lambda p: True
    return lambda p: p.namespace is None or p.namespace == where.namespace


def _solve(constraints: list[z3.BoolRef], timeout_ms: int, strings: bool = True) -> z3.ModelRef | None:
    # Without label strings every term is a bit-vector or a Boolean: the QF_BV solver (bit-blasting
    # to SAT) is much faster there than the general one.
    solver = z3.Solver() if strings else z3.SolverFor("QF_BV")
    solver.set("timeout", timeout_ms)
    solver.add(*constraints)
    answer = solver.check()
    if answer == z3.unknown:
        raise UndecidedError(f"the solver could not decide a query ({solver.reason_unknown()})")
    return solver.model() if answer == z3.sat else None


@dataclass(frozen=True)
class Question:
    """Which pods. `honest_pods`: only pods that carry no `pcns.*` label of their own (their
    inherited labels are their namespace's), for which Calico's enforcement of a Kubernetes
    namespaceSelector means what Kubernetes means."""

    honest_pods: bool = False


class Engine:
    """The verify engine over two prepared policy sets."""

    def __init__(self, sides: Sides, question: Question | None = None,
                 timeout_ms: int = DEFAULT_TIMEOUT_MS, shortcuts: bool = True) -> None:
        self.sides = sides
        # False: every check goes to the solver (the tests compare both ways; so does the benchmark).
        self.shortcuts = shortcuts
        self.question = question or Question()
        self.timeout_ms = timeout_ms
        self._strings = bool(sides.domains.strings)

    @staticmethod
    def _differs(a: z3.BoolRef, b: z3.BoolRef) -> z3.BoolRef:
        return a != b

    def _packet(self, source: EndpointClass, destination: EndpointClass) -> Packet:
        packet = Packet.create(source, destination, self.sides.domains, self.question.honest_pods,
                               self.sides.host_addresses)
        if self.sides.network_sets:
            packet.network_sets = NetworkSetTerms.of(self.sides.network_sets, self.sides.domains)
        return packet

    def direction_query(self, where: EndpointClass, direction: Direction,
                        peer: EndpointClass | None = None) -> list[z3.BoolRef] | None:
        """The constraints satisfiable iff some endpoint of `where` decides `direction` differently
        (for some packet and a peer of `peer`, by default any pod or outside address); None when
        both sides hold the same policies for it, up to names and policies that cannot change a
        decision (`decision_shape`)."""
        a_tiers, b_tiers = self.sides.scoped(self.sides.a, where), self.sides.scoped(self.sides.b, where)
        if self.shortcuts and decision_shape(a_tiers, direction) == decision_shape(b_tiers, direction):
            return None
        peer = peer or EndpointClass(may_be_outside=True)
        ends = (where, peer) if direction is Direction.EGRESS else (peer, where)
        packet = self._packet(*ends)
        keep = keeps(where)
        a = decision(a_tiers, direction, packet, keep)
        b = decision(b_tiers, direction, packet, keep)
        return [self._differs(a, b), *packet.constraints()]

    def direction_check(self, where: EndpointClass, direction: Direction) -> Check:
        """Does some endpoint of `where` decide `direction` differently, for some peer and packet?
        The peer: any pod or outside address, then each host endpoint of the inputs."""
        started, cpu_started = time.perf_counter(), time.process_time()
        solver_seconds, model = 0.0, None
        for peer in (EndpointClass(may_be_outside=True), *self.sides.host_classes()):
            query = self.direction_query(where, direction, peer)
            if query is None:
                return Check(direction, where, False, time.perf_counter() - started, skipped=True,
                             cpu_seconds=time.process_time() - cpu_started)
            solver_started = time.process_time()
            model = _solve(query, self.timeout_ms, self._strings)
            solver_seconds += time.process_time() - solver_started
            if model is not None:
                break
        return Check(direction, where, model is not None, time.perf_counter() - started,
                     cpu_seconds=time.process_time() - cpu_started, solver_seconds=solver_seconds)

    def verdict_difference(self, source: EndpointClass, destination: EndpointClass,
                           extra: list[z3.BoolRef] | None = None) -> Difference | None:
        """A connection between these classes whose whole verdict differs, preferring TCP/UDP/SCTP."""
        packet = self._packet(source, destination)
        src_keep, dst_keep = keeps(source), keeps(destination)
        sides = []
        for tiers in (self.sides.a, self.sides.b):
            egress = decision(self.sides.scoped(tiers, source), Direction.EGRESS, packet, src_keep)
            ingress = decision(self.sides.scoped(tiers, destination), Direction.INGRESS, packet, dst_keep)
            sides.append(z3.And(egress, ingress))
        base = [self._differs(sides[0], sides[1]), *(extra or [])]
        # Simplest witness first: pods without pcns.* labels of their own, a TCP/UDP/SCTP
        # connection (explain can replay it), IPv4.
        simple = [packet.ported, z3.Not(packet.v6)]
        for preference in ([*simple, *packet.honest_constraints()], simple, [packet.ported], []):
            query = [*base, *preference, *packet.constraints()]
            model = _solve(query, self.timeout_ms, self._strings)
            if model is not None:
                allowed = [z3.is_true(model.eval(s, model_completion=True)) for s in sides]
                # The verdicts are held too: choosing other addresses must not flip which side
                # allows (the witness states the verdicts of this model).
                held = [side == z3.BoolVal(value) for side, value in zip(sides, allowed, strict=True)]
                return Difference(packet, model, allowed[0], allowed[1], (*query, *held))
        return None

    def peers_of(self, where: EndpointClass) -> Iterator[EndpointClass]:
        """The peer classes to try for a whole-verdict difference, simplest first."""
        yield OUTSIDE
        if where.namespace is not None:
            yield where
        yield EndpointClass(excluded=frozenset(self.sides.namespaces))
        for name in self.sides.namespaces:
            if name != where.namespace:
                yield EndpointClass(namespace=name)
        yield from self.sides.host_classes()

    def find_difference(self, check: Check) -> Difference | None:
        for peer in self.peers_of(check.where):
            if check.direction is Direction.EGRESS:
                found = self.verdict_difference(check.where, peer)
            else:
                found = self.verdict_difference(peer, check.where)
            if found is not None:
                return found
        return None

    def checks(self) -> Iterator[Check]:
        for where in self.sides.classes():
            for direction in DIRECTIONS:
                yield self.direction_check(where, direction)
