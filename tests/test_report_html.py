"""The HTML report through the CLI (`diff -o html` in every mode, `report DIFF_JSON`) and as a page:
self-contained, deterministic, escaped, saying what the text output says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.builders import run as invoke
from tests.report_cases import LAB, LAB_MIGRATION, fifty_namespaces
from tests.schema_helper import validate_document
from translator.diff import SemanticDiff
from translator.diff.report import DiffContext, DiffReport
from translator.diff.result import Cause, Change, EndpointKind, Endpoints, Outcome
from translator.model.common import Direction, PortRange, Protocol
from translator.render import html
from translator.render.diff import render_semantic_diff
from translator.render.diff_json import read_diff_json

CLUSTER = str(LAB / "cluster.yaml")
STEPS = LAB / "steps"
MODES = {
    "before-after": (str(STEPS / "08-allow-curl-egress"), str(STEPS / "09-allow-dns"), "--cluster", CLUSTER),
    "migrate": LAB_MIGRATION,
    "symbolic": (str(LAB / "policies"), "--migrate", "--default-deny", "global", "--symbolic"),
    "symbolic-and-cluster": (*LAB_MIGRATION, "--symbolic"),
}


def data_block(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="np2calico-data">(.*?)</script>', page, re.S)
    assert block is not None
    return json.loads(block.group(1))


@pytest.mark.parametrize("mode", MODES)
def test_every_diff_mode_writes_a_page(mode: str, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    result = invoke("diff", *MODES[mode], "-o", "html", "--output-file", str(target))
    assert result.exit_code == 1, result.output
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert '<table id="matrix"' in page
    views = [v["key"] for v in data_block(page)["views"]]
    assert views == {"before-after": ["pods"], "migrate": ["pods"], "symbolic": ["symbolic"],
                     "symbolic-and-cluster": ["pods", "symbolic"]}[mode]


def test_the_page_from_json_is_the_page_of_the_diff(tmp_path: Path) -> None:
    stored, page = tmp_path / "diff.json", tmp_path / "report.html"
    assert invoke("diff", *LAB_MIGRATION, "-o", "json", "--output-file", str(stored)).exit_code == 1
    result = invoke("report", str(stored), "--output-file", str(page))
    assert result.exit_code == 0, result.output
    direct = invoke("diff", *LAB_MIGRATION, "-o", "html")
    assert page.read_text(encoding="utf-8") == direct.stdout
    from_stdin = invoke("report", "-", stdin=stored.read_text())
    assert from_stdin.exit_code == 0 and from_stdin.stdout == direct.stdout


def test_report_renders_the_stored_diff_as_text_too(tmp_path: Path) -> None:
    stored = tmp_path / "diff.json"
    invoke("diff", *LAB_MIGRATION, "-o", "json", "--output-file", str(stored))
    assert invoke("report", str(stored), "-o", "text").stdout == invoke("diff", *LAB_MIGRATION).stdout


def test_json_round_trip_keeps_every_field() -> None:
    stored = invoke("diff", *MODES["symbolic-and-cluster"], "-o", "json").stdout
    validate_document(json.loads(stored))  # the summary and context are in the DiffResult schema
    found = read_diff_json(stored, "diff.json")
    assert render_semantic_diff(found.diff, "json", context=found.context) == stored
    assert found.context.cluster == CLUSTER and found.context.symbolic
    assert found.context.namespaces == ("default", "dev", "kube-system")


@pytest.mark.parametrize(("text", "message"), [
    ("{", "diff.json: error: not JSON"),
    ("[]", "diff.json: error: expected the JSON output of `np2calico diff`"),
    ('{"created": [], "updated": [], "deleted": []}', "this is a resource diff"),
    ('{"changes": [{}]}', "diff.json:changes[0].source: error: required value"),
    ('{"changes": 3}', "diff.json:changes: error: expected a list"),
])
def test_malformed_json_is_a_located_error_and_nothing_is_written(
        text: str, message: str, tmp_path: Path) -> None:
    stored, page = tmp_path / "diff.json", tmp_path / "report.html"
    stored.write_text(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        result = invoke("report", "diff.json", "--output-file", str(page))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not page.exists()


def test_a_bad_field_in_a_change_names_its_path(tmp_path: Path) -> None:
    document = json.loads(invoke("diff", *LAB_MIGRATION, "-o", "json").stdout)
    document["changes"][2]["ports"] = ["80:70"]
    result = invoke("report", "-", stdin=json.dumps(document))
    assert result.exit_code == 2
    assert "<stdin>:changes[2].ports[0]: error: port range '80:70' is not within 1:65535" in result.stderr


def test_resource_diff_has_no_html() -> None:
    result = invoke("diff", "--resources", CLUSTER, "--against", CLUSTER, "-o", "html")
    assert result.exit_code == 2
    assert "-o html shows connections" in result.stderr


def test_summary_names_what_was_compared_and_what_the_conversion_dropped() -> None:
    page = invoke("diff", *LAB_MIGRATION, "-o", "html").stdout
    assert "<code>" + str(LAB / "policies") + "</code> (before) against their conversion" in page
    assert "<code>--default-deny global</code>" in page
    assert "<code>" + CLUSTER + "</code>, 3 namespaces" in page
    assert re.search(r'data-count="newly-denied">15<', page)
    assert re.search(r'data-count="newly-allowed">0<', page)
    assert '<span id="exit-status">1</span>' in page
    assert page.count("info: dropped default/") == 3


def test_warnings_are_in_the_summary(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
                      "spec:\n  podSelector: {}\n  ingress:\n"
                      "  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: []}}]\n")
    result = invoke("diff", str(policy), "--cluster", CLUSTER, "--migrate", "-o", "json")
    document = json.loads(result.stdout)
    stderr_lines = [line for line in result.stderr.splitlines() if line]
    assert stderr_lines and all(": warning: " in line or ": info: " in line for line in stderr_lines)
    assert document["context"]["warnings"] == stderr_lines


def test_the_page_is_self_contained_and_deterministic() -> None:
    first = invoke("diff", *LAB_MIGRATION, "-o", "html").stdout
    assert first == invoke("diff", *LAB_MIGRATION, "-o", "html").stdout
    assert "default-src 'none'" in first  # the page itself forbids any network access
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|https?://", first)


def test_entries_say_what_the_text_output_says() -> None:
    text = invoke("diff", *LAB_MIGRATION).stdout
    page = invoke("diff", *LAB_MIGRATION, "-o", "html").stdout
    data = data_block(page)
    strings = data["strings"]
    for allowed, *fields in data["entries"]:
        source, destination, traffic, before, after = (strings[i] for i in fields)
        status = "newly allowed" if allowed else "newly denied"
        block = (f"  {status}: {source} -> {destination}\n    {traffic}\n"
                 f"    before: {before}\n    after:  {after}\n")
        assert block in text
    assert len(data["entries"]) == text.count("  newly ")


def _hostile_change() -> Change:
    cause = Cause(Direction.EGRESS, True)
    side = Endpoints(EndpointKind.SYMBOLIC, "ns", conditions="</script><img src=x onerror=alert(1)>")
    denied = Outcome(False, Cause(Direction.EGRESS, False, "p<b>"), Cause(Direction.INGRESS, True))
    return Change(side, side, Protocol.TCP, (PortRange(80, 80),), Outcome(True, cause, cause), denied)


def test_text_from_the_input_is_escaped() -> None:
    change = _hostile_change()
    page = html.render_html_report(DiffReport(SemanticDiff(symbolic_changes=(change,)),
                                              DiffContext(symbolic=True, warnings=("<b>w</b>",))))
    assert "</script><img" not in page and "<b>" not in page
    assert "&lt;b&gt;w&lt;/b&gt;" in page
    assert "</script><img src=x onerror=alert(1)>" in data_block(page)["strings"]


def test_a_large_diff_is_not_listed_change_by_change(monkeypatch: pytest.MonkeyPatch) -> None:
    diff, cluster = fifty_namespaces()
    report = DiffReport(diff, DiffContext(cluster="state.yaml", namespaces=tuple(cluster.namespaces)))
    monkeypatch.setattr(html, "LISTING_LIMIT", 100)
    page = html.render_html_report(report)
    assert f"{len(diff.changes)} changes: too many to list here" in page
    assert len(data_block(page)["views"][0]["groups"]) == 51


def test_no_change_is_said_plainly() -> None:
    page = invoke("diff", str(LAB / "policies"), "--cluster", CLUSTER, "--migrate", "-o", "html").stdout
    assert "No connection changes its verdict." in page
    assert '<span id="exit-status">0</span>' in page
