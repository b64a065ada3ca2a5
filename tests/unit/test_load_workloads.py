"""Workloads, Services and EndpointSlices as cluster state: each kind, helm/kustomize streams, owner
deduplication, template addresses and located errors."""

from __future__ import annotations

import ipaddress
import textwrap

import pytest

from translator.errors import InputError, Level
from translator.load import Loaded, parse_documents
from translator.load.documents import parse_text
from translator.model.cluster import ContainerPort, Pod
from translator.model.common import Protocol

TEMPLATE = """\
    metadata: {labels: {app: APP}}
    spec:
      serviceAccountName: sa-APP
      containers: [{name: c, ports: [{containerPort: 8080, name: http}, {containerPort: 53, protocol: UDP}]}]
"""


def workload(kind: str, api_version: str, name: str = "w", namespace: str = "shop") -> str:
    template = textwrap.indent(TEMPLATE.replace("APP", name), "  ")
    if kind == "CronJob":
        spec = ("spec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n"
                + textwrap.indent(template, "    "))
    else:
        spec = f"spec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n" + template
    meta = f"metadata: {{name: {name}, namespace: {namespace}}}"
    return f"apiVersion: {api_version}\nkind: {kind}\n{meta}\n{spec}"


def loaded_from(text: str) -> Loaded:
    return parse_documents(parse_text("t.yaml", text))


def pods_of(text: str) -> dict[str, Pod]:
    loaded = loaded_from(text)
    assert not loaded.errors, [str(d) for d in loaded.errors]
    return {p.label: p for p in loaded.cluster().pods}


KINDS = [
    ("Deployment", "apps/v1"), ("ReplicaSet", "apps/v1"), ("StatefulSet", "apps/v1"),
    ("DaemonSet", "apps/v1"), ("Job", "batch/v1"), ("CronJob", "batch/v1"),
    ("ReplicationController", "v1"),
]


@pytest.mark.parametrize(("kind", "api_version"), KINDS, ids=[k for k, _ in KINDS])
def test_each_workload_kind_is_one_endpoint_from_its_template(kind: str, api_version: str) -> None:
    pods = pods_of(workload(kind, api_version))
    label = f"{kind.lower()} shop/w"
    assert list(pods) == [label]
    pod = pods[label]
    assert pod.labels == {"app": "w"} and pod.service_account == "sa-w" and pod.namespace == "shop"
    assert pod.ports == (ContainerPort(8080, Protocol.TCP, "http"), ContainerPort(53, Protocol.UDP))
    assert pod.key == f"{kind.lower()}/shop/w"
    assert pod.ips == (ipaddress.ip_address("10.244.255.254"),)  # from the top of the pod CIDR


def test_helm_template_stream_with_comments_and_empty_documents() -> None:
    stream = ("---\n# Source: shop/templates/web.yaml\n---\n\n---\n"
              + workload("Deployment", "apps/v1", "web")
              + "---\n# Source: shop/templates/empty.yaml\n---\n"
              + workload("StatefulSet", "apps/v1", "db") + "---\n")
    assert sorted(pods_of(stream)) == ["deployment shop/web", "statefulset shop/db"]


def test_kustomize_style_list() -> None:
    items = [workload("Deployment", "apps/v1", "web"), workload("DaemonSet", "apps/v1", "agent")]
    body = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        "- " + textwrap.indent(item, "  ")[2:] for item in items)
    assert sorted(pods_of(body)) == ["daemonset shop/agent", "deployment shop/web"]


OWNED = """\
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d8f
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true, uid: u}]
spec:
  selector: {matchLabels: {app: web, pod-template-hash: 5d8f}}
  template: {metadata: {labels: {app: web, pod-template-hash: 5d8f}}, spec: {containers: [{name: c}]}}
"""
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web-5d8f-x1
  namespace: shop
  labels: {app: web, pod-template-hash: 5d8f}
  OWNERS
spec: {containers: [{name: c}]}
status: {podIP: 10.244.1.5}
"""


def test_deployment_and_its_replicaset_are_one_workload() -> None:
    loaded = loaded_from(workload("Deployment", "apps/v1", "web") + "---\n" + OWNED)
    cluster, notes = loaded.cluster_with_notes()
    assert [p.label for p in cluster.pods] == ["deployment shop/web"]
    assert any("replicaset shop/web-5d8f is counted as deployment shop/web" in n.message for n in notes)


@pytest.mark.parametrize("owners", [
    "ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f, controller: true}]",
    "annotations: {}",  # no references: matched by name prefix and selector, as helm output is
], ids=["owner-references", "by-name-and-selector"])
def test_pods_of_the_state_stand_for_their_workload(owners: str) -> None:
    text = "---\n".join([workload("Deployment", "apps/v1", "web"), OWNED, POD.replace("OWNERS", owners)])
    cluster, notes = loaded_from(text).cluster_with_notes()
    assert [p.label for p in cluster.pods] == ["shop/web-5d8f-x1"]
    assert any("deployment shop/web is judged by its 1 pod(s)" in n.message for n in notes)


def test_a_pod_another_workload_would_not_make_is_kept_apart() -> None:
    text = workload("Deployment", "apps/v1", "web") + "---\n" + POD.replace(
        "OWNERS", "annotations: {}").replace("app: web,", "app: other,")
    assert sorted(pods_of(text)) == ["deployment shop/web", "shop/web-5d8f-x1"]


def test_a_pod_without_references_goes_to_the_longest_workload_name_it_starts_with() -> None:
    # `web` and `web-api` both prefix `web-api-7c9-x2` and both select it; `web-api` of another
    # namespace and `we` (no dash after it) do not count, whatever they select.
    def selecting_web(name: str, namespace: str = "shop") -> str:
        own, web = f"selector: {{matchLabels: {{app: {name}}}}}", "selector: {matchLabels: {app: web}}"
        return workload("Deployment", "apps/v1", name, namespace).replace(own, web)

    workloads = [selecting_web("web"), selecting_web("web-api"), selecting_web("web-api", "other"),
                 selecting_web("we")]
    pod = POD.replace("OWNERS", "annotations: {}").replace("web-5d8f-x1", "web-api-7c9-x2")
    cluster, notes = loaded_from("---\n".join([*workloads, pod])).cluster_with_notes()
    assert sorted(p.label for p in cluster.pods) == [
        "deployment other/web-api", "deployment shop/we", "deployment shop/web", "shop/web-api-7c9-x2"]
    assert [n.message for n in notes] == [
        "deployment shop/web-api is judged by its 1 pod(s) of the cluster state"]


def test_template_addresses_skip_those_pods_hold() -> None:
    pod = POD.replace("OWNERS", "annotations: {}").replace("web-5d8f-x1", "other").replace(
        "10.244.1.5", "10.244.255.254").replace("app: web", "app: x")
    pods = pods_of(workload("Deployment", "apps/v1", "web") + "---\n" + pod)
    assert pods["deployment shop/web"].ips == (ipaddress.ip_address("10.244.255.253"),)


def test_pod_cidrs_give_one_address_per_family() -> None:
    cidrs = (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("fd00::/120"))
    cluster = loaded_from(workload("Deployment", "apps/v1")).cluster(cidrs)
    assert cluster.pods[0].ips == (ipaddress.ip_address("10.0.0.254"), ipaddress.ip_address("fd00::ff"))


def test_host_network_workload_has_no_pod_address() -> None:
    text = workload("DaemonSet", "apps/v1").replace("serviceAccountName: sa-w", "hostNetwork: true")
    pod = pods_of(text)["daemonset shop/w"]
    assert pod.host_network and pod.ips == ()


@pytest.mark.parametrize(("text", "where", "message"), [
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1}\n",
     "t.yaml:1:spec.template", "a Deployment without a pod template makes no pods to judge"),
    ("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: {spec: {}}}\n",
     "t.yaml:1:spec.jobTemplate.spec.template", "a CronJob without a pod template"),
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {containers: "
     "[{name: c, ports: [{containerPort: 99999}]}]}}}\n",
     "t.yaml:1:spec.template.spec.containers[0].ports[0].containerPort", ""),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
     "spec: {ports: [{port: 80, targetPort: Bad_Name}]}\n",
     "t.yaml:1:spec.ports[0].targetPort", "invalid port name 'Bad_Name'"),
], ids=["no-template", "cronjob-no-template", "bad-container-port", "bad-target-port-name"])
def test_bad_workloads_are_located_errors(text: str, where: str, message: str) -> None:
    errors = loaded_from(text).errors
    assert errors, "expected an error"
    assert any(str(e.location) == where and message in e.message for e in errors), [str(e) for e in errors]


SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: SELECTOR
  ports: [{name: web, port: 80, targetPort: TARGET}]
"""


def test_service_selecting_nothing_is_a_located_warning() -> None:
    text = workload("Deployment", "apps/v1", "web") + "---\n" + SERVICE.replace(
        "SELECTOR", "{app: nothing}").replace("TARGET", "http")
    _, notes = loaded_from(text).cluster_with_notes()
    warnings = [str(n) for n in notes if n.level is Level.WARNING]
    assert warnings == ["t.yaml:2:spec.selector: warning: svc shop/web selects no pod or workload of the "
                        "cluster state"]


def test_target_port_name_no_container_declares_is_a_located_warning() -> None:
    text = workload("Deployment", "apps/v1", "web") + "---\n" + SERVICE.replace(
        "SELECTOR", "{app: web}").replace("TARGET", "grpc")
    _, notes = loaded_from(text).cluster_with_notes()
    warned = [str(n.location) for n in notes if n.level is Level.WARNING]
    assert warned == ["t.yaml:2:spec.ports[0].targetPort"]
    assert "named 'grpc'" in notes[-1].message


def test_endpoint_slice_is_read_for_its_service() -> None:
    text = """\
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ext-1, namespace: shop, labels: {kubernetes.io/service-name: ext}}
addressType: IPv4
endpoints: [{addresses: [192.0.2.10]}]
ports: [{name: https, port: 8443, protocol: TCP}]
"""
    cluster = loaded_from(text).cluster()
    (found,) = cluster.endpoint_slices
    assert (found.service, found.addresses[0], found.ports[0].port) == (
        "ext", ipaddress.ip_address("192.0.2.10"), 8443)


def test_a_workload_defined_twice_is_an_error() -> None:
    text = workload("Deployment", "apps/v1") + "---\n" + workload("Deployment", "apps/v1")
    with pytest.raises(InputError, match="duplicate Deployment shop/w"):
        loaded_from(text).raise_if_errors()
