"""Loading Kubernetes objects into the model: policies (normalised), namespaces, pods, and `Loaded`."""

from __future__ import annotations

import io
import ipaddress
from pathlib import Path

import pytest

from translator.errors import InputError, Level
from translator.load import LoadContext, Loaded, load, load_cluster, load_policies, parse_documents
from translator.load.documents import parse_text
from translator.model.cluster import ContainerPort, Namespace
from translator.model.common import (
    Direction,
    LabelSelector,
    LabelSelectorRequirement,
    Protocol,
    SelectorOperator,
)
from translator.model.k8s import IPBlock, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule

LAB = Path(__file__).resolve().parents[2] / "samples" / "lab"


def loaded_from(text: str, context: LoadContext = LoadContext()) -> Loaded:
    return parse_documents(parse_text("t.yaml", text), context)


def messages(loaded: Loaded, level: Level) -> list[str]:
    return [f"{d.location}: {d.message}" for d in loaded.diagnostics if d.level is level]


# --- NetworkPolicy into the model -------------------------------------------------------------

FULL_POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: web}
    matchExpressions: [{key: tier, operator: NotIn, values: [db]}]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: a}}
      podSelector: {}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
    ports: [{port: 80}, {protocol: UDP, port: dns}, {protocol: SCTP, port: 9000, endPort: 9100}]
  egress:
  - {}
"""


def test_network_policy_fields_reach_the_model() -> None:
    [policy] = loaded_from(FULL_POLICY).policies.k8s_policies
    assert (policy.namespace, policy.name, policy.key) == ("shop", "web", "shop/web")
    assert policy.pod_selector == LabelSelector(
        (("app", "web"),), (LabelSelectorRequirement("tier", SelectorOperator.NOT_IN, ("db",)),)
    )
    assert policy.ingress == (
        NetworkPolicyRule(
            ports=(
                NetworkPolicyPort(Protocol.TCP, 80),
                NetworkPolicyPort(Protocol.UDP, "dns"),
                NetworkPolicyPort(Protocol.SCTP, 9000, 9100),
            ),
            peers=(
                NetworkPolicyPeer(
                    pod_selector=LabelSelector(), namespace_selector=LabelSelector.of({"team": "a"})
                ),
                NetworkPolicyPeer(
                    ip_block=IPBlock(
                        ipaddress.ip_network("10.0.0.0/8"), (ipaddress.ip_network("10.1.0.0/16"),)
                    )
                ),
            ),
        ),
    )
    assert policy.egress == (NetworkPolicyRule(),)
    assert policy.origin is not None and str(policy.origin) == "t.yaml:1"


DEFAULTING = {
    "no policyTypes, no rules": ("spec: {podSelector: {}}", (Direction.INGRESS,)),
    "no spec at all": ("", (Direction.INGRESS,)),
    "egress rules only": ("spec: {egress: [{}]}", (Direction.INGRESS, Direction.EGRESS)),
    "empty egress list": ("spec: {egress: []}", (Direction.INGRESS,)),
    "empty policyTypes": ("spec: {policyTypes: [], egress: [{}]}", (Direction.INGRESS, Direction.EGRESS)),
    "explicit Egress kept": ("spec: {policyTypes: [Egress], ingress: [{}]}", (Direction.EGRESS,)),
    "repeated type collapses": ("spec: {policyTypes: [Ingress, Ingress]}", (Direction.INGRESS,)),
}


@pytest.mark.parametrize(("spec", "types"), DEFAULTING.values(), ids=DEFAULTING.keys())
def test_policies_leave_the_loader_normalised(spec: str, types: tuple[Direction, ...]) -> None:
    text = f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p}}\n{spec}\n"
    [policy] = loaded_from(text).policies.k8s_policies
    assert policy.policy_types == types


def test_port_protocol_defaults_to_tcp() -> None:
    text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
    text += "spec: {ingress: [{ports: [{}, {port: 53, protocol: UDP}, {port: 8080}]}]}\n"
    [policy] = loaded_from(text).policies.k8s_policies
    assert [(p.protocol, p.port) for p in policy.ingress[0].ports] == [
        (Protocol.TCP, None),
        (Protocol.UDP, 53),
        (Protocol.TCP, 8080),
    ]


def test_missing_namespace_uses_the_context_default_and_says_so() -> None:
    text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
    loaded = loaded_from(text, LoadContext(default_namespace="team-a"))
    assert loaded.policies.k8s_policies[0].namespace == "team-a"
    assert messages(loaded, Level.INFO) == ["t.yaml:1:metadata.namespace: not set: using namespace 'team-a'"]


def test_a_mistyped_namespace_is_an_error_without_the_contradicting_info() -> None:
    text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: 5}\n"
    loaded = loaded_from(text)
    assert messages(loaded, Level.ERROR) == ["t.yaml:1:metadata.namespace: must be a string, not integer"]
    assert messages(loaded, Level.INFO) == []


def test_invalid_policies_are_left_out_but_valid_ones_kept() -> None:
    good = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: good}\n"
    bad = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: Bad}\n"
    loaded = loaded_from(good + "---\n" + bad)
    assert [p.name for p in loaded.policies.k8s_policies] == ["good"]
    assert (loaded.document_count, loaded.invalid_document_count) == (2, 1)


# --- Namespace and Pod ------------------------------------------------------------------------


def test_namespace_gets_its_automatic_name_label() -> None:
    [ns] = loaded_from(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev, labels: {team: a}}\n"
    ).namespaces
    assert ns == Namespace.create("dev", {"team": "a"})
    assert ns.labels["kubernetes.io/metadata.name"] == "dev"


def test_namespace_name_label_cannot_be_overridden() -> None:
    text = "apiVersion: v1\nkind: Namespace\n"
    text += "metadata: {name: dev, labels: {kubernetes.io/metadata.name: prod}}\n"
    loaded = loaded_from(text)
    assert loaded.namespaces[0].labels["kubernetes.io/metadata.name"] == "dev"
    assert len(messages(loaded, Level.WARNING)) == 1


def test_namespace_name_is_a_dns_label() -> None:
    loaded = loaded_from("apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n")
    assert loaded.namespaces == ()
    assert [d.location.path for d in loaded.errors] == ["metadata.name"]


POD = """
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec:
  serviceAccountName: web-sa
  initContainers:
  - {name: setup, ports: [{containerPort: 1, name: ignored}]}
  - {name: proxy, restartPolicy: Always, ports: [{containerPort: 15001, name: proxy}]}
  containers:
  - name: app
    ports:
    - {containerPort: 8080, name: http}
    - {containerPort: 53, name: dns, protocol: UDP}
    - {containerPort: 9090}
  - {name: sidecar, ports: [{containerPort: 7000, name: metrics, protocol: SCTP}]}
status:
  podIP: 10.244.1.5
  podIPs: [{ip: 10.244.1.5}, {ip: "fd00::5"}]
"""


def test_pod_fields_reach_the_model() -> None:
    [pod] = loaded_from(POD).pods
    assert (pod.namespace, pod.name, dict(pod.labels)) == ("shop", "web-1", {"app": "web"})
    assert pod.ips == (ipaddress.ip_address("10.244.1.5"), ipaddress.ip_address("fd00::5"))
    assert pod.service_account == "web-sa"
    assert pod.host_network is False
    assert pod.ports == (
        ContainerPort(8080, Protocol.TCP, "http"),
        ContainerPort(53, Protocol.UDP, "dns"),
        ContainerPort(9090, Protocol.TCP, None),
        ContainerPort(7000, Protocol.SCTP, "metrics"),
        ContainerPort(15001, Protocol.TCP, "proxy"),
    )
    assert pod.named_port("dns", Protocol.UDP) == 53
    assert pod.named_port("dns", Protocol.TCP) is None


def test_pod_defaults() -> None:
    loaded = loaded_from("apiVersion: v1\nkind: Pod\nmetadata: {name: bare}\nspec: {hostNetwork: true}\n")
    [pod] = loaded.pods
    assert (pod.namespace, pod.ips, pod.ports, pod.service_account, pod.host_network) == (
        "default",
        (),
        (),
        "default",
        True,
    )
    assert messages(loaded, Level.INFO) == ["t.yaml:1:metadata.namespace: not set: using namespace 'default'"]


def test_pod_with_only_the_legacy_pod_ip() -> None:
    [pod] = loaded_from("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {podIP: 10.0.0.9}\n").pods
    assert pod.ips == (ipaddress.ip_address("10.0.0.9"),)


POD_ERRORS = {
    "bad pod IP": ("status: {podIPs: [{ip: 10.0.0.300}]}", "status.podIPs[0].ip", "invalid IP address"),
    "bad legacy pod IP": ("status: {podIP: nowhere}", "status.podIP", "invalid IP address"),
    "bad port name": (
        "spec: {containers: [{name: a, ports: [{containerPort: 80, name: Web}]}]}",
        "spec.containers[0].ports[0].name",
        "invalid port name",
    ),
    "port out of range": (
        "spec: {containers: [{name: a, ports: [{containerPort: 70000}]}]}",
        "spec.containers[0].ports[0].containerPort",
        "between 1 and 65535",
    ),
    "lower-case protocol": (
        "spec: {containers: [{name: a, ports: [{containerPort: 80, protocol: udp}]}]}",
        "spec.containers[0].ports[0].protocol",
        "unsupported value",
    ),
    "bad label": ("metadata: {name: p, labels: {a: '-'}}", "metadata.labels.a", "invalid label value"),
}


@pytest.mark.parametrize(("extra", "path", "message"), POD_ERRORS.values(), ids=POD_ERRORS.keys())
def test_pod_errors(extra: str, path: str, message: str) -> None:
    text = (
        "apiVersion: v1\nkind: Pod\n"
        + ("" if extra.startswith("metadata") else "metadata: {name: p}\n")
        + extra
    )
    loaded = loaded_from(text)
    assert loaded.pods == ()
    assert any(d.location.path == path and message in d.message for d in loaded.errors), loaded.errors


# --- kinds, duplicates, and load() ------------------------------------------------------------


def test_other_kinds_are_named_and_skipped() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n---\napiVersion: v1\nkind: Secret\n"
    loaded = loaded_from(text)
    assert loaded.errors == ()
    assert messages(loaded, Level.INFO) == [
        "t.yaml:1: skipped ConfigMap (v1): np2calico does not use this kind",
        "t.yaml:2: skipped Secret (v1): np2calico does not use this kind",
    ]


def test_a_known_kind_with_an_old_api_version_is_an_error() -> None:
    loaded = loaded_from("apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: old}\n")
    [error] = loaded.errors
    assert error.message.startswith("apiVersion 'extensions/v1beta1' of NetworkPolicy is not supported: use ")
    assert "networking.k8s.io/v1" in error.message


NOT_OBJECTS = {
    "a list": ("- a\n- b\n", "expected a mapping, got a list"),
    "a scalar": ("just text\n", "expected a mapping, got a str value"),
    "no kind": ("apiVersion: v1\nmetadata: {name: x}\n", "`apiVersion` and `kind` are required"),
    "no apiVersion": ("kind: Pod\n", "`apiVersion` and `kind` are required"),
}


@pytest.mark.parametrize(("text", "message"), NOT_OBJECTS.values(), ids=NOT_OBJECTS.keys())
def test_documents_that_are_not_objects_are_errors(text: str, message: str) -> None:
    [error] = loaded_from(text).errors
    assert message in error.message


def test_duplicates_name_both_locations() -> None:
    np = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\n"
    other_ns = np.replace("namespace: a", "namespace: b")
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\n"
    loaded = loaded_from("---\n".join([np, other_ns, pod, np]))
    assert [str(d) for d in loaded.errors] == [
        "t.yaml:4: error: duplicate NetworkPolicy a/p: already defined at t.yaml:1"
    ]
    assert [p.key for p in loaded.policies.k8s_policies] == ["a/p", "b/p"]
    assert len(loaded.pods) == 1


def test_load_raises_with_every_error_and_keeps_warnings(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: A}\n"
        "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.1/8}}], ports: [{port: 0}]}]}\n"
    )
    with pytest.raises(InputError) as exc:
        load([str(tmp_path)])
    assert [(d.level, d.location.path) for d in exc.value.diagnostics] == [
        (Level.ERROR, "metadata.name"),
        (Level.WARNING, "spec.ingress[0].from[0].ipBlock.cidr"),
        (Level.ERROR, "spec.ingress[0].ports[0].port"),
    ]


def test_load_from_stdin() -> None:
    text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\n"
    policies = load_policies(["-"], stdin=io.StringIO(text))
    assert [p.key for p in policies.k8s_policies] == ["x/p"]


def test_loaded_cluster_adds_namespaces_pods_use() -> None:
    loaded = loaded_from(POD)
    assert list(loaded.cluster().namespaces) == ["shop"]


# --- the lab samples --------------------------------------------------------------------------

LAB_SETS = {
    "cluster.yaml": ["cluster.yaml"],
    "workloads": ["workloads"],
    "policies": ["policies"],
    **{f"steps/{step.name}": [f"steps/{step.name}"] for step in sorted((LAB / "steps").iterdir())},
}


@pytest.mark.parametrize("paths", LAB_SETS.values(), ids=LAB_SETS.keys())
def test_lab_samples_load_without_errors_or_warnings(paths: list[str]) -> None:
    loaded = load([str(LAB / p) for p in paths])
    assert [d for d in loaded.diagnostics if d.level is not Level.INFO] == []
    assert loaded.document_count > 0


def test_lab_cluster_state() -> None:
    cluster = load_cluster([str(LAB / "cluster.yaml")])
    assert set(cluster.namespaces) == {"default", "dev", "kube-system"}
    coredns = next(p for p in cluster.pods if p.labels.get("k8s-app") == "kube-dns")
    assert coredns.named_port("dns", Protocol.UDP) == 53
    assert coredns.named_port("dns-tcp", Protocol.TCP) == 53
    assert all(pod.ips for pod in cluster.pods)


def test_lab_final_policies() -> None:
    policies = load_policies([str(LAB / "policies")])
    assert sorted(p.name for p in policies.k8s_policies) == sorted(
        p.stem for p in (LAB / "policies").iterdir()
    )
    assert all(p.namespace == "default" for p in policies.k8s_policies)
