"""The semantic diff: every connection whose verdict changes between two policy sets on a cluster.

How it avoids pods² × ports (see `space` for the partitions):

1. Endpoints are grouped into classes no policy can tell apart.
2. A connection's verdict is egress-at-the-source ∧ ingress-at-the-destination, and each of the
   two decisions depends only on the policies of the deciding endpoint's scope. So the egress
   decisions are computed per (source class, destination *as seen by the source's scope*) and the
   ingress decisions per (destination class, source as seen by the destination's scope): many
   classes of other namespaces collapse into one view. Each row holds, per protocol, the port
   cells with the decision of each side (one evaluated connection per cell and side).
3. A scope whose policies are identical on both sides decides identically: only one side of it
   is evaluated, and a pair of classes in two unchanged scopes is skipped outright.
4. Rows are combined per pair of classes (memoised per pair of rows), and changed cells are
   merged back into port ranges, CIDRs and lists of pods for the report.

Protocols: TCP, UDP and SCTP — the three a Kubernetes policy and a `Connection` can name. Other
protocols (ICMP, numbered ones) are not part of the traffic space: a rule without protocol does
match them in Calico, but neither side's Kubernetes meaning can be compared on them, so the diff
does not claim anything about them. Pod↔pod connections are evaluated once per IP family both
endpoints have (with the addresses of that family); pod-to-itself traffic is included.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from translator.diff.assemble import Collector, Entry, entries_of
from translator.diff.atoms import (
    GLOBAL_SCOPE,
    PROTOCOLS,
    Atoms,
    PortStarts,
    scope_atoms,
    scope_policies,
    scope_policy_set,
)
from translator.diff.result import Cause, Change, Outcome, SemanticDiff
from translator.diff.space import (
    AtomIndex,
    EndpointCatalog,
    EndpointInfo,
    address_cells,
    destination_port_starts,
    port_cells,
    projector,
    representative_address,
)
from translator.evaluate.verdict import Verdict
from translator.model.calico import PolicySet
from translator.model.cluster import Cluster, Connection, Pod
from translator.model.common import Direction, Protocol

Evaluate = Callable[[Connection], Verdict]
# (first port, last port, before, after) — before/after are Causes (rows) or Outcomes (results).
Segment = tuple[int, int, Any, Any]
Row = tuple[tuple[Segment, ...], ...]  # one tuple of segments per protocol, in PROTOCOLS order

DEFAULT_TIE_BREAK = "v3.32"
DIRECTIONS = (Direction.EGRESS, Direction.INGRESS)


def make_evaluator(policies: PolicySet, cluster: Cluster, *, semantics: str = "calico",
                   tie_break: str = DEFAULT_TIE_BREAK, preview_staged: bool = False) -> Evaluate:
    """`calico`: the Calico evaluator (Kubernetes policies as Calico enforces them);
    `k8s`: the Kubernetes evaluator, for a policy set holding only Kubernetes policies."""
    if semantics == "k8s":
        from translator.evaluate.k8s import K8sEvaluator

        if not policies.is_k8s_only:
            raise ValueError("Kubernetes semantics apply to Kubernetes policies only")
        return K8sEvaluator(policies.k8s_policies, cluster).evaluate
    from translator.evaluate.calico import CalicoEvaluator

    evaluator = CalicoEvaluator(policies, cluster, tie_break=tie_break, preview_staged=preview_staged)
    return evaluator.evaluate


def diff_policies(before: PolicySet, after: PolicySet, cluster: Cluster | None, *,
                  tie_break: str = DEFAULT_TIE_BREAK, preview_staged: bool = False,
                  semantics: str = "calico", symbolic: bool = False,
                  max_symbolic_pods: int | None = None) -> SemanticDiff:
    """Every connection of `cluster` whose verdict differs between `before` and `after`.

    With `symbolic` (implied when `cluster` is None) also the changes for pods described by
    label conditions (`translator.diff.symbolic`), in `SemanticDiff.symbolic_changes`.
    """

    def make(policies: PolicySet, where: Cluster) -> Evaluate:
        return make_evaluator(policies, where, semantics=semantics, tie_break=tie_break,
                              preview_staged=preview_staged)

    changes: tuple[Change, ...] = ()
    evaluated = 0
    if cluster is not None:
        engine = DiffEngine(before, after, cluster, make)
        changes, evaluated = engine.changes(), engine.evaluated
    if cluster is not None and not symbolic:
        return SemanticDiff(changes=changes, evaluated=evaluated)
    from translator.diff.symbolic import DEFAULT_MAX_PODS, symbolic_changes

    found, notes = symbolic_changes(before, after, make, cluster,
                                    max_symbolic_pods or DEFAULT_MAX_PODS)
    return SemanticDiff(changes, found, notes, evaluated)


@dataclass
class EndpointClass:
    rep: EndpointInfo
    members: list[EndpointInfo]


@dataclass
class ScopeState:
    """The atoms of one scope per direction, and the vector positions each view reads."""

    changed: bool
    atoms: dict[Direction, Atoms]
    subject: dict[Direction, tuple[int, ...]]
    same_namespace_peer: dict[Direction, tuple[int, ...]]
    other_namespace_peer: dict[Direction, tuple[int, ...]]


class ViewTable:
    """View ids of every class through given vector positions, computed once per positions."""

    def __init__(self, classes: Sequence[EndpointClass]) -> None:
        self._bits = [c.rep.bits for c in classes]
        self._ids: dict[tuple[int, ...], list[int]] = {}

    def ids(self, positions: tuple[int, ...]) -> list[int]:
        found = self._ids.get(positions)
        if found is None:
            pick = projector(positions)
            interned: dict[tuple[Any, ...], int] = {}
            found = self._ids[positions] = [interned.setdefault(pick(b), len(interned))
                                            for b in self._bits]
        return found


# Destinations as seen from one source scope: (same namespace?, peer view id, members by the
# destination's own (scope, ingress subject view)).
DestinationGroup = tuple[bool, int, dict[tuple[str | None, int], list[int]]]


class DiffEngine:
    """One diff run: the partitions, the memoised rows, and the collected changes."""

    def __init__(self, before: PolicySet, after: PolicySet, cluster: Cluster,
                 make: Callable[[PolicySet, Cluster], Evaluate],
                 describe: Callable[[Sequence[Pod]], str] | None = None) -> None:
        self._make = make
        self._cluster = cluster
        self._policy_sets = (before, after)
        self._evaluators: dict[tuple[int, str | None], Evaluate] = {}
        self._describe = describe
        self.evaluated = 0
        scopes = {GLOBAL_SCOPE, *(p.namespace for p in cluster.pods)}
        atoms = {(s, d): scope_atoms((before, after), s, d) for s in scopes for d in DIRECTIONS}
        self._index = _atom_index(atoms.values())
        self._catalog = EndpointCatalog(cluster, self._index)
        self._classes = _classes(self._catalog.infos)
        self._views = ViewTable(self._classes)
        self._scopes = {s: self._scope_state(s, atoms, before, after) for s in scopes}
        self._by_scope: dict[str | None, list[int]] = defaultdict(list)
        for index, cls in enumerate(self._classes):
            self._by_scope[cls.rep.scope].append(index)
        self._rows: dict[tuple[object, ...], Row] = {}
        self._denying: set[int] = set()  # ids of rows that deny everything on both sides
        self._combined: dict[tuple[int, int], tuple[Entry, ...]] = {}
        self._groups: dict[tuple[object, ...], list[DestinationGroup]] = {}
        self._collector = Collector(self._classes)

    def _scope_state(self, scope: str | None, atoms: dict[tuple[str | None, Direction], Atoms],
                     before: PolicySet, after: PolicySet) -> ScopeState:
        mine = {d: atoms[(scope, d)] for d in DIRECTIONS}
        position = self._index.positions

        def names(a: Atoms) -> set[tuple[str, Protocol]]:
            return a.all_named_ports

        return ScopeState(
            scope_policies(before, scope) != scope_policies(after, scope),
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
                scope_policy_set(self._policy_sets[side], scope), self._cluster)
        return found

    def _decisions(self, conn: Connection, direction: Direction, scope: str | None,
                   changed: bool) -> tuple[Cause, Cause]:
        """The decision of `direction` at the endpoint of `scope` (only that one is meaningful)."""
        self.evaluated += 1
        before = Cause.of(self._evaluator(0, scope)(conn).decision(direction))
        if not changed:
            return before, before
        return before, Cause.of(self._evaluator(1, scope)(conn).decision(direction))

    def _outcomes(self, conn: Connection, scope: str | None, changed: bool) -> tuple[Outcome, Outcome]:
        """The verdict of a connection between an endpoint of `scope` and an outside address."""
        self.evaluated += 1
        before = _outcome(self._evaluator(0, scope)(conn))
        if not changed:
            return before, before
        return before, _outcome(self._evaluator(1, scope)(conn))

    def _ports(self, state: ScopeState, direction: Direction,
               subject: EndpointInfo) -> tuple[PortStarts, set[tuple[str, Protocol]]]:
        own = subject.endpoint.labels if subject.kind == "pod" else None
        return state.atoms[direction].ports_for(own)

    def _row(self, direction: Direction, subject: int, same: bool, peer_view: int,
             family: int | None, peer: int) -> Row:
        """Decisions at class `subject` (egress: the source; ingress: the destination) towards
        a peer seen as `peer_view`; class `peer` is one such peer."""
        scope = self._classes[subject].rep.scope
        state = self._scopes[scope]
        subject_view = self._views.ids(state.subject[direction])[subject]
        key = (direction, scope, subject_view, same, peer_view, family)
        found = self._rows.get(key)
        if found is None:
            found = self._rows[key] = self._compute_row(direction, state, subject, peer, family)
            if all(not b.allowed and not a.allowed for row in found for _, _, b, a in row):
                self._denying.add(id(found))
        return found

    def _compute_row(self, direction: Direction, state: ScopeState, subject: int, peer: int,
                     family: int | None) -> Row:
        me, other = self._classes[subject].rep, self._classes[peer].rep
        source, destination = (me, other) if direction is Direction.EGRESS else (other, me)
        starts, names = self._ports(state, direction, me)
        row = []
        for protocol in PROTOCOLS:
            cells = port_cells(destination_port_starts(starts[protocol], names,
                                                       destination.endpoint, protocol))
            segments: list[Segment] = []
            for first, last in cells:
                conn = _connection(source, destination, protocol, first, family)
                before, after = self._decisions(conn, direction, me.scope, state.changed)
                _append(segments, first, last, before, after)
            row.append(tuple(segments))
        return tuple(row)

    def _combine(self, egress: Row, ingress: Row) -> tuple[Entry, ...]:
        key = (id(egress), id(ingress))
        found = self._combined.get(key)
        if found is None:
            found = self._combined[key] = entries_of(
                (p, _changed_segments(e, i)) for p, e, i in zip(PROTOCOLS, egress, ingress, strict=True)
            )
        return found

    # --- pods and host endpoints -----------------------------------------------------------------

    def _destination_groups(self, scope: str | None) -> list[DestinationGroup]:
        """Every class as a destination seen from `scope`: same-namespace classes through the
        scope's own peer view, the others through its other-namespace view."""
        state = self._scopes[scope]
        groups: list[DestinationGroup] = []
        own = self._by_scope[scope] if scope is not GLOBAL_SCOPE else []
        if own:
            groups += self._grouped(state.same_namespace_peer[Direction.EGRESS], own, True)
        others = self._cached_other_groups(state.other_namespace_peer[Direction.EGRESS])
        groups += [(False, view, {k: m for k, m in members.items() if k[0] != scope or
                                  scope is GLOBAL_SCOPE})
                   for _, view, members in others]
        return [g for g in groups if g[2]]

    def _cached_other_groups(self, positions: tuple[int, ...]) -> list[DestinationGroup]:
        found = self._groups.get(positions)
        if found is None:
            found = self._groups[positions] = self._grouped(
                positions, range(len(self._classes)), False)
        return found

    def _grouped(self, positions: tuple[int, ...], indices: Iterable[int],
                 same: bool) -> list[DestinationGroup]:
        ids = self._views.ids(positions)
        grouped: dict[int, dict[tuple[str | None, int], list[int]]] = {}
        for index in indices:
            scope = self._classes[index].rep.scope
            own_view = self._views.ids(self._scopes[scope].subject[Direction.INGRESS])[index]
            grouped.setdefault(ids[index], {}).setdefault((scope, own_view), []).append(index)
        return [(same, view, members) for view, members in grouped.items()]

    def _peer_view(self, peer: int, scope: str | None, direction: Direction) -> tuple[bool, int]:
        """How `scope` sees class `peer` in `direction` rules: same namespace?, view id."""
        state = self._scopes[scope]
        same = scope is not GLOBAL_SCOPE and self._classes[peer].rep.scope == scope
        positions = (state.same_namespace_peer if same else state.other_namespace_peer)[direction]
        return same, self._views.ids(positions)[peer]

    def _pairs(self) -> None:
        for s, source in enumerate(self._classes):
            scope = source.rep.scope
            changed = self._scopes[scope].changed
            for same, view, members in self._destination_groups(scope):
                if not changed and not any(self._scopes[k[0]].changed for k in members):
                    continue  # both ends decide as before
                first = next(iter(members.values()))[0]
                for family in source.rep.families_with(self._classes[first].rep):
                    egress = self._row(Direction.EGRESS, s, same, view, family, first)
                    if id(egress) in self._denying:
                        continue  # denied before and after, whatever the destination says
                    self._towards(s, egress, members, family)

    def _towards(self, s: int, egress: Row, members: dict[tuple[str | None, int], list[int]],
                 family: int | None) -> None:
        source_changed = self._scopes[self._classes[s].rep.scope].changed
        for (scope, _), destinations in members.items():
            if not (source_changed or self._scopes[scope].changed):
                continue
            same, view = self._peer_view(s, scope, Direction.INGRESS)
            ingress = self._row(Direction.INGRESS, destinations[0], same, view, family, s)
            entries = self._combine(egress, ingress)
            if entries:
                targets = [("class", d) for d in destinations]
                bucket = self._collector.bucket(targets[0])
                self._collector.add(("class", s), targets, family, entries, bucket)

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
        me, outside = ("class", index), ("external", family, cell)
        if direction is Direction.EGRESS:
            self._collector.add(me, [outside], family, entries, self._collector.bucket(outside))
        else:
            self._collector.add(outside, [me], family, entries, self._collector.bucket(me))

    def _external_row(self, index: int, state: ScopeState, family: int,
                      direction: Direction) -> list[tuple[tuple[int, int], tuple[Entry, ...]]]:
        info = self._classes[index].rep
        key = ("external", direction, info.scope, self._views.ids(state.subject[direction])[index],
               family)
        found = self._rows.get(key)
        if found is None:
            found = self._rows[key] = self._compute_external(info, state, family, direction)
        return found  # type: ignore[return-value]

    def _compute_external(self, info: EndpointInfo, state: ScopeState, family: int,
                          direction: Direction) -> list[tuple[tuple[int, int], tuple[Entry, ...]]]:
        atoms = state.atoms[direction]
        starts, _ = self._ports(state, direction, info)
        found = []
        for cell in address_cells(atoms.cidrs, family):
            address = representative_address(cell, family, self._catalog.owned_addresses)
            if address is None:
                continue
            per_protocol = []
            for protocol in PROTOCOLS:
                segments: list[Segment] = []
                for first, last in port_cells(starts[protocol]):
                    conn = _external_connection(info, address, protocol, first, family, direction)
                    before, after = self._outcomes(conn, info.scope, state.changed)
                    if before.allowed != after.allowed:
                        _append(segments, first, last, before, after)
                per_protocol.append((protocol, segments))
            entries = entries_of(per_protocol)
            if entries:
                found.append((cell, entries))
        return found

    def changes(self) -> tuple[Change, ...]:
        self._pairs()
        self._external()
        return self._collector.changes(self._describe)


def _atom_index(all_atoms: Iterable[Atoms]) -> AtomIndex:
    leaves: set[Any] = set()
    cidrs: set[Any] = set()
    names: set[tuple[str, Protocol]] = set()
    for atoms in all_atoms:
        leaves |= atoms.all_leaves
        cidrs |= atoms.cidrs
        names |= atoms.all_named_ports
    return AtomIndex(leaves, cidrs, names)


def _classes(infos: Iterable[EndpointInfo]) -> list[EndpointClass]:
    """Endpoints no policy can tell apart: same scope, kind, identity, families and atom vector."""
    grouped: dict[tuple[Any, ...], EndpointClass] = {}
    for info in infos:
        key = (info.scope or "", info.identity or "", info.kind, tuple(sorted(info.addresses)),
               info.bits)
        if key in grouped:
            grouped[key].members.append(info)
        else:
            grouped[key] = EndpointClass(info, [info])
    return list(grouped.values())


def _connection(source: EndpointInfo, destination: EndpointInfo, protocol: Protocol, port: int,
                family: int | None) -> Connection:
    if family is None:
        return Connection(source.endpoint, destination.endpoint, protocol, port)
    return Connection(source.endpoint, destination.endpoint, protocol, port,
                      source.addresses[family], destination.addresses[family])


def _external_connection(info: EndpointInfo, address: Any, protocol: Protocol, port: int,
                         family: int, direction: Direction) -> Connection:
    own = info.addresses.get(family)
    if direction is Direction.EGRESS:
        return Connection(info.endpoint, address, protocol, port, own, address)
    return Connection(address, info.endpoint, protocol, port, address, own)


def _outcome(verdict: Verdict) -> Outcome:
    return Outcome(verdict.allowed, Cause.of(verdict.egress), Cause.of(verdict.ingress))


def _append(segments: list[Segment], first: int, last: int, before: Any, after: Any) -> None:
    """Add a cell, extending the previous segment when it ends just before with the same values."""
    if segments:
        p_first, p_last, p_before, p_after = segments[-1]
        if p_last + 1 == first and p_before == before and p_after == after:
            segments[-1] = (p_first, last, before, after)
            return
    segments.append((first, last, before, after))


def _changed_segments(egress: tuple[Segment, ...], ingress: tuple[Segment, ...]) -> tuple[Segment, ...]:
    """Walk both rows' port cells together; keep the cells whose overall verdict changes."""
    found: list[Segment] = []
    i = j = 0
    while i < len(egress) and j < len(ingress):
        e_first, e_last, e_before, e_after = egress[i]
        i_first, i_last, i_before, i_after = ingress[j]
        first, last = max(e_first, i_first), min(e_last, i_last)
        before_allowed = e_before.allowed and i_before.allowed
        after_allowed = e_after.allowed and i_after.allowed
        if before_allowed != after_allowed:
            before = Outcome(before_allowed, e_before, i_before)
            after = Outcome(after_allowed, e_after, i_after)
            _append(found, first, last, before, after)
        if e_last == last:
            i += 1
        if i_last == last:
            j += 1
    return tuple(found)
