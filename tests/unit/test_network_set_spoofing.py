"""Can a network set pass for a pod in the output's selectors? (issue 9 item 5, open question)

Felix indexes network sets with the same label index as endpoints (felix/labelindex/
named_port_index.go: `OnUpdate` feeds a `NetworkSetKey` to `UpdateEndpointOrSet` with its labels
and profile IDs, exactly like a workload endpoint), and the only label Calico's validator refuses
on a network set is `projectcalico.org/namespace` (libcalico-go/lib/validator/v3/validator.go,
`validateNetworkSet`, `validateGlobalNetworkSet`); a NetworkSet gets that label written by the
syncer (updateprocessors/networksetprocessor.go). So:

- no network set can claim another namespace: `projectcalico.org/namespace` is Calico's;
- a network set without `projectcalico.org/orchestrator: k8s` never matches a converted pod
  selector (they all carry `projectcalico.org/orchestrator == 'k8s'`);
- a NetworkSet of namespace N labelled `projectcalico.org/orchestrator: k8s` and a pod's labels
  *does* match the converted selector for those pods of N, as it matches Calico's own conversion
  of the Kubernetes policy: no endpoint label exists that a network set cannot carry, so no
  selector can tell them apart. docs/semantics.md records this limit; these tests pin it.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from translator.convert import ConvertOptions, Target, convert
from translator.errors import InputError
from translator.evaluate.calico import CalicoEvaluator
from translator.load import load
from translator.model.cluster import Cluster, Connection, Namespace, NetworkSet, Pod
from translator.model.common import LabelSelector, Protocol
from translator.model.k8s import NetworkPolicy, NetworkPolicyPeer, NetworkPolicyRule, normalise

DB = Pod("prod", "db", {"app": "db"}, (ipaddress.ip_address("10.0.0.1"),))
OUTSIDER = ipaddress.ip_address("203.0.113.5")
NETS = (ipaddress.ip_network("203.0.113.0/24"),)
DEV_API_PEER = NetworkPolicyPeer(pod_selector=LabelSelector.of({"app": "api"}),
                                 namespace_selector=LabelSelector.of({"kubernetes.io/metadata.name": "dev"}))


def _allowed(network_set: NetworkSet, target: Target) -> bool:
    rule = NetworkPolicyRule(peers=(DEV_API_PEER,))
    policy = normalise(NetworkPolicy("prod", "db", LabelSelector.of({"app": "db"}), None, ingress=(rule,)))
    output = convert((policy,), ConvertOptions(target=target)).policy_set
    cluster = Cluster.build([Namespace.create("prod"), Namespace.create("dev")], [DB],
                            network_sets=(network_set,))
    return CalicoEvaluator(output, cluster).evaluate(Connection(OUTSIDER, DB, Protocol.TCP, 5432)).allowed


def test_a_network_set_with_pod_labels_only_is_no_pod() -> None:
    plain = NetworkSet("api-lookalike", "dev", {"app": "api"}, NETS)
    assert not _allowed(plain, Target.NAMESPACED)
    assert not _allowed(plain, Target.GLOBAL)


def test_a_network_set_cannot_claim_another_namespace() -> None:
    claiming = NetworkSet("claims-dev", "ops", {"app": "api", "projectcalico.org/orchestrator": "k8s",
                                                "projectcalico.org/namespace": "dev",
                                                "pcns.kubernetes.io/metadata.name": "dev"}, NETS)
    assert not _allowed(claiming, Target.NAMESPACED)
    assert not _allowed(claiming, Target.GLOBAL)


def test_documented_limit_a_network_set_labelled_as_a_pod_of_its_namespace_matches() -> None:
    """The limit docs/semantics.md states: whoever may create NetworkSets in dev may add addresses
    to what the output (like Calico's own enforcement) calls "pods of dev with app=api"."""
    lookalike = NetworkSet("api-lookalike", "dev", {"app": "api", "projectcalico.org/orchestrator": "k8s"},
                           NETS)
    assert _allowed(lookalike, Target.NAMESPACED)
    assert _allowed(lookalike, Target.GLOBAL)
    documented = (Path(__file__).resolve().parents[2] / "docs" / "semantics.md").read_text()
    assert "NetworkSet labelled `projectcalico.org/orchestrator: k8s`" in documented


def test_the_loader_refuses_the_namespace_label_on_network_sets(tmp_path: Path) -> None:
    """As Calico's validator does: the label is Calico's to write."""
    path = tmp_path / "sets.yaml"
    path.write_text(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
        "metadata: {name: g, labels: {projectcalico.org/namespace: prod}}\nspec: {nets: [203.0.113.0/24]}\n"
        "---\napiVersion: projectcalico.org/v3\nkind: NetworkSet\n"
        "metadata: {name: n, namespace: dev, labels: {projectcalico.org/namespace: prod}}\n"
        "spec: {nets: [203.0.113.0/24]}\n")
    with pytest.raises(InputError) as raised:
        load([str(path)]).raise_if_errors()
    errors = str(raised.value).splitlines()
    assert len(errors) == 2, errors
    assert all(":metadata.labels.projectcalico.org/namespace: error: reserved" in e for e in errors), errors
