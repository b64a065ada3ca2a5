"""Diffs for the HTML report's tests: the lab's migration, and a generated 50-namespace cluster
whose two policy sets differ both ways (some namespaces lose their default deny, others gain one),
so its matrix has newly denied, newly allowed and mixed cells."""

from __future__ import annotations

import ipaddress
from functools import cache
from pathlib import Path

from translator.convert import convert
from translator.convert.options import ConvertOptions, DefaultDenyOptions
from translator.diff import SemanticDiff, diff_policies
from translator.load import load
from translator.model.calico import PolicySet
from translator.model.cluster import Cluster, ContainerPort, Namespace, Pod
from translator.model.common import Direction, LabelSelector, Protocol
from translator.model.k8s import (
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    normalise,
)

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "samples" / "lab"
LAB_MIGRATION = (str(LAB / "policies"), "--cluster", str(LAB / "cluster.yaml"), "--migrate",
                 "--default-deny", "global")
APPS = ("web", "api", "db")


@cache
def lab_migration() -> tuple[SemanticDiff, Cluster]:
    policies = load([str(LAB / "policies")]).policies
    cluster = load([str(LAB / "cluster.yaml")]).cluster()
    after = convert(policies.k8s_policies, ConvertOptions(default_deny=DefaultDenyOptions())).policy_set
    return diff_policies(policies, after, cluster), cluster


def _cluster(namespaces: int) -> Cluster:
    pods = []
    for n in range(namespaces):
        for i, app in enumerate(APPS):
            ip = ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.2.0.0")) + n * 16 + i)
            ports = (ContainerPort(8080, Protocol.TCP, "http"),) if app == "web" else ()
            pods.append(Pod(f"ns-{n:02}", f"{app}-0", {"app": app}, (ip,), ports))
    names = [Namespace.create(f"ns-{n:02}", {"team": f"t{n % 4}"}) for n in range(namespaces)]
    return Cluster.build(names, pods)


def _deny_all(namespace: str) -> NetworkPolicy:
    return NetworkPolicy(namespace, "default-deny", LabelSelector(), (Direction.INGRESS, Direction.EGRESS))


def _web_from_team(namespace: str, team: int) -> NetworkPolicy:
    peer = NetworkPolicyPeer(namespace_selector=LabelSelector.of({"team": f"t{team}"}))
    return NetworkPolicy(namespace, "web-from-team", LabelSelector.of({"app": "web"}), (Direction.INGRESS,),
                         (NetworkPolicyRule((NetworkPolicyPort(Protocol.TCP, "http"),), (peer,)),))


def _side(namespaces: int, deny_every: int, team: int) -> PolicySet:
    policies = []
    for n in range(namespaces):
        if n % deny_every == 0:
            policies.append(_deny_all(f"ns-{n:02}"))
        if n % 3 == 0:
            policies.append(_web_from_team(f"ns-{n:02}", (n + team) % 4))
    return PolicySet(k8s_policies=tuple(normalise(p) for p in policies))


@cache
def fifty_namespaces() -> tuple[SemanticDiff, Cluster]:
    cluster = _cluster(50)
    return diff_policies(_side(50, 5, 0), _side(50, 7, 1), cluster), cluster
