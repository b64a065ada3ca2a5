"""`np2calico verify` with Calico `services` rules: judged for every possible endpoint set of each
Service, and a witness whose Service and EndpointSlice make `explain` replay the verdicts."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.schema_helper import validate_output
from translator.cli import app

POLICY = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: to-api, namespace: shop}
spec:
  selector: app == 'web'
  types: [Egress, Ingress]
  egress:
EGRESS
  ingress:
INGRESS
"""
TO_API = "    - action: Allow\n      destination: {services: {name: kubernetes, namespace: default}}\n"
FROM_MONITOR = "    - action: Allow\n      source: {services: {name: monitor, namespace: shop}}\n"
NOTHING = "    []\n"


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def _write(tmp_path: Path, name: str, egress: str, ingress: str) -> str:
    path = tmp_path / name
    text = POLICY.replace("EGRESS\n", egress).replace("INGRESS\n", ingress)
    if egress == NOTHING:
        text = text.replace("  egress:\n    []\n", "  egress: []\n")
    if ingress == NOTHING:
        text = text.replace("  ingress:\n    []\n", "  ingress: []\n")
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_same_services_rules_on_both_sides_are_equivalent(tmp_path: Path) -> None:
    a = _write(tmp_path, "a.yaml", TO_API, FROM_MONITOR)
    b = _write(tmp_path, "b.yaml", TO_API, FROM_MONITOR)
    result = run("verify", a, b, "-o", "json")
    assert result.exit_code == 0, result.output
    covered = validate_output(result.stdout)["covered"]
    assert covered["services"]["names"] == ["default/kubernetes", "shop/monitor"]
    assert covered["services"]["assumed"] == (
        "services rules judged for every possible endpoint set of svc default/kubernetes, svc shop/monitor")


@pytest.mark.parametrize(("egress_b", "ingress_b", "direction"), [
    (NOTHING, FROM_MONITOR, "egress"),
    (TO_API, NOTHING, "ingress"),
])
def test_dropping_a_services_rule_is_found_and_its_witness_replays(
    tmp_path: Path, egress_b: str, ingress_b: str, direction: str
) -> None:
    a = _write(tmp_path, "a.yaml", TO_API, FROM_MONITOR)
    b = _write(tmp_path, "b.yaml", egress_b, ingress_b)
    witness = tmp_path / "witness.yaml"
    result = run("verify", a, b, "--witness", str(witness), "-o", "json")
    assert result.exit_code == 1, result.output
    found = validate_output(result.stdout)["witness"]
    assert (found["verdicts"]["a"]["verdict"], found["verdicts"]["b"]["verdict"]) == ("allow", "deny")
    kinds = [o["kind"] for o in found["objects"]]
    assert kinds.count("Service") == 2 and kinds.count("EndpointSlice") == 2
    slices = {o["metadata"]["labels"]["kubernetes.io/service-name"]: o for o in found["objects"]
              if o["kind"] == "EndpointSlice"}
    member = found["connection"]["to" if direction == "egress" else "from"]
    named = slices["kubernetes" if direction == "egress" else "monitor"]
    assert [e["addresses"] for e in named["endpoints"]] == [[member]]
    if direction == "egress":
        assert named["ports"] == [{"port": found["connection"]["port"],
                                   "protocol": found["connection"]["protocol"]}]
    for side, command in zip(("a", "b"), found["reproduce"], strict=True):
        replay = run(*shlex.split(command)[1:], "-o", "json")
        assert replay.exit_code == 0, replay.output
        (verdict,) = validate_output(replay.stdout)["verdicts"]
        assert verdict["verdict"] == found["verdicts"][side]["verdict"]


def test_a_services_rule_against_an_address_rule_differs_where_the_endpoints_are_elsewhere(
    tmp_path: Path,
) -> None:
    """An ipBlock to the API server's usual address is not the Service: some endpoint set puts the
    endpoints elsewhere, and the witness's EndpointSlice holds another address."""
    a = _write(tmp_path, "a.yaml", TO_API, NOTHING)
    by_address = "    - action: Allow\n      protocol: TCP\n      destination: {nets: [192.168.49.2/32]}\n"
    b = _write(tmp_path, "b.yaml", by_address, NOTHING)
    witness = tmp_path / "witness.yaml"
    result = run("verify", a, b, "--witness", str(witness), "-o", "json")
    assert result.exit_code == 1, result.output
    found = validate_output(result.stdout)["witness"]
    for side, command in zip(("a", "b"), found["reproduce"], strict=True):
        replay = run(*shlex.split(command)[1:], "-o", "json")
        assert replay.exit_code == 0, replay.output
        (verdict,) = validate_output(replay.stdout)["verdicts"]
        assert verdict["verdict"] == found["verdicts"][side]["verdict"]


def test_symbolic_diff_names_the_service_endpoints_a_change_needs(tmp_path: Path) -> None:
    before = _write(tmp_path, "a.yaml", TO_API, NOTHING)
    after = _write(tmp_path, "b.yaml", NOTHING, NOTHING)
    result = run("diff", before, after, "--symbolic")
    assert result.exit_code == 1, result.output  # changes found
    changes = [line for line in result.stdout.splitlines() if "newly denied:" in line]
    assert changes
    assert all("(an endpoint of svc default/kubernetes on the port and protocol)" in c for c in changes)
