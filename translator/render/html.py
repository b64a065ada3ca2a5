"""The diff as one self-contained HTML page: summary, namespace × namespace matrix, details.

Rendered by Jinja2 templates (translator/render/templates/) from the same result objects as the
text, json and markdown outputs; every sentence about a change (endpoints, traffic, the deciding
policy and rule on each side) comes from `translator.render.diff`, so the page says exactly what
the text output says. The matrix is drawn by the page's script from a compact data block (strings
are stored once and referred to by index), which keeps a 500-namespace report small and lets the
script draw only the visible part of the matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2

from translator.diff.matrix import Matrix, build_matrix
from translator.diff.report import DiffReport
from translator.diff.result import Change, SemanticDiff
from translator.render.diff import Texts, family_text, merge_protocols

# Above this many entries the printable list of every change is left out (the matrix stays).
LISTING_LIMIT = 2000
# Filter values of the matrix's direction menu, as `Change.direction` spells them.
DIRECTIONS = ("internal", "ingress", "egress")


@dataclass(frozen=True)
class EntryText:
    """One line group of the text output: a change, its protocols merged, as sentences."""

    status: str
    source: str
    destination: str
    traffic: str
    before: str
    after: str

    @property
    def newly_allowed(self) -> bool:
        return self.status == "newly allowed"


@dataclass(frozen=True)
class ListedGroup:
    title: str
    entries: tuple[EntryText, ...]


@dataclass(frozen=True)
class View:
    """One matrix: the cluster's pods, or the pods described by labels (symbolic)."""

    key: str
    title: str
    changes: tuple[Change, ...]
    matrix: Matrix
    listing: tuple[ListedGroup, ...] | None

    # The entries of the JSON output: a change of several namespaces counts once here, and in
    # every cell of the matrix it spans.
    @property
    def newly_denied(self) -> int:
        return sum(1 for c in self.changes if not c.newly_allowed)

    @property
    def newly_allowed(self) -> int:
        return sum(1 for c in self.changes if c.newly_allowed)


@dataclass
class StringTable:
    """Strings stored once in the page's data, referred to by index (in first-seen order)."""

    strings: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def ref(self, text: str) -> int:
        if text not in self.index:
            self.index[text] = len(self.strings)
            self.strings.append(text)
        return self.index[text]


def entry_texts(changes: Sequence[Change], texts: Texts | None = None) -> list[EntryText]:
    """`texts`: sentences already made (a page repeats the same sides and outcomes in many cells)."""
    texts = texts or Texts()
    return [EntryText(change.status, texts.of(change.source), texts.of(change.destination),
                      traffic + family_text(change), texts.of(change.before), texts.of(change.after))
            for change, traffic in merge_protocols(changes)]


def _listing(diff: SemanticDiff, symbolic: bool) -> tuple[ListedGroup, ...] | None:
    """Every change grouped as the text output groups them; None above `LISTING_LIMIT`."""
    if len(diff.symbolic_changes if symbolic else diff.changes) > LISTING_LIMIT:
        return None
    texts = Texts()
    return tuple(ListedGroup(f"{source} -> {destination} ({direction})", tuple(entry_texts(found, texts)))
                 for (source, destination, direction), found in diff.groups(symbolic).items())


def build_views(report: DiffReport) -> list[View]:
    """The pods view when a cluster was given (even without changes), and the symbolic view when
    pods described by labels were compared."""
    diff, context = report.diff, report.context
    views = []
    if context.cluster is not None or diff.changes or not (context.symbolic or diff.symbolic_changes):
        views.append(View("pods", "The cluster's pods", diff.changes,
                          build_matrix(diff.changes, context.namespaces), _listing(diff, False)))
    if context.symbolic or diff.symbolic_changes:
        views.append(View("symbolic", "Pods described by labels (symbolic)", diff.symbolic_changes,
                          build_matrix(diff.symbolic_changes), _listing(diff, True)))
    return views


def _view_data(view: View, table: StringTable, entries: list[list[int]]) -> dict[str, Any]:
    """A view for the page's script: groups, and per changed cell its counts and entries."""
    position = {group: i for i, group in enumerate(view.matrix.groups)}
    cells = []
    texts = Texts()
    for (source, destination), cell in view.matrix.changed.items():
        first = len(entries)
        for entry in entry_texts(cell.changes, texts):
            entries.append([int(entry.newly_allowed), *(table.ref(t) for t in (
                entry.source, entry.destination, entry.traffic, entry.before, entry.after))])
        cells.append([position[source], position[destination], cell.newly_denied,
                      cell.newly_allowed, first, len(entries)])
    return {"key": view.key, "title": view.title, "groups": list(view.matrix.groups), "cells": cells}


def page_data(views: Sequence[View], grouped: bool = False) -> dict[str, Any]:
    """`grouped`: a change has a side of several namespaces (the detail then says how it counts)."""
    table = StringTable()
    entries: list[list[int]] = []
    data = [_view_data(view, table, entries) for view in views]
    found = {"views": data, "entries": entries, "strings": table.strings}
    return {**found, "grouped": True} if grouped else found


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("translator.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name in a template is an error, not ""
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Compact and sorted: the data block is most of a large page, and the page is deterministic.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":")}
    return env


def render_html_report(report: DiffReport) -> str:
    """The whole page; the same report always gives the same bytes."""
    views = build_views(report)
    grouped = _grouped(report.diff)
    template = _environment().get_template("report.html.j2")
    return template.render(report=report, context=report.context, diff=report.diff, views=views,
                           data=page_data(views, grouped), directions=DIRECTIONS,
                           listing_limit=LISTING_LIMIT, grouped=grouped)


def _grouped(diff: SemanticDiff) -> bool:
    """Whether a change has a side of several namespaces (`diff --group-namespaces`)."""
    return any(c.source.spans or c.destination.spans for c in (*diff.changes, *diff.symbolic_changes))
