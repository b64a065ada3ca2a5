"""`np2calico verify` through the CLI: exit codes, JSON, and witnesses replayed by `explain`."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.builders import run
from tests.schema_helper import validate_output

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "samples" / "lab"
POLICIES = str(LAB / "policies")


@pytest.fixture
def converted(tmp_path: Path) -> Path:
    out = tmp_path / "calico.yaml"
    result = run("convert", POLICIES, "--output-file", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_lab_conversion_differs_from_calicos_enforcement_only_for_namespace_spoofing_pods(
    converted: Path,
) -> None:
    """Calico enforces a Kubernetes namespaceSelector on `pcns.` labels a pod may override; the
    conversion names namespaces on `projectcalico.org/namespace`, which it cannot (issue 9 item 1).
    So the witness is a pod claiming another namespace through a `pcns.` label of its own."""
    result = run("verify", POLICIES, str(converted))
    assert result.exit_code == 1, result.output
    assert "pcns.kubernetes.io/metadata.name" in result.stdout


def test_lab_conversion_is_equivalent_for_pods_without_pcns_labels(converted: Path) -> None:
    result = run("verify", POLICIES, str(converted), "--no-pcns-labels")
    assert result.exit_code == 0, result.output
    assert "Equivalent for every possible pod" in result.stdout
    assert "no pcns.* label of their own" in result.stdout
    assert "named by the policies: default; and any other" in result.stdout


def test_lab_conversion_is_equivalent_for_every_pod_with_kubernetes_names(converted: Path) -> None:
    """What `convert --verify` proves, by hand: no pcns.* restriction needed."""
    result = run("verify", POLICIES, str(converted), "--kubernetes-names")
    assert result.exit_code == 0, result.output
    assert "pcns.* overrides included" in result.stdout
    assert "kubernetes.io/metadata.name terms name the pod's real" in result.stdout


def test_kubernetes_names_needs_kubernetes_policies_in_a(converted: Path) -> None:
    result = run("verify", str(converted), POLICIES, "--kubernetes-names")
    assert result.exit_code == 2, result.output
    assert "Kubernetes NetworkPolicies only" in result.output


def _mutated(converted: Path, tmp_path: Path) -> Path:
    """The lab's conversion with the DNS egress rule's port changed (53 -> 54)."""
    text = converted.read_text(encoding="utf-8")
    assert "- 53\n" in text
    mutated = tmp_path / "mutated.yaml"
    mutated.write_text(text.replace("- 53\n", "- 54\n", 1), encoding="utf-8")
    return mutated


def test_witness_reproduces_through_explain(converted: Path, tmp_path: Path) -> None:
    mutated = _mutated(converted, tmp_path)
    witness = tmp_path / "witness.yaml"
    result = run("verify", POLICIES, str(mutated), "--witness", str(witness), "-o", "json")
    assert result.exit_code == 1, result.output
    document = validate_output(result.stdout)
    assert document["equivalent"] is False
    found = document["witness"]
    assert {o["kind"] for o in found["objects"]} <= {"Namespace", "Pod"}
    assert set(found["connection"]) == {"from", "to", "port", "protocol"}
    verdicts = found["verdicts"]
    assert verdicts["a"]["verdict"] != verdicts["b"]["verdict"]
    for side, command in zip(("a", "b"), found["reproduce"], strict=True):
        words = shlex.split(command)
        assert words[:2] == ["np2calico", "explain"]
        replay = run(*words[1:], "-o", "json")
        assert replay.exit_code == 0, replay.output
        (verdict,) = validate_output(replay.stdout)["verdicts"]
        assert verdict["verdict"] == verdicts[side]["verdict"]
        assert verdict["egress"]["policy"] == verdicts[side]["egress"]["policy"]
        assert verdict["ingress"]["policy"] == verdicts[side]["ingress"]["policy"]


def test_text_witness_names_manifests_and_commands(converted: Path, tmp_path: Path) -> None:
    result = run("verify", POLICIES, str(_mutated(converted, tmp_path)))
    assert result.exit_code == 1, result.output
    assert "Not equivalent" in result.stdout
    assert "kind: Pod" in result.stdout and "Reproduce:" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((POLICIES,), "two policy sets"),
        (("-", "-"), "only one of A and B"),
        ((POLICIES, "/nonexistent/policies.yaml"), "nonexistent"),
    ],
)
def test_bad_input_exits_2(args: tuple[str, ...], message: str) -> None:
    result = run("verify", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_invalid_policy_names_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\n"
                   "spec: {selector: 'app ==', types: [Ingress]}\n", encoding="utf-8")
    result = run("verify", POLICIES, str(bad))
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "selector" in result.output


def test_convert_verify_writes_a_proven_output(tmp_path: Path) -> None:
    out = tmp_path / "calico.yaml"
    result = run("convert", POLICIES, "--verify", "--output-file", str(out))
    assert result.exit_code == 0, result.output
    assert "np2calico: verified (" in result.output
    assert "for every possible pod (pcns.* labels of its own included)" in result.output
    assert "kubernetes.io/metadata.name terms name the pod's real namespace" in result.output
    assert out.read_text(encoding="utf-8").startswith(("apiVersion", "---", "#"))


def test_convert_verify_proves_the_default_deny_promise(tmp_path: Path) -> None:
    out = tmp_path / "calico.yaml"
    result = run("convert", POLICIES, "--verify", "--default-deny", "global", "--dns-ip", "169.254.20.10",
                 "--allow-apiserver", "192.0.2.0/24:6443", "--output-file", str(out))
    assert result.exit_code == 0, result.output
    assert "np2calico: verified (" in result.output
    assert "under the default deny as promised" in result.output
    assert out.exists()


def test_convert_verify_proves_allow_apiserver_by_service() -> None:
    """`--allow-apiserver` alone allows the endpoints of svc default/kubernetes: proven for every
    possible endpoint set of the Service."""
    result = run("convert", POLICIES, "--verify", "--default-deny", "global", "--allow-apiserver")
    assert result.exit_code == 0, result.output
    assert "np2calico: verified" in result.output
    assert "for every possible endpoint set of svc default/kubernetes" in result.output


def test_convert_verify_refuses_a_default_deny_that_breaks_its_promise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A converter defect in the migration (here: the default deny's DNS exception lost) is caught."""
    import dataclasses

    import translator.convert as conversion

    real = conversion.convert

    def without_dns(*args: object, **kwargs: object) -> conversion.ConversionResult:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        deny = next(p for p in result.policies if p.name == "np2calico-default-deny")
        broken = dataclasses.replace(deny, spec=dataclasses.replace(deny.spec, egress=deny.spec.egress[1:]))
        policies = tuple(broken if p is deny else p for p in result.policies)
        return dataclasses.replace(result, policies=policies)

    monkeypatch.setattr(conversion, "convert", without_dns)
    out = tmp_path / "calico.yaml"
    result = run("convert", POLICIES, "--verify", "--default-deny", "global", "--output-file", str(out))
    assert result.exit_code == 1, result.output
    assert "NOT what the default deny promises" in result.output
    assert not out.exists()


def test_convert_verify_refuses_to_write_a_wrong_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A converter defect (here: the first policy of the output lost) is caught before writing."""
    import dataclasses

    import translator.convert as conversion

    real = conversion.convert

    def losing_one(*args: object, **kwargs: object) -> conversion.ConversionResult:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        return dataclasses.replace(result, policies=result.policies[1:])

    monkeypatch.setattr(conversion, "convert", losing_one)
    out = tmp_path / "calico.yaml"
    result = run("convert", POLICIES, "--verify", "--output-file", str(out))
    assert result.exit_code == 1, result.output
    assert "NOT equivalent" in result.output and "Reproduce:" in result.output
    assert not out.exists()


HOST_INPUT = """apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node-1-eth0, labels: {role: node}}
spec: {node: node-1, interfaceName: eth0, expectedIPs: [192.0.2.10], profiles: [projectcalico-default-allow]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: ssh-only}
spec:
  selector: role == 'node' && !has(projectcalico.org/orchestrator)
  types: [Ingress]
  ingress:
  - {action: Allow, protocol: TCP, destination: {ports: [PORT]}}
"""


def _host_inputs(tmp_path: Path, port_a: int, port_b: int) -> tuple[str, str]:
    paths = []
    for name, port in (("a.yaml", port_a), ("b.yaml", port_b)):
        path = tmp_path / name
        path.write_text(HOST_INPUT.replace("PORT", str(port)), encoding="utf-8")
        paths.append(str(path))
    return paths[0], paths[1]


def test_host_endpoints_of_the_inputs_are_judged_and_their_witness_replays(tmp_path: Path) -> None:
    """A policy selecting only host endpoints: the difference is at the inputs' host endpoint,
    whose manifest the witness carries and whose address names it for explain."""
    a, b = _host_inputs(tmp_path, 22, 2222)
    witness = tmp_path / "witness.yaml"
    result = run("verify", a, b, "--witness", str(witness), "-o", "json")
    assert result.exit_code == 1, result.output
    document = validate_output(result.stdout)
    found = document["witness"]
    assert "HostEndpoint" in {o["kind"] for o in found["objects"]}
    assert "192.0.2.10" in (found["connection"]["from"], found["connection"]["to"])
    assert document["covered"]["host_endpoints"] == ["node-1-eth0"]
    for side, command in zip(("a", "b"), found["reproduce"], strict=True):
        replay = run(*shlex.split(command)[1:], "-o", "json")
        assert replay.exit_code == 0, replay.output
        (verdict,) = validate_output(replay.stdout)["verdicts"]
        assert verdict["verdict"] == found["verdicts"][side]["verdict"]


def test_equivalent_with_host_endpoints_says_which(tmp_path: Path) -> None:
    a, b = _host_inputs(tmp_path, 22, 22)
    result = run("verify", a, b)
    assert result.exit_code == 0, result.output
    assert "the host endpoints node-1-eth0" in result.stdout
    assert "host endpoints: node-1-eth0 (from the inputs" in result.stdout


def test_a_host_endpoint_defined_differently_in_a_and_b_is_refused(tmp_path: Path) -> None:
    a, b = _host_inputs(tmp_path, 22, 22)
    moved = Path(b).read_text(encoding="utf-8").replace("192.0.2.10", "192.0.2.11")
    Path(b).write_text(moved, encoding="utf-8")
    result = run("verify", a, b)
    assert result.exit_code == 2, result.output
    assert "HostEndpoint node-1-eth0 is defined differently in A, B or --cluster" in result.output


def test_host_endpoints_of_the_cluster_state_are_judged_too(tmp_path: Path) -> None:
    """A HostEndpoint given with --cluster (cluster state, like network sets) is an endpoint too."""
    a, b = _host_inputs(tmp_path, 22, 2222)
    hep = Path(a).read_text(encoding="utf-8").split("---\n")[0]
    state = tmp_path / "state.yaml"
    state.write_text(hep, encoding="utf-8")
    for path in (a, b):
        Path(path).write_text(Path(path).read_text(encoding="utf-8").split("---\n")[1], encoding="utf-8")
    assert "HostEndpoint" not in Path(a).read_text(encoding="utf-8")
    without = run("verify", a, b)
    assert without.exit_code == 0, without.output
    result = run("verify", a, b, "--cluster", str(state), "-o", "json")
    assert result.exit_code == 1, result.output
    document = validate_output(result.stdout)
    assert document["covered"]["host_endpoints"] == ["node-1-eth0"]
    assert "192.0.2.10" in document["witness"]["connection"].values()
