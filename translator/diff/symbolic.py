"""Symbolic diff: every change for every possible pod, as regions described by labels (exact).

The verify engine (`translator.verify.regions`) enumerates the regions of the connection space
where the two sides disagree — no synthetic cluster, no cap. Each region becomes one `Change` per
protocol, its endpoints described in user terms ("pods in namespace prod with app=db, no tier
label"), its verdicts and deciding rules those of one connection of the region, evaluated by the
Calico evaluator. Regions of IP protocols other than TCP, UDP and SCTP (which a `Change` cannot
name) are listed in the notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from translator.diff.result import Cause, Change, EndpointKind, Endpoints, Outcome
from translator.evaluate.verdict import Verdict
from translator.model.calico import PolicySet, TieBreak
from translator.model.cluster import NetworkSet
from translator.model.common import PortRange, Protocol
from translator.selectors import SERVICE_ACCOUNT_LABEL
from translator.verify import invariants as inv
from translator.verify.engine import Difference, Engine, Sides
from translator.verify.network_sets import assumption
from translator.verify.regions import Literal, Region, all_regions, network_list
from translator.verify.symbols import EndpointClass
from translator.verify.witness import build_witness

PROTOCOLS = {number: Protocol(name) for name, number in inv.PORTED_PROTOCOLS.items()}
OTHER_NAMESPACES = "(other namespaces)"


def _label_text(literal: Literal) -> str:
    """A literal in user terms: inherited `pcns.` labels are the namespace's labels."""
    text = literal.text.replace(f"{SERVICE_ACCOUNT_LABEL}=", "service account ")
    prefix = inv.NAMESPACE_PREFIX
    if text.startswith(f"no {prefix}"):
        return f"a namespace without label {text[len('no ' + prefix):].removesuffix(' label')}"
    if text.startswith(prefix):
        return f"a namespace labelled {text[len(prefix):]}"
    return text


def _where(where: EndpointClass, literals: list[Literal]) -> str:
    if where.namespace is not None:
        return f"namespace {where.namespace}"
    excluded = set(where.excluded)
    for literal in literals:
        if literal.kind != "namespace":
            continue
        if " not in {" in literal.text:
            listed = literal.text.split(" not in {", 1)[1].rstrip("}")
            excluded.update(n.strip() for n in listed.split(",") if n.strip())
        elif "=" in literal.text:
            return f"namespace {literal.text.split('=', 1)[1]}"
    return f"any namespace but {', '.join(sorted(excluded))}" if excluded else "any namespace"


def describe_side(region: Region, tag: str, where: EndpointClass) -> Endpoints:
    facts = region.facts(tag)
    # Whether the end is an endpoint of a Service a `services` rule names (every endpoint set).
    services = f"({', '.join(x.text for x in facts if x.kind == 'service')})" \
        if any(x.kind == "service" for x in facts) else ""
    if where.outside:
        return Endpoints(EndpointKind.EXTERNAL, networks=tuple(network_list(region, tag)),
                         conditions=services)
    valued = {x.key for x in facts if x.kind == "label"}
    # "has app" says nothing more next to "app=web".
    labels = [_label_text(x) for x in facts
              if x.kind in ("label", "named-port") or (x.kind == "presence" and x.key not in valued)]
    addresses = [f"address {x.text}" for x in facts if x.kind == "address"]
    text = f"pods in {_where(where, facts)}"
    if labels or addresses:
        text += " with " + ", ".join([*labels, *addresses])
    if services:
        text += " " + services
    group = where.namespace or OTHER_NAMESPACES
    return Endpoints(EndpointKind.SYMBOLIC, group, conditions=text)


def _namespace_label_text(region: Region) -> str:
    """The labels of network sets' namespaces a region needs, in words ("" when none)."""
    facts = region.facts("cluster")
    valued = {x.key for x in facts if x.kind == "namespace-label"}
    texts = [x.text for x in facts if x.kind == "namespace-label" or x.key not in valued]
    return f"when {', '.join(texts)}" if texts else ""


def _with_namespace_labels(region: Region, source: Endpoints,
                           destination: Endpoints) -> tuple[Endpoints, Endpoints]:
    """The namespace labels go with the side that is an address (a network set's member), else
    with the destination."""
    when = _namespace_label_text(region)
    if not when:
        return source, destination
    if source.kind is EndpointKind.EXTERNAL and destination.kind is not EndpointKind.EXTERNAL:
        return replace(source, conditions=f"{source.conditions} {when}".strip()), destination
    return source, replace(destination, conditions=f"{destination.conditions} {when}".strip())


def _ports(region: Region) -> tuple[PortRange, ...]:
    for literal in region.facts("packet", "port"):
        low, high = literal.text.split(":")
        return (PortRange(int(low), int(high)),)
    return (PortRange(inv.PORT_RANGE[0], inv.PORT_RANGE[1]),)


def _protocols(region: Region) -> tuple[Protocol, ...] | None:
    """The protocols a region covers that a Change can name; None: only other IP protocols."""
    chosen = region.facts("packet", "protocol")
    if not chosen:
        return tuple(PROTOCOLS.values())
    number = chosen[0].text
    if number.isdigit() and int(number) in PROTOCOLS:
        return (PROTOCOLS[int(number)],)
    return None


def _outcome(verdict: Verdict) -> Outcome:
    return Outcome(verdict.allowed, Cause.of(verdict.egress), Cause.of(verdict.ingress))


def _changes(
    region: Region, before: PolicySet, after: PolicySet, tie_break: TieBreak | str
) -> Iterator[Change]:
    protocols = _protocols(region)
    if protocols is None:
        return
    source = describe_side(region, "src", region.source)
    destination = describe_side(region, "dst", region.destination)
    source, destination = _with_namespace_labels(region, source, destination)
    for protocol in protocols:
        seed = region.seed_for(inv.PORTED_PROTOCOLS[protocol.value])
        if seed is None:
            continue  # the region holds no connection of this protocol
        difference = Difference(region.packet, seed, region.allowed_a, region.allowed_b)
        witness = build_witness(difference, before, after, tie_break)
        assert witness.verdict_a is not None and witness.verdict_b is not None
        yield Change(source, destination, protocol, _ports(region), _outcome(witness.verdict_a),
                     _outcome(witness.verdict_b))


def symbolic_changes(before: PolicySet, after: PolicySet, *, tie_break: TieBreak | str,
                     preview_staged: bool = False, network_sets: Iterable[NetworkSet] = ()
                     ) -> tuple[tuple[Change, ...], tuple[str, ...]]:
    """Every change for every possible pod (see module docstring), and notes on what was left out.
    `network_sets` are the cluster's, as given: rule selectors match their nets."""
    sides = Sides.of(before, after, tie_break, preview_staged, network_sets)
    engine = Engine(sides)
    changes: list[Change] = []
    others = 0
    for region in all_regions(engine):
        found = list(_changes(region, before, after, tie_break))
        others += not found and _protocols(region) is None
        changes.extend(found)
    named = ", ".join(sides.namespaces) or "none"
    notes = [f"symbolic: exact for every possible pod (z3), in every namespace (named by the policies: "
             f"{named}; and any other) and every address outside the cluster, both sides as Calico "
             "enforces them; host endpoints are not judged; " + assumption(sides.network_sets)]
    if others:
        notes.append(f"symbolic: {others} region(s) differ only for IP protocols other than TCP, UDP "
                     "and SCTP; `np2calico verify` shows a witness")
    merged = _merged(changes)
    merged.sort(key=lambda c: (c.source.group, c.destination.group, c.source.describe(),
                               c.destination.describe(), c.protocol.value, c.ports))
    return tuple(merged), tuple(notes)


def _coalesced(ranges: list[PortRange]) -> tuple[PortRange, ...]:
    merged: list[PortRange] = []
    for r in sorted(ranges):
        if merged and r.start <= merged[-1].end + 1:
            merged[-1] = PortRange(merged[-1].start, max(merged[-1].end, r.end))
        else:
            merged.append(r)
    return tuple(merged)


def _merged(changes: list[Change]) -> list[Change]:
    """Regions that read the same in user terms, with the same verdicts and causes, on one line."""
    groups: dict[tuple[object, ...], list[Change]] = {}
    for change in changes:
        key = (change.source, change.destination, change.protocol, change.before, change.after)
        groups.setdefault(key, []).append(change)
    return [replace(found[0], ports=_coalesced([p for c in found for p in c.ports]))
            for found in groups.values()]
