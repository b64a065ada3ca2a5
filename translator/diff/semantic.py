"""The semantic diff: every connection whose verdict changes between two policy sets on a cluster.

How it avoids pods² × ports (see `space` for the partitions, `atoms` for what is tested):

1. Endpoints are grouped into classes no policy can tell apart.
2. A connection's verdict is egress-at-the-source ∧ ingress-at-the-destination, and each of the
   two decisions depends only on the policies of the deciding endpoint's *scope* (its namespace's
   policies and the global ones). So egress decisions are computed per (source as its scope's
   egress policies see it, destination as the same policies see it) and ingress decisions the
   other way round: most classes of other namespaces collapse into one view. Each *row* holds,
   per protocol, the port cells with the decision of each side: one evaluated connection per
   cell and side, by an evaluator holding only that scope's policies.
3. A scope whose policies are identical on both sides decides identically: only one side of it
   is evaluated, and a pair of classes in two unchanged scopes is skipped. An egress row that
   denies everything on both sides ends the walk over the destinations it stands for.
4. Rows are combined per pair (memoised per pair of rows), and changed cells are merged back into
   port ranges, CIDRs and lists of pods for the report (`assemble`).

Protocols: TCP, UDP and SCTP — the three a Kubernetes policy and a `Connection` can name. Other
protocols (ICMP, numbered ones) are outside the traffic space: a Calico rule without protocol
matches them, but no Kubernetes policy can say anything about them, so the diff does not either.
Families: pod↔pod connections are evaluated once per IP family both endpoints have, with the
addresses of that family (one side without any address: once, without addresses); traffic
with the outside once per family the endpoint has (IPv4 when it has no address). Pod-to-itself
traffic is included. Addresses owned by pods or host endpoints are never "outside".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from translator.diff.assemble import ClassItem, Collector, Entry, ExternalItem, entries_of
from translator.diff.atoms import (
    GLOBAL_SCOPE,
    PROTOCOLS,
    Atoms,
    PortStarts,
    ScopeIndex,
    ScopePolicy,
    may_select,
    merged_atoms,
    policy_atoms,
    scope_atoms,
    scope_policy_list,
)
from translator.diff.cells import (
    LazyView,
    Row,
    Segment,
    ViewTable,
    append_segment,
    atom_index,
    changed_segments,
    connection,
    endpoint_classes,
    external_connection,
    outcome,
)
from translator.diff.result import Cause, Change, Outcome
from translator.diff.service_atoms import with_services
from translator.diff.space import (
    EndpointCatalog,
    EndpointInfo,
    Positions,
    address_cells,
    calico_pod_labels,
    destination_port_starts,
    port_cells,
    representative_address,
)
from translator.evaluate.service_members import ServiceIndex
from translator.evaluate.verdict import Decision, Subject, Verdict
from translator.model.calico import PolicySet
from translator.model.cluster import Cluster, Connection, Pod
from translator.model.common import Direction, Protocol

Evaluate = Callable[[Connection], Verdict]
Decide = Callable[[Connection, Direction], Decision]

DIRECTIONS = (Direction.EGRESS, Direction.INGRESS)


def one_direction(evaluate: Evaluate) -> Decide:
    """A function deciding one direction only: the evaluators' own `decide` when `evaluate` is a
    bound method of one that has it (half the work of a whole verdict), else via `evaluate`."""
    decide = getattr(getattr(evaluate, "__self__", None), "decide", None)
    if callable(decide):
        return decide  # type: ignore[no-any-return]
    return lambda conn, direction: evaluate(conn).decision(direction)


@dataclass
class ScopeState:
    """The atoms of one scope per direction, and the vector positions each view reads."""

    changed: bool
    atoms: dict[Direction, Atoms]
    subject: dict[Direction, Positions]
    same_namespace_peer: dict[Direction, Positions]
    other_namespace_peer: dict[Direction, Positions]


@dataclass(frozen=True)
class SubjectState:
    """The atoms of the policies that may select one subject view, and the positions its peers
    are read at: a decision at an endpoint depends on the policies selecting it alone, so
    peers only they cannot tell apart share a row."""

    atoms: Atoms
    same_namespace_peer: Positions
    other_namespace_peer: Positions


class DestinationKey(NamedTuple):
    """Destinations deciding ingress alike: their scope and their view as its ingress subject."""

    scope: str | None
    ingress_view: int


class DestinationGroup(NamedTuple):
    """Destinations one source scope's egress rules cannot tell apart, by `DestinationKey`."""

    same_namespace: bool
    peer_view: int
    members: dict[DestinationKey, list[int]]


class RowSubject(NamedTuple):
    """The subject of a decision row as its scope sees it."""

    direction: Direction
    scope: str | None
    subject_view: int


# What a decision row depends on: the subject as its scope sees it, whether the peer is in the
# subject's namespace, the peer as the policies that may select the subject see it (a view id
# through the positions they read there), and the IP family.
RowKey = tuple[RowSubject, bool, int, int | None]


@dataclass(frozen=True)
class RowLookup:
    """What `_row` reads for one subject class and direction, gathered once: the pair walk asks
    for a row for every pair of classes it visits."""

    subject: RowSubject
    state: ScopeState
    mine: SubjectState
    same_namespace: LazyView  # peers' view ids through the positions `mine` reads on them
    other_namespace: LazyView


@dataclass(frozen=True)
class DecisionRow:
    """One decision per port cell and protocol, before and after; `number` names it in memos."""

    number: int
    cells: Row
    denies_all: bool  # denied before and after on every port: the other end cannot matter
    changes: bool  # allowed on one side only somewhere


def decision_row(number: int, cells: Row) -> DecisionRow:
    segments = [segment for per_protocol in cells for segment in per_protocol]
    return DecisionRow(number, cells,
                       all(not s.before.allowed and not s.after.allowed for s in segments),
                       any(s.before.allowed != s.after.allowed for s in segments))


# Per external cell (source and destination address classes), the verdict entries that changed.
ExternalRow = list[tuple[tuple[int, int], tuple[Entry, ...]]]


def with_network_sets(atoms: Atoms, cluster: Cluster) -> Atoms:
    """A rule selector matches an address inside a network set's nets like an endpoint with the
    set's labels: cells (external addresses, endpoint addresses) must split at those nets too."""
    nets = {net for network_set in cluster.network_sets for net in network_set.nets}
    return replace(atoms, cidrs=atoms.cidrs | nets) if nets - atoms.cidrs else atoms


class DiffEngine:
    """One diff run: the partitions, the memoised rows, and the collected changes."""

    def __init__(self, before: PolicySet, after: PolicySet, cluster: Cluster,
                 make: Callable[[PolicySet, Cluster], Evaluate],
                 describe: Callable[[Sequence[Pod]], str] | None = None) -> None:
        self._make = make
        self._cluster = cluster
        self._sides = (ScopeIndex(before), ScopeIndex(after))
        self._evaluators: dict[tuple[int, str | None], Evaluate] = {}
        self._deciders: dict[tuple[int, str | None], Decide] = {}
        self._describe = describe
        self.evaluated = 0
        scopes = {GLOBAL_SCOPE, *(p.namespace for p in cluster.pods)}
        services = self._services = ServiceIndex(cluster)
        atoms = {(s, d): with_services(with_network_sets(scope_atoms(self._sides, s, d), cluster),
                                       cluster, services)
                 for s in scopes for d in DIRECTIONS}
        self._index = atom_index(atoms.values())
        self._catalog = EndpointCatalog(cluster, self._index)
        self._classes = endpoint_classes(self._catalog.infos)
        self._views = ViewTable(self._classes)
        self._scopes = {s: self._scope_state(s, atoms) for s in scopes}
        self._scope_policies = {s: scope_policy_list(self._sides, s) for s in scopes}
        self._policy_atoms: dict[tuple[ScopePolicy, Direction], Atoms] = {}
        self._subjects: dict[tuple[Direction, str | None, int], SubjectState] = {}
        self._by_scope: dict[str | None, list[int]] = defaultdict(list)
        for index, cls in enumerate(self._classes):
            self._by_scope[cls.rep.scope].append(index)
        # Each class's view as a subject of its scope, per direction (read in every pair).
        self._subject_view: dict[Direction, list[int]] = {d: [0] * len(self._classes)
                                                          for d in DIRECTIONS}
        for scope, members in self._by_scope.items():
            for direction, views in self._subject_view.items():
                ids = self._views.ids(self._scopes[scope].subject[direction])
                for index in members:
                    views[index] = ids[index]
        self._rows: dict[RowKey, DecisionRow] = {}
        self._row_lookups: dict[Direction, dict[int, RowLookup]] = {d: {} for d in DIRECTIONS}
        self._external_rows: dict[tuple[Direction, str | None, int, int], ExternalRow] = {}
        self._combined: dict[tuple[int, int], tuple[Entry, ...]] = {}  # by row numbers
        self._groups: dict[Positions, list[DestinationGroup]] = {}
        self._scope_groups: dict[str | None, list[DestinationGroup]] = {}
        self._collector = Collector(self._classes)

    def _scope_state(self, scope: str | None,
                     atoms: dict[tuple[str | None, Direction], Atoms]) -> ScopeState:
        mine = {d: atoms[(scope, d)] for d in DIRECTIONS}
        position = self._index.positions

        def names(a: Atoms) -> set[tuple[str, Protocol]]:
            return a.all_named_ports

        return ScopeState(
            self._sides[0].policies(scope) != self._sides[1].policies(scope),
            mine,
            {d: position(a.subject_leaves, a.cidrs, names(a)) for d, a in mine.items()},
            {d: position(a.peer_leaves, a.cidrs, names(a)) for d, a in mine.items()},
            {d: position(a.other_namespace_leaves, a.cidrs, names(a)) for d, a in mine.items()},
        )

    # --- evaluation ------------------------------------------------------------------------------

    def _evaluator(self, side: int, scope: str | None) -> Evaluate:
        """An evaluator holding only the policies that can apply in `scope` (and every tier).

        The decision at an endpoint depends on those alone, and evaluators scan the policies
        per endpoint: one small evaluator per scope keeps a 2,000-policy diff fast.
        """
        key = (side, scope)
        found = self._evaluators.get(key)
        if found is None:
            found = self._evaluators[key] = self._make(
                self._sides[side].policy_set(scope), self._cluster)
        return found

    def _decider(self, side: int, scope: str | None) -> Decide:
        key = (side, scope)
        found = self._deciders.get(key)
        if found is None:
            found = self._deciders[key] = one_direction(self._evaluator(side, scope))
        return found

    def _decisions(self, conn: Connection, direction: Direction, scope: str | None,
                   changed: bool) -> tuple[Cause, Cause]:
        """The decision of `direction` at the endpoint of `scope` (only that one is meaningful)."""
        self.evaluated += 1
        before = Cause.of(self._decider(0, scope)(conn, direction))
        if not changed:
            return before, before
        return before, Cause.of(self._decider(1, scope)(conn, direction))

    def _outcomes(self, conn: Connection, scope: str | None, changed: bool) -> tuple[Outcome, Outcome]:
        """The verdict of a connection between an endpoint of `scope` and an outside address."""
        self.evaluated += 1
        before = outcome(self._evaluator(0, scope)(conn))
        if not changed:
            return before, before
        return before, outcome(self._evaluator(1, scope)(conn))

    def _ports(self, subject_state: SubjectState,
               subject: EndpointInfo) -> tuple[PortStarts, set[tuple[str, Protocol]]]:
        own = subject.endpoint.labels if subject.kind is Subject.POD else None
        return subject_state.atoms.ports_for(own)

    def _subject(self, direction: Direction, subject: int) -> SubjectState:
        """The atoms that matter for decisions at class `subject` (memoised per subject view)."""
        scope = self._classes[subject].rep.scope
        key = (direction, scope, self._subject_view[direction][subject])
        found = self._subjects.get(key)
        if found is None:
            found = self._subjects[key] = self._compute_subject(direction, subject)
        return found

    def _compute_subject(self, direction: Direction, subject: int) -> SubjectState:
        info = self._classes[subject].rep
        own: dict[str, str] | None = None
        full: dict[str, str] | None = None
        if info.kind is Subject.POD and isinstance(info.endpoint, Pod):
            own = dict(info.endpoint.labels)
            full = calico_pod_labels(
                info.endpoint, self._cluster.namespace(info.endpoint.namespace).labels)
        chosen = [self._atoms_of(p, direction) for p in self._scope_policies[info.scope]
                  if may_select(p, own, full)]
        atoms = with_services(with_network_sets(merged_atoms(chosen), self._cluster),
                              self._cluster, self._services)
        names = atoms.peer_named_ports  # the others resolve on the subject, in its own view
        position = self._index.positions
        return SubjectState(atoms, position(atoms.peer_leaves, atoms.cidrs, names),
                            position(atoms.other_namespace_leaves, atoms.cidrs, names))

    def _atoms_of(self, policy: ScopePolicy, direction: Direction) -> Atoms:
        key = (policy, direction)
        found = self._policy_atoms.get(key)
        if found is None:
            found = self._policy_atoms[key] = policy_atoms(policy, direction)
        return found

    def _row(self, direction: Direction, subject: int, same: bool, family: int | None,
             peer: int) -> DecisionRow:
        """Decisions at class `subject` (egress: the source; ingress: the destination) towards
        class `peer` (`same`: in the subject's namespace), shared by every peer that the policies
        selecting the subject cannot tell apart from it."""
        lookup = self._row_lookups[direction].get(subject)
        if lookup is None:
            lookup = self._row_lookups[direction][subject] = self._row_lookup(direction, subject)
        views = lookup.same_namespace if same else lookup.other_namespace
        peer_view = views.known.get(peer)
        if peer_view is None:
            peer_view = views.id_of(peer)
        key: RowKey = (lookup.subject, same, peer_view, family)
        found = self._rows.get(key)
        if found is None:
            found = self._rows[key] = decision_row(len(self._rows), self._compute_row(
                direction, lookup.state, lookup.mine, subject, peer, family))
        return found

    def _row_lookup(self, direction: Direction, subject: int) -> RowLookup:
        scope = self._classes[subject].rep.scope
        mine = self._subject(direction, subject)
        return RowLookup(RowSubject(direction, scope, self._subject_view[direction][subject]),
                         self._scopes[scope], mine, self._views.view(mine.same_namespace_peer),
                         self._views.view(mine.other_namespace_peer))

    def _compute_row(self, direction: Direction, state: ScopeState, mine: SubjectState,
                     subject: int, peer: int, family: int | None) -> Row:
        me, other = self._classes[subject].rep, self._classes[peer].rep
        source, destination = (me, other) if direction is Direction.EGRESS else (other, me)
        starts, names = self._ports(mine, me)
        row = []
        for protocol in PROTOCOLS:
            cells = port_cells(destination_port_starts(starts[protocol], names,
                                                       destination.endpoint, protocol))
            segments: list[Segment] = []
            for first, last in cells:
                conn = connection(source, destination, protocol, first, family)
                before, after = self._decisions(conn, direction, me.scope, state.changed)
                append_segment(segments, first, last, before, after)
            row.append(tuple(segments))
        return tuple(row)

    def _combine(self, egress: DecisionRow, ingress: DecisionRow) -> tuple[Entry, ...]:
        if not (egress.changes or ingress.changes):
            return ()  # both directions decide as before on every port
        key = (egress.number, ingress.number)
        found = self._combined.get(key)
        if found is None:
            found = self._combined[key] = entries_of(
                (p, changed_segments(e, i))
                for p, e, i in zip(PROTOCOLS, egress.cells, ingress.cells, strict=True))
        return found

    # --- pods and host endpoints -----------------------------------------------------------------

    def _destination_groups(self, scope: str | None) -> list[DestinationGroup]:
        found = self._scope_groups.get(scope)
        if found is None:
            found = self._scope_groups[scope] = self._compute_destination_groups(scope)
        return found

    def _compute_destination_groups(self, scope: str | None) -> list[DestinationGroup]:
        """Every class as a destination seen from `scope`: same-namespace classes through the
        scope's own peer view, the others through its other-namespace view."""
        state = self._scopes[scope]
        groups: list[DestinationGroup] = []
        own = self._by_scope[scope] if scope is not GLOBAL_SCOPE else []
        if own:
            groups += self._grouped(state.same_namespace_peer[Direction.EGRESS], own, True)
        others = self._cached_other_groups(state.other_namespace_peer[Direction.EGRESS])
        groups += [DestinationGroup(False, g.peer_view,
                                    {k: m for k, m in g.members.items()
                                     if k.scope != scope or scope is GLOBAL_SCOPE})
                   for g in others]
        return [g for g in groups if g.members]

    def _cached_other_groups(self, positions: Positions) -> list[DestinationGroup]:
        found = self._groups.get(positions)
        if found is None:
            found = self._groups[positions] = self._grouped(
                positions, range(len(self._classes)), False)
        return found

    def _grouped(self, positions: Positions, indices: Iterable[int],
                 same: bool) -> list[DestinationGroup]:
        ids = self._views.ids(positions)
        grouped: dict[int, dict[DestinationKey, list[int]]] = {}
        for index in indices:
            scope = self._classes[index].rep.scope
            own_view = self._subject_view[Direction.INGRESS][index]
            key = DestinationKey(scope, own_view)
            grouped.setdefault(ids[index], {}).setdefault(key, []).append(index)
        return [DestinationGroup(same, view, members) for view, members in grouped.items()]

    def _pairs(self) -> None:
        for s, source in enumerate(self._classes):
            scope = source.rep.scope
            changed = self._scopes[scope].changed
            for group in self._destination_groups(scope):
                members = group.members
                if not changed and not any(self._scopes[k.scope].changed for k in members):
                    continue  # both ends decide as before
                first = next(iter(members.values()))[0]
                for family in source.rep.families_with(self._classes[first].rep):
                    egress = self._row(Direction.EGRESS, s, group.same_namespace, family, first)
                    if egress.denies_all:
                        continue  # denied before and after, whatever the destination says
                    self._towards(s, egress, members, family)

    def _towards(self, s: int, egress: DecisionRow, members: dict[DestinationKey, list[int]],
                 family: int | None) -> None:
        source_scope = self._classes[s].rep.scope
        source_changed = self._scopes[source_scope].changed
        for key, destinations in members.items():
            if not (source_changed or self._scopes[key.scope].changed):
                continue
            same = key.scope is not GLOBAL_SCOPE and source_scope == key.scope
            ingress = self._row(Direction.INGRESS, destinations[0], same, family, s)
            entries = self._combine(egress, ingress)
            if entries:
                targets = [ClassItem(d) for d in destinations]
                bucket = self._collector.bucket(targets[0])
                self._collector.add(ClassItem(s), targets, family, entries, bucket)

    # --- addresses outside the cluster -----------------------------------------------------------

    def _external(self) -> None:
        for index, cls in enumerate(self._classes):
            state = self._scopes[cls.rep.scope]
            if not state.changed:
                continue
            for family in sorted(cls.rep.addresses) or (4,):
                for direction in DIRECTIONS:
                    for cell, entries in self._external_row(index, state, family, direction):
                        self._record_external(index, cell, family, direction, entries)

    def _record_external(self, index: int, cell: tuple[int, int], family: int,
                         direction: Direction, entries: tuple[Entry, ...]) -> None:
        me, outside = ClassItem(index), ExternalItem(family, cell)
        if direction is Direction.EGRESS:
            self._collector.add(me, [outside], family, entries, self._collector.bucket(outside))
        else:
            self._collector.add(outside, [me], family, entries, self._collector.bucket(me))

    def _external_row(self, index: int, state: ScopeState, family: int,
                      direction: Direction) -> ExternalRow:
        info = self._classes[index].rep
        key = (direction, info.scope, self._subject_view[direction][index], family)
        found = self._external_rows.get(key)
        if found is None:
            found = self._external_rows[key] = self._compute_external(
                info, state, self._subject(direction, index), family, direction)
        return found

    def _compute_external(self, info: EndpointInfo, state: ScopeState, mine: SubjectState,
                          family: int, direction: Direction) -> ExternalRow:
        # Address cells stay the scope's: a cell wholly owned by endpoints is left out, so
        # coarser cells could report owned addresses that finer ones leave out.
        atoms = state.atoms[direction]
        starts, names = self._ports(mine, info)
        found = []
        for cell in address_cells(atoms.cidrs, family):
            address = representative_address(cell, family, self._catalog.owned_addresses)
            if address is None:
                continue
            per_protocol = []
            for protocol in PROTOCOLS:
                segments: list[Segment] = []
                for first, last in port_cells(self._external_starts(starts, names, info, protocol,
                                                                    direction)):
                    conn = external_connection(info, address, protocol, first, family, direction)
                    before, after = self._outcomes(conn, info.scope, state.changed)
                    if before.allowed != after.allowed:
                        append_segment(segments, first, last, before, after)
                per_protocol.append((protocol, segments))
            entries = entries_of(per_protocol)
            if entries:
                found.append((cell, entries))
        return found

    @staticmethod
    def _external_starts(starts: PortStarts, names: set[tuple[str, Protocol]], info: EndpointInfo,
                         protocol: Protocol, direction: Direction) -> set[int]:
        """Ingress from outside: the pod is the destination, its named ports resolve (as in
        `_compute_row`). Egress to an outside address: a named port matches nothing there."""
        if direction is Direction.EGRESS:
            return starts[protocol]
        return destination_port_starts(starts[protocol], names, info.endpoint, protocol)

    def changes(self) -> tuple[Change, ...]:
        self._pairs()
        self._external()
        return self._collector.changes(self._describe)


