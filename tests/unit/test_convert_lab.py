"""The lab, exhaustively: every pod pair and outside address, on the ports the lab uses, gets the same
verdict from the converted Calico policies as from the Kubernetes policies — in every placement."""

from __future__ import annotations

import ipaddress
from itertools import product
from pathlib import Path

import pytest

from translator.convert import ConvertOptions, DefaultDenyOptions, Target, convert
from translator.evaluate.calico import CalicoEvaluator
from translator.evaluate.k8s import K8sEvaluator
from translator.load import load
from translator.model.calico import Action, PolicySet
from translator.model.cluster import Cluster, Connection, Endpoint, Pod
from translator.model.common import Protocol

LAB = Path(__file__).resolve().parents[2] / "samples" / "lab"
OUTSIDE = (ipaddress.ip_address("203.0.113.7"), ipaddress.ip_address("198.51.100.1"))
PORTS = (53, 80, 443, 8080)


@pytest.fixture(scope="module")
def lab() -> tuple[tuple, Cluster]:
    policies = load([str(LAB / "policies")]).policies.k8s_policies
    return policies, load([str(LAB / "cluster.yaml")]).cluster()


def lab_connections(cluster: Cluster) -> list[Connection]:
    endpoints: list[Endpoint] = [*cluster.pods, *OUTSIDE]
    return [
        Connection(source, destination, protocol, port)
        for source, destination in product(endpoints, repeat=2)
        if isinstance(source, Pod) or isinstance(destination, Pod)
        for protocol, port in product((Protocol.TCP, Protocol.UDP), PORTS)
    ]


PLACEMENTS = [
    ConvertOptions(target=target, tier=tier, tier_default_action=action, staged=staged)
    for target in Target
    for tier, action in ((None, Action.DENY), ("np2calico", Action.PASS), ("np2calico", Action.DENY))
    for staged in (False, True)
]


def placement_id(options: ConvertOptions) -> str:
    staging = "staged" if options.staged else "enforced"
    return f"{options.target.value}-{options.tier or 'default'}-{options.tier_default_action.value}-{staging}"


@pytest.mark.parametrize("options", PLACEMENTS, ids=placement_id)
@pytest.mark.parametrize("with_originals", [False, True], ids=["alone", "with-originals"])
def test_lab_conversion_is_equivalent(
    lab: tuple[tuple, Cluster], options: ConvertOptions, with_originals: bool
) -> None:
    policies, cluster = lab
    result = convert(policies, options)
    originals = PolicySet(k8s_policies=policies) if with_originals else PolicySet()
    calico = CalicoEvaluator(originals.merged(result.policy_set), cluster, preview_staged=options.staged)
    k8s = K8sEvaluator(policies, cluster)
    connections = lab_connections(cluster)
    differences = [str(c) for c in connections if calico.evaluate(c).allowed != k8s.evaluate(c).allowed]
    assert not differences
    assert sum(k8s.evaluate(c).allowed for c in connections) not in (0, len(connections))


def test_lab_default_deny_isolates_dev_and_keeps_dns(lab: tuple[tuple, Cluster]) -> None:
    """What the migration promises on the lab: `dev` becomes isolated; DNS stays open everywhere."""
    policies, cluster = lab
    result = convert(policies, ConvertOptions(default_deny=DefaultDenyOptions.build()))
    calico = CalicoEvaluator(result.policy_set, cluster)
    curl_dev = cluster.pod("dev/curl-dev")
    coredns = next(p for p in cluster.pods if p.labels.get("k8s-app") == "kube-dns")
    assert curl_dev is not None
    assert not calico.evaluate(Connection(curl_dev, OUTSIDE[0], Protocol.TCP, 443)).allowed
    for pod in cluster.pods:
        if pod.namespace != "kube-system":
            for protocol in (Protocol.UDP, Protocol.TCP):
                assert calico.evaluate(Connection(pod, coredns, protocol, 53)).allowed, pod
