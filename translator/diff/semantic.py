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
4. The walk visits *blocks* (classes no decision tells apart in any role) and groups
   destinations by *peer types* (`blocks`): a source's destination groups cost one step per
   peer type. Sources whose egress rows are alike cell for cell, with the same view as peers,
   share one walk over the destinations of other namespaces, whatever their namespace: each
   then only collects the changes found (rows alike give alike changes). Where a source's egress
   row does not change, the walk only visits destinations whose ingress rows change for some
   peer (`_ingress_stable`: one row per view the cluster's classes take there), so a cluster
   of one policy per app costs rows per app, not sources × destinations.
5. Rows are combined per pair (memoised per pair of rows), and changed cells are merged back into
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from translator.diff.assemble import ClassItem, Collector, Entry, ExternalItem, Hit, entries_of
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
    scope_policy_list,
)
from translator.diff.blocks import DestinationKey, PeerTypes, merge_blocks
from translator.diff.cells import (
    Row,
    Segment,
    SparseViews,
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
    HEADER_POSITIONS,
    AtomVector,
    EndpointCatalog,
    EndpointInfo,
    Positions,
    calico_pod_labels,
    destination_port_starts,
    held_address_cells,
    port_cells,
    projector,
    representative_address,
)
from translator.evaluate.service_members import ServiceIndex
from translator.evaluate.verdict import Decision, Subject, Verdict
from translator.gc_pause import cycle_collector_paused
from translator.model.calico import PolicySet
from translator.model.cluster import Cluster, Connection, Pod
from translator.model.common import Direction, IPAddress, Protocol

Evaluate = Callable[[Connection], Verdict]
Decide = Callable[[Connection, Direction], Decision]
Tick = Callable[[int, int], None]  # (done, total): how far the walk over the blocks is


def _no_tick(done: int, total: int) -> None:
    return None


DIRECTIONS = (Direction.EGRESS, Direction.INGRESS)
SPARSE_TABLES = 16  # peer-type indexes built for exact dense positions (`_type_views`)


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


class RowSubject(NamedTuple):
    """The subject of a decision row as its scope sees it."""

    direction: Direction
    scope: str | None
    subject_view: int


# What a decision row depends on: the subject as its scope sees it, whether the peer is in the
# subject's namespace, the peer as the policies that may select the subject see it (a view id
# through the positions they read there), and the IP family.
RowKey = tuple[RowSubject, bool, Any, int | None]


@dataclass(frozen=True)
class RowLookup:
    """What `_row` reads for one subject class and direction, gathered once: the pair walk asks
    for a row for every pair of classes it visits."""

    subject: RowSubject
    state: ScopeState
    mine: SubjectState
    same_namespace: Callable[[AtomVector], Any]  # a peer's view: what `mine` reads on it
    other_namespace: Callable[[AtomVector], Any]


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


@dataclass
class _Walk:
    """The changes towards other namespaces of every block with one walk key (see
    `DiffEngine._other_namespaces`), found from a block of `scope`. Destinations in `scope`
    need a source outside it: they wait (`deferred`) for the first block of another namespace."""

    scope: str | None
    hits: list[Hit] = field(default_factory=list)
    deferred: list[tuple[DestinationKey, list[int], int | None, DecisionRow]] = field(default_factory=list)


# Per external cell (source and destination address classes), the verdict entries that changed.
ExternalRow = list[tuple[tuple[int, int], tuple[Entry, ...]]]


def with_network_sets(atoms: Atoms, cluster: Cluster) -> Atoms:
    """A rule selector matches an address inside a network set's nets like an endpoint with the
    set's labels: cells (external addresses, endpoint addresses) must split at those nets too."""
    nets = {net for network_set in cluster.network_sets for net in network_set.nets}
    return replace(atoms, cidrs=atoms.cidrs | nets) if nets - atoms.cidrs else atoms


class DiffEngine:
    """One diff run: the partitions, the memoised rows, and the collected changes.

    Both phases run with the cycle collector paused: they build hundreds of thousands of
    long-lived memo entries and no cycles, and the collector's rescans of them were a fifth of
    the CPU time of a 20,000-pod diff."""

    @cycle_collector_paused()
    def __init__(self, before: PolicySet, after: PolicySet, cluster: Cluster,
                 make: Callable[[PolicySet, Cluster], Evaluate],
                 describe: Callable[[Sequence[Pod]], str] | None = None,
                 group_namespaces: bool = False) -> None:
        self._make = make
        self._group_namespaces = group_namespaces
        self._cluster = cluster
        self._sides = (ScopeIndex(before), ScopeIndex(after))
        self._evaluators: dict[tuple[int, str | None], Evaluate] = {}
        self._deciders: dict[tuple[int, str | None], Decide] = {}
        self._describe = describe
        self.evaluated = 0
        scopes = {GLOBAL_SCOPE, *(p.namespace for p in cluster.pods)}
        services = self._services = ServiceIndex(cluster)
        self._scope_policies = {s: scope_policy_list(self._sides, s) for s in scopes}
        # By policy identity: every policy lives in `_scope_policies` as long as the engine.
        self._policy_atoms: dict[tuple[int, Direction], Atoms] = {}
        # A scope's atoms are its policies' (`scope_atoms`), merged from the per-policy atoms the
        # subjects need later anyway: each policy is read once.
        atoms = {(s, d): with_services(with_network_sets(
                     merged_atoms(self._atoms_of(p, d) for p in self._scope_policies[s]), cluster),
                     cluster, services)
                 for s in scopes for d in DIRECTIONS}
        self._index = atom_index(atoms.values())
        self._catalog = EndpointCatalog(cluster, self._index)
        self._classes = endpoint_classes(self._catalog.infos)
        self._scopes = {s: self._scope_state(s, atoms) for s in scopes}
        self._subjects: dict[tuple[Direction, str | None, int], SubjectState] = {}
        self._by_scope: dict[str | None, list[int]] = defaultdict(list)
        for index, cls in enumerate(self._classes):
            self._by_scope[cls.rep.scope].append(index)
        # Each class's view as a subject of its scope, per direction (read in every pair),
        # numbered within the scope: one pass over its own classes, not over every class.
        self._subject_view: dict[Direction, list[int]] = {d: [0] * len(self._classes)
                                                          for d in DIRECTIONS}
        for scope, members in self._by_scope.items():
            for direction, views in self._subject_view.items():
                pick = projector(self._scopes[scope].subject[direction])
                interned: dict[tuple[Any, ...], int] = {}
                for index in members:
                    views[index] = interned.setdefault(pick(self._classes[index].rep.bits), len(interned))
        self._rows: dict[RowKey, DecisionRow] = {}
        self._row_lookups: dict[Direction, dict[int, RowLookup]] = {d: {} for d in DIRECTIONS}
        self._stable: dict[RowSubject, bool] = {}  # by ingress subject (`_ingress_stable`)
        self._unstable_groups: dict[tuple[int, int], list[tuple[DestinationKey, list[int]]]] = {}
        self._walked_groups: set[tuple[int, int]] = set()  # walked once in full (`_unstable`)
        self._external_rows: dict[tuple[Direction, str | None, int, int], ExternalRow] = {}
        self._combined: dict[tuple[int, int], tuple[Entry, ...]] = {}  # by row numbers
        self._set_up_blocks()

    def _set_up_blocks(self) -> None:
        """Blocks (what the walk visits and the report lists) and peer types (`blocks`)."""
        # every position a subject reads on a peer of another namespace
        other = HEADER_POSITIONS.union(*(state.other_namespace_peer[d]
                                         for state in self._scopes.values() for d in DIRECTIONS))
        own = {}
        for scope in self._by_scope:
            state = self._scopes[scope]
            own[scope] = HEADER_POSITIONS.union(*(state.subject[d] for d in DIRECTIONS),
                                                *(state.same_namespace_peer[d] for d in DIRECTIONS))
        self._blocks, self._block_class = merge_blocks(self._classes, self._by_scope, other, own)
        self._peers = PeerTypes(self._blocks, self._block_class, other,
                                self._subject_view[Direction.INGRESS])
        self._blocks_of: dict[str | None, list[int]] = defaultdict(list)
        for number, block in enumerate(self._blocks):
            self._blocks_of[block.rep.scope].append(number)
        self._vectors = [c.rep.bits for c in self._classes]
        self._peer_type_views: dict[tuple[int, ...] | None, SparseViews] = {}  # `_type_views`
        self._type_changed = [any(self._scopes[k.scope].changed for k in t.members)
                              for t in self._peers.types]
        self._content: dict[Row, int] = {}  # rows alike cell for cell, across scopes
        self._row_content: dict[int, int] = {}  # by row number
        self._walks: dict[tuple[Any, ...], _Walk] = {}
        self._same_groups: dict[tuple[str | None, Positions], list[dict[int, list[int]]]] = {}
        self._collector = Collector(self._blocks, self._group_namespaces)

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
        key = (id(policy), direction)
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
        pick = lookup.same_namespace if same else lookup.other_namespace
        key: RowKey = (lookup.subject, same, pick(self._vectors[peer]), family)
        found = self._rows.get(key)
        if found is None:
            found = self._rows[key] = decision_row(len(self._rows), self._compute_row(
                direction, lookup.state, lookup.mine, subject, peer, family))
        return found

    def _row_lookup(self, direction: Direction, subject: int) -> RowLookup:
        scope = self._classes[subject].rep.scope
        mine = self._subject(direction, subject)
        return RowLookup(RowSubject(direction, scope, self._subject_view[direction][subject]),
                         self._scopes[scope], mine, projector(mine.same_namespace_peer),
                         projector(mine.other_namespace_peer))

    def _ingress_stable(self, destination: int) -> bool:
        """True when ingress at class `destination` decides as before towards every class of
        the cluster as a peer of another namespace, in every family they share: each such peer
        then looks like one of them through the policies selecting `destination`, so a pair
        whose egress row does not change either has no change (memoised per subject view)."""
        lookup = self._row_lookups[Direction.INGRESS].get(destination)
        if lookup is None:
            lookup = self._row_lookups[Direction.INGRESS][destination] = self._row_lookup(
                Direction.INGRESS, destination)
        found = self._stable.get(lookup.subject)
        if found is None:
            # One peer of another namespace per view (any: rows are shared by every peer of a
            # view, and a row towards another namespace must be computed with a peer from one).
            # The peer types hold every view: they tell apart all that any subject reads on
            # another namespace's peer.
            scope = lookup.subject.scope
            outside = self._peers.outside
            positions = lookup.mine.other_namespace_peer
            types = self._type_views(positions.dense).members(
                positions, lambda t: outside((t,), scope) is not None)
            peers = [outside((t,), scope) for t in types.values()]
            rep = self._classes[destination].rep
            found = self._stable[lookup.subject] = not any(
                self._row(Direction.INGRESS, destination, False, family, peer).changes
                for peer in peers if peer is not None
                for family in self._classes[peer].rep.families_with(rep))
        return found

    def _type_views(self, dense: tuple[int, ...]) -> SparseViews:
        """The peer types' vectors, indexed for the views destinations reading these dense
        positions take of them: grouped by exactly those when few sets of them are asked for
        (a group per value of an entry no destination reads would make groups many), else by
        every dense position any destination reads (always right, maybe coarse)."""
        found = self._peer_type_views.get(dense)
        if found is None:
            vectors = [self._vectors[t.rep] for t in self._peers.types]
            if len(self._peer_type_views) < SPARSE_TABLES:
                found = self._peer_type_views[dense] = SparseViews(
                    vectors, Positions(dense, frozenset()))
            else:
                found = self._peer_type_views.get(None)
                if found is None:
                    every = HEADER_POSITIONS.union(*(state.other_namespace_peer[Direction.INGRESS]
                                                     for state in self._scopes.values()))
                    found = self._peer_type_views[None] = SparseViews(
                        vectors, Positions(every.dense, frozenset()))
        return found

    def _compute_row(self, direction: Direction, state: ScopeState, mine: SubjectState,
                     subject: int, peer: int, family: int | None) -> Row:
        me, other = self._classes[subject].rep, self._classes[peer].rep
        source, destination = (me, other) if direction is Direction.EGRESS else (other, me)
        starts, names = self._ports(mine, me)
        row = []
        alike: dict[tuple[tuple[int, int], ...], tuple[Segment, ...]] = {}
        for protocol in PROTOCOLS:
            cells = port_cells(destination_port_starts(starts[protocol], names,
                                                       destination.endpoint, protocol))
            told_apart = protocol in mine.atoms.protocols
            found = None if told_apart else alike.get(cells)
            if found is None:
                segments: list[Segment] = []
                for first, last in cells:
                    conn = connection(source, destination, protocol, first, family)
                    before, after = self._decisions(conn, direction, me.scope, state.changed)
                    append_segment(segments, first, last, before, after)
                found = tuple(segments)
                if not told_apart:  # no rule names it: another such protocol decides alike
                    alike[cells] = found
            row.append(found)
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

    def _pairs(self, tick: Tick) -> None:
        for block in range(len(self._blocks)):
            scope = self._blocks[block].rep.scope
            if scope is not GLOBAL_SCOPE:
                self._same_namespace(block, scope)
            self._other_namespaces(block, scope)
            tick(block + 1, 2 * len(self._blocks))

    def _content_of(self, row: DecisionRow) -> int:
        found = self._row_content.get(row.number)
        if found is None:
            found = self._row_content[row.number] = self._content.setdefault(row.cells, len(self._content))
        return found

    def _other_namespaces(self, block: int, scope: str | None) -> None:
        """Towards every destination outside the block's namespace. Blocks whose egress rows
        are alike cell for cell towards the same destination groups, with the same view as
        peers, share one walk over the destinations (`_Walk`); each then only collects its hits."""
        source = self._block_class[block]
        changed = self._scopes[scope].changed
        positions = self._subject(Direction.EGRESS, source).other_namespace_peer
        number, groups = self._peers.groups(positions, self._vectors)
        egress: list[tuple[int, int | None, DecisionRow]] = []
        for index, group in enumerate(groups):
            first = self._peers.outside(group, scope)
            if first is None:
                continue  # only peers of the block's own namespace look like this
            if not changed and not any(self._type_changed[t] for t in group):
                continue  # both ends decide as before
            for family in self._blocks[block].rep.families_with(self._classes[first].rep):
                row = self._row(Direction.EGRESS, source, False, family, first)
                if not row.denies_all:  # else denied before and after, whatever the destination
                    egress.append((index, family, row))
        if not egress:
            return
        key = (changed, number, self._peers.of_block[block],
               tuple((i, f, self._content_of(r)) for i, f, r in egress))
        walk = self._walks.get(key)
        if walk is None:
            walk = self._walks[key] = _Walk(scope)
            for index, family, row in egress:
                # An egress row without change finds changes only where ingress changes.
                found = (self._unstable(number, index, groups[index]) if not row.changes else
                         [d for peer in groups[index] for d in self._peers.types[peer].members.items()])
                for destination, members in found:
                    if destination.scope == scope and scope is not GLOBAL_SCOPE:
                        walk.deferred.append((destination, members, family, row))
                    else:
                        self._hit(walk.hits, source, changed, destination, members, family, row)
        elif walk.deferred and scope != walk.scope:
            for destination, members, family, row in walk.deferred:
                self._hit(walk.hits, source, changed, destination, members, family, row)
            walk.deferred = []
        add, item = self._collector.add, ClassItem(block)
        if self._collector.groups_namespaces:
            self._collector.add_walk(item, None if scope is GLOBAL_SCOPE else scope, walk.hits)
            return
        for destination_scope, targets, family, entries, bucket in walk.hits:
            if destination_scope != scope or scope is GLOBAL_SCOPE:
                add(item, targets, family, entries, bucket)

    def _unstable(self, number: int, index: int,
                  group: list[int]) -> list[tuple[DestinationKey, list[int]]]:
        """The destinations of group `index` of the groups numbered `number` whose ingress may
        decide otherwise than before for some peer of another namespace (`_ingress_stable`)."""
        key = (number, index)
        found = self._unstable_groups.get(key)
        if found is None:
            every = [d for peer in group for d in self._peers.types[peer].members.items()]
            if key not in self._walked_groups:
                # The first walk takes them all: a group few walks visit (walks are shared)
                # would cost more to sort out than to walk; the next one sorts them out.
                self._walked_groups.add(key)
                return every
            found = self._unstable_groups[key] = [
                (destination, members) for destination, members in every
                if not self._ingress_stable(self._block_class[members[0]])]
        return found

    def _hit(self, hits: list[Hit], source: int, changed: bool, destination: DestinationKey,
             members: list[int], family: int | None, egress: DecisionRow) -> None:
        """The changes from class `source` (of another namespace) to the blocks `members`."""
        if not (changed or self._scopes[destination.scope].changed):
            return
        ingress = self._row(Direction.INGRESS, self._block_class[members[0]], False, family, source)
        entries = self._combine(egress, ingress)
        if entries:
            targets = tuple(ClassItem(m) for m in members)
            hits.append((destination.scope, targets, family, entries, self._collector.bucket(targets[0])))

    def _same_namespace(self, block: int, scope: str | None) -> None:
        """Towards the blocks of the block's own namespace."""
        if not self._scopes[scope].changed:
            return  # both ends decide as before
        source = self._block_class[block]
        item = ClassItem(block)
        for group in self._same_groups_of(scope, self._subject(Direction.EGRESS, source).same_namespace_peer):
            first = self._block_class[next(iter(group.values()))[0]]
            for family in self._classes[source].rep.families_with(self._classes[first].rep):
                egress = self._row(Direction.EGRESS, source, True, family, first)
                if egress.denies_all:
                    continue  # denied before and after, whatever the destination says
                for members in group.values():
                    ingress = self._row(Direction.INGRESS, self._block_class[members[0]], True,
                                        family, source)
                    entries = self._combine(egress, ingress)
                    if entries:
                        targets = [ClassItem(m) for m in members]
                        self._collector.add(item, targets, family, entries,
                                            self._collector.bucket(targets[0]))

    def _same_groups_of(self, scope: str | None, positions: Positions) -> list[dict[int, list[int]]]:
        """The scope's blocks by their view through `positions`, then by ingress view."""
        key = (scope, positions)
        found = self._same_groups.get(key)
        if found is None:
            pick = projector(positions)
            grouped: dict[tuple[Any, ...], dict[int, list[int]]] = {}
            views = self._subject_view[Direction.INGRESS]
            for block in self._blocks_of[scope]:
                cls = self._block_class[block]
                grouped.setdefault(pick(self._vectors[cls]), {}).setdefault(views[cls], []).append(block)
            found = self._same_groups[key] = list(grouped.values())
        return found

    # --- addresses outside the cluster -----------------------------------------------------------

    def _external(self, tick: Tick) -> None:
        for block, cls in enumerate(self._blocks):
            tick(len(self._blocks) + block + 1, 2 * len(self._blocks))
            state = self._scopes[cls.rep.scope]
            if not state.changed:
                continue
            index = self._block_class[block]
            for family in sorted(cls.rep.addresses) or (4,):
                for direction in DIRECTIONS:
                    for cell, entries in self._external_row(index, state, family, direction):
                        self._record_external(block, cell, family, direction, entries)

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
        alike: dict[frozenset[tuple[int, int]], tuple[Entry, ...]] = {}  # by the CIDRs holding a cell
        for cell, holders in held_address_cells(atoms.cidrs, family):
            address = representative_address(cell, family, self._catalog.owned_addresses)
            if address is None:
                continue
            entries = alike.get(holders)
            if entries is None:
                entries = alike[holders] = self._external_entries(
                    info, state, address, (starts, names), family, direction, mine.atoms.protocols)
            if entries:
                found.append((cell, entries))
        return found

    def _external_entries(self, info: EndpointInfo, state: ScopeState, address: IPAddress,
                          ports: tuple[PortStarts, set[tuple[str, Protocol]]], family: int,
                          direction: Direction, told_apart: set[Protocol]) -> tuple[Entry, ...]:
        """What changes between the endpoint and one outside address, per protocol and port cell.
        Protocols no rule selecting the endpoint tells apart decide alike on the same port
        cells (as in `_compute_row`): one of them is evaluated."""
        starts, names = ports
        per_protocol = []
        alike: dict[tuple[tuple[int, int], ...], tuple[Segment, ...]] = {}
        for protocol in PROTOCOLS:
            cells = port_cells(self._external_starts(starts, names, info, protocol, direction))
            found = None if protocol in told_apart else alike.get(cells)
            if found is None:
                segments: list[Segment] = []
                for first, last in cells:
                    conn = external_connection(info, address, protocol, first, family, direction)
                    before, after = self._outcomes(conn, info.scope, state.changed)
                    if before.allowed != after.allowed:
                        append_segment(segments, first, last, before, after)
                found = tuple(segments)
                if protocol not in told_apart:
                    alike[cells] = found
            per_protocol.append((protocol, found))
        return entries_of(per_protocol)

    @staticmethod
    def _external_starts(starts: PortStarts, names: set[tuple[str, Protocol]], info: EndpointInfo,
                         protocol: Protocol, direction: Direction) -> set[int]:
        """Ingress from outside: the pod is the destination, its named ports resolve (as in
        `_compute_row`). Egress to an outside address: a named port matches nothing there."""
        if direction is Direction.EGRESS:
            return starts[protocol]
        return destination_port_starts(starts[protocol], names, info.endpoint, protocol)

    @cycle_collector_paused()
    def changes(self, tick: Tick | None = None) -> tuple[Change, ...]:
        """Every change; `tick(done, total)` hears of each block walked (twice: pairs, then outside)."""
        tick = tick or _no_tick
        self._pairs(tick)
        self._external(tick)
        return self._collector.changes(self._describe)


