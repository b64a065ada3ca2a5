"""Calico source ports through the CLI (issue 9 item 4): exact when the connection names its source
port, exact when the rule's source ports hold every port, refused clearly otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import run

POLICY = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: web, namespace: default}}
spec:
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - {{action: Deny, protocol: TCP, source: {{ports: [{ports}]}}}}
  - {{action: Allow}}
"""
ALLOW_ALL = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web, namespace: default}
spec:
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - {action: Allow}
"""
CLUSTER = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.2}
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    paths = {
        "every": POLICY.format(ports="'1:65535'"),
        "some": POLICY.format(ports="80"),
        "allow": ALLOW_ALL,
        "cluster": CLUSTER,
    }
    for name, text in paths.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return {name: str(tmp_path / f"{name}.yaml") for name in paths}


def _explain(policy: str, cluster: str, *extra: str):
    return run("explain", policy, "--cluster", cluster, "--from", "default/client", "--to", "default/web",
               "--port", "80", *extra)


def test_deny_on_every_source_port_denies(files: dict[str, str]) -> None:
    """The issue's reproduction: `explain` said ALLOW; Calico denies."""
    result = _explain(files["every"], files["cluster"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("DENY")


@pytest.mark.parametrize(("source_port", "verdict"), [("80", "DENY"), ("50000", "ALLOW")])
def test_named_source_port_is_judged_exactly(files: dict[str, str], source_port: str, verdict: str) -> None:
    result = _explain(files["some"], files["cluster"], "--source-port", source_port)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(verdict)


def test_a_verdict_depending_on_the_source_port_is_refused(files: dict[str, str]) -> None:
    result = _explain(files["some"], files["cluster"])
    assert result.exit_code == 2
    assert "NetworkPolicy/default/web ingress[0]" in result.stderr
    assert "--source-port" in result.stderr


def test_diff_sees_a_deny_on_every_source_port(files: dict[str, str]) -> None:
    result = run("diff", files["allow"], files["every"], "--cluster", files["cluster"])
    assert result.exit_code == 1, result.output
    assert "newly denied" in result.stdout


def test_diff_refuses_what_depends_on_the_source_port(files: dict[str, str]) -> None:
    result = run("diff", files["allow"], files["some"], "--cluster", files["cluster"])
    assert result.exit_code == 2
    assert "source port" in result.stderr


def test_verify_refuses_what_depends_on_the_source_port(files: dict[str, str]) -> None:
    result = run("verify", files["allow"], files["some"])
    assert result.exit_code == 2
    assert "source port" in result.stderr
    assert run("verify", files["allow"], files["every"]).exit_code == 1
