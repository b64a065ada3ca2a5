"""A pod controls its own labels: it must not be able to change which namespace the output thinks
it is in (issue 9 item 1).

Felix evaluates a `namespaceSelector` on the `pcns.` labels an endpoint inherits from its namespace
profile, and an endpoint's own labels win over inherited ones (felix/labelindex/
label_inheritance_index.go); pod labels are copied verbatim onto the endpoint, and only then does
Calico write `projectcalico.org/namespace`, `projectcalico.org/orchestrator` and
`projectcalico.org/serviceaccount` (libcalico-go/lib/backend/k8s/conversion/
workload_endpoint_default.go). So the output names a namespace by `projectcalico.org/namespace`.
"""

from __future__ import annotations

import ipaddress

import pytest

from translator.convert import ConvertOptions, DefaultDenyOptions, Target, convert
from translator.evaluate.calico import CalicoEvaluator
from translator.evaluate.k8s import K8sEvaluator
from translator.model.calico import PolicySet
from translator.model.cluster import Cluster, Connection, ContainerPort, Namespace, Pod
from translator.model.common import LabelSelector, Protocol
from translator.model.k8s import (
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyRule,
    normalise,
)

SPOOF = "pcns.projectcalico.org/name"
TARGETS = pytest.mark.parametrize("target", list(Target))


def _pod(ns: str, name: str, labels: dict[str, str], ip: str, *ports: ContainerPort) -> Pod:
    return Pod(ns, name, labels, (ipaddress.ip_address(ip),), ports)


DB = _pod("prod", "db", {"app": "db"}, "10.0.0.1")
API = _pod("prod", "api", {"app": "api"}, "10.0.0.2")
DEV_SPOOF = _pod("dev", "spoof", {"app": "api", SPOOF: "prod"}, "10.0.0.3")
DEV_SPOOF_BY_K8S_NAME = _pod(
    "dev", "spoof2", {"app": "api", "pcns.kubernetes.io/metadata.name": "prod"}, "10.0.0.4"
)
CLUSTER = Cluster.build(
    [Namespace.create("prod"), Namespace.create("dev")], [DB, API, DEV_SPOOF, DEV_SPOOF_BY_K8S_NAME]
)


def _db_policy(peer: NetworkPolicyPeer) -> NetworkPolicy:
    rule = NetworkPolicyRule(peers=(peer,))
    return normalise(NetworkPolicy("prod", "db", LabelSelector.of({"app": "db"}), None, ingress=(rule,)))


def _both(policies: tuple[NetworkPolicy, ...], options: ConvertOptions, cluster: Cluster, conn: Connection):
    output = convert(policies, options).policy_set
    return K8sEvaluator(policies, cluster).evaluate(conn), CalicoEvaluator(output, cluster).evaluate(conn)


SAME_NAMESPACE = NetworkPolicyPeer(pod_selector=LabelSelector.of({"app": "api"}))
BY_NAME = NetworkPolicyPeer(
    pod_selector=LabelSelector.of({"app": "api"}),
    namespace_selector=LabelSelector.of({"kubernetes.io/metadata.name": "prod"}),
)


@TARGETS
@pytest.mark.parametrize("peer", [SAME_NAMESPACE, BY_NAME], ids=["same-namespace", "namespace-by-name"])
@pytest.mark.parametrize("spoofer", [DEV_SPOOF, DEV_SPOOF_BY_K8S_NAME], ids=["pcns-name", "pcns-k8s-name"])
def test_a_pod_cannot_claim_another_namespace(target: Target, peer: NetworkPolicyPeer, spoofer: Pod) -> None:
    policies = (_db_policy(peer),)
    conn = Connection(spoofer, DB, Protocol.TCP, 5432)
    k8s, calico = _both(policies, ConvertOptions(target=target), CLUSTER, conn)
    assert not k8s.ingress.allowed
    assert not calico.ingress.allowed, calico.ingress.reason
    legit = Connection(API, DB, Protocol.TCP, 5432)
    assert _both(policies, ConvertOptions(target=target), CLUSTER, legit)[1].ingress.allowed


def test_global_output_names_the_namespace_on_the_endpoint() -> None:
    policy = _db_policy(SAME_NAMESPACE)
    gnp = convert((policy,), ConvertOptions(target=Target.GLOBAL)).policies[0]
    assert gnp.namespace_selector is None  # type: ignore[union-attr]
    assert str(gnp.spec.selector) == (
        "projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == 'prod' && app == 'db'"
    )
    source = gnp.spec.ingress[0].source
    assert source.namespace_selector is None
    assert str(source.selector) == (
        "projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == 'prod' && app == 'api'"
    )


def test_namespace_selector_by_name_moves_to_the_endpoint_selector() -> None:
    entity = convert((_db_policy(BY_NAME),)).policies[0].spec.ingress[0].source
    assert str(entity.namespace_selector) == "all()"
    assert str(entity.selector) == (
        "projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == 'prod' && app == 'api'"
    )


def test_namespace_selector_on_other_labels_stays_a_namespace_selector() -> None:
    peer = NetworkPolicyPeer(
        namespace_selector=LabelSelector.of({"kubernetes.io/metadata.name": "prod", "team": "x"})
    )
    entity = convert((_db_policy(peer),)).policies[0].spec.ingress[0].source
    assert str(entity.namespace_selector) == "team == 'x'"
    assert str(entity.selector) == (
        "projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == 'prod'"
    )


# --- the global default deny -----------------------------------------------------------------------

DNS_PORTS = (ContainerPort(53, Protocol.UDP, "dns"),)
COREDNS = _pod("kube-system", "coredns", {"k8s-app": "kube-dns"}, "10.0.0.10", *DNS_PORTS)
FAKE_DNS = _pod("dev", "fake-dns", {"k8s-app": "kube-dns", SPOOF: "kube-system"}, "10.0.0.11", *DNS_PORTS)
ESCAPER = _pod("dev", "escaper", {SPOOF: "kube-system"}, "10.0.0.12")
SYSTEM_POD = _pod("kube-system", "agent", {SPOOF: "dev"}, "10.0.0.13")
DEV_POD = _pod("dev", "plain", {}, "10.0.0.14")
DENY_CLUSTER = Cluster.build([], [COREDNS, FAKE_DNS, ESCAPER, SYSTEM_POD, DEV_POD])
OUTSIDE = ipaddress.ip_address("203.0.113.5")


def _migrated(conn: Connection, target: Target):
    options = ConvertOptions(target=target, default_deny=DefaultDenyOptions.build())
    output = convert((), options).policy_set
    return CalicoEvaluator(output, DENY_CLUSTER).evaluate(conn)


@TARGETS
def test_a_pod_cannot_leave_the_default_deny_by_claiming_a_system_namespace(target: Target) -> None:
    verdict = _migrated(Connection(ESCAPER, OUTSIDE, Protocol.TCP, 443), target)
    assert not verdict.egress.allowed
    verdict = _migrated(Connection(OUTSIDE, ESCAPER, Protocol.TCP, 443), target)
    assert not verdict.ingress.allowed


@TARGETS
def test_a_system_pod_is_not_caught_by_claiming_a_covered_namespace(target: Target) -> None:
    verdict = _migrated(Connection(SYSTEM_POD, OUTSIDE, Protocol.TCP, 443), target)
    assert verdict.egress.allowed, verdict.egress.reason


@TARGETS
def test_the_dns_exception_needs_the_dns_namespace_itself(target: Target) -> None:
    assert _migrated(Connection(DEV_POD, COREDNS, Protocol.UDP, 53), target).egress.allowed
    verdict = _migrated(Connection(DEV_POD, FAKE_DNS, Protocol.UDP, 53), target)
    assert not verdict.egress.allowed, verdict.egress.reason


def test_the_default_deny_selects_by_endpoint_namespace() -> None:
    options = ConvertOptions(default_deny=DefaultDenyOptions.build(exclude=(), include=()))
    policy = convert((), options).policies[-1]
    assert policy.namespace_selector is None  # type: ignore[union-attr]
    assert "projectcalico.org/namespace not in" in str(policy.spec.selector)
    dns = policy.spec.egress[0].destination
    assert dns.namespace_selector is None
    assert "projectcalico.org/namespace == 'kube-system'" in str(dns.selector)


# --- how both evaluators see pods carrying pcns.* labels ----------------------------------------------


def test_evaluators_model_pcns_labels_as_felix_does() -> None:
    """A label-based namespaceSelector is as spoofable in Calico as Felix makes it; Kubernetes is not."""
    team_x = Namespace.create("prod", {"team": "x"})
    spoofer = _pod("dev", "spoof", {"pcns.team": "x"}, "10.0.0.3")
    cluster = Cluster.build([team_x, Namespace.create("dev")], [DB, spoofer])
    peer = NetworkPolicyPeer(namespace_selector=LabelSelector.of({"team": "x"}))
    policies = (_db_policy(peer),)
    conn = Connection(spoofer, DB, Protocol.TCP, 5432)
    k8s, calico = _both(policies, ConvertOptions(), cluster, conn)
    assert not k8s.ingress.allowed
    # Exactly what Calico's own enforcement of the Kubernetes policy does (documented limitation).
    assert calico.ingress.allowed
    assert CalicoEvaluator(PolicySet(k8s_policies=policies), cluster).evaluate(conn).ingress.allowed


def test_a_pod_cannot_overwrite_the_labels_calico_writes() -> None:
    labels = {"app": "api", "projectcalico.org/namespace": "prod", "projectcalico.org/orchestrator": "x"}
    liar = _pod("dev", "liar", labels, "10.0.0.9")
    cluster = Cluster.build([], [DB, liar])
    policies = (_db_policy(SAME_NAMESPACE),)
    for target in Target:
        conn = Connection(liar, DB, Protocol.TCP, 5432)
        _, calico = _both(policies, ConvertOptions(target=target), cluster, conn)
        assert not calico.ingress.allowed


@TARGETS
def test_a_pod_spoofing_name_and_team_gets_what_neither_kubernetes_nor_calico_gives(target: Target) -> None:
    """Why `convert --verify` proves `translator.verify.intent`'s statement and not "Kubernetes'
    verdict or Calico's": a pod of prod claiming dev by name and team=x by label matches the
    output's peer (real namespace prod, pcns.team=x), while Kubernetes (prod lacks team=x) and
    Calico's own enforcement (the pod claims dev) both refuse it. The documented limit
    (docs/semantics.md), pinned."""
    from translator.verify import verify
    from translator.verify.intent import namespace_names_as_kubernetes_means

    double = _pod("prod", "double", {"pcns.kubernetes.io/metadata.name": "dev", "pcns.team": "x"}, "10.0.0.5")
    cluster = Cluster.build([Namespace.create("prod"), Namespace.create("dev")], [DB, double])
    peer = NetworkPolicyPeer(namespace_selector=LabelSelector.of({"kubernetes.io/metadata.name": "prod",
                                                                  "team": "x"}))
    policies = (_db_policy(peer),)
    conn = Connection(double, DB, Protocol.TCP, 80)
    k8s, output = _both(policies, ConvertOptions(target=target), cluster, conn)
    calico = CalicoEvaluator(PolicySet(k8s_policies=policies), cluster).evaluate(conn)
    assert (k8s.allowed, calico.allowed, output.allowed) == (False, False, True)
    intended = namespace_names_as_kubernetes_means(PolicySet(k8s_policies=policies))
    assert CalicoEvaluator(intended, cluster).evaluate(conn).allowed
    assert verify(intended, convert(policies, ConvertOptions(target=target)).policy_set).equivalent
