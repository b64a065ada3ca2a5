"""The lab walkthrough replayed from its own manifests (samples/lab/workloads: Deployments, Pods and
Services, no pod addresses), at every step of samples/lab/expected.yaml: under both evaluators and
after conversion; the color-api steps also through `svc/default/color-svc:80`, DNS through
`svc/kube-system/kube-dns`."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from translator.convert import ConvertOptions, convert
from translator.errors import Location
from translator.evaluate.calico import CalicoEvaluator
from translator.evaluate.connections import connections_from_item
from translator.evaluate.k8s import K8sEvaluator
from translator.load import load
from translator.model.calico import PolicySet
from translator.model.cluster import Cluster

LAB = Path(__file__).resolve().parents[1] / "samples" / "lab"
EXPECTED = yaml.safe_load((LAB / "expected.yaml").read_text(encoding="utf-8"))["steps"]
# The walkthrough's pods as its manifests name them: the Deployments' pods are their Deployment.
AS_WORKLOADS = {
    "default/color-api-7b9d7c9c7b-lx8tm": "deployment/default/color-api",
    "10.244.0.12": "deployment/default/color-api",
    "10.244.0.2": "deployment/kube-system/coredns",
    "kube-system/coredns-5dd5756b68-7xk2p": "deployment/kube-system/coredns",
}
THROUGH_SERVICES = {
    ("deployment/default/color-api", 80, "TCP"): "svc/default/color-svc:80",
    ("deployment/kube-system/coredns", 53, "UDP"): "svc/kube-system/kube-dns:dns",
    ("deployment/kube-system/coredns", 53, "TCP"): "svc/kube-system/kube-dns:dns-tcp",
}


@cache
def _cluster() -> Cluster:
    return load([str(LAB / "workloads")]).cluster()


def _converted(policies: PolicySet) -> PolicySet:
    return convert(policies.k8s_policies, ConvertOptions()).policy_set


EVALUATORS: dict[str, Callable[[PolicySet, Cluster], Any]] = {
    "k8s": lambda p, c: K8sEvaluator(p.k8s_policies, c),
    "calico": lambda p, c: CalicoEvaluator(p, c),
    "converted": lambda p, c: CalicoEvaluator(_converted(p), c),
}


@cache
def _evaluator(kind: str, step: str) -> Any:
    return EVALUATORS[kind](load([str(LAB / "steps" / step)]).policies, _cluster())


def _cases() -> list[Any]:
    cases = []
    for kind in EVALUATORS:
        for step, items in EXPECTED.items():
            for index, item in enumerate(items):
                cases.append(pytest.param(kind, step, item, id=f"{kind}-{step}-{index}"))
    return cases


@pytest.mark.parametrize(("kind", "step", "item"), _cases())
def test_walkthrough_from_the_manifests(kind: str, step: str, item: dict[str, Any]) -> None:
    moved = {**item, "from": AS_WORKLOADS.get(item["from"], item["from"]),
             "to": AS_WORKLOADS.get(str(item["to"]), item["to"])}
    variants = [moved]
    service = THROUGH_SERVICES.get((moved["to"], item["port"], item["protocol"]))
    if service is not None:
        variants.append({k: v for k, v in moved.items() if k != "port"} | {"to": service})
    for variant in variants:
        connections = connections_from_item(variant, _cluster(), Location("expected.yaml"))
        assert connections
        for conn in connections:
            verdict = _evaluator(kind, step).evaluate(conn)
            assert verdict.word == item["verdict"], f"{variant}: {verdict}"
