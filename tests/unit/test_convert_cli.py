"""`np2calico convert` on the command line: outputs, exit codes, diagnostics, atomic files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from tests.builders import run
from translator.cli import app

ROOT = Path(__file__).resolve().parents[2]
LAB = str(ROOT / "samples" / "lab" / "policies")
INVALID = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: prod}
spec:
  podSelector: {}
  ingress:
  - ports: [{protocol: ICMP}]
"""
NO_NAMESPACE = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web}
spec:
  podSelector: {}
"""


def invoke(*args: str, stdin: str | None = None) -> Result:
    return run("convert", *args, stdin=stdin)


def test_yaml_stream_in_apply_order() -> None:
    result = invoke(LAB)
    assert result.exit_code == 0, result.stderr
    documents = list(yaml.safe_load_all(result.stdout))
    orders = [d["spec"]["order"] for d in documents]
    assert orders == sorted(orders) and {d["kind"] for d in documents} == {"NetworkPolicy"}


def test_json_list_with_the_tier_first() -> None:
    result = invoke(LAB, "--tier", "np2calico", "-o", "json")
    assert result.exit_code == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    assert items[0]["kind"] == "Tier" and items[0]["spec"] == {"defaultAction": "Pass", "order": 100000}


def test_stdin_and_the_namespace_option() -> None:
    result = invoke("-", "--namespace", "shop", stdin=NO_NAMESPACE)
    assert result.exit_code == 0, result.stderr
    assert {d["metadata"]["namespace"] for d in yaml.safe_load_all(result.stdout)} == {"shop"}
    assert "info" in result.stderr


def test_invalid_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    result = invoke("-", "--output-file", str(out), stdin=INVALID)
    assert result.exit_code == 2
    assert "<stdin>:1:" in result.stderr and "error" in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_strict_makes_diagnostics_fatal(tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    result = invoke("-", "--strict", "--output-file", str(out), stdin=NO_NAMESPACE)
    assert result.exit_code == 1 and not out.exists()


def test_output_file_is_written_whole(tmp_path: Path) -> None:
    out = tmp_path / "calico.yaml"
    out.write_text("old")
    result = invoke(LAB, "--output-file", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert len(list(yaml.safe_load_all(out.read_text()))) == 8
    assert sorted(os.listdir(tmp_path)) == ["calico.yaml"]


@pytest.mark.parametrize(
    "args",
    [
        ("--dns-ip", "169.254.20.10"),
        ("--default-deny", "global", "--allow-apiserver=not-a-cidr"),
        ("--default-deny", "global", "--dns-selector", "k8s-app == "),
        ("--tier", "Bad.Tier"),
        ("--tier", "knp"),
        ("--tier", "kube-admin"),
    ],
    ids=[
        "dns-ip-needs-default-deny",
        "bad-apiserver",
        "bad-dns-selector",
        "bad-tier",
        "reserved-tier",
        "built-in-tier",
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = invoke(LAB, *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert "np2calico: error:" in result.stderr


def test_default_deny_reports_dropped_policies_and_warns_for_system_namespaces() -> None:
    result = invoke(LAB, "--default-deny", "global", "--include-namespace", "kube-system")
    assert result.exit_code == 0, result.stderr
    assert "dropped default/deny-all-ingress" in result.stderr
    assert "warning: the global default deny covers system namespace 'kube-system'" in result.stderr
    deny = [d for d in yaml.safe_load_all(result.stdout) if d["metadata"]["name"] == "np2calico-default-deny"]
    assert "namespaceSelector" not in deny[0]["spec"]
    assert "'kube-system'" not in deny[0]["spec"]["selector"]


def test_help_shows_a_real_example() -> None:
    result = CliRunner().invoke(app, ["convert", "--help"])
    assert result.exit_code == 0
    assert "np2calico convert samples/lab/policies" in result.stdout


def _default_denies(count: int) -> str:
    """`count` namespaces, each with a rule-less default deny (dropped under --default-deny global)."""
    return "".join(f"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                   f"metadata: {{name: default-deny, namespace: ns-{n:02d}}}\n"
                   "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n" for n in range(count))


def test_many_dropped_policies_are_one_line_per_reason_and_each_with_verbose() -> None:
    summary = invoke("-", "--default-deny", "global", stdin=_default_denies(12))
    assert summary.exit_code == 0, summary.stderr
    assert "dropped ns-" not in summary.stderr
    assert ("np2calico: info: dropped 12 policies (ns-00/default-deny, ns-01/default-deny, "
            "ns-02/default-deny and 9 more): a default deny with no rules; the global default deny "
            "isolates these pods already (--verbose lists each)") in summary.stderr.splitlines()
    each = invoke("-", "--default-deny", "global", "--verbose", stdin=_default_denies(12))
    assert sum("info: dropped ns-" in line for line in each.stderr.splitlines()) == 12
    assert each.stdout == summary.stdout
    assert "dropped" not in invoke("-", "--default-deny", "global", "-q", stdin=_default_denies(12)).stderr


def test_a_few_dropped_policies_are_listed_each() -> None:
    result = invoke("-", "--default-deny", "global", stdin=_default_denies(10))
    assert sum("info: dropped ns-" in line for line in result.stderr.splitlines()) == 10
