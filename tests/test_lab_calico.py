"""The lab under Calico semantics: its Kubernetes policies, enforced the way Calico enforces them.

- Every connection of samples/lab/expected.yaml gets the walkthrough's verdict from the Calico
  evaluator, at every step.
- At every step, for every lab connection (expected.yaml and connections.yaml), the Calico and
  Kubernetes evaluators agree direction by direction wherever Kubernetes judges (a pod side).
- `np2calico explain --semantics calico` (and the automatic choice when Calico policies are in
  the input) names tiers, policies, rules, end of tier, profiles and host endpoints.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.builders import CALICO_DOCS_DEFAULT_DENY, run_outputs
from tests.schema_helper import validate_output
from translator.errors import Location
from translator.evaluate.calico import CalicoEvaluator
from translator.evaluate.connections import connection_from_item
from translator.evaluate.k8s import K8sEvaluator
from translator.load import load
from translator.model.calico import PolicySet
from translator.model.cluster import Cluster, Connection, Pod
from translator.render.verdicts import verdict_text

LAB = Path(__file__).resolve().parents[1] / "samples" / "lab"
EXPECTED: dict[str, list[dict[str, Any]]] = yaml.safe_load((LAB / "expected.yaml").read_text())["steps"]
BATCH: list[dict[str, Any]] = yaml.safe_load((LAB / "connections.yaml").read_text())
STEPS = sorted(p.name for p in (LAB / "steps").iterdir() if p.is_dir())
POLICIES = str(LAB / "policies")
CLUSTER_FILE = str(LAB / "cluster.yaml")
COLOR_API = "default/color-api-7b9d7c9c7b-lx8tm"


@cache
def lab_cluster() -> Cluster:
    loaded = load([CLUSTER_FILE])
    loaded.raise_if_errors()
    return loaded.cluster()


@cache
def step_policies(step: str) -> PolicySet:
    loaded = load([str(LAB / "steps" / step)])
    loaded.raise_if_errors()
    return loaded.policies


@cache
def evaluators(step: str) -> tuple[K8sEvaluator, CalicoEvaluator]:
    policies = step_policies(step)
    return K8sEvaluator(policies.k8s_policies, lab_cluster()), CalicoEvaluator(policies, lab_cluster())


def connection(item: dict[str, Any], where: str) -> Connection:
    return connection_from_item(item, lab_cluster(), Location(where))


def traffic(item: dict[str, Any]) -> str:
    return f"{item['from']}->{item['to']}:{item['protocol']}/{item['port']}"


EXPECTED_CASES = [
    pytest.param(step, item, id=f"{step}-{index}-{traffic(item)}")
    for step, items in EXPECTED.items()
    for index, item in enumerate(items)
]


@pytest.mark.parametrize(("step", "item"), EXPECTED_CASES)
def test_walkthrough_verdict_under_calico(step: str, item: dict[str, Any]) -> None:
    verdict = evaluators(step)[1].evaluate(connection(item, f"expected.yaml:{step}"))
    assert verdict.word == item["verdict"], verdict_text(verdict)


def _all_lab_connections() -> list[dict[str, Any]]:
    unique: dict[str, dict[str, Any]] = {}
    for item in [*BATCH, *(i for items in EXPECTED.values() for i in items)]:
        unique.setdefault(traffic(item), {k: item[k] for k in ("from", "to", "port", "protocol")})
    return list(unique.values())


@pytest.mark.parametrize("step", STEPS)
def test_calico_agrees_with_k8s_at_every_pod_side(step: str) -> None:
    k8s_evaluator, calico_evaluator = evaluators(step)
    for item in _all_lab_connections():
        conn = connection(item, f"lab:{step}")
        expected, actual = k8s_evaluator.evaluate(conn), calico_evaluator.evaluate(conn)
        if isinstance(conn.source, Pod):
            assert actual.egress.allowed == expected.egress.allowed, verdict_text(actual)
        if isinstance(conn.destination, Pod):
            assert actual.ingress.allowed == expected.ingress.allowed, verdict_text(actual)


@pytest.mark.parametrize(
    "options", [{"tie_break": "v3.31"}, {"preview_staged": True}], ids=["v3.31", "preview"]
)
def test_lab_verdicts_do_not_depend_on_tie_break_or_preview(options: dict[str, Any]) -> None:
    policies = step_policies("10-ipblock-egress")
    default, other = (
        CalicoEvaluator(policies, lab_cluster()),
        CalicoEvaluator(policies, lab_cluster(), **options),
    )
    for item in _all_lab_connections():
        conn = connection(item, "lab")
        assert default.evaluate(conn) == other.evaluate(conn)


# --- np2calico explain --semantics calico ----------------------------------------------------------

def explain(*args: str) -> tuple[int, str, str]:
    return run_outputs("explain", *args)


def single(
    policies: list[str], source: str, destination: str, port: str, *extra: str
) -> tuple[int, str, str]:
    return explain(
        *policies, "--cluster", CLUSTER_FILE, "--from", source, "--to", destination, "--port", port, *extra
    )


def test_cli_calico_allow_names_tier_policy_and_rule() -> None:
    code, out, err = single([POLICIES], "default/curl", COLOR_API, "80", "--semantics", "calico")
    assert code == 0, err
    assert out.startswith(f"ALLOW  default/curl -> {COLOR_API} TCP/80")
    assert "KubernetesNetworkPolicy/default/allow-curl-to-color-api ingress rule 0" in out
    assert "tier default" in out


def test_cli_calico_deny_is_end_of_tier() -> None:
    code, out, err = single([POLICIES], "default/curl-two", COLOR_API, "80", "--semantics", "calico")
    assert code == 0, err
    assert out.startswith("DENY")
    assert "end of tier default" in out


def test_cli_calico_pod_without_policy_is_no_policy_applies() -> None:
    code, out, err = single([POLICIES], "dev/curl-dev", "dev/debug", "80", "--semantics", "calico")
    assert code == 0, err
    assert out.startswith("ALLOW") and "no policy applies" in out and "profile kns.dev" in out


def test_cli_batch_calico_equals_k8s_on_the_lab() -> None:
    batch = str(LAB / "connections.yaml")
    verdicts = {}
    for semantics in ("k8s", "calico"):
        code, out, err = explain(
            POLICIES,
            "--cluster",
            CLUSTER_FILE,
            "--connections",
            batch,
            "-o",
            "json",
            "--semantics",
            semantics,
        )
        assert code == 0, err
        verdicts[semantics] = [v["verdict"] for v in validate_output(out)["verdicts"]]
    assert verdicts["calico"] == verdicts["k8s"]
    assert len(verdicts["calico"]) == len(BATCH)


def test_cli_json_calico_decision_fields() -> None:
    code, out, err = single(
        [POLICIES], "default/curl", COLOR_API, "80", "--semantics", "calico", "-o", "json"
    )
    assert code == 0, err
    ingress = validate_output(out)["verdicts"][0]["ingress"]
    assert (ingress["tier"], ingress["policy"], ingress["rule"], ingress["action"]) == (
        "default",
        "KubernetesNetworkPolicy/default/allow-curl-to-color-api",
        0,
        "Allow",
    )


@pytest.mark.parametrize("tie_break", ["v3.31", "v3.32"])
def test_cli_tie_break_accepted_with_calico(tie_break: str) -> None:
    code, out, err = single(
        [POLICIES], "default/curl", COLOR_API, "80", "--semantics", "calico", "--tie-break", tie_break
    )
    assert code == 0, err
    assert out.startswith("ALLOW")


@pytest.fixture
def default_deny(tmp_path: Path) -> str:
    path = tmp_path / "default-deny.yaml"
    path.write_text(CALICO_DOCS_DEFAULT_DENY)
    return str(path)


def test_cli_calico_is_the_default_with_calico_policies(default_deny: str) -> None:
    code, out, err = single([POLICIES, default_deny], "dev/debug", COLOR_API, "80")
    assert code == 0, err
    assert out.startswith("DENY")
    # dev had no policy: now the global default deny isolates it (end of tier default at egress).
    assert "GlobalNetworkPolicy/deny-app-policy" in out and "end of tier default" in out


def test_cli_calico_global_deny_keeps_dns_open(default_deny: str) -> None:
    code, out, err = single(
        [POLICIES, default_deny],
        "dev/debug",
        "kube-system/coredns-5dd5756b68-7xk2p",
        "53",
        "--protocol",
        "UDP",
    )
    assert code == 0, err
    assert out.startswith("ALLOW")
    assert "GlobalNetworkPolicy/deny-app-policy egress rule 0" in out


STAGED_DENY = """\
apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata:
  name: staged-deny
spec:
  stagedAction: Set
  order: 1
  selector: app == 'color-api'
  types: [Ingress]
  ingress:
  - action: Deny
"""


@pytest.mark.parametrize(
    ("flags", "word"), [((), "ALLOW"), (("--preview-staged",), "DENY")], ids=["enforced", "preview"]
)
def test_cli_preview_staged(tmp_path: Path, flags: tuple[str, ...], word: str) -> None:
    staged = tmp_path / "staged.yaml"
    staged.write_text(STAGED_DENY)
    code, out, err = single(
        [POLICIES, str(staged)], "default/curl", COLOR_API, "80", "--semantics", "calico", *flags
    )
    assert code == 0, err
    assert out.startswith(word), out


HOST_ENDPOINTS = """\
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: node1-eth0
  labels: {role: node}
spec:
  node: node1
  interfaceName: eth0
  expectedIPs: [192.168.49.2]
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: node1-auto
  labels: {role: node}
spec:
  node: node1
  interfaceName: "*"
  expectedIPs: [192.168.49.3]
  profiles: [projectcalico-default-allow]
"""


@pytest.fixture
def cluster_with_heps(tmp_path: Path) -> str:
    path = tmp_path / "cluster.yaml"
    path.write_text((LAB / "cluster.yaml").read_text() + "\n---\n" + HOST_ENDPOINTS)
    return str(path)


@pytest.mark.parametrize(
    ("destination", "word", "why"),
    [
        ("hep:node1-eth0", "DENY", "no policy applies"),
        ("192.168.49.2", "DENY", "no policy applies"),
        ("hep:node1-auto", "ALLOW", "profile projectcalico-default-allow"),
    ],
    ids=["hep-without-profile", "hep-by-ip", "hep-default-allow"],
)
def test_cli_calico_host_endpoints(cluster_with_heps: str, destination: str, word: str, why: str) -> None:
    code, out, err = explain(
        POLICIES,
        "--cluster",
        cluster_with_heps,
        "--from",
        "dev/debug",
        "--to",
        destination,
        "--port",
        "22",
        "--semantics",
        "calico",
    )
    assert code == 0, err
    assert out.startswith(word) and why in out, out
