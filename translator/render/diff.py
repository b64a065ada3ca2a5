"""Diffs as text (coloured on a terminal), JSON and Markdown (for a pull-request comment).

Public: `render_semantic_diff(diff, fmt, color=False, context=None)`, `render_resource_diff(diff,
fmt, color=False)`, and `FORMATS`; `outcome_text`, `merge_protocols` and `Texts` are the sentences
the HTML report shows too (translator/render/html.py). Changes that differ only in protocol and
ports are shown on one line ("TCP 1:65535; UDP 53").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from json.encoder import encode_basestring_ascii
from typing import Any

from translator.diff.report import DiffContext, DiffReport
from translator.diff.result import Cause, Change, Endpoints, JudgedNamespace, Outcome, SemanticDiff
from translator.evaluate.verdict import DecidedBy
from translator.model.common import PortRange
from translator.render.envelope import envelope
from translator.render.indented_json import INDENT, Pieces, Raw, array_into, encode, encode_into
from translator.render.verdicts import ending_text
from translator.resource_diff import FieldChange, FieldChangeKind, ObjectChange, ResourceDiff

FORMATS = ("text", "json", "markdown")
_COLORS = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}


def _paint(text: str, color: str, enabled: bool) -> str:
    return f"\033[{_COLORS[color]}m{text}\033[0m" if enabled else text


# --- semantic diff -------------------------------------------------------------------------------


def _traffic_key(change: Change) -> tuple[Any, ...]:
    return (change.source, change.destination, change.before, change.after, change.family)


def merge_protocols(changes: Iterable[Change]) -> list[tuple[Change, str]]:
    """Changes with the same endpoints and outcomes, one entry each with "PROTO ports; …"."""
    merged: dict[tuple[Any, ...], tuple[Change, list[str]]] = {}
    for change in changes:
        entry = merged.setdefault(_traffic_key(change), (change, []))
        entry[1].append(f"{change.protocol.value} {change.ports_text()}")
    return [(change, "; ".join(traffic)) for change, traffic in merged.values()]


def describe_cause(cause: Cause) -> str:
    """`allowed by <policy> <direction> rule N (tier T)`, or what decided without a rule."""
    word = "allowed" if cause.allowed else "denied"
    if cause.policy is not None:
        rule = f" {cause.direction.value.lower()} rule {cause.rule}" if cause.rule is not None else ""
        tier = f" (tier {cause.tier})" if cause.tier else ""
        return f"{word} by {cause.policy}{rule}{tier}"
    ended = ending_text(cause.action, cause.ending, cause.tier, cause.profile)
    if ended:
        return f"{word}: {ended}"
    return f"{word}: no policy applies" if cause.allowed else f"{word}: isolated, no rule allows"


def outcome_text(outcome: Outcome) -> str:
    """`allow — egress allowed by …; ingress …`: a side's verdict and what decided it."""
    word = "allow" if outcome.allowed else "deny"
    causes = "; ".join(f"{c.direction.value.lower()} {describe_cause(c)}" for c in outcome.deciding())
    return f"{word} — {causes}"


def family_text(change: Change) -> str:
    return " (IPv6)" if change.family == 6 else ""


class Texts:
    """`describe()` and `outcome_text` once per value: big diffs repeat them in many changes."""

    def __init__(self) -> None:
        self._found: dict[Outcome | Endpoints, str] = {}

    def of(self, value: Outcome | Endpoints) -> str:
        found = self._found.get(value)
        if found is None:
            text = outcome_text(value) if isinstance(value, Outcome) else value.describe()
            found = self._found[value] = text
        return found


def _text_change(change: Change, traffic: str, color: bool, texts: Texts) -> list[str]:
    status = _paint(change.status, "green" if change.newly_allowed else "red", color)
    return [
        f"  {status}: {texts.of(change.source)} -> {texts.of(change.destination)}",
        f"    {traffic}{family_text(change)}",
        f"    before: {texts.of(change.before)}",
        f"    after:  {texts.of(change.after)}",
    ]


def _summary(changes: Sequence[Change]) -> str:
    denied = sum(1 for c in changes if not c.newly_allowed)
    return f"{len(changes)} changes: {denied} newly denied, {len(changes) - denied} newly allowed"


def _text_groups(diff: SemanticDiff, symbolic: bool, color: bool) -> list[str]:
    lines: list[str] = []
    texts = Texts()
    for (source, destination, direction), changes in diff.groups(symbolic).items():
        lines.append(_paint(f"== {source} -> {destination} ({direction}) ==", "bold", color))
        for change, traffic in merge_protocols(changes):
            lines.extend(_text_change(change, traffic, color, texts))
        lines.append("")
    return lines


def _semantic_text(diff: SemanticDiff, color: bool) -> str:
    judged = diff.judged_text()
    if diff.is_empty:
        lines = ["No connection changes its verdict.", *([judged] if judged else [])]
    else:
        # Without a cluster's connections (symbolic alone) there is nothing to say about them.
        cluster = [_summary(diff.changes)] if diff.changes else (
            ["No change on the cluster's pods."] if diff.evaluated else [])
        head = [*cluster, *([judged] if judged else [])]
        lines = [*head, ""] if head else []
        lines += _text_groups(diff, False, color)
        if diff.symbolic_changes:
            lines += [_paint("For pods described by labels (symbolic):", "bold", color),
                      _summary(diff.symbolic_changes), ""]
            lines += _text_groups(diff, True, color)
    lines += [_paint(f"note: {n}", "dim", color) for n in diff.notes]
    return "\n".join(lines).rstrip() + "\n"


def _cause_json(cause: Cause) -> dict[str, Any]:
    decided_by = cause.ending or (DecidedBy.RULE if cause.policy is not None else None)
    return {"allowed": cause.allowed, "policy": cause.policy, "rule": cause.rule, "tier": cause.tier,
            "action": cause.action.value if cause.action is not None else None,
            "decidedBy": decided_by.value if decided_by is not None else None,
            "summary": describe_cause(cause)}


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {"verdict": "allow" if outcome.allowed else "deny",
            "egress": _cause_json(outcome.egress), "ingress": _cause_json(outcome.ingress)}


def _endpoints_json(side: Endpoints) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": side.kind.value, "group": side.group}
    if side.spans:  # pods of several namespaces: one single-namespace side each
        found["namespaces"] = [_endpoints_json(span) for span in side.spans]
        return found
    if side.namespace is not None and side.kind.value in ("pods", "symbolic"):
        found["namespace"] = side.namespace
    if side.names:
        found["names"] = list(side.names)
    if side.services:
        found["services"] = {name: list(services) for name, services in side.services}
    if side.networks:
        found["networks"] = list(side.networks)
    if side.conditions:
        found["conditions"] = side.conditions
    return found


def change_json(change: Change) -> dict[str, Any]:
    return {
        "status": change.status,
        "direction": change.direction,
        "source": _endpoints_json(change.source),
        "destination": _endpoints_json(change.destination),
        "protocol": change.protocol.value,
        "ports": [str(p) for p in change.ports],
        "family": change.family,
        "changed_at": [d.value.lower() for d in change.changed_at],
        "before": _outcome_json(change.before),
        "after": _outcome_json(change.after),
    }


class _Fragments:
    """The JSON text of outcomes and endpoint lists, rendered once per value and depth: a big
    diff repeats the same few outcomes, and each pod group, in thousands of changes."""

    def __init__(self) -> None:
        self._found: dict[tuple[Outcome | Endpoints, int], Raw] = {}
        self._verdicts: dict[tuple[Outcome, Outcome, int], str] = {}
        # The same objects come back change after change: found by identity first, since hashing
        # a side (its pod names) or an outcome (its causes) at every change cost more than the
        # rest of the change. Each entry holds its objects, so their ids stay theirs.
        self._of_id: dict[tuple[int, int], tuple[Outcome | Endpoints, Raw]] = {}
        self._verdict_id: dict[tuple[int, int, int], tuple[Outcome, Outcome, str]] = {}
        self._ports: dict[tuple[tuple[PortRange, ...], int], str] = {}

    def of(self, value: Outcome | Endpoints, level: int) -> Raw:
        known = self._of_id.get((id(value), level))
        if known is not None and known[0] is value:
            return known[1]
        key = (value, level)
        found = self._found.get(key)
        if found is None:
            data = _outcome_json(value) if isinstance(value, Outcome) else _endpoints_json(value)
            found = self._found[key] = Raw(encode(data, level))
        self._of_id[(id(value), level)] = (value, found)
        return found

    def _verdict(self, change: Change, level: int) -> str:
        """The fields `after`, `before` and `changed_at` (a function of the two outcomes)."""
        before, after = change.before, change.after
        known = self._verdict_id.get((id(before), id(after), level))
        if known is not None and known[0] is before and known[1] is after:
            return known[2]
        key = (before, after, level)
        found = self._verdicts.get(key)
        if found is None:
            separator = ",\n" + INDENT * level
            found = self._verdicts[key] = separator.join((
                f'"after": {self.of(after, level)}',
                f'"before": {self.of(before, level)}',
                f'"changed_at": {encode([d.value.lower() for d in change.changed_at], level)}'))
        self._verdict_id[(id(before), id(after), level)] = (before, after, found)
        return found

    def _ports_text(self, ports: tuple[PortRange, ...], level: int) -> str:
        key = (ports, level)
        found = self._ports.get(key)
        if found is None:
            found = self._ports[key] = encode([str(p) for p in ports], level)
        return found

    def change(self, change: Change, level: int, out: list[str]) -> None:
        """`change_json(change)` encoded at depth `level` (its keys in sorted order), appended
        to `out` in pieces: the outcomes and endpoint lists stay shared, not copied per change."""
        inner = level + 1
        separator = ",\n" + INDENT * inner
        family = "null" if change.family is None else int.__repr__(change.family)
        out += ("{\n", INDENT * inner, self._verdict(change, inner),
                separator, '"destination": ', self.of(change.destination, inner),
                separator, '"direction": ', encode_basestring_ascii(change.direction),
                separator, '"family": ', family,
                separator, '"ports": ', self._ports_text(change.ports, inner),
                separator, '"protocol": ', encode_basestring_ascii(change.protocol.value),
                separator, '"source": ', self.of(change.source, inner),
                separator, '"status": ', encode_basestring_ascii(change.status),
                "\n", INDENT * level, "}")

    def changes(self, changes: Sequence[Change]) -> Pieces:
        """The array of `changes`, written in pieces where the document is."""

        def write(level: int, out: list[str]) -> None:
            array_into(changes, level, out, self.change)

        return Pieces(write)


def _judged_json(judged: JudgedNamespace) -> dict[str, Any]:
    return {"namespace": judged.namespace, "pods": judged.pods, "workloads": judged.workloads,
            "has_policies": judged.has_policies, "summary": judged.describe()}


def _counts_json(changes: Sequence[Change]) -> dict[str, int]:
    denied = sum(1 for c in changes if not c.newly_allowed)
    return {"newly_denied": denied, "newly_allowed": len(changes) - denied}


def context_json(context: DiffContext) -> dict[str, Any]:
    compared = context.comparison
    return {
        "compared": None if compared is None else {
            "mode": compared.mode, "before": compared.before, "after": compared.after,
            "options": list(compared.options), "summary": compared.describe()},
        "cluster": context.cluster,
        "namespaces": list(context.namespaces),
        "warnings": list(context.warnings),
        "dropped": list(context.dropped),
        "symbolic": context.symbolic,
    }


def _semantic_json(diff: SemanticDiff, color: bool, context: DiffContext | None = None) -> str:
    """What `json.dumps(document, indent=2, sort_keys=True)` writes, byte for byte (see
    `indented_json`): each change at depth 2, its repeated parts rendered once."""
    fragments = _Fragments()
    document: dict[str, Any] = {
        **envelope("DiffResult", {}),
        "changed": not diff.is_empty,
        "changes": fragments.changes(diff.changes),
        "symbolic_changes": fragments.changes(diff.symbolic_changes),
        "notes": list(diff.notes),
        "summary": {"changes": _counts_json(diff.changes),
                    "symbolic_changes": _counts_json(diff.symbolic_changes),
                    "exit_status": DiffReport(diff).exit_status,
                    "judged": [_judged_json(j) for j in diff.judged]},
    }
    if context is not None:
        document["context"] = context_json(context)
    out: list[str] = []
    encode_into(document, 0, out)
    out.append("\n")
    return "".join(out)  # one copy of a text that can run to hundreds of megabytes


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown_groups(diff: SemanticDiff, symbolic: bool) -> list[str]:
    lines: list[str] = []
    texts = Texts()
    for (source, destination, direction), changes in diff.groups(symbolic).items():
        lines += [f"#### `{source}` → `{destination}` ({direction})", "",
                  "| change | from | to | traffic | before | after |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for change, traffic in merge_protocols(changes):
            icon = "🟢" if change.newly_allowed else "🔴"
            cells = (f"{icon} {change.status}", texts.of(change.source),
                     texts.of(change.destination), traffic + family_text(change),
                     texts.of(change.before), texts.of(change.after))
            lines.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
        lines.append("")
    return lines


def _semantic_markdown(diff: SemanticDiff, color: bool) -> str:
    lines = ["### np2calico diff", ""]
    judged = diff.judged_text()
    if diff.is_empty:
        lines += ["No connection changes its verdict.", *([f"_{judged}_"] if judged else [])]
    if diff.changes:
        lines += [f"**{_summary(diff.changes)}**", *([f"_{judged}_"] if judged else []), "",
                  *_markdown_groups(diff, False)]
    if diff.symbolic_changes:
        title = "### For pods described by labels (symbolic)"
        lines += [title, "", f"**{_summary(diff.symbolic_changes)}**", "",
                  *_markdown_groups(diff, True)]
    lines += [f"> note: {n}" for n in diff.notes]
    return "\n".join(lines).rstrip() + "\n"


_SEMANTIC: dict[str, Callable[[SemanticDiff, bool], str]] = {
    "text": _semantic_text, "markdown": _semantic_markdown,
}


def render_semantic_diff(diff: SemanticDiff, fmt: str = "text", color: bool = False,
                         context: DiffContext | None = None) -> str:
    """`fmt` is text, json or markdown; json also carries `context` when given (html: see
    `translator.render.report`)."""
    if fmt == "json":
        return _semantic_json(diff, color, context)
    return _SEMANTIC[fmt](diff, color)


# --- resource diff -------------------------------------------------------------------------------


def _value(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _field_text(field: FieldChange) -> str:
    if field.kind is FieldChangeKind.ADDED:
        return f"+ {field.path}: {_value(field.after)}"
    if field.kind is FieldChangeKind.REMOVED:
        return f"- {field.path}: {_value(field.before)}"
    return f"~ {field.path}: {_value(field.before)} -> {_value(field.after)}"


_ACTION_STYLE = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}


def _resource_text(diff: ResourceDiff, color: bool) -> str:
    lines = []
    for change in diff.changes:
        mark, paint = _ACTION_STYLE[change.action.value]
        lines.append(_paint(f"{mark} {change.action.value} {change.key}", paint, color))
        lines += [f"    {_field_text(f)}" for f in change.fields]
    counts = (f"{len(diff.created)} to create, {len(diff.changed)} to update, "
              f"{len(diff.deleted)} to delete, {len(diff.unchanged)} unchanged")
    lines.append(counts if diff.has_changes else f"No changes ({len(diff.unchanged)} unchanged).")
    return "\n".join(lines) + "\n"


def _key_json(change: ObjectChange) -> dict[str, Any]:
    key = change.key
    return {"group": key.group, "kind": key.kind, "namespace": key.namespace or None,
            "name": key.name}


def _resource_json(diff: ResourceDiff, color: bool) -> str:
    def entry(change: ObjectChange) -> dict[str, Any]:
        found = {**_key_json(change), "action": change.action.value}
        if change.fields:
            found["fields"] = [{"path": f.path, "change": f.kind.value, "before": f.before,
                                "after": f.after} for f in change.fields]
        return found

    document = {
        **envelope("ResourceDiffResult", {}),
        "changed": diff.has_changes,
        "created": [entry(c) for c in diff.created],
        "updated": [entry(c) for c in diff.changed],
        "deleted": [entry(c) for c in diff.deleted],
        "unchanged": [str(k) for k in diff.unchanged],
    }
    return json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"


def _resource_markdown(diff: ResourceDiff, color: bool) -> str:
    lines = ["### np2calico resource diff", ""]
    if not diff.has_changes:
        lines.append(f"No changes ({len(diff.unchanged)} unchanged).")
    for change in diff.changes:
        lines.append(f"- **{change.action.value}** `{change.key}`")
        lines += [f"  - `{_field_text(f)}`" for f in change.fields]
    return "\n".join(lines) + "\n"


_RESOURCE: dict[str, Callable[[ResourceDiff, bool], str]] = {
    "text": _resource_text, "json": _resource_json, "markdown": _resource_markdown,
}


def render_resource_diff(diff: ResourceDiff, fmt: str = "text", color: bool = False) -> str:
    return _RESOURCE[fmt](diff, color)
