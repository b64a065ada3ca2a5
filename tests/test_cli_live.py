"""`np2calico snapshot / apply / promote / rollback` from the command line, end to end.

Test doubles: the fake Kubernetes API server of `tests/fake_apiserver.py` (in-process, 127.0.0.1)
stands in for the cluster, and the stand-in `calicoctl`/`kubectl` of `tests/bin` (put on PATH)
record every call, keep the objects applied, and fail on demand. Every failure mode must print one
line `np2calico: error: ...` on stderr and exit non-zero.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.builders import run
from tests.fake_apiserver import CALICO_CRD, CALICO_V3, FakeApiServer, ToolCalls, lab_state, serve
from tests.schema_helper import validate_output
from translator.cli import live
from translator.load import load

ALLOW = {"apiVersion": CALICO_V3, "kind": "NetworkPolicy",
         "metadata": {"name": "allow-curl", "namespace": "default"},
         "spec": {"order": 1000, "selector": "app == 'color-api'", "types": ["Ingress"],
                  "ingress": [{"action": "Allow", "source": {"selector": "app == 'curl'"}}]}}
DENY = {"apiVersion": CALICO_V3, "kind": "NetworkPolicy",
        "metadata": {"name": "deny-ingress", "namespace": "default"},
        "spec": {"order": 2000, "selector": "all()", "types": ["Ingress"], "ingress": [{"action": "Deny"}]}}
TIER = {"apiVersion": CALICO_V3, "kind": "Tier", "metadata": {"name": "np2calico"},
        "spec": {"order": 100000, "defaultAction": "Pass"}}


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    path = tmp_path / "calico.yaml"
    path.write_text(yaml.safe_dump_all([TIER, ALLOW, DENY], sort_keys=False), encoding="utf-8")
    return path


def one_error_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("np2calico: error: "), result.stderr
    return lines[-1]


# --- snapshot --------------------------------------------------------------------------------------

def test_snapshot_is_read_back_by_the_file_loader(server: FakeApiServer, tmp_path: Path) -> None:
    out = tmp_path / "state.yaml"
    result = run("snapshot", "--output-file", out, "--kubeconfig", server.kubeconfig(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"Saved 10 objects to {out}.\n"
    assert out.read_text().startswith("# np2calico snapshot of context 'lab' (http://127.0.0.1:")
    loaded = load([str(out)])
    assert [p.name for p in loaded.policies.k8s_policies] == ["deny-all-ingress"]
    assert [t.name for t in loaded.policies.tiers] == ["default"]
    assert len(loaded.cluster().pods) == 5 and "dev" in loaded.cluster().namespaces


def test_snapshot_to_stdout_warns_when_calico_is_absent(tmp_path: Path) -> None:
    with serve(lab_state(calico_groups=())) as state:
        result = run("snapshot", "--kubeconfig", state.kubeconfig(tmp_path))
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout)["kind"] == "List"
    assert "warning: the Calico API is absent" in result.stderr


@pytest.mark.parametrize(("setup", "expected"), [
    (lambda s: s.forbidden.add(("list", "networkpolicies")),
     "np2calico: error: permission denied: cannot list networkpolicies.networking.k8s.io "),
    (lambda s: None, 'np2calico: error: context "prod" does not exist in kubeconfig '),
], ids=["forbidden", "unknown-context"])
def test_snapshot_failures_are_one_line_and_exit_2(
    server: FakeApiServer, tmp_path: Path, setup: Any, expected: str
) -> None:
    setup(server)
    context = ["--context", "prod"] if "context" in expected else []
    out = tmp_path / "state.yaml"
    result = run("snapshot", "--output-file", out, "--kubeconfig", server.kubeconfig(tmp_path), *context)
    assert result.exit_code == 2
    assert one_error_line(result).startswith(expected)
    assert not out.exists()  # nothing half-written


def test_snapshot_of_an_unreachable_cluster(tmp_path: Path) -> None:
    with serve(lab_state()) as state:
        kubeconfig = state.kubeconfig(tmp_path)
    result = run("snapshot", "--kubeconfig", kubeconfig)
    assert result.exit_code == 2
    assert "cannot reach the Kubernetes API server" in one_error_line(result)


def test_snapshot_without_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    result = run("snapshot")
    assert result.exit_code == 2
    assert one_error_line(result).startswith("np2calico: error: no kubeconfig: ")


# --- apply ---------------------------------------------------------------------------------------

def test_apply_shows_the_plan_writes_the_bundle_then_applies_in_order(
    server: FakeApiServer, tools: ToolCalls, manifests: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "undo.yaml"
    result = run("apply", manifests, "--yes", "--bundle", bundle, "--kubeconfig", server.kubeconfig(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "np2calico apply with calicoctl on the current context",
        "Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged.",
        "  1. create Tier.projectcalico.org np2calico",
        "  2. create NetworkPolicy.projectcalico.org default/allow-curl",
        "  3. create NetworkPolicy.projectcalico.org default/deny-ingress",
        f"Done: 3 changes. Undo with: np2calico rollback {bundle}",
    ]
    assert [s[2] for s in tools.summary()] == ["Tier/np2calico", "NetworkPolicy/allow-curl",
                                               "NetworkPolicy/deny-ingress"]
    assert len(yaml.safe_load(bundle.read_text())["created"]) == 3
    assert tools.calls()[0]["env"]["KUBECONFIG"] == str(server.kubeconfig(tmp_path))


def test_apply_json_is_the_plan_and_its_outcome_for_tools(
    server: FakeApiServer, tools: ToolCalls, manifests: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "undo.yaml"
    result = run("apply", manifests, "--yes", "--bundle", bundle, "-o", "json",
                 "--kubeconfig", server.kubeconfig(tmp_path))
    assert result.exit_code == 0, result.stderr
    document = validate_output(result.stdout)
    assert (document["kind"], document["command"], document["tool"]) == ("ChangePlan", "apply", "calicoctl")
    assert document["outcome"] == "done" and document["rollbackBundle"] == str(bundle)
    assert [(s["number"], s["action"], s["kind"], s["namespace"], s["name"]) for s in document["steps"]] == [
        (1, "create", "Tier", None, "np2calico"),
        (2, "create", "NetworkPolicy", "default", "allow-curl"),
        (3, "create", "NetworkPolicy", "default", "deny-ingress"),
    ]
    assert "Plan: 3 to create" in result.stderr  # the words for people stay on stderr
    assert len(tools.calls()) == 3


def test_dry_run_json_and_rollback_json(
    server: FakeApiServer, tools: ToolCalls, manifests: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan.json"
    kubeconfig = server.kubeconfig(tmp_path)
    result = run("apply", manifests, "--dry-run", "-o", "json", "--output-file", out,
                 "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert validate_output(out.read_text())["outcome"] == "dry-run"
    bundle = tmp_path / "undo.yaml"
    assert run("apply", manifests, "--yes", "--bundle", bundle, "--kubeconfig", kubeconfig).exit_code == 0
    undone = run("rollback", bundle, "--yes", "-o", "json")
    assert undone.exit_code == 0, undone.stderr
    document = validate_output(undone.stdout)
    assert document["command"] == "rollback" and document["outcome"] == "done"
    assert {s["action"] for s in document["steps"]} == {"delete"} and document["rollbackBundle"] is None


def test_declined_json_says_so_and_exits_1(
    server: FakeApiServer, tools: ToolCalls, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "_stdin_is_terminal", lambda: True)
    result = run("apply", manifests, "-o", "json", "--kubeconfig", server.kubeconfig(tmp_path), stdin="n\n")
    assert result.exit_code == 1
    echoed, document = result.stdout.split("\n", 1)  # CliRunner echoes the typed answer to stdout
    assert echoed.strip() == "n"
    assert validate_output(document)["outcome"] == "declined"
    assert tools.calls() == []


def test_apply_from_stdin_staged(server: FakeApiServer, tools: ToolCalls, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = yaml.safe_dump_all([ALLOW, DENY])
    result = run("apply", "-", "--staged", "--yes", "--with", "kubectl", "--kubeconfig",
                 server.kubeconfig(tmp_path), stdin=text)
    assert result.exit_code == 0, result.stderr
    applied = [yaml.safe_load(c["stdin"]) for c in tools.calls()]
    assert [(a["kind"], a["spec"]["stagedAction"]) for a in applied] == [("StagedNetworkPolicy", "Set")] * 2
    assert len(list(tmp_path.glob("np2calico-rollback-*.yaml"))) == 1  # the default bundle name


def test_apply_without_a_terminal_or_yes_refuses_and_changes_nothing(
    server: FakeApiServer, tools: ToolCalls, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("apply", manifests, "--kubeconfig", server.kubeconfig(tmp_path))
    assert result.exit_code == 2
    assert one_error_line(result) == (
        "np2calico: error: refusing to change the cluster without confirmation: "
        "stdin is not a terminal; pass --yes")
    assert "Plan: 3 to create" in result.stdout
    assert tools.calls() == [] and not list(tmp_path.glob("np2calico-rollback-*"))


def test_a_declined_confirmation_exits_1(
    server: FakeApiServer, tools: ToolCalls, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "_stdin_is_terminal", lambda: True)
    result = run("apply", manifests, "--kubeconfig", server.kubeconfig(tmp_path), stdin="n\n")
    assert result.exit_code == 1
    assert "Apply these 3 changes? [y/N]" in result.stderr and "Nothing was changed." in result.stderr
    assert tools.calls() == []


def test_dry_run_with_kubectl_uses_the_server_side_dry_run_and_writes_no_bundle(
    server: FakeApiServer, tools: ToolCalls, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("apply", manifests, "--dry-run", "--with", "kubectl", "--context", "lab",
                 "--kubeconfig", server.kubeconfig(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "Dry run: nothing was changed."
    assert all("--dry-run=server" in c["args"] for c in tools.calls()) and len(tools.calls()) == 3
    assert not list(tmp_path.glob("np2calico-rollback-*"))


def test_nothing_to_change(server: FakeApiServer, tools: ToolCalls, tmp_path: Path) -> None:
    server.add(CALICO_V3, "tiers", TIER)
    path = tmp_path / "tier.yaml"
    path.write_text(yaml.safe_dump(TIER), encoding="utf-8")
    result = run("apply", path, "--kubeconfig", server.kubeconfig(tmp_path))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-2:] == ["  unchanged: Tier.projectcalico.org np2calico",
                                               "Nothing to change."]
    assert tools.calls() == []


def test_a_failed_apply_says_what_was_applied_and_rollback_restores_the_prior_state(
    server: FakeApiServer, tools: ToolCalls, manifests: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_allow = {**ALLOW, "spec": {**ALLOW["spec"], "ingress": []}}
    server.add(CALICO_V3, "networkpolicies", {**old_allow, "metadata": {**ALLOW["metadata"], "uid": "u1",
                                                                        "resourceVersion": "77"}})
    tools.seed(old_allow)
    before = tools.objects()
    kubeconfig = server.kubeconfig(tmp_path)
    bundle = tmp_path / "undo.yaml"
    monkeypatch.setenv("FAKE_TOOL_FAIL_ON", "deny-ingress")
    result = run("apply", manifests, "--yes", "--bundle", bundle, "--kubeconfig", kubeconfig)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert line.startswith("np2calico: error: stopped at step 3 of 3 (create NetworkPolicy.projectcalico.org "
                           "default/deny-ingress): calicoctl apply failed (exit 1): Hit error: ")
    assert line.endswith("applied: Tier.projectcalico.org np2calico, NetworkPolicy.projectcalico.org "
                         "default/allow-curl; not applied: NetworkPolicy.projectcalico.org "
                         "default/deny-ingress; "
                         f"undo with: np2calico rollback {bundle}")
    assert tools.objects() != before

    monkeypatch.delenv("FAKE_TOOL_FAIL_ON")
    result = run("rollback", bundle, "--yes")
    assert result.exit_code == 0, result.stderr
    assert "  2. delete Tier.projectcalico.org np2calico" in result.stdout
    assert tools.summary()[3:] == [("calicoctl", "delete", "NetworkPolicy/deny-ingress"),
                                   ("calicoctl", "delete", "Tier/np2calico"),
                                   ("calicoctl", "apply", "NetworkPolicy/allow-curl")]
    assert tools.calls()[-1]["env"]["KUBECONFIG"] == str(kubeconfig)  # taken from the bundle
    assert tools.objects() == before


def test_staged_apply_then_promote_then_rollback_of_the_promotion(
    server: FakeApiServer, tools: ToolCalls, manifests: Path, tmp_path: Path
) -> None:
    kubeconfig = server.kubeconfig(tmp_path)
    staged_bundle, promoted_bundle = tmp_path / "staged.yaml", tmp_path / "promoted.yaml"
    assert run("apply", manifests, "--staged", "--yes", "--bundle", staged_bundle,
               "--kubeconfig", kubeconfig).exit_code == 0
    staged = [yaml.safe_load(c["stdin"]) for c in tools.calls()[1:]]
    server.add(CALICO_V3, "stagednetworkpolicies", *staged)  # what the cluster now holds
    result = run("promote", staged_bundle, "--yes", "--bundle", promoted_bundle)
    assert result.exit_code == 0, result.stderr
    assert "Plan: 2 to create, 0 to update, 2 to delete, 0 unchanged." in result.stdout
    assert sorted(tools.objects()) == ["NetworkPolicy/default/allow-curl",
                                       "NetworkPolicy/default/deny-ingress", "Tier//np2calico"]
    assert run("rollback", promoted_bundle, "--yes").exit_code == 0
    assert sorted(tools.objects()) == ["StagedNetworkPolicy/default/allow-curl",
                                       "StagedNetworkPolicy/default/deny-ingress", "Tier//np2calico"]


@pytest.mark.parametrize("args", [[], ["b.yaml", "--from-cluster"]], ids=["neither", "both"])
def test_promote_needs_exactly_one_source(args: list[str]) -> None:
    result = run("promote", *args)
    assert result.exit_code == 2
    assert "promote needs a BUNDLE written by `apply --staged`, or --from-cluster" in one_error_line(result)


@pytest.mark.parametrize(("case", "expected"), [
    ("no-tool", "np2calico: error: neither calicoctl nor kubectl found on PATH"),
    ("kubectl-without-calico-apiserver",
     "np2calico: error: kubectl cannot apply projectcalico.org/v3 objects"),
    ("calico-absent", "np2calico: error: the Calico API is absent"),
    ("wrong-kind", ":1: error: apply takes projectcalico.org/v3"),
    ("bad-bundle", "not a rollback bundle"),
], ids=["no-tool", "kubectl-without-calico-apiserver", "calico-absent", "wrong-kind", "bad-bundle"])
@pytest.mark.usefixtures("tools")
def test_every_failure_is_one_line_and_exit_2(
    case: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manifests: Path
) -> None:
    groups = {"kubectl-without-calico-apiserver": (CALICO_CRD,), "calico-absent": ()}.get(case, (CALICO_V3,))
    with serve(lab_state(calico_groups=groups)) as state:
        args: list[Any] = ["apply", manifests, "--yes", "--kubeconfig", state.kubeconfig(tmp_path)]
        if case == "no-tool":
            monkeypatch.setenv("PATH", str(tmp_path / "empty"))
        elif case == "kubectl-without-calico-apiserver":
            args += ["--with", "kubectl"]
        elif case == "wrong-kind":
            manifests.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", encoding="utf-8")
        elif case == "bad-bundle":
            args = ["rollback", manifests, "--yes"]
        result = run(*args)
    assert result.exit_code == 2
    assert expected in result.stderr.strip().splitlines()[-1]


def test_an_existing_bundle_is_never_overwritten_and_nothing_is_applied(
    server: FakeApiServer, tools: ToolCalls, manifests: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "undo.yaml"
    bundle.write_text("an older bundle\n", encoding="utf-8")
    result = run("apply", manifests, "--yes", "--bundle", bundle, "--kubeconfig", server.kubeconfig(tmp_path))
    assert result.exit_code == 2
    assert one_error_line(result) == (f"np2calico: error: rollback bundle {bundle} already exists; "
                                      "choose another --bundle path")
    assert tools.calls() == [] and bundle.read_text() == "an older bundle\n"


def test_promote_from_the_cluster_with_nothing_staged(server: FakeApiServer, tools: ToolCalls,
                                                      tmp_path: Path) -> None:
    result = run("promote", "--from-cluster", "--kubeconfig", server.kubeconfig(tmp_path))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "Nothing to change."


def test_promote_warns_and_exits_1_when_staged_objects_are_missing(
    server: FakeApiServer, tools: ToolCalls, manifests: Path, tmp_path: Path
) -> None:
    kubeconfig = server.kubeconfig(tmp_path)
    staged_bundle = tmp_path / "staged.yaml"
    assert run("apply", manifests, "--staged", "--yes", "--bundle", staged_bundle,
               "--kubeconfig", kubeconfig).exit_code == 0
    staged = [yaml.safe_load(c["stdin"]) for c in tools.calls()[1:]]
    kept = [s for s in staged if s.get("kind") == "StagedNetworkPolicy"][:1]
    server.add(CALICO_V3, "stagednetworkpolicies", *kept)  # the other staged policy is gone
    result = run("promote", staged_bundle, "--yes", "--bundle", tmp_path / "promoted.yaml")
    assert result.exit_code == 1, result.stderr
    assert "np2calico: warning: StagedNetworkPolicy default/" in result.stderr
    assert "is not in the cluster" in result.stderr
