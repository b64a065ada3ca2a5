"""`explain --to svc/NS/NAME:PORT`: a Service judged as Calico sees it, after DNAT, per endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.schema_helper import validate_output
from translator.cli import app

LAB = Path(__file__).resolve().parents[1] / "samples" / "lab"
POLICIES = str(LAB / "policies")
WORKLOADS = str(LAB / "workloads")

STATE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-v1, namespace: shop}
spec:
  selector: {matchLabels: {app: web, v: "1"}}
  template:
    metadata: {labels: {app: web, v: "1"}}
    spec: {containers: [{name: c, ports: [{containerPort: 8080, name: http}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-v2, namespace: shop}
spec:
  selector: {matchLabels: {app: web, v: "2"}}
  template:
    metadata: {labels: {app: web, v: "2"}}
    spec: {containers: [{name: c, ports: [{containerPort: 9090, name: http}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c}]}
status: {podIP: 10.244.0.5}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: web, port: 80, targetPort: http}, {name: admin, port: 81, targetPort: admin}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  clusterIP: None
  selector: {app: web, v: "1"}
  ports: [{port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: legacy, namespace: shop}
spec:
  ports: [{name: https, port: 443, targetPort: 8443}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: legacy-1, namespace: shop, labels: {kubernetes.io/service-name: legacy}}
addressType: IPv4
endpoints: [{addresses: [192.0.2.10]}, {addresses: [10.244.0.5]}]
ports: [{name: https, port: 8443, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: alias, namespace: shop}
spec: {type: ExternalName, externalName: db.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: orphan, namespace: shop}
spec:
  selector: {app: nobody}
  ports: [{port: 80}]
"""
POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-8080-only, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: 8080}]}]
"""

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "state.yaml").write_text(STATE)
    (tmp_path / "policy.yaml").write_text(POLICY)
    return str(tmp_path / "policy.yaml"), str(tmp_path / "state.yaml")


def explain(files: tuple[str, str], *args: str) -> tuple[int, str, str]:
    policy, state = files
    result = runner.invoke(app, ["explain", policy, "--cluster", state, "--from", "shop/client", *args])
    return result.exit_code, result.stdout, result.stderr


def test_named_target_port_is_resolved_per_pod(files: tuple[str, str]) -> None:
    code, out, _ = explain(files, "--to", "svc/shop/web:80", "-o", "json")
    assert code == 0
    found = [(v["to"], v["port"], v["verdict"], v["via"]) for v in validate_output(out)["verdicts"]]
    assert found == [
        ("deployment shop/web-v1", 8080, "allow", "svc shop/web:web (targetPort http=8080, after DNAT)"),
        ("deployment shop/web-v2", 9090, "deny", "svc shop/web:web (targetPort http=9090, after DNAT)"),
    ]


def test_service_port_by_name_and_text_names_service_pod_and_port(files: tuple[str, str]) -> None:
    code, out, _ = explain(files, "--to", "svc/shop/web:web")
    assert code == 0
    assert out.splitlines()[0] == ("ALLOW  shop/client -> svc shop/web:web (targetPort http=8080, "
                                   "after DNAT) -> deployment shop/web-v1 TCP/8080")


def test_headless_service_reaches_the_pods_directly(files: tuple[str, str]) -> None:
    _, out, _ = explain(files, "--to", "svc/shop/db", "-o", "json")
    (verdict,) = validate_output(out)["verdicts"]
    assert verdict["via"] == "svc shop/db:8080 (targetPort 8080, headless, no DNAT)"


def test_service_without_selector_uses_its_endpoint_slices(files: tuple[str, str]) -> None:
    code, out, _ = explain(files, "--to", "svc/shop/legacy:443", "-o", "json")
    assert code == 0
    found = [(v["to"], v["port"]) for v in validate_output(out)["verdicts"]]
    assert found == [("192.0.2.10", 8443), ("10.244.0.5", 8443)]


@pytest.mark.parametrize(("target", "message"), [
    ("svc/shop/alias:80", "svc shop/alias is an ExternalName Service (a DNS alias of db.example.com)"),
    ("svc/shop/orphan:80", "svc shop/orphan selects no pod or workload of the cluster state"),
    ("svc/shop/web:81", "no pod svc shop/web selects declares a TCP container port named 'admin'"),
    ("svc/shop/web:82", "svc shop/web has no TCP port 82 (it has web=80/TCP, admin=81/TCP)"),
    ("svc/shop/web", "svc shop/web has 2 ports: name one"),
    ("svc/shop/wbe:80", "no Service shop/wbe in the cluster state (did you mean svc/shop/web"),
    ("svc/shop:80", "'svc/shop:80' is not a Service: expected svc/NAMESPACE/NAME:PORT"),
], ids=["external-name", "selects-nothing", "undeclared-port-name", "unknown-port", "port-needed",
        "unknown-service", "malformed"])
def test_unusable_services_are_clear_errors(files: tuple[str, str], target: str, message: str) -> None:
    code, out, err = explain(files, "--to", target)
    assert (code, out) == (2, "")
    assert f"--to: error: {message}" in err and "Traceback" not in err


def test_port_given_twice_is_refused(files: tuple[str, str]) -> None:
    code, _, err = explain(files, "--to", "svc/shop/web:80", "--port", "80")
    assert code == 2 and "the port is given twice" in err


def test_batch_item_to_a_service_stands_for_each_endpoint(files: tuple[str, str], tmp_path: Path) -> None:
    batch = tmp_path / "batch.yaml"
    batch.write_text("- {from: shop/client, to: svc/shop/web:80}\n"
                     "- {from: shop/client, to: shop/client, port: 1}\n")
    policy, state = files
    result = runner.invoke(app, ["explain", policy, "--cluster", state, "--connections", str(batch),
                                 "-o", "json"])
    assert result.exit_code == 0
    assert [v["to"] for v in validate_output(result.stdout)["verdicts"]] == [
        "deployment shop/web-v1", "deployment shop/web-v2", "shop/client"]


def test_lab_color_svc_under_both_semantics() -> None:
    for semantics in ("k8s", "calico"):
        result = runner.invoke(app, ["explain", POLICIES, "--cluster", WORKLOADS, "--from",
                                     "default/curl", "--to", "svc/default/color-svc:80",
                                     "--semantics", semantics])
        assert result.exit_code == 0
        assert result.stdout.startswith("ALLOW  default/curl -> svc default/color-svc:80 (targetPort 80, "
                                        "after DNAT) -> deployment default/color-api TCP/80")
