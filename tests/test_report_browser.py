"""The HTML report in a real browser (headless Chromium through Selenium): the lab's migration
report's matrix and counts against the JSON output, a cell's detail by click and by keyboard, the
filters, a virtualised 150-namespace matrix. Screenshots go to the test's temporary folder.

Outside CI a missing browser skips these tests; under CI=true it fails them (`.ci/run` installs
Debian's chromium and chromium-driver first).
"""

from __future__ import annotations

import itertools
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.browser import chromium, missing_browser, open_report
from tests.report_cases import LAB_MIGRATION
from translator.cli import app
from translator.diff import SemanticDiff
from translator.diff.report import DiffContext, DiffReport
from translator.diff.result import Cause, Change, EndpointKind, Endpoints, Outcome
from translator.model.common import Direction, PortRange, Protocol
from translator.render.html import render_html_report


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    why = missing_browser()
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test needs a browser under CI: {why}")
        pytest.skip(why)
    with chromium(1400, 1000) as driver:
        yield driver


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("lab-report")
    runner = CliRunner()
    page, stored = folder / "report.html", folder / "diff.json"
    for fmt, target in (("html", page), ("json", stored)):
        result = runner.invoke(app, ["diff", *LAB_MIGRATION, "-o", fmt, "--output-file", str(target)])
        assert result.exit_code == 1, result.output
    text = runner.invoke(app, ["diff", *LAB_MIGRATION]).stdout
    return {"page": page, "json": json.loads(stored.read_text()), "text": text}


def cells(driver: Any) -> list[dict[str, str]]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#matrix td.cell'), td => Object.assign("
        "{text: td.textContent, label: td.getAttribute('aria-label')}, td.dataset));")


def detail(driver: Any) -> dict[str, Any]:
    return driver.execute_script("""
        const fields = ['status', 'source', 'destination', 'traffic', 'before', 'after'];
        return {title: document.getElementById('detail-title').textContent,
                summary: document.querySelector('#detail-body .detail-summary')?.textContent,
                entries: Array.from(document.querySelectorAll('#detail-body article.entry'), a =>
                    Object.fromEntries(fields.map(
                        f => [f, a.querySelector(`[data-field="${f}"]`).textContent])))};
    """)


def set_filter(driver: Any, script: str) -> None:
    driver.execute_script(script + "; document.getElementById('filters').dispatchEvent("
                          "new Event('input', {bubbles: true}));")


def test_lab_matrix_matches_the_json_output(browser: Any, lab: dict[str, Any], tmp_path: Path) -> None:
    open_report(browser, lab["page"])
    drawn = cells(browser)
    assert len(drawn) == 16  # default, dev, kube-system and (outside), both ways
    expected = Counter((c["source"]["group"], c["destination"]["group"]) for c in lab["json"]["changes"])
    for cell in drawn:
        pair = (cell["source"], cell["destination"])
        if pair in expected:  # every lab change is newly denied
            assert cell["state"] == "denied" and cell["newlyDenied"] == str(expected[pair])
            assert cell["text"] == f"✕{expected[pair]}"
            assert cell["label"] == f"{pair[0]} to {pair[1]}: {expected[pair]} newly denied, 0 newly allowed"
        elif pair == ("(outside)", "(outside)"):
            assert cell["state"] == "na"
        else:
            assert cell["state"] == "unchanged" and cell["text"] == "·"
    summary = lab["json"]["summary"]
    counts = browser.execute_script(
        "return Array.from(document.querySelectorAll('[data-count]'), e => e.textContent);")
    assert counts == [str(summary["changes"]["newly_denied"]), str(summary["changes"]["newly_allowed"])]
    assert browser.find_element("id", "exit-status").text == str(summary["exit_status"])
    headers = browser.execute_script(
        "return Array.from(document.querySelectorAll('#matrix thead th.col'), th => th.textContent);")
    assert headers == ["default", "dev", "kube-system", "(outside)"]
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    browser.save_screenshot(str(tmp_path / "lab-report.png"))
    assert (tmp_path / "lab-report.png").stat().st_size > 10_000


def test_clicking_a_cell_shows_what_the_text_output_says(browser: Any, lab: dict[str, Any],
                                                         tmp_path: Path) -> None:
    open_report(browser, lab["page"])
    browser.find_element("css selector", 'td.cell[data-source="dev"][data-destination="kube-system"]').click()
    shown = detail(browser)
    assert shown["title"] == "dev → kube-system (internal)"
    assert shown["summary"].startswith("3 newly denied, 0 newly allowed (changes as the JSON output "
                                       "counts them;")
    assert shown["entries"]
    for entry in shown["entries"]:
        block = (f"  {entry['status']}: {entry['source']} -> {entry['destination']}\n    {entry['traffic']}\n"
                 f"    before: {entry['before']}\n    after:  {entry['after']}\n")
        assert block in lab["text"]
    assert "kube-system/coredns-5dd5756b68-7xk2p" in shown["entries"][0]["destination"]
    assert "GlobalNetworkPolicy/np2calico-default-deny egress rule" in shown["entries"][0]["after"]
    browser.save_screenshot(str(tmp_path / "lab-detail.png"))


def test_keyboard_moves_between_cells_and_opens_one(browser: Any, lab: dict[str, Any]) -> None:
    from selenium.webdriver.common.keys import Keys

    open_report(browser, lab["page"])
    first = browser.find_element("css selector", "td.cell[tabindex='0']")
    assert first.get_attribute("data-source") == first.get_attribute("data-destination") == "default"
    first.send_keys(Keys.ARROW_DOWN)  # dev -> default
    browser.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)  # dev -> dev
    focused = browser.switch_to.active_element
    assert (focused.get_attribute("data-source"), focused.get_attribute("data-destination")) == ("dev", "dev")
    focused.send_keys(Keys.ENTER)
    assert detail(browser)["title"] == "dev → dev (internal)"
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert detail(browser)["title"] == "Detail"


def shown_pairs(browser: Any) -> set[tuple[str, str]]:
    return {(c["source"], c["destination"]) for c in cells(browser) if c["state"] not in ("filtered", "na")}


def test_filters(browser: Any, lab: dict[str, Any]) -> None:
    open_report(browser, lab["page"])
    set_filter(browser, "document.getElementById('only-changes').checked = true")
    assert {c["source"] for c in cells(browser)} == {"dev", "kube-system", "(outside)"}
    set_filter(browser, "document.getElementById('search').value = 'coredns'")
    assert shown_pairs(browser) == {("dev", "kube-system"), ("kube-system", "dev")}
    set_filter(browser, "document.getElementById('search').value = 'np2calico-default-deny egress'")
    # dev's egress is what the default deny's egress rule denies; kube-system -> dev is denied at ingress
    assert shown_pairs(browser) == {("dev", "dev"), ("dev", "kube-system"), ("dev", "(outside)")}
    set_filter(browser, "document.getElementById('search').value = ''; "
                        "document.getElementById('only-changes').checked = false; "
                        "document.getElementById('direction').value = 'egress'")
    assert shown_pairs(browser) == {(s, "(outside)") for s in ("default", "dev", "kube-system")}
    set_filter(browser, "document.getElementById('direction').value = ''; "
                        "document.getElementById('namespace').value = 'kube-system'; "
                        "document.getElementById('role').value = 'source'")
    assert {c["source"] for c in cells(browser)} == {"kube-system"}
    status = browser.find_element("id", "matrix-status").text
    assert status == ("1 sources × 4 destinations shown; 1 cells with changes: "
                      "3 newly denied, 0 newly allowed.")


def _wide_report(namespaces: int) -> DiffReport:
    """Namespace i newly denies TCP 80 to namespace i+1: a diagonal across a large matrix."""
    allow, deny = Cause(Direction.EGRESS, True), Cause(Direction.EGRESS, False, "ns/p", 0)
    ingress = Cause(Direction.INGRESS, True)
    names = [f"ns-{i:03}" for i in range(namespaces)]
    changes = tuple(
        Change(Endpoints(EndpointKind.PODS, a, ("pod",)), Endpoints(EndpointKind.PODS, b, ("pod",)),
               Protocol.TCP, (PortRange(80, 80),), Outcome(True, allow, ingress),
               Outcome(False, deny, ingress))
        for a, b in itertools.pairwise(names))
    return DiffReport(SemanticDiff(changes), DiffContext(cluster="generated", namespaces=tuple(names)))


def test_a_large_matrix_is_virtualised_and_reaches_every_cell(browser: Any, tmp_path: Path) -> None:
    page = tmp_path / "wide.html"
    page.write_text(render_html_report(_wide_report(150)), encoding="utf-8")
    open_report(browser, page)
    drawn = cells(browser)
    assert 0 < len(drawn) < 151 * 151 / 4  # only what is in view
    rows = browser.execute_script("return document.getElementById('matrix').getAttribute('aria-rowcount')")
    assert rows == "152"  # a header row and 151 sources, whichever are drawn
    browser.execute_script("const s = document.getElementById('matrix-scroll');"
                           "s.scrollTop = s.scrollHeight; s.scrollLeft = s.scrollWidth;")
    browser.execute_script("return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    last = browser.find_element("css selector", 'td.cell[data-source="ns-148"][data-destination="ns-149"]')
    assert last.get_attribute("data-state") == "denied"
    last.click()
    assert detail(browser)["title"] == "ns-148 → ns-149 (internal)"
    browser.save_screenshot(str(tmp_path / "wide-report.png"))


def test_a_change_of_several_namespaces_is_in_every_cell_it_spans(browser: Any, tmp_path: Path) -> None:
    """`diff --group-namespaces`: the matrix counts such a change in each (source, destination)
    namespace pair it spans, and a cell's detail lists only that pair's pods."""
    from tests.unit.test_diff_group_namespaces import DIFF, expanded_json_counts
    from translator.render.diff import render_semantic_diff

    page = tmp_path / "grouped.html"
    page.write_text(render_html_report(DiffReport(DIFF, DiffContext(
        cluster="generated", namespaces=("ns-a", "ns-b", "ns-c")))), encoding="utf-8")
    open_report(browser, page)
    drawn: Counter[tuple[str, str, str]] = Counter()
    for cell in cells(browser):
        for status, key in (("newly denied", "newlyDenied"), ("newly allowed", "newlyAllowed")):
            if int(cell.get(key) or 0):
                drawn[(cell["source"], cell["destination"], status)] += int(cell[key])
    assert drawn == expanded_json_counts(render_semantic_diff(DIFF, "json"))
    browser.find_element("css selector", 'td.cell[data-source="ns-b"][data-destination="ns-c"]').click()
    shown = detail(browser)
    assert shown["summary"].startswith("2 newly denied, 0 newly allowed (changes as the JSON output counts "
                                       "them, one listing pods of several namespaces in each cell it spans;")
    (entry,) = shown["entries"]  # TCP and UDP with the same verdicts share an entry
    assert (entry["source"], entry["destination"]) == ("ns-b/b-0, deployment ns-b/b-1", "ns-c/c-0")
    assert entry["traffic"] == "TCP 1:65535; UDP 53"
    counts = browser.execute_script(
        "return Array.from(document.querySelectorAll('[data-count]'), e => e.textContent);")
    assert counts == ["5", "1"]  # the JSON output's entries, each once
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
