"""`np2calico diff` through the CLI: outputs, formats and exit codes (0 no change, 1 changes, 2 error)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.schema_helper import validate_output
from translator.cli import app

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "samples" / "lab"
POLICIES = str(LAB / "policies")
CLUSTER = str(LAB / "cluster.yaml")
STEPS = LAB / "steps"


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, ["diff", *args], input=stdin)


def test_migration_to_the_global_default_deny_reports_dev() -> None:
    result = run(POLICIES, "--cluster", CLUSTER, "--migrate", "--default-deny", "global")
    assert result.exit_code == 1, result.output
    assert "== dev -> (outside) (egress) ==" in result.stdout
    assert "newly denied: dev/curl-dev, dev/debug -> 0.0.0.0/0" in result.stdout
    assert "\033[" not in result.stdout  # not a terminal: no colour


@pytest.mark.parametrize("target", ["namespaced", "global"])
def test_plain_conversion_changes_nothing(target: str) -> None:
    result = run(POLICIES, "--cluster", CLUSTER, "--migrate", "--target", target)
    assert result.exit_code == 0, result.output
    assert "No connection changes its verdict." in result.stdout


def test_before_and_after_folders() -> None:
    before, after = STEPS / "08-allow-curl-egress", STEPS / "09-allow-dns"
    result = run(str(before), str(after), "--cluster", CLUSTER, "-o", "json")
    assert result.exit_code == 1, result.output
    document = validate_output(result.stdout)
    assert document["changed"] is True
    dns = [c for c in document["changes"] if c["destination"].get("names") == ["coredns-5dd5756b68-7xk2p"]]
    assert dns and all(c["status"] == "newly allowed" for c in dns)
    assert {(c["protocol"], tuple(c["ports"])) for c in dns} == {("UDP", ("53",)), ("TCP", ("53",))}


def test_stdin_as_one_side() -> None:
    text = (STEPS / "01-deny-all-ingress" / "deny-all-ingress.yaml").read_text()
    result = run("-", str(STEPS / "02-allow-curl"), "--cluster", CLUSTER, stdin=text)
    assert result.exit_code == 1, result.output
    assert "newly allowed" in result.stdout


def test_markdown_for_a_pull_request() -> None:
    result = run(POLICIES, "--cluster", CLUSTER, "--migrate", "--default-deny", "global",
                 "-o", "markdown")
    assert result.exit_code == 1
    assert result.stdout.startswith("### np2calico diff")
    assert "| change | from | to | traffic | before | after |" in result.stdout


def test_symbolic_without_a_cluster() -> None:
    result = run(POLICIES, "--migrate", "--default-deny", "global")
    assert result.exit_code == 1, result.output
    assert "For pods described by labels (symbolic):" in result.stdout
    assert "pods in any namespace but" in result.stdout


def test_output_file_is_written(tmp_path: Path) -> None:
    target = tmp_path / "diff.json"
    result = run(POLICIES, "--cluster", CLUSTER, "--migrate", "-o", "json", "--output-file", str(target))
    assert result.exit_code == 0
    assert validate_output(target.read_text())["changed"] is False


def _manifests(path: Path, *orders: int) -> str:
    documents = [{"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                  "metadata": {"name": f"p{i}", "namespace": "default"},
                  "spec": {"order": order, "types": ["Ingress"]}} for i, order in enumerate(orders)]
    path.write_text(yaml.safe_dump_all(documents))
    return str(path)


def test_resources_unchanged_and_changed(tmp_path: Path) -> None:
    same = run("--resources", _manifests(tmp_path / "a.yaml", 1000), "--against",
               _manifests(tmp_path / "b.yaml", 1000))
    assert same.exit_code == 0 and "No changes (1 unchanged)." in same.stdout
    changed = run("--resources", _manifests(tmp_path / "c.yaml", 900, 1000), "--against",
                  _manifests(tmp_path / "d.yaml", 1000), "-o", "json")
    assert changed.exit_code == 1
    document = validate_output(changed.stdout)
    assert [c["name"] for c in document["created"]] == ["p1"]
    assert document["updated"][0]["fields"][0]["path"] == "spec.order"


@pytest.mark.parametrize(
    "args",
    [
        (POLICIES,),  # one path without --migrate
        (POLICIES, POLICIES, POLICIES),
        (POLICIES, POLICIES, "--cluster", CLUSTER, "--target", "global"),  # convert option, no --migrate
        (POLICIES, "--migrate", "--exclude-namespace", "dev"),  # needs --default-deny
        ("missing-folder", POLICIES, "--cluster", CLUSTER),
        ("-", "-"),
        ("--resources", POLICIES),
        (POLICIES, "--resources", POLICIES, "--against", POLICIES),
    ],
    ids=["one-path", "three-paths", "target-without-migrate", "exclude-without-deny", "missing",
         "two-stdins", "resources-alone", "resources-with-paths"],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output


def test_help_shows_a_real_example() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "samples/lab/policies --cluster samples/lab/cluster.yaml" in result.stdout


def test_symbolic_next_to_the_cluster_diff() -> None:
    result = run(POLICIES, "--cluster", CLUSTER, "--migrate", "--default-deny", "global", "--symbolic",
                 "-o", "json")
    assert result.exit_code == 1
    document = validate_output(result.stdout)
    assert document["changes"] and document["symbolic_changes"]
    assert all(c["source"]["kind"] in ("symbolic", "external") for c in document["symbolic_changes"])


def test_staged_conversion_changes_nothing_until_previewed() -> None:
    args = (POLICIES, "--cluster", CLUSTER, "--migrate", "--default-deny", "global", "--staged")
    assert run(*args).exit_code == 0  # staged policies are not enforced
    previewed = run(*args, "--preview-staged", "--tie-break", "v3.31")
    assert previewed.exit_code == 1
    assert "dev/curl-dev" in previewed.stdout


def test_json_lists_every_dropped_policy_when_stderr_summarises_them() -> None:
    import json

    policies = "".join(f"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                       f"metadata: {{name: default-deny, namespace: ns-{n:02d}}}\n"
                       "spec: {podSelector: {}, policyTypes: [Ingress]}\n" for n in range(12))
    result = run("-", "--migrate", "--default-deny", "global", "-o", "json", stdin=policies)
    assert result.exit_code in (0, 1), result.output
    assert [line for line in result.stderr.splitlines() if "dropped" in line] == [
        "np2calico: info: dropped 12 policies (ns-00/default-deny, ns-01/default-deny, ns-02/default-deny "
        "and 9 more): a default deny with no rules; the global default deny isolates these pods already "
        "(--verbose lists each)"]
    dropped = json.loads(result.stdout)["context"]["dropped"]
    assert len(dropped) == 12 and all(": info: dropped ns-" in line for line in dropped)
