"""The CLI on cluster state given as workloads: explain and diff name workloads, merge repeated
`--cluster`, warn about an empty state and say what they judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import run_outputs as run

LAB = Path(__file__).resolve().parents[1] / "samples" / "lab"
POLICIES = str(LAB / "policies")
WORKLOADS = str(LAB / "workloads")



def test_explain_names_a_workload_as_one_endpoint() -> None:
    code, out, err = run("explain", POLICIES, "--cluster", WORKLOADS, "--from", "default/curl",
                         "--to", "deployment/default/color-api", "--port", "80")
    assert code == 0
    assert out.splitlines()[0] == "ALLOW  default/curl -> deployment default/color-api TCP/80"
    assert "pod CIDR" not in err  # no ipBlock of the lab holds pod addresses


@pytest.mark.parametrize(("cidr", "note"), [
    ("10.0.0.0/8", "ipBlock 10.0.0.0/8 holds the whole pod CIDR 10.244.0.0/16: workloads are "
                   "judged inside it"),
    ("10.244.255.0/24", "ipBlock 10.244.255.0/24 holds part of the pod CIDR 10.244.0.0/16: its verdict "
                        "for a workload depends on the pod's address"),
], ids=["whole", "part"])
def test_ip_blocks_holding_pod_addresses_say_how_workloads_were_judged(
    tmp_path: Path, cidr: str, note: str
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
                      f"spec: {{podSelector: {{}}, ingress: [{{from: [{{ipBlock: {{cidr: {cidr}}}}}]}}]}}\n")
    code, out, err = run("explain", str(policy), "--cluster", WORKLOADS, "--from", "default/curl",
                         "--to", "deployment/default/color-api", "--port", "80")
    assert code == 0 and out.startswith("ALLOW")  # 10.244.255.254 is inside both blocks
    assert "without an address were each given one from the pod CIDR 10.244.0.0/16 (--pod-cidr)" in err
    assert f"np2calico: note: {note}" in err


def test_traffic_between_two_replicas_is_judged() -> None:
    code, out, _ = run("explain", POLICIES, "--cluster", WORKLOADS, "--from", "deployment default/color-api",
                       "--to", "deployment default/color-api", "--port", "80")
    assert code == 0 and out.startswith("DENY  deployment default/color-api -> deployment default/color-api")


def test_repeated_cluster_options_are_merged(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text((LAB / "workloads" / "color-api.yaml").read_text())
    second.write_text((LAB / "workloads" / "curl.yaml").read_text())
    code, out, _ = run("explain", POLICIES, "--cluster", str(first), "--cluster", str(second),
                       "--from", "default/curl", "--to", "deployment/default/color-api", "--port", "80")
    assert (code, out.split()[0]) == (0, "ALLOW")


def test_diff_on_workloads_says_what_it_judged() -> None:
    code, out, _ = run("diff", POLICIES, "--cluster", WORKLOADS, "--migrate", "--default-deny", "global")
    assert code == 1
    assert out.splitlines()[1] == ("judged: namespace default: 2 pods, 1 workload; namespace dev: 2 pods; "
                                   "namespace kube-system: 1 workload")
    assert "-> deployment kube-system/coredns (svc kube-dns)" in out


def test_an_empty_state_is_a_warning_not_a_confident_answer(tmp_path: Path) -> None:
    state = tmp_path / "ns.yaml"
    state.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n")
    _, out, err = run("diff", POLICIES, "--cluster", str(state), "--migrate", "--default-deny", "global")
    assert "warning: the cluster state holds no pod and no workload" in err
    assert "0 pods in namespace prod" in out
    assert "0 pods in namespace default (its policies judge nothing)" in out


def test_namespace_with_policies_but_no_pods_is_a_warning(tmp_path: Path) -> None:
    state = tmp_path / "dev.yaml"
    state.write_text((LAB / "workloads" / "dev.yaml").read_text())
    _, _, err = run("diff", POLICIES, "--cluster", str(state), "--migrate")
    assert "warning: namespace default has policies but 0 pods in the cluster state" in err


def test_host_network_workloads_are_listed_as_judged_as_their_node(tmp_path: Path) -> None:
    state = tmp_path / "ds.yaml"
    state.write_text("""\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template: {metadata: {labels: {app: agent}}, spec: {hostNetwork: true, containers: [{name: c}]}}
""")
    _, out, _ = run("diff", POLICIES, "--cluster", str(state), "--cluster", WORKLOADS, "--migrate")
    assert "note: host network, judged as their node: daemonset kube-system/agent" in out


def test_bad_pod_cidr_is_a_usage_error() -> None:
    code, _, err = run("explain", POLICIES, "--cluster", WORKLOADS, "--pod-cidr", "10.0.0.1/8",
                       "--from", "default/curl", "--to", "default/curl-two", "--port", "80")
    assert code == 2 and "--pod-cidr '10.0.0.1/8'" in err
