"""A cluster that already holds Calico policies (a tier, a GlobalNetworkPolicy, a staged policy):
snapshot → convert → diff --migrate → apply, on the fake API server. The Calico objects are kept
(listed, never refused), judged on both sides of the migration diff, and never re-applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import run
from tests.fake_apiserver import CALICO_V3, FakeApiServer, ToolCalls, lab_state, serve

SECURITY_TIER = {"apiVersion": CALICO_V3, "kind": "Tier", "metadata": {"name": "security"},
                 "spec": {"order": 100, "defaultAction": "Pass"}}
BLOCK_METADATA = {
    "apiVersion": CALICO_V3, "kind": "GlobalNetworkPolicy",
    "metadata": {"name": "security.block-dev-to-default"},
    "spec": {"tier": "security", "order": 10, "selector": "projectcalico.org/namespace == 'dev'",
             "types": ["Egress"],
             "egress": [{"action": "Deny", "destination": {
                 "namespaceSelector": "kubernetes.io/metadata.name == 'default'"}}, {"action": "Pass"}]},
}
STAGED = {"apiVersion": CALICO_V3, "kind": "StagedNetworkPolicy",
          "metadata": {"name": "trial", "namespace": "default"},
          "spec": {"selector": "app == 'color-api'", "types": ["Ingress"]}}


@pytest.fixture
def server() -> Iterator[FakeApiServer]:
    state = lab_state()
    state.add(CALICO_V3, "tiers", SECURITY_TIER)
    state.add(CALICO_V3, "globalnetworkpolicies", BLOCK_METADATA)
    state.add(CALICO_V3, "stagednetworkpolicies", STAGED)
    with serve(state) as running:
        yield running


@pytest.fixture
def snapshot(server: FakeApiServer, tmp_path: Path) -> Path:
    path = tmp_path / "before.yaml"
    result = run("snapshot", "--output-file", path, "--kubeconfig", server.kubeconfig(tmp_path))
    assert result.exit_code == 0, result.stderr
    return path


def test_convert_keeps_the_calico_policies_and_lists_them(snapshot: Path) -> None:
    result = run("convert", snapshot)
    assert result.exit_code == 0, result.stderr
    assert "4 Calico objects of the input are left as they are" in result.stderr
    for kept in ("Tier default", "Tier security", "GlobalNetworkPolicy/security.block-dev-to-default",
                 "StagedNetworkPolicy/default/trial"):
        assert kept in result.stderr
    assert "security" not in result.stdout and "deny-all-ingress" in result.stdout


def test_explain_on_the_snapshot_alone_uses_its_policies(snapshot: Path) -> None:
    result = run("explain", "--cluster", snapshot, "--from", "dev/curl-dev",
                 "--to", "default/color-api-7b9d7c9c7b-lx8tm", "--port", "80")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("DENY")
    assert "GlobalNetworkPolicy/security.block-dev-to-default egress rule 0" in result.stdout


def test_migration_diff_judges_the_calico_policies_on_both_sides(snapshot: Path) -> None:
    result = run("diff", "--cluster", snapshot, "--migrate", "--default-deny", "global")
    assert result.exit_code == 1, result.stderr
    assert "4 Calico objects of the input are kept on both sides" in result.stderr
    # dev → default was denied by the security tier before, and still is: no change reported there.
    assert "dev -> default" not in result.stdout
    assert "== dev -> dev (internal) ==" in result.stdout


def test_apply_of_the_conversion_does_not_touch_the_calico_policies(
    server: FakeApiServer, snapshot: Path, tools: ToolCalls, tmp_path: Path
) -> None:
    converted = tmp_path / "after.yaml"
    assert run("convert", snapshot, "--output-file", converted).exit_code == 0
    result = run("apply", converted, "--yes", "--bundle", tmp_path / "undo.yaml",
                 "--kubeconfig", server.kubeconfig(tmp_path))
    assert result.exit_code == 0, result.stderr
    applied = [s[2] for s in tools.summary()]
    assert "NetworkPolicy/np2calico-deny-ingress" in applied
    assert not [a for a in applied if "security" in a or "trial" in a or a.startswith("Tier/")]
