"""Reading a live cluster through the kubernetes client, against the fake API server test double.

`tests/fake_apiserver.py` is an in-process HTTP server on 127.0.0.1 that answers the REST calls
np2calico makes the way a kube-apiserver does (pagination, 403 Status objects, 404 for groups it
does not serve). No real cluster is involved.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.fake_apiserver import CALICO_CRD, CALICO_V3, FakeApiServer, lab_state, serve
from translator import cluster
from translator.errors import ClusterError, Diagnostics, InputError


def _kinds(documents: list[dict]) -> list[str]:
    return [d["kind"] for d in documents]


def test_reads_kubernetes_and_calico_objects_as_kubectl_prints_them(
    server: FakeApiServer, tmp_path: Path
) -> None:
    documents = cluster.read_cluster(kubeconfig=server.kubeconfig(tmp_path))
    assert _kinds(documents) == ["Namespace"] * 3 + ["Pod"] * 5 + ["NetworkPolicy", "Tier"]
    namespace = documents[0]
    assert namespace["apiVersion"] == "v1" and "managedFields" not in namespace["metadata"]
    policy = documents[8]
    assert policy["apiVersion"] == "networking.k8s.io/v1"
    assert policy["metadata"]["resourceVersion"] == "2001"  # kept, as kubectl prints it
    assert documents[9]["apiVersion"] == CALICO_V3


def test_pods_keep_labels_ips_and_ports_but_not_secrets(server: FakeApiServer, tmp_path: Path) -> None:
    pods = [d for d in cluster.read_cluster(kubeconfig=server.kubeconfig(tmp_path)) if d["kind"] == "Pod"]
    curl = next(p for p in pods if p["metadata"]["name"] == "curl")
    assert curl["metadata"]["labels"] == {"app": "curl", "tier": "frontend"}
    assert curl["status"]["podIPs"] == [{"ip": "10.244.0.13"}]
    assert curl["spec"]["containers"] == [
        {"name": "curl", "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"}]}
    ]
    assert "s3cret" not in repr(pods) and "image" not in repr(pods)


@pytest.mark.parametrize("page_size", [1, 2, 3, 500], ids=lambda n: f"limit={n}")
def test_large_lists_are_read_page_by_page(server: FakeApiServer, tmp_path: Path, page_size: int) -> None:
    documents = cluster.read_cluster(kubeconfig=server.kubeconfig(tmp_path), page_size=page_size)
    names = [d["metadata"]["name"] for d in documents if d["kind"] == "Pod"]
    assert len(names) == len(set(names)) == 5
    pod_calls = [q for _, path, q in server.requests if path == "/api/v1/pods"]
    assert len(pod_calls) == -(-5 // page_size)  # ceil: one request per page
    assert all(q["limit"] == str(page_size) for q in pod_calls)
    assert ("continue" in pod_calls[-1]) == (page_size < 5)


def test_calico_falls_back_to_the_storage_crds_when_the_api_server_is_absent(tmp_path: Path) -> None:
    with serve(lab_state(calico_groups=(CALICO_CRD,))) as state:
        documents = cluster.read_cluster(kubeconfig=state.kubeconfig(tmp_path))
        asked = [path for _, path, _ in state.requests]
    assert documents[-1]["apiVersion"] == CALICO_CRD and documents[-1]["kind"] == "Tier"
    assert "/apis/projectcalico.org/v3" in asked  # tried first, answered 404
    assert "/apis/crd.projectcalico.org/v1/tiers" in asked


def test_calico_absent_warns_and_reads_kubernetes_objects_only(tmp_path: Path) -> None:
    diags = Diagnostics()
    with serve(lab_state(calico_groups=())) as state:
        documents = cluster.read_cluster(kubeconfig=state.kubeconfig(tmp_path), diags=diags)
    assert "Tier" not in _kinds(documents) and len(documents) == 9
    assert [str(d) for d in diags.items] == [
        f"cluster:lab: warning: the Calico API is absent: neither {CALICO_V3} nor {CALICO_CRD} is served "
        f"by http://127.0.0.1:{state.port}; read Kubernetes objects only"
    ]


def test_calico_absent_is_an_error_when_calico_objects_are_required(tmp_path: Path) -> None:
    with serve(lab_state(calico_groups=())) as state, \
            pytest.raises(ClusterError, match="Calico API is absent"):
        cluster.read_cluster(kubeconfig=state.kubeconfig(tmp_path), require_calico=True)


def test_calico_mirrors_of_kubernetes_policies_are_not_read_twice(
    server: FakeApiServer, tmp_path: Path
) -> None:
    server.add(CALICO_V3, "networkpolicies", {
        "apiVersion": CALICO_V3, "kind": "NetworkPolicy",
        "metadata": {"name": "knp.default.deny-all-ingress", "namespace": "default"}, "spec": {},
    }, {
        "apiVersion": CALICO_V3, "kind": "NetworkPolicy",
        "metadata": {"name": "allow-dns", "namespace": "default"}, "spec": {"order": 1000},
    })
    documents = cluster.read_cluster(kubeconfig=server.kubeconfig(tmp_path))
    calico_policies = [d["metadata"]["name"] for d in documents if d["apiVersion"] == CALICO_V3
                       and d["kind"] == "NetworkPolicy"]
    assert calico_policies == ["allow-dns"]


@pytest.mark.parametrize(("verb", "plural", "expected"), [
    ("list", "pods", 'permission denied: cannot list pods .*User "system:serviceaccount:ci:np2calico" '
                     'cannot list resource "pods" in API group "" at the cluster scope'),
    ("list", "networkpolicies", "permission denied: cannot list networkpolicies.networking.k8s.io "),
    ("list", "tiers", "permission denied: cannot list tiers.projectcalico.org "),
], ids=["pods", "networkpolicies", "calico-tiers"])
def test_a_missing_permission_names_the_verb_and_resource(
    server: FakeApiServer, tmp_path: Path, verb: str, plural: str, expected: str
) -> None:
    server.forbidden.add((verb, plural))
    with pytest.raises(ClusterError, match=expected) as raised:
        cluster.read_cluster(kubeconfig=server.kubeconfig(tmp_path))
    assert "\n" not in str(raised.value)


def test_get_of_a_missing_object_is_none_and_a_forbidden_get_is_an_error(
    server: FakeApiServer, tmp_path: Path
) -> None:
    client = cluster.connect(kubeconfig=server.kubeconfig(tmp_path))
    tiers = cluster.calico_resource("Tier")
    assert client.get(tiers, None, "default")["spec"] == {"order": 1000000}
    assert client.get(tiers, None, "absent") is None
    server.forbidden.add(("get", "tiers"))
    with pytest.raises(ClusterError, match=r"permission denied: cannot get tiers\.projectcalico\.org"):
        client.get(tiers, None, "default")


def test_rejected_credentials(server: FakeApiServer, tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=r"rejected the credentials of context 'lab' \(401 Unauthorized\)"):
        cluster.read_cluster(kubeconfig=server.kubeconfig(tmp_path, token="expired"))


def test_unreachable_cluster(tmp_path: Path) -> None:
    with serve(lab_state()) as state:
        kubeconfig = state.kubeconfig(tmp_path)
    # The server is gone; its port is closed (binding it again proves nobody else took it).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", state.port))
    expected = r"cannot reach the Kubernetes API server at http://127\.0\.0\.1:\d+ \(context 'lab'\): "
    with pytest.raises(ClusterError, match=expected + ".*Connection refused"):
        cluster.read_cluster(kubeconfig=kubeconfig)


def test_missing_kubeconfig_file(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=r"kubeconfig .*nowhere\.yaml does not exist"):
        cluster.read_cluster(kubeconfig=tmp_path / "nowhere.yaml")


def test_no_kubeconfig_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ClusterError, match=r"^no kubeconfig: KUBECONFIG is not set and ~/\.kube/config"):
        cluster.connect()


def test_kubeconfig_variable_naming_missing_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "gone"))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ClusterError, match=r"^no kubeconfig: no file of KUBECONFIG=.*gone exists and"):
        cluster.connect()


def test_kubeconfig_from_the_environment(server: FakeApiServer, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(server.kubeconfig(tmp_path)))
    assert cluster.connect().context == "lab"


def test_unknown_context(server: FakeApiServer, tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=r'^context "prod" does not exist in kubeconfig '):
        cluster.connect("prod", server.kubeconfig(tmp_path))


def test_load_from_cluster_gives_what_the_file_loader_gives(server: FakeApiServer, tmp_path: Path) -> None:
    loaded = cluster.load_from_cluster(kubeconfig=server.kubeconfig(tmp_path))
    assert [p.name for p in loaded.policies.k8s_policies] == ["deny-all-ingress"]
    assert [t.name for t in loaded.policies.tiers] == ["default"]
    pods = {p.key: p for p in loaded.cluster().pods}
    assert str(pods["default/curl"].ips[0]) == "10.244.0.13"
    assert pods["default/curl"].named_port("http", pods["default/curl"].ports[0].protocol) == 80
    assert loaded.document_count == 10 and not loaded.diagnostics


def test_load_from_cluster_locates_invalid_live_objects(server: FakeApiServer, tmp_path: Path) -> None:
    server.add("networking.k8s.io/v1", "networkpolicies", {
        "metadata": {"name": "bad", "namespace": "dev"},
        "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 80, "endPort": 70}]}]},
    })
    loaded = cluster.load_from_cluster(kubeconfig=server.kubeconfig(tmp_path), raise_errors=False)
    assert [str(e.location) for e in loaded.errors] == [
        "cluster:lab/NetworkPolicy/dev/bad:1:spec.ingress[0].ports[0].endPort"
    ]
    with pytest.raises(InputError):
        cluster.load_from_cluster(kubeconfig=server.kubeconfig(tmp_path))


def test_load_from_cluster_carries_the_calico_absent_warning(tmp_path: Path) -> None:
    with serve(lab_state(calico_groups=())) as state:
        loaded = cluster.load_from_cluster(kubeconfig=state.kubeconfig(tmp_path))
    assert [d.level.value for d in loaded.diagnostics] == ["warning"]
