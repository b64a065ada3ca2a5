"""`np2calico explain` on the lab: output, formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.builders import run_outputs
from tests.schema_helper import validate_output
from translator.cli import app

LAB = Path(__file__).resolve().parents[1] / "samples" / "lab"
POLICIES = str(LAB / "policies")
CLUSTER = str(LAB / "cluster.yaml")
BATCH = str(LAB / "connections.yaml")
COLOR_API = "default/color-api-7b9d7c9c7b-lx8tm"
COREDNS = "kube-system/coredns-5dd5756b68-7xk2p"
# samples/lab/connections.yaml under the final policies (samples/lab/policies = step 10).
BATCH_VERDICTS = ["allow"] * 4 + ["deny", "allow", "allow", "allow", "allow", "deny", "deny", "deny"]

runner = CliRunner()


def explain(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    return run_outputs("explain", *args, stdin=stdin)


def single(source: str, destination: str, port: str, *extra: str) -> tuple[int, str, str]:
    return explain(
        POLICIES, "--cluster", CLUSTER, "--from", source, "--to", destination, "--port", port, *extra
    )


def test_single_allowed_names_policy_and_rule() -> None:
    code, out, _ = single("default/curl", COLOR_API, "80")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"ALLOW  default/curl -> {COLOR_API} TCP/80"
    assert lines[1].startswith(
        "  egress  allow  allowed by default/allow-curl-egress-to-color-api egress rule 0"
    )
    assert lines[3].startswith("  ingress allow  allowed by default/allow-curl-to-color-api ingress rule 0")


def test_single_denied_still_exits_zero() -> None:
    code, out, _ = single("default/curl-two", COLOR_API, "80")
    assert code == 0
    assert out.startswith(f"DENY  default/curl-two -> {COLOR_API} TCP/80")
    assert "no rule allows TCP/80" in out


def test_named_port_and_protocol() -> None:
    code, out, _ = single("default/curl", COREDNS, "dns", "--protocol", "UDP")
    assert code == 0 and out.startswith(f"ALLOW  default/curl -> {COREDNS} UDP/dns (53)")


def test_pod_ip_denotes_the_pod() -> None:
    code, out, _ = single("default/curl", "10.244.0.12", "80")
    assert code == 0 and out.startswith(f"ALLOW  default/curl -> 10.244.0.12 ({COLOR_API}) TCP/80")


def test_external_ip_is_judged_on_the_pod_side_only() -> None:
    code, out, _ = single("default/curl", "198.51.100.7", "443")
    assert code == 0 and out.startswith("DENY")
    assert "ingress not judged: 198.51.100.7 is outside the cluster" in out


def test_batch_text_has_a_summary() -> None:
    code, out, _ = explain(POLICIES, "--cluster", CLUSTER, "--connections", BATCH)
    assert code == 0
    assert out.count("\nALLOW  ") + out.startswith("ALLOW  ") == BATCH_VERDICTS.count("allow")
    assert out.endswith("12 connections: 8 allowed, 4 denied\n")


def test_batch_json_shape_and_verdicts() -> None:
    code, out, _ = explain(POLICIES, "--cluster", CLUSTER, "--connections", BATCH, "-o", "json")
    assert code == 0
    results = validate_output(out)["verdicts"]
    assert [r["verdict"] for r in results] == BATCH_VERDICTS
    first = results[0]
    assert list(first) == ["from", "to", "port", "protocol", "verdict", "egress", "ingress", "reasons"]
    assert (first["from"], first["to"], first["port"], first["protocol"]) == (
        "default/curl",
        COREDNS,
        53,
        "UDP",
    )
    assert first["egress"] == {
        "allowed": True,
        "policy": "default/allow-egress-dns",
        "rule": 0,
        "tier": None,
        "action": None,
        "decidedBy": "rule",
        "semantics": "k8s",
        "reasons": first["egress"]["reasons"],
    }
    assert first["reasons"][0].startswith("egress: allowed by default/allow-egress-dns egress rule 0")
    assert results[7]["to"] == "10.244.0.2"  # as written


def test_json_is_deterministic() -> None:
    args = (POLICIES, "--cluster", CLUSTER, "--connections", BATCH, "-o", "json")
    assert explain(*args)[1] == explain(*args)[1]


def test_single_json_is_a_list_of_one() -> None:
    code, out, _ = single("default/curl", COLOR_API, "80", "-o", "json")
    assert code == 0 and [r["verdict"] for r in validate_output(out)["verdicts"]] == ["allow"]


def test_batch_from_stdin_and_json_file(tmp_path: Path) -> None:
    items = [{"from": "dev/curl-dev", "to": "8.8.8.8", "port": 443}]
    code, out, _ = explain(POLICIES, "--cluster", CLUSTER, "--connections", "-", stdin=json.dumps(items))
    assert code == 0 and out.startswith("ALLOW  dev/curl-dev -> 8.8.8.8 TCP/443")
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(items), encoding="utf-8")
    assert explain(POLICIES, "--cluster", CLUSTER, "--connections", str(batch))[1] == out


def test_policies_from_stdin() -> None:
    policy = (LAB / "policies" / "deny-all-ingress.yaml").read_text(encoding="utf-8")
    code, out, _ = explain(
        "-", "--cluster", CLUSTER, "--from", "default/curl", "--to", COLOR_API, "--port", "80", stdin=policy
    )
    assert code == 0 and out.startswith("DENY")


def test_help_shows_a_real_example() -> None:
    result = runner.invoke(app, ["explain", "--help"])
    assert result.exit_code == 0
    assert "np2calico explain samples/lab/policies --cluster samples/lab/cluster.yaml" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "default/nope", "--to", COLOR_API, "--port", "80"), "--from: error: no pod default/nope"),
        (
            ("--from", "default/curl", "--to", "hep:node9", "--port", "80"),
            "--to: error: no host endpoint node9",
        ),
        (("--from", "curl", "--to", COLOR_API, "--port", "80"), "--from: error: 'curl' is not an endpoint"),
        (
            ("--from", "default/curl", "--to", COLOR_API, "--port", "0"),
            "--port: error: port 0 is out of range",
        ),
        (("--from", "default/curl", "--to", COLOR_API, "--port", "http"), "--port: error: default/color-api"),
        (
            ("--from", "default/curl", "--to", COLOR_API, "--port", "80", "--protocol", "ICMP"),
            "--protocol: error",
        ),
        (("--from", "default/curl", "--to", COLOR_API), "missing --port"),
        (("--connections", BATCH, "--from", "default/curl"), "either --connections or --from/--to/--port"),
        (
            ("--connections", BATCH, "--tie-break", "v3.31", "--semantics", "k8s"),
            "apply only to --semantics calico",
        ),
    ],
)
def test_bad_input_exits_2(args: tuple[str, ...], message: str) -> None:
    code, out, err = explain(POLICIES, "--cluster", CLUSTER, *args)
    assert code == 2 and out == ""
    assert message in err


def test_bad_batch_item_is_located(tmp_path: Path) -> None:
    batch = tmp_path / "conns.yaml"
    batch.write_text(
        "- {from: default/curl, to: default/color-api-7b9d7c9c7b-lx8tm, port: 99999}\n", encoding="utf-8"
    )
    code, out, err = explain(POLICIES, "--cluster", CLUSTER, "--connections", str(batch))
    assert (code, out) == (2, "")
    assert f"{batch}:1:[0].port: error: port 99999 is out of range 1-65535" in err


def test_unparsable_batch_exits_2(tmp_path: Path) -> None:
    batch = tmp_path / "conns.yaml"
    batch.write_text("- {from: [\n", encoding="utf-8")
    code, out, err = explain(POLICIES, "--cluster", CLUSTER, "--connections", str(batch))
    assert (code, out) == (2, "") and str(batch) in err


def test_missing_policy_path_exits_2() -> None:
    code, out, err = explain(
        "no/such/dir", "--cluster", CLUSTER, "--from", "default/curl", "--to", COLOR_API, "--port", "80"
    )
    assert (code, out) == (2, "") and "no/such/dir" in err


def test_calico_semantics_agree_on_the_lab_batch() -> None:
    code, out, _ = explain(
        POLICIES, "--cluster", CLUSTER, "--connections", BATCH, "-o", "json", "--semantics", "calico"
    )
    assert code == 0
    assert [r["verdict"] for r in validate_output(out)["verdicts"]] == BATCH_VERDICTS


def test_json_lists_one_connection_per_line() -> None:
    code, out, _ = explain(POLICIES, "--cluster", CLUSTER, "--connections", BATCH, "-o", "json")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith('{"apiVersion": "np2calico.io/v1alpha1", "kind": "ExplainResult"')
    assert lines[-1] == "]}"
    assert len(lines) == len(BATCH_VERDICTS) + 2
    assert [json.loads(line.rstrip(","))["verdict"] for line in lines[1:-1]] == BATCH_VERDICTS


def test_empty_batch(tmp_path: Path) -> None:
    batch = tmp_path / "empty.yaml"
    batch.write_text("[]\n", encoding="utf-8")
    code, out, _ = explain(POLICIES, "--cluster", CLUSTER, "--connections", str(batch), "-o", "json")
    assert code == 0
    assert validate_output(out)["verdicts"] == []
    assert explain(POLICIES, "--cluster", CLUSTER, "--connections", str(batch))[:2] == (0, "")
