"""Plans, bundles, the calicoctl/kubectl runner, and the apply/promote/rollback sequences.

Test doubles: `tests/fake_apiserver.py` (an in-process Kubernetes API server on 127.0.0.1) answers
the reads the plan makes; the stand-in `calicoctl` and `kubectl` executables of `tests/bin` are put
on PATH, record their arguments and stdin, keep the objects they were given in a state file, and
fail on demand (FAKE_TOOL_FAIL_ON). No real cluster or tool is involved.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.fake_apiserver import (
    CALICO_CRD,
    CALICO_V3,
    FakeApiServer,
    ToolCalls,
    lab_state,
    serve,
    use_stand_in_tools,
)
from translator import cluster
from translator.apply import bundle as bundles
from translator.apply import plan as plans
from translator.apply import workflow
from translator.apply.runner import Runner, StepFailed, find_runner
from translator.errors import ClusterError, InputError, UsageError
from translator.resource_diff import ObjectAction

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.timezone.utc)


def policy(name: str, order: float | None, kind: str = "NetworkPolicy", **spec: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if kind in ("NetworkPolicy", "StagedNetworkPolicy"):
        metadata["namespace"] = "default"
    body = {"selector": "app == 'color-api'", "types": ["Ingress"], **spec}
    if order is not None:
        body["order"] = order
    return {"apiVersion": CALICO_V3, "kind": kind, "metadata": metadata, "spec": body}


TIER = {"apiVersion": CALICO_V3, "kind": "Tier", "metadata": {"name": "np2calico"},
        "spec": {"order": 100000, "defaultAction": "Pass"}}
ALLOW = policy("allow-curl", 1000, ingress=[{"action": "Allow", "source": {"selector": "app == 'curl'"}}])
DENY = policy("deny-ingress", 2000, ingress=[{"action": "Deny"}])
ALLOW_DNS = policy("allow-dns", 1000, ingress=[{"action": "Allow", "protocol": "UDP"}])
# convert's order: tier, allows, denies.
CONVERTED = [TIER, ALLOW, DENY]


def key_names(steps: Any) -> list[str]:
    return [f"{s.verb} {s.manifest['kind']}/{s.manifest['metadata']['name']}" for s in steps]


# --- apply order, staged kinds -------------------------------------------------------------------

def test_apply_order_is_tiers_then_policies_by_order_stable_for_ties() -> None:
    mixed = [DENY, policy("no-order", None), ALLOW, TIER, ALLOW_DNS]
    assert [m["metadata"]["name"] for m in plans.apply_order(mixed)] == [
        "np2calico", "allow-curl", "allow-dns", "deny-ingress", "no-order"
    ]


def test_staged_adds_staged_action_and_enforced_removes_it() -> None:
    staged = plans.staged(ALLOW)
    assert staged["kind"] == "StagedNetworkPolicy" and staged["spec"]["stagedAction"] == "Set"
    assert staged["spec"]["ingress"] == ALLOW["spec"]["ingress"]
    assert plans.staged(TIER) == TIER  # a tier is not a policy: applied as it is
    assert plans.staged(policy("g", 5, "GlobalNetworkPolicy"))["kind"] == "StagedGlobalNetworkPolicy"
    assert plans.enforced({**staged, "metadata": {**staged["metadata"], "uid": "u1"}}) == ALLOW


# --- plans ---------------------------------------------------------------------------------------

def test_apply_plan_creates_updates_and_skips_unchanged_objects() -> None:
    existing_deny = {**DENY, "metadata": {**DENY["metadata"], "resourceVersion": "9", "uid": "u"},
                     "spec": {**DENY["spec"], "order": 1500}}
    existing_tier = {**TIER, "metadata": {"name": "np2calico", "resourceVersion": "3"}}
    plan = plans.build_apply_plan(CONVERTED, [existing_deny, existing_tier])
    assert key_names(plan.steps) == ["create NetworkPolicy/allow-curl", "update NetworkPolicy/deny-ingress"]
    assert [str(k) for k in plan.unchanged] == ["Tier.projectcalico.org np2calico"]
    assert plan.steps[1].fields[0].path == "spec.order"
    assert plan.previous == ({**DENY, "spec": {**DENY["spec"], "order": 1500}},)  # server fields gone
    assert plan.created == ({"apiVersion": CALICO_V3, "kind": "NetworkPolicy",
                             "metadata": {"name": "allow-curl", "namespace": "default"}},)
    assert "       ~ spec.order: 1500 -> 2000" in plans.describe(plan)


def test_fields_the_calico_api_server_adds_are_not_a_change() -> None:
    served = {**ALLOW, "metadata": {**ALLOW["metadata"], "labels": {"projectcalico.org/tier": "default"}},
              "spec": {**ALLOW["spec"], "tier": "default"}}
    assert plans.build_apply_plan([ALLOW], [served]).is_empty
    in_other_tier = {**served, "spec": {**served["spec"], "tier": "np2calico"}}
    assert [c.path for c in plans.build_apply_plan([ALLOW], [in_other_tier]).steps[0].fields] == ["spec.tier"]


def test_promote_plan_creates_enforced_then_deletes_staged_and_skips_what_it_cannot_promote() -> None:
    staged = [plans.staged(ALLOW), plans.staged(DENY),
              {**plans.staged(ALLOW_DNS), "spec": {**ALLOW_DNS["spec"], "stagedAction": "Delete"}},
              {"apiVersion": CALICO_V3, "kind": "StagedKubernetesNetworkPolicy",
               "metadata": {"name": "k", "namespace": "default"}, "spec": {"stagedAction": "Set"}}]
    plan = plans.build_promote_plan(staged, [DENY])
    assert key_names(plan.steps) == ["create NetworkPolicy/allow-curl",
                                     "delete StagedNetworkPolicy/allow-curl",
                                     "delete StagedNetworkPolicy/deny-ingress"]
    assert [m["kind"] for m in plan.previous] == ["StagedNetworkPolicy", "StagedNetworkPolicy"]
    assert [m["metadata"]["name"] for m in plan.created] == ["allow-curl"]
    assert len(plan.notes) == 2 and "stagedAction Delete" in plan.notes[0]


def test_rollback_plan_deletes_created_last_first_then_restores_previous() -> None:
    plan = plans.build_rollback_plan([DENY], [plans.identity(TIER), plans.identity(ALLOW)])
    assert key_names(plan.steps) == ["delete NetworkPolicy/allow-curl", "delete Tier/np2calico",
                                     "restore NetworkPolicy/deny-ingress"]
    expected = "Plan: 0 to create, 0 to update, 2 to delete, 1 to restore, 0 unchanged."
    assert plans.describe(plan)[0] == expected


# --- bundles ---------------------------------------------------------------------------------------

def test_bundle_round_trip_and_no_overwrite(tmp_path: Path) -> None:
    plan = plans.build_apply_plan(CONVERTED, [DENY])
    written = bundles.bundle_for(plan, "apply", NOW, tool="kubectl", context="lab")
    path = bundles.default_path(NOW, tmp_path)
    bundles.write(written, path)
    assert path.name == "np2calico-rollback-20261126T120000Z.yaml"
    assert bundles.read(path) == written
    with pytest.raises(UsageError, match="already exists"):
        bundles.write(written, path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


@pytest.mark.parametrize(("text", "message"), [
    ("kind: List\n", r"bundle\.yaml:1:kind: error: not a rollback bundle"),
    ("kind: RollbackBundle\nprevious: {a: 1}\n", r"bundle\.yaml:1:previous: error: expected a list"),
    ("kind: RollbackBundle\ncreated: [{kind: Tier}]\n", r"created\[0\]: error: expected an object"),
    ("kind: [\n", r"bundle\.yaml:1: error: not a YAML rollback bundle"),
], ids=["other-kind", "previous-not-a-list", "object-without-name", "bad-yaml"])
def test_bundle_read_errors_name_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        bundles.read(path)


# --- the runner (stand-in executables) -----------------------------------------------------------

def test_calicoctl_is_preferred_and_gets_the_kubeconfig_through_its_environment(tools: ToolCalls) -> None:
    runner = find_runner(None, "lab", "/k/config")
    assert runner.tool == "calicoctl"
    runner.apply(ALLOW)
    runner.delete(plans.identity(DENY))
    calls = tools.calls()
    assert [c["args"] for c in calls] == [["apply", "-f", "-", "--context", "lab"],
                                         ["delete", "-f", "-", "--skip-not-exists", "--context", "lab"]]
    assert calls[0]["env"] == {"KUBECONFIG": "/k/config", "DATASTORE_TYPE": "kubernetes"}
    assert "name: allow-curl" in calls[0]["stdin"]


def test_kubectl_passes_context_kubeconfig_and_server_dry_run(tools: ToolCalls) -> None:
    runner = find_runner("kubectl", "lab", "/k/config")
    runner.apply(ALLOW, dry_run=True)
    runner.delete(plans.identity(DENY))
    assert [c["args"] for c in tools.calls()] == [
        ["apply", "-f", "-", "--dry-run=server", "--context", "lab", "--kubeconfig", "/k/config"],
        ["delete", "-f", "-", "--ignore-not-found", "--context", "lab", "--kubeconfig", "/k/config"],
    ]


def test_kubectl_is_used_when_calicoctl_is_absent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_stand_in_tools(monkeypatch, tmp_path, tools=("kubectl",))
    assert find_runner(None).tool == "kubectl"
    with pytest.raises(ClusterError, match=r"^calicoctl not found on PATH$"):
        find_runner("calicoctl")


def test_no_tool_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ClusterError, match=r"^neither calicoctl nor kubectl found on PATH$"):
        find_runner(None)


def test_a_failing_tool_reports_its_last_error_line(
    tools: ToolCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_TOOL_FAIL_ON", "allow-curl")
    expected = r"^kubectl apply failed \(exit 1\): Error from server \(Forbidden\)"
    with pytest.raises(ClusterError, match=expected):
        find_runner("kubectl").apply(ALLOW)


# --- whole sequences against the fake API server -------------------------------------------------

def _client(server: FakeApiServer, tmp_path: Path) -> cluster.ClusterClient:
    return cluster.connect(kubeconfig=server.kubeconfig(tmp_path))


def test_an_apply_that_fails_halfway_is_undone_by_its_bundle(
    server: FakeApiServer, tools: ToolCalls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_deny = {**DENY, "spec": {**DENY["spec"], "order": 1500}}
    server.add(CALICO_V3, "networkpolicies", {**old_deny, "metadata": {**DENY["metadata"], "uid": "u9"}})
    tools.seed(old_deny)
    before = tools.objects()
    client = _client(server, tmp_path)
    runner = find_runner("calicoctl")
    plan = workflow.plan_apply(client, [*CONVERTED, policy("deny-egress", 3000)], stage=False)
    assert key_names(plan.steps) == ["create Tier/np2calico", "create NetworkPolicy/allow-curl",
                                     "update NetworkPolicy/deny-ingress", "create NetworkPolicy/deny-egress"]
    monkeypatch.setenv("FAKE_TOOL_FAIL_ON", "deny-ingress")
    progress: list[str] = []
    bundle_path = tmp_path / "undo.yaml"
    with pytest.raises(StepFailed) as failed:
        workflow.execute(plan, runner, "apply", bundle_path, progress.append, NOW)
    assert str(failed.value) == (
        "stopped at step 3 of 4 (update NetworkPolicy.projectcalico.org default/deny-ingress): calicoctl "
        "apply failed (exit 1): Hit error: error with field Metadata.Name = 'deny-ingress' (admission "
        "webhook denied the apply of NetworkPolicy); applied: Tier.projectcalico.org np2calico, "
        "NetworkPolicy.projectcalico.org default/allow-curl; not applied: NetworkPolicy.projectcalico.org "
        "default/deny-ingress, NetworkPolicy.projectcalico.org default/deny-egress; undo with: np2calico "
        f"rollback {bundle_path}"
    )
    assert tools.summary() == [("calicoctl", "apply", "Tier/np2calico"),
                               ("calicoctl", "apply", "NetworkPolicy/allow-curl"),
                               ("calicoctl", "apply", "NetworkPolicy/deny-ingress")]  # nothing after it
    assert progress[0] == f"rollback bundle: {bundle_path}"

    monkeypatch.delenv("FAKE_TOOL_FAIL_ON")
    undo = workflow.plan_rollback(bundles.read(bundle_path))
    workflow.execute(undo, runner, "rollback", None, progress.append)
    assert tools.summary()[3:] == [("calicoctl", "delete", "NetworkPolicy/deny-egress"),  # never created
                                   ("calicoctl", "delete", "NetworkPolicy/allow-curl"),
                                   ("calicoctl", "delete", "Tier/np2calico"),
                                   ("calicoctl", "apply", "NetworkPolicy/deny-ingress")]
    assert tools.objects() == before


def test_staged_apply_then_promote_from_its_bundle(
    server: FakeApiServer, tools: ToolCalls, tmp_path: Path
) -> None:
    client = _client(server, tmp_path)
    runner = find_runner("kubectl")
    staged_plan = workflow.plan_apply(client, CONVERTED, stage=True)
    kinds = [s.manifest["kind"] for s in staged_plan.steps]
    assert kinds == ["Tier", "StagedNetworkPolicy", "StagedNetworkPolicy"]
    first = tmp_path / "staged.yaml"
    workflow.execute(staged_plan, runner, "apply", first, lambda _: None, NOW)
    # What the API server now holds (the stand-in tools do not write to the fake API server).
    server.add(CALICO_V3, "stagednetworkpolicies", *(s.manifest for s in staged_plan.steps[1:]))
    promote_plan = workflow.plan_promote(client, bundles.read(first))
    assert key_names(promote_plan.steps) == [
        "create NetworkPolicy/allow-curl", "create NetworkPolicy/deny-ingress",
        "delete StagedNetworkPolicy/allow-curl", "delete StagedNetworkPolicy/deny-ingress"]
    workflow.execute(promote_plan, runner, "promote", tmp_path / "promoted.yaml", lambda _: None, NOW)
    assert sorted(tools.objects()) == ["NetworkPolicy/default/allow-curl",
                                       "NetworkPolicy/default/deny-ingress", "Tier//np2calico"]
    undo = bundles.read(tmp_path / "promoted.yaml")
    assert [m["kind"] for m in undo.previous] == ["StagedNetworkPolicy", "StagedNetworkPolicy"]


def test_promote_from_the_cluster_finds_every_staged_policy(server: FakeApiServer, tmp_path: Path) -> None:
    server.add(CALICO_V3, "stagedglobalnetworkpolicies", plans.staged(policy("g", 10, "GlobalNetworkPolicy")))
    plan = workflow.plan_promote(_client(server, tmp_path), None)
    assert key_names(plan.steps) == ["create GlobalNetworkPolicy/g", "delete StagedGlobalNetworkPolicy/g"]


def test_kubectl_cannot_write_calico_objects_without_the_calico_api_server(
    tools: ToolCalls, tmp_path: Path
) -> None:
    with serve(lab_state(calico_groups=(CALICO_CRD,))) as state:
        client = cluster.connect(kubeconfig=state.kubeconfig(tmp_path))
        workflow.check_tool(client, find_runner("calicoctl"))  # calicoctl writes the CRDs itself
        with pytest.raises(ClusterError, match=r"kubectl cannot apply projectcalico\.org/v3 objects"):
            workflow.check_tool(client, find_runner("kubectl"))


def test_apply_needs_calico(tools: ToolCalls, tmp_path: Path) -> None:
    with serve(lab_state(calico_groups=())) as state:
        client = cluster.connect(kubeconfig=state.kubeconfig(tmp_path))
        with pytest.raises(ClusterError, match=r"^the Calico API is absent"):
            workflow.check_tool(client, find_runner(None))


def test_dry_run_with_calicoctl_sends_nothing(tools: ToolCalls) -> None:
    said: list[str] = []
    plan = plans.build_apply_plan(CONVERTED, [])
    workflow.dry_run(plan, Runner("calicoctl", "calicoctl"), said.append)
    assert tools.calls() == []
    assert said == ["calicoctl has no server-side dry run: nothing was sent to the cluster"]


def test_only_calico_policies_and_tiers_are_applied(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n---\n"
                    f"apiVersion: {CALICO_V3}\nkind: Tier\nmetadata: {{}}\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        workflow.read_manifests([str(path)])
    assert [str(d) for d in raised.value.diagnostics] == [
        f"{path}:1: error: apply takes projectcalico.org/v3 Tier, GlobalNetworkPolicy, NetworkPolicy, "
        "StagedGlobalNetworkPolicy, StagedNetworkPolicy, StagedKubernetesNetworkPolicy; "
        "not networking.k8s.io/v1 NetworkPolicy",
        f"{path}:2:metadata.name: error: required",
    ]


def test_plan_counts() -> None:
    plan = plans.build_apply_plan(CONVERTED, [])
    assert plan.count(ObjectAction.CREATE) == 3 and not plan.is_empty
    assert plans.describe(plan)[0] == "Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged."


def test_staged_apply_on_a_calico_without_staged_kinds(server: FakeApiServer, tmp_path: Path) -> None:
    server.calico_unserved.add("stagednetworkpolicies")
    with pytest.raises(ClusterError, match=r"does not serve StagedNetworkPolicy .* Calico v3\.30 or later"):
        workflow.plan_apply(_client(server, tmp_path), [ALLOW], stage=True)
