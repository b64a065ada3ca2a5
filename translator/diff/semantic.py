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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from translator.diff.assemble import Record, assemble
from translator.diff.atoms import GLOBAL_SCOPE, PROTOCOLS, Atoms, scope_atoms, scope_policies
from translator.diff.result import Cause, Change, Outcome, SemanticDiff
from translator.diff.space import (
    AtomIndex,
    EndpointCatalog,
    EndpointInfo,
    ScopeView,
    address_cells,
    destination_port_starts,
    port_cells,
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
        engine = DiffEngine(before, after, cluster, (make(before, cluster), make(after, cluster)))
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


class DiffEngine:
    """One diff run: the partitions, the memoised rows, and the records of changed cells."""

    def __init__(self, before: PolicySet, after: PolicySet, cluster: Cluster,
                 sides: tuple[Evaluate, Evaluate],
                 describe: Callable[[Sequence[Pod]], str] | None = None) -> None:
        self._sides = sides
        self._describe = describe
        self.evaluated = 0
        scopes = {GLOBAL_SCOPE, *(p.namespace for p in cluster.pods)}
        self._atoms = {s: scope_atoms((before, after), s) for s in scopes}
        merged = Atoms()
        for atoms in self._atoms.values():
            merged.merge(atoms)
        index = AtomIndex(merged)
        self._catalog = EndpointCatalog(cluster, index)
        self._changed = {s: scope_policies(before, s) != scope_policies(after, s) for s in scopes}
        self._classes = _classes(self._catalog.infos)
        self._view_ids = {s: self._scope_view_ids(ScopeView(s, index.positions(a)))
                          for s, a in self._atoms.items()}
        self._rows: dict[tuple[object, ...], Row] = {}
        self._combined: dict[tuple[int, int], tuple[tuple[Segment, ...], ...]] = {}

    def _scope_view_ids(self, view: ScopeView) -> list[int]:
        interned: dict[tuple[Any, ...], int] = {}
        return [interned.setdefault(view.view(c.rep), len(interned)) for c in self._classes]

    # --- evaluation ------------------------------------------------------------------------------

    def _decisions(self, conn: Connection, direction: Direction, changed: bool) -> tuple[Cause, Cause]:
        self.evaluated += 1
        before = Cause.of(self._sides[0](conn).decision(direction))
        if not changed:
            return before, before
        return before, Cause.of(self._sides[1](conn).decision(direction))

    def _outcomes(self, conn: Connection, changed: bool) -> tuple[Outcome, Outcome]:
        self.evaluated += 1
        before = _outcome(self._sides[0](conn))
        return (before, before) if not changed else (before, _outcome(self._sides[1](conn)))

    def _row(self, direction: Direction, subject: int, peer: int, family: int | None) -> Row:
        """Decisions at `subject` (egress: it is the source; ingress: the destination)."""
        scope = self._classes[subject].rep.scope
        ids = self._view_ids[scope]
        key = (direction, scope, ids[subject], ids[peer], family)
        found = self._rows.get(key)
        if found is None:
            found = self._rows[key] = self._compute_row(direction, subject, peer, family)
        return found

    def _compute_row(self, direction: Direction, subject: int, peer: int, family: int | None) -> Row:
        me, other = self._classes[subject].rep, self._classes[peer].rep
        source, destination = (me, other) if direction is Direction.EGRESS else (other, me)
        atoms, changed = self._atoms[me.scope], self._changed[me.scope]
        row = []
        for protocol in PROTOCOLS:
            starts = destination_port_starts(atoms, destination.endpoint, protocol)
            segments: list[Segment] = []
            for first, last in port_cells(starts):
                conn = _connection(source, destination, protocol, first, family)
                before, after = self._decisions(conn, direction, changed)
                _append(segments, first, last, before, after)
            row.append(tuple(segments))
        return tuple(row)

    def _combine(self, egress: Row, ingress: Row) -> tuple[tuple[Segment, ...], ...]:
        key = (id(egress), id(ingress))
        found = self._combined.get(key)
        if found is None:
            found = self._combined[key] = tuple(
                _changed_segments(e, i) for e, i in zip(egress, ingress, strict=True)
            )
        return found

    # --- the traffic space -----------------------------------------------------------------------

    def _pair_records(self) -> Iterable[Record]:
        classes, changed = self._classes, self._changed
        for s, source in enumerate(classes):
            for d, destination in enumerate(classes):
                if not (changed[source.rep.scope] or changed[destination.rep.scope]):
                    continue
                for family in source.rep.families_with(destination.rep):
                    egress = self._row(Direction.EGRESS, s, d, family)
                    ingress = self._row(Direction.INGRESS, d, s, family)
                    for protocol, segments in zip(PROTOCOLS, self._combine(egress, ingress),
                                                  strict=True):
                        for first, last, before, after in segments:
                            yield Record(("class", s), ("class", d), family, protocol,
                                         first, last, before, after)

    def _external_records(self) -> Iterable[Record]:
        for index, cls in enumerate(self._classes):
            if not self._changed[cls.rep.scope]:
                continue
            for family in sorted(cls.rep.addresses) or (4,):
                for direction in (Direction.EGRESS, Direction.INGRESS):
                    yield from self._external_for(index, cls.rep, family, direction)

    def _external_for(self, index: int, info: EndpointInfo, family: int,
                      direction: Direction) -> Iterable[Record]:
        atoms, changed = self._atoms[info.scope], self._changed[info.scope]
        me = ("class", index)
        for cell in address_cells(atoms.cidrs, family):
            address = representative_address(cell, family, self._catalog.owned_addresses)
            if address is None:
                continue
            outside = ("external", family, cell)
            source, destination = (me, outside) if direction is Direction.EGRESS else (outside, me)
            for protocol in PROTOCOLS:
                for first, last in port_cells(atoms.port_starts[protocol]):
                    conn = _external_connection(info, address, protocol, first, family, direction)
                    before, after = self._outcomes(conn, changed)
                    if before.allowed != after.allowed:
                        yield Record(source, destination, family, protocol, first, last,
                                     before, after)

    def changes(self) -> tuple[Change, ...]:
        records = [*self._pair_records(), *self._external_records()]
        return assemble(records, self._classes, self._describe)


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
