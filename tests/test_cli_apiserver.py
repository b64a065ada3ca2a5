"""`--allow-apiserver`: alone, the default deny's exception is Calico's `destination.services` rule
for Service default/kubernetes; with CIDR[:PORT], TCP to those addresses (the old form). And what
explain, diff and verify make of a services rule, on the lab with the API server's EndpointSlice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.crd_validation import assert_valid_for_calico
from tests.schema_helper import validate_output
from translator.cli import app
from translator.cli.app import with_optional_values

LAB = Path(__file__).resolve().parents[1] / "samples" / "lab"
POLICIES = str(LAB / "policies")
WORKLOADS = str(LAB / "workloads")
APISERVER = str(LAB / "apiserver.yaml")
SERVICE_RULE = {
    "action": "Allow",
    "destination": {"services": {"name": "kubernetes", "namespace": "default"}},
}


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def default_deny(stdout: str) -> dict[str, Any]:
    (found,) = [d for d in yaml.safe_load_all(stdout) if d and d["metadata"]["name"].endswith("default-deny")]
    return found  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--allow-apiserver", "a.yaml"], ["--allow-apiserver=service", "a.yaml"]),
        (["a.yaml", "--allow-apiserver"], ["a.yaml", "--allow-apiserver=service"]),
        (["--allow-apiserver", "-o", "json"], ["--allow-apiserver=service", "-o", "json"]),
        (["--allow-apiserver", "-"], ["--allow-apiserver=service", "-"]),
        (["--allow-apiserver", "10.0.0.1/32:6443"], ["--allow-apiserver", "10.0.0.1/32:6443"]),
        (["--allow-apiserver", "fd00::1"], ["--allow-apiserver", "fd00::1"]),
        (["--allow-apiserver", "service"], ["--allow-apiserver", "service"]),
        (["--", "--allow-apiserver"], ["--", "--allow-apiserver"]),
    ],
    ids=["before-file", "last", "before-option", "before-stdin", "cidr", "ipv6", "service", "after-dashes"],
)
def test_the_value_is_taken_only_when_it_looks_like_one(args: list[str], expected: list[str]) -> None:
    assert with_optional_values(args) == expected


@pytest.mark.parametrize(
    "args",
    [
        ["convert", "--default-deny", "global", "--allow-apiserver", POLICIES],
        ["convert", POLICIES, "--default-deny", "global", "--allow-apiserver"],
        ["convert", POLICIES, "--default-deny", "global", "--allow-apiserver=service"],
    ],
    ids=["before-files", "last", "explicit"],
)
def test_alone_it_emits_the_services_rule_before_the_deny(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.output
    deny = default_deny(result.stdout)
    assert deny["spec"]["egress"][-2:] == [SERVICE_RULE, {"action": "Deny"}]
    assert_valid_for_calico(deny)


def test_a_cidr_keeps_its_meaning_next_to_the_service_form() -> None:
    result = run(
        "convert",
        POLICIES,
        "--default-deny",
        "global",
        "--allow-apiserver",
        "--allow-apiserver",
        "192.168.49.2/32:8443",
    )
    assert result.exit_code == 0, result.output
    egress = default_deny(result.stdout)["spec"]["egress"]
    assert SERVICE_RULE in egress
    assert {
        "action": "Allow",
        "protocol": "TCP",
        "destination": {"nets": ["192.168.49.2/32"], "ports": [8443]},
    } in egress


def test_a_value_that_is_no_address_is_a_usage_error() -> None:
    result = run("convert", POLICIES, "--default-deny", "global", "--allow-apiserver=not-a-cidr")
    assert result.exit_code == 2
    assert "expected CIDR[:PORT] or no value (the kubernetes Service)" in result.stderr


def test_help_documents_both_forms() -> None:
    text = " ".join(run("convert", "--help").stdout.split())
    assert "--allow-apiserver [CIDR[:PORT]]" in text
    assert "Alone (or =service): to the endpoints of Service default/kubernetes" in text
    assert "np2calico convert samples/lab/policies --default-deny global --allow-apiserver" in text


# --- judging the services rule -------------------------------------------------------------------


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("apiserver") / "calico.yaml"
    result = run(
        "convert", POLICIES, "--default-deny", "global", "--allow-apiserver", "--output-file", str(out)
    )
    assert result.exit_code == 0, result.output
    return str(out)


def explain(converted: str, *args: str) -> Any:
    return run(
        "explain", converted, "--cluster", WORKLOADS, "--semantics", "calico", "--from", "dev/curl-dev", *args
    )


def test_explain_names_the_service_and_endpoint(converted: str) -> None:
    result = explain(converted, "--cluster", APISERVER, "--to", "svc/default/kubernetes:443", "-o", "json")
    assert result.exit_code == 0, result.output
    (verdict,) = validate_output(result.stdout)["verdicts"]
    assert verdict["verdict"] == "allow" and verdict["to"] == "192.168.49.2" and verdict["port"] == 8443
    assert verdict["egress"]["reasons"] == [
        "egress of dev/curl-dev allowed by GlobalNetworkPolicy/np2calico-default-deny egress rule 2: Allow "
        "(tier default); TCP/8443 on 192.168.49.2 is an endpoint of svc default/kubernetes "
        "(from EndpointSlice kubernetes)"
    ]


def test_explain_the_clusterip_port_is_not_the_endpoints(converted: str) -> None:
    result = explain(converted, "--cluster", APISERVER, "--to", "192.168.49.2", "--port", "443")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("DENY  dev/curl-dev -> 192.168.49.2 TCP/443")


def test_explain_without_the_endpoints_says_they_are_unknown(converted: str) -> None:
    result = explain(converted, "--to", "192.168.49.2", "--port", "8443")
    assert result.exit_code == 2, result.output
    assert "the cluster state holds no Service default/kubernetes and no EndpointSlice of it" in result.stderr
    assert "kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes" in result.stderr
    assert result.stdout == ""


def test_the_lab_migration_with_the_apiserver_exception() -> None:
    """Every pod the default deny covers gains (default) or keeps (dev) TCP 8443 to the API server's
    endpoint, and nothing else to it; without the EndpointSlice the diff refuses."""
    args = [
        "diff",
        POLICIES,
        "--migrate",
        "--default-deny",
        "global",
        "--allow-apiserver",
        "--cluster",
        WORKLOADS,
        "-o",
        "json",
    ]
    result = run(*args, "--cluster", APISERVER)
    assert result.exit_code == 1, result.output
    document = validate_output(result.stdout)
    to_api = {
        (c["source"]["group"], c["status"], c["protocol"], tuple(c["ports"]))
        for c in document["changes"]
        if c["destination"].get("networks") == ["192.168.49.2/32"]
    }
    assert to_api == {
        ("default", "newly allowed", "TCP", ("8443",)),
        ("dev", "newly denied", "TCP", ("1:8442", "8444:65535")),
        ("dev", "newly denied", "UDP", ("1:65535",)),
        ("dev", "newly denied", "SCTP", ("1:65535",)),
    }
    refused = run(*args)
    assert refused.exit_code == 2
    assert "svc default/kubernetes" in refused.stderr


def test_verify_judges_a_services_rule_for_every_endpoint_set(converted: str, tmp_path: Path) -> None:
    """The default deny's exception allows what the input alone does not: a witness whose
    EndpointSlice makes its destination an endpoint of svc default/kubernetes."""
    result = run("verify", POLICIES, converted)
    assert result.exit_code == 1, result.output
    assert "is an endpoint of svc default/kubernetes (from EndpointSlice kubernetes-witness)" in result.stdout
    assert "kind: EndpointSlice" in result.stdout
