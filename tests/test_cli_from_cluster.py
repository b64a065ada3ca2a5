"""`--from-cluster` on validate, explain, convert and diff, against the fake API server.

Test double: `tests/fake_apiserver.py` serves the lab cluster (namespaces, pods, one default-deny
ingress NetworkPolicy, a Calico tier) on 127.0.0.1, as a real API server would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import run
from tests.fake_apiserver import lab_state, serve
from tests.schema_helper import validate_output

CURL_TO_COLOR_API = ["--from", "default/curl", "--to", "default/color-api-7b9d7c9c7b-lx8tm", "--port", "80"]


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Iterator[Path]:
    with serve(lab_state()) as state:
        yield state.kubeconfig(tmp_path)


def test_validate_reads_the_cluster(kubeconfig: Path) -> None:
    result = run("validate", "--from-cluster", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "10 documents valid"


def test_validate_needs_paths_or_the_cluster_but_not_both(kubeconfig: Path) -> None:
    assert run("validate").exit_code == 2
    both = run("validate", "samples/lab/policies", "--from-cluster", "--kubeconfig", kubeconfig)
    assert both.exit_code == 2
    assert "exactly one" in both.stderr


def test_explain_judges_with_the_cluster_policies_and_state(kubeconfig: Path) -> None:
    result = run("explain", "--from-cluster", "--kubeconfig", kubeconfig, *CURL_TO_COLOR_API, "-o", "json")
    assert result.exit_code == 0, result.stderr
    [verdict] = validate_output(result.stdout)["verdicts"]
    # The cluster holds deny-all-ingress in `default` (and a Calico tier, so Calico semantics).
    assert verdict["verdict"] == "deny"
    assert verdict["ingress"]["allowed"] is False


def test_explain_with_policy_files_and_the_cluster_state(kubeconfig: Path) -> None:
    result = run("explain", "samples/lab/steps/02-allow-curl", "--from-cluster", "--kubeconfig", kubeconfig,
                 *CURL_TO_COLOR_API, "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert validate_output(result.stdout)["verdicts"][0]["verdict"] == "allow"


def test_explain_refuses_both_cluster_sources(kubeconfig: Path) -> None:
    result = run("explain", "samples/lab/policies", "--cluster", "samples/lab/cluster.yaml",
                 "--from-cluster", "--kubeconfig", kubeconfig, *CURL_TO_COLOR_API)
    assert result.exit_code == 2
    assert "exactly one of --cluster STATE and --from-cluster" in result.stderr


def test_an_unreachable_cluster_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with serve(lab_state()) as state:
        config = state.kubeconfig(tmp_path)
    result = run("validate", "--from-cluster", "--kubeconfig", config)
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("np2calico: error: cannot reach the Kubernetes API server")


def test_diff_migrates_the_cluster_policies_on_the_cluster_state(kubeconfig: Path) -> None:
    plain = run("diff", "--from-cluster", "--kubeconfig", kubeconfig, "--migrate", "-o", "json")
    assert plain.exit_code == 0, plain.stderr + plain.stdout
    migrated = run("diff", "--from-cluster", "--kubeconfig", kubeconfig, "--migrate",
                   "--default-deny", "global", "-o", "json")
    assert migrated.exit_code == 1, migrated.stderr
    assert "dev" in migrated.stdout  # the dev namespace has no policy and becomes isolated


def test_diff_of_the_cluster_against_proposed_policies(kubeconfig: Path) -> None:
    # BEFORE is the cluster (deny-all-ingress only); AFTER adds the curl -> color-api allow.
    result = run("diff", "--from-cluster", "--kubeconfig", kubeconfig, "samples/lab/steps/02-allow-curl",
                 "-o", "json")
    assert result.exit_code == 1, result.stderr
    assert "color-api" in result.stdout
