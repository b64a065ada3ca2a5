"""The lab walkthrough, replayed: every connection of samples/lab/expected.yaml, at every step.

Data-driven: one test per (semantics, step, connection). Each semantics builds an evaluator from
the loaded policies and the cluster; the walkthrough's expected verdicts hold for both, since
Calico enforces the lab's Kubernetes policies.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from translator.errors import Location
from translator.evaluate.connections import connection_from_item
from translator.evaluate.k8s import K8sEvaluator
from translator.evaluate.verdict import DecidedBy
from translator.load import load
from translator.model.calico import PolicySet
from translator.model.cluster import Cluster
from translator.render.verdicts import decision_reasons, verdict_text

LAB = Path(__file__).resolve().parents[1] / "samples" / "lab"
EXPECTED = yaml.safe_load((LAB / "expected.yaml").read_text(encoding="utf-8"))["steps"]


def _k8s(policies: PolicySet, cluster: Cluster) -> Any:
    return K8sEvaluator(policies.k8s_policies, cluster)


def _calico(policies: PolicySet, cluster: Cluster) -> Any:
    from translator.evaluate.calico import CalicoEvaluator

    return CalicoEvaluator(policies, cluster)


SEMANTICS: dict[str, Callable[[PolicySet, Cluster], Any]] = {"k8s": _k8s, "calico": _calico}


@cache
def _cluster() -> Cluster:
    return load([str(LAB / "cluster.yaml")]).cluster()


@cache
def _evaluator(semantics: str, step: str) -> Any:
    loaded = load([str(LAB / "steps" / step)])  # raises InputError on any invalid policy
    return SEMANTICS[semantics](loaded.policies, _cluster())


def _cases() -> list[Any]:
    cases = []
    for semantics in SEMANTICS:
        for step, items in EXPECTED.items():
            for index, item in enumerate(items):
                traffic = f"{item['from']}->{item['to']}:{item['protocol']}/{item['port']}"
                name = f"{semantics}-{step}-{index}-{traffic}"
                cases.append(pytest.param(semantics, step, index, item, id=name))
    return cases


@pytest.mark.parametrize(("semantics", "step", "index", "item"), _cases())
def test_walkthrough_verdict(semantics: str, step: str, index: int, item: dict[str, Any]) -> None:
    where = Location("samples/lab/expected.yaml", 1, f"steps.{step}[{index}]")
    conn = connection_from_item(item, _cluster(), where)
    verdict = _evaluator(semantics, step).evaluate(conn)
    assert verdict.word == item["verdict"], verdict_text(verdict)


def test_every_step_folder_has_expectations() -> None:
    steps = sorted(p.name for p in (LAB / "steps").iterdir() if p.is_dir())
    assert steps == sorted(EXPECTED)


def test_final_policies_match_the_last_step() -> None:
    final = load([str(LAB / "policies")]).policies.k8s_policies
    last = load([str(LAB / "steps" / sorted(EXPECTED)[-1])]).policies.k8s_policies
    assert sorted(p.key for p in final) == sorted(p.key for p in last)


def test_dev_namespace_untouched_by_default_deny() -> None:
    """The `default` namespace's default deny does not reach the `dev` namespace."""
    evaluator = _evaluator("k8s", "07-deny-all-egress")
    for target in ("dev/debug", "203.0.113.10"):
        item = {"from": "dev/curl-dev", "to": target, "port": 80}
        verdict = evaluator.evaluate(connection_from_item(item, _cluster(), Location("test")))
        assert verdict.allowed
        assert verdict.egress.decided_by is DecidedBy.NOT_ISOLATED
        assert "not isolated for egress" in decision_reasons(verdict.egress, verdict.connection)[0]
