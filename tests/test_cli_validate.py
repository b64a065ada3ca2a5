"""`np2calico validate`: output on stdout and stderr, and exit codes 0 / 1 / 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from translator.cli import app

LAB = Path(__file__).resolve().parents[1] / "samples" / "lab"
VALID = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ok, namespace: default}\n"
INVALID = (
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: default}\n"
    "spec:\n  ingress:\n  - ports:\n    - {port: 80}\n    - {port: 80, endPort: 79}\n"
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["validate", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_valid_lab_policies_exit_0(runner: CliRunner) -> None:
    code, out, err = run(runner, str(LAB / "policies"), str(LAB / "cluster.yaml"))
    assert (code, out, err) == (0, "15 documents valid\n", "")


def test_invalid_document_exits_1_with_located_errors(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", VALID + "---\n" + INVALID)
    code, out, err = run(runner, path)
    assert code == 1
    assert out == "1 of 2 documents invalid (1 error)\n"
    expected = "spec.ingress[0].ports[1].endPort: error: 79 must be greater than or equal to `port` (80)"
    assert err == f"{path}:2:{expected}\n"


def test_all_errors_of_all_files_are_printed(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", INVALID)
    write(tmp_path, "b.yaml", INVALID.replace("name: bad", "name: Bad"))
    code, out, err = run(runner, str(tmp_path))
    assert code == 1
    assert out == "2 of 2 documents invalid (3 errors)\n"
    assert [line.split(": error: ")[0] for line in err.splitlines()] == [
        f"{tmp_path}/a.yaml:1:spec.ingress[0].ports[1].endPort",
        f"{tmp_path}/b.yaml:1:metadata.name",
        f"{tmp_path}/b.yaml:1:spec.ingress[0].ports[1].endPort",
    ]


def test_yaml_syntax_error_exits_2_with_its_line(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", VALID + "spec:\n  podSelector: [\n")
    code, out, err = run(runner, path)
    assert (code, out) == (2, "")
    assert err.startswith(f"{path}:1: error: YAML syntax error at line 6, column 1: ")


def test_readable_but_not_an_object_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    code, _out, err = run(runner, write(tmp_path, "x.yaml", "- just\n- a list\n"))
    assert code == 1
    assert "not a Kubernetes object" in err


def test_alias_bomb_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
    code, out, err = run(runner, write(tmp_path, "bomb.yaml", "\n".join(lines)))
    assert (code, out) == (2, "")
    assert "alias bomb" in err


def test_missing_file_exits_2(runner: CliRunner) -> None:
    code, out, err = run(runner, "does-not-exist.yaml")
    assert (code, out, err) == (2, "", "does-not-exist.yaml: error: no such file or directory\n")


def test_stdin(runner: CliRunner) -> None:
    assert run(runner, "-", stdin=VALID) == (0, "1 document valid\n", "")
    code, _out, err = run(runner, "-", stdin=INVALID)
    assert code == 1 and err.startswith("<stdin>:1:spec.ingress[0].ports[1].endPort: error: ")


def test_info_and_namespace_option(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", VALID.replace(", namespace: default", ""))
    code, out, err = run(runner, path, "--namespace", "team-a")
    assert (code, out) == (0, "1 document valid\n")
    assert err == f"{path}:1:metadata.namespace: info: not set: using namespace 'team-a'\n"
    assert run(runner, path, "--quiet") == (0, "1 document valid\n", "")


def test_warnings_fail_only_under_strict(runner: CliRunner, tmp_path: Path) -> None:
    text = VALID + "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.1/8}}]}]}\n"
    path = write(tmp_path, "w.yaml", text)
    code, out, err = run(runner, path)
    assert (code, out) == (0, "1 document valid, 1 warning\n")
    assert "warning: CIDR '10.0.0.1/8' has host bits set: it means 10.0.0.0/8" in err
    assert run(runner, path, "--strict")[0] == 1


def test_workloads_and_services_are_read(runner: CliRunner) -> None:
    code, out, err = run(runner, str(LAB / "workloads"))
    assert (code, out) == (0, "10 documents valid\n")
    assert "skipped" not in err


def test_other_kinds_are_listed_not_errors(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    code, out, err = run(runner, path)
    assert (code, out) == (0, "1 document valid\n")
    assert "skipped ConfigMap (v1)" in err


def test_empty_input(runner: CliRunner, tmp_path: Path) -> None:
    assert run(runner, str(tmp_path)) == (0, "no documents found\n", "")


def test_help_shows_an_example(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", "--help"])
    assert result.exit_code == 0
    assert "np2calico validate samples/lab/policies" in result.stdout


def test_console_entry_point_exit_codes(tmp_path: Path) -> None:
    """The real process, as a shell sees it: exit status and streams."""
    bad = write(tmp_path, "bad.yaml", INVALID)
    command = [sys.executable, "-m", "translator", "validate"]
    ok = subprocess.run([*command, str(LAB / "policies")], capture_output=True, text=True, check=False)
    invalid = subprocess.run([*command, bad], capture_output=True, text=True, check=False)
    missing = subprocess.run([*command, "nope.yaml"], capture_output=True, text=True, check=False)
    assert (ok.returncode, ok.stdout) == (0, "6 documents valid\n")
    assert (invalid.returncode, invalid.stdout) == (1, "1 of 1 document invalid (1 error)\n")
    assert missing.returncode == 2 and missing.stdout == ""


# --- -o json / -o junit ---------------------------------------------------------------------------


def test_json_output_has_counts_and_every_diagnostic(runner: CliRunner, tmp_path: Path) -> None:
    from tests.schema_helper import validate_output

    good = write(tmp_path, "good.yaml", VALID)
    bad = write(tmp_path, "bad.yaml", INVALID)
    code, out, _ = run(runner, good, bad, str(LAB / "workloads" / "color-api.yaml"), "-o", "json")
    document = validate_output(out)
    assert code == 1 and document["passed"] is False
    summary = document["summary"]
    assert summary["documents"] == summary["valid"] + summary["invalid"] + summary["skipped"]
    assert summary["invalid"] == 1 and summary["errors"] == len(
        [d for d in document["diagnostics"] if d["level"] == "error"])
    assert document["diagnostics"][0]["file"] == bad


def test_junit_output_is_one_case_per_document(runner: CliRunner, tmp_path: Path) -> None:
    from xml.etree import ElementTree

    good = write(tmp_path, "good.yaml", VALID)
    bad = write(tmp_path, "bad.yaml", INVALID)
    code, out, _ = run(runner, good, bad, "-o", "junit")
    suite = ElementTree.fromstring(out)
    assert code == 1 and suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "1", "0")
    [failure] = suite.iter("failure")
    assert "must be greater than or equal to `port`" in (failure.text or "")


def test_strict_fails_on_every_level(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", VALID.replace(", namespace: default", ""))
    assert run(runner, path)[0] == 0  # an info only
    assert run(runner, path, "--strict")[0] == 1
    code, out, _ = run(runner, path, "--strict", "-o", "json")
    assert code == 1 and '"passed": false' in out
