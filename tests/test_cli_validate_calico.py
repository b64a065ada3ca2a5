"""`np2calico validate` on Calico manifests: exit codes and `FILE:DOC:FIELD.PATH` messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from translator.cli import app

VALID = """\
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: platform}
spec: {order: 100, defaultAction: Pass}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: platform.allow-web, namespace: dev}
spec:
  tier: platform
  order: 10
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: app == 'curl'}
    destination: {ports: [8080]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: default-deny}
spec:
  namespaceSelector: has(projectcalico.org/name) && projectcalico.org/name != 'kube-system'
  types: [Ingress, Egress]
  egress:
  - action: Allow
    protocol: UDP
    destination:
      selector: k8s-app == 'kube-dns'
      namespaceSelector: projectcalico.org/name == 'kube-system'
      ports: [53]
---
apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata: {name: staged-deny}
spec: {stagedAction: Set, selector: all(), types: [Ingress]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth0, labels: {role: node}}
spec: {node: node1, interfaceName: eth0, expectedIPs: [192.168.0.10]}
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {name: default.stored, namespace: dev}
spec: {selector: all(), egress: [{action: Deny}]}
"""

INVALID = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow, namespace: dev}
spec:
  selector: app = 'web'
  ingress:
  - action: Allow
    destination: {ports: [80]}
    http: {methods: [GET]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: a.b.c}
spec:
  egress:
  - action: Allow
    destination: {nets: [10.0.0.0/8, "fd00::/8"]}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: platform}
spec: {defaultAction: Allow}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny}
spec: {types: [Egress, Egress], tier: "platform"}
"""


def run(tmp_path: Path, text: str, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "calico.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def test_valid_calico_manifests_exit_0(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, VALID)
    assert code == 0, err
    assert "6 documents valid" in out
    assert "error" not in err


@pytest.mark.parametrize(
    "expected",
    [
        ":1:spec.selector: error: invalid selector \"app = 'web'\": expected '==' at column 5",
        ":1:spec.ingress[0].destination.ports: error: rules with numeric port or port range must set",
        ":1:spec.ingress[0].http: error: np2calico cannot evaluate 'http'",
        ":2:metadata.name: error: name must be lower case",
        ":3:spec.defaultAction: error: unsupported value 'Allow': supported values: 'Pass', 'Deny'",
        ":4:spec.types: error:",
        ":2:spec.egress[0].destination.nets: error: rule contains both IPv4 and IPv6 CIDRs",
    ],
)
def test_invalid_calico_manifests_exit_1_with_field_paths(tmp_path: Path, expected: str) -> None:
    code, out, err = run(tmp_path, INVALID)
    assert code == 1
    assert "4 of 4 documents invalid" in out
    assert f"calico.yaml{expected}" in err, err


def test_v331_tier_prefix_warning_fails_only_under_strict(tmp_path: Path) -> None:
    text = VALID.replace("platform.allow-web", "allow-web")
    code, out, err = run(tmp_path, text)
    assert code == 0
    assert ":2:metadata.name: warning: not valid for Calico v3.31" in err
    assert "1 warning" in out
    code, _, _ = run(tmp_path, text, "--strict")
    assert code == 1


def test_unknown_calico_api_version_is_an_error(tmp_path: Path) -> None:
    text = VALID.split("---\n")[1].replace("projectcalico.org/v3", "projectcalico.org/v2")
    code, _, err = run(tmp_path, text)
    assert code == 1
    assert "calico.yaml:1: error:" in err
    assert "'projectcalico.org/v2'" in err and "not supported" in err
