"""The report's matrix counts what the JSON output lists: per (source group, destination group),
the changes newly denied and newly allowed — for the lab's migration and a 50-namespace cluster."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable

import pytest

from tests.report_cases import fifty_namespaces, lab_migration
from translator.diff import SemanticDiff
from translator.diff.matrix import CellState, build_matrix
from translator.diff.report import DiffContext, DiffReport
from translator.diff.result import OUTSIDE
from translator.model.cluster import Cluster
from translator.render.diff import render_semantic_diff
from translator.render.html import render_html_report

CASES: dict[str, Callable[[], tuple[SemanticDiff, Cluster]]] = {
    "lab-migration": lab_migration, "fifty-namespaces": fifty_namespaces,
}


def json_counts(diff: SemanticDiff) -> Counter[tuple[str, str, str]]:
    document = json.loads(render_semantic_diff(diff, "json"))
    return Counter((c["source"]["group"], c["destination"]["group"], c["status"])
                   for c in document["changes"])


def matrix_counts(diff: SemanticDiff, cluster: Cluster) -> Counter[tuple[str, str, str]]:
    matrix = build_matrix(diff.changes, cluster.namespaces)
    found: Counter[tuple[str, str, str]] = Counter()
    for (source, destination), cell in matrix.changed.items():
        found[(source, destination, "newly denied")] += cell.newly_denied
        found[(source, destination, "newly allowed")] += cell.newly_allowed
    return +found


def page_counts(page: str) -> Counter[tuple[str, str, str]]:
    """The counts in the page's data block (what the browser draws)."""
    block = re.search(r'<script type="application/json" id="np2calico-data">(.*?)</script>', page, re.S)
    assert block is not None
    view = json.loads(block.group(1))["views"][0]
    found: Counter[tuple[str, str, str]] = Counter()
    for row, column, denied, allowed, *_ in view["cells"]:
        source, destination = view["groups"][row], view["groups"][column]
        found[(source, destination, "newly denied")] += denied
        found[(source, destination, "newly allowed")] += allowed
    return +found


@pytest.mark.parametrize("case", CASES)
def test_matrix_counts_equal_the_json_output(case: str) -> None:
    diff, cluster = CASES[case]()
    assert diff.changes
    assert matrix_counts(diff, cluster) == json_counts(diff)


@pytest.mark.parametrize("case", CASES)
def test_page_counts_equal_the_json_output(case: str) -> None:
    diff, cluster = CASES[case]()
    context = DiffContext(cluster="state.yaml", namespaces=tuple(cluster.namespaces))
    assert page_counts(render_html_report(DiffReport(diff, context))) == json_counts(diff)


def test_every_namespace_is_a_row_and_a_column_outside_last() -> None:
    diff, cluster = fifty_namespaces()
    matrix = build_matrix(diff.changes, cluster.namespaces)
    assert matrix.groups == (*sorted(cluster.namespaces), OUTSIDE)
    assert len(matrix.groups) == 51


def test_cell_states() -> None:
    diff, cluster = fifty_namespaces()
    matrix = build_matrix(diff.changes, cluster.namespaces)
    states = Counter(cell.state for cell in matrix.changed.values())
    assert set(states) == {CellState.NEWLY_DENIED, CellState.NEWLY_ALLOWED, CellState.MIXED}
    assert matrix.cell(OUTSIDE, OUTSIDE).state is CellState.NOT_APPLICABLE
    unchanged = next(matrix.cell(s, d) for s in matrix.groups for d in matrix.groups
                     if (s, d) not in matrix.changed and OUTSIDE not in (s, d))
    assert unchanged.state is CellState.UNCHANGED and unchanged.newly_denied == 0
    assert matrix.newly_denied + matrix.newly_allowed == len(diff.changes)


def test_lab_migration_matrix() -> None:
    diff, cluster = lab_migration()
    matrix = build_matrix(diff.changes, cluster.namespaces)
    assert matrix.groups == ("default", "dev", "kube-system", OUTSIDE)
    assert {pair for pair in matrix.changed} == {
        ("dev", "dev"), ("dev", "kube-system"), ("dev", OUTSIDE), ("kube-system", "dev"), (OUTSIDE, "dev")}
    assert all(cell.state is CellState.NEWLY_DENIED for cell in matrix.changed.values())
