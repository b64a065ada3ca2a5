"""What a concrete diff says about the cluster it judged: workloads named as explain names them, pod
groups labelled by the Services selecting them, and the pods per namespace (0 where policies are)."""

from __future__ import annotations

import ipaddress

import pytest

from tests.schema_helper import validate_output
from translator.diff import diff_policies
from translator.diff.labels import judged_namespaces, with_judged, with_services
from translator.diff.report import DiffContext, DiffReport
from translator.diff.result import EndpointKind, Endpoints, JudgedNamespace, SemanticDiff
from translator.model.calico import PolicySet
from translator.model.cluster import Cluster, Namespace, Pod
from translator.model.common import Direction, LabelSelector, Protocol
from translator.model.k8s import NetworkPolicy, normalise
from translator.model.services import Service, ServicePort
from translator.render.diff import render_semantic_diff
from translator.render.diff_json import read_diff_json
from translator.render.html import render_html_report

API = Pod("shop", "api", {"app": "api"}, (ipaddress.ip_address("10.244.0.1"),), workload="deployment")
WEB = Pod("shop", "web-0", {"app": "web"}, (ipaddress.ip_address("10.244.0.2"),))
NODE_AGENT = Pod("kube-system", "agent", {"app": "agent"}, (ipaddress.ip_address("192.168.0.1"),),
                 host_network=True, workload="daemonset")
SERVICES = (
    Service("shop", "api", {"app": "api"}, (ServicePort(80, 8080, Protocol.TCP),)),
    Service("shop", "api-internal", {"app": "api"}, (ServicePort(81, 8081, Protocol.TCP),)),
    Service("other", "api", {"app": "api"}, (ServicePort(80, 8080, Protocol.TCP),)),  # another namespace
)
CLUSTER = Cluster.build([Namespace.create("empty")], [API, WEB, NODE_AGENT], services=SERVICES)
DENY_SHOP = NetworkPolicy("shop", "deny", LabelSelector(), (Direction.INGRESS,))
DENY_PROD = NetworkPolicy("prod", "deny", LabelSelector(), (Direction.INGRESS,))


@pytest.mark.parametrize(
    ("side", "expected"),
    [
        (Endpoints(EndpointKind.PODS, "shop", ("deployment/api", "web-0")),
         "deployment shop/api, shop/web-0"),
        (Endpoints(EndpointKind.PODS, "shop", ("deployment/api",),
                   services=(("deployment/api", ("api", "b")),)),
         "deployment shop/api (svc api, b)"),
        (Endpoints(EndpointKind.HOST, names=("hep:node-0",)), "hep:node-0"),
    ],
    ids=["workload-like-explain", "services", "host"],
)
def test_describe(side: Endpoints, expected: str) -> None:
    assert side.describe() == expected


def test_judged_counts_namespaces_of_the_state_and_of_the_policies() -> None:
    policies = PolicySet(k8s_policies=(normalise(DENY_SHOP), normalise(DENY_PROD)))
    assert judged_namespaces(CLUSTER, policies) == (
        JudgedNamespace("empty", 0, 0, False),
        JudgedNamespace("kube-system", 0, 0, False),  # the host-network agent is judged as its node
        JudgedNamespace("prod", 0, 0, True),
        JudgedNamespace("shop", 1, 1, True),
    )
    assert SemanticDiff(judged=judged_namespaces(CLUSTER, policies)).judged_text() == (
        "judged: 0 pods in namespace empty; 0 pods in namespace kube-system; "
        "0 pods in namespace prod (its policies judge nothing); namespace shop: 1 pod, 1 workload")


@pytest.fixture(scope="module")
def labelled() -> SemanticDiff:
    """Isolating `shop` for ingress: every connection into it changes."""
    after = PolicySet(k8s_policies=(normalise(DENY_SHOP), normalise(DENY_PROD)))
    found = diff_policies(PolicySet(), after, CLUSTER)
    return with_services(with_judged(found, CLUSTER, PolicySet(), after), CLUSTER)


def test_pod_groups_name_the_services_selecting_them(labelled: SemanticDiff) -> None:
    destinations = {c.destination.describe() for c in labelled.changes if c.destination.namespace == "shop"}
    assert destinations == {"deployment shop/api (svc api, api-internal), shop/web-0"}


@pytest.mark.parametrize("output", ["text", "markdown"])
def test_text_outputs_say_what_was_judged(labelled: SemanticDiff, output: str) -> None:
    text = render_semantic_diff(labelled, output)
    assert "0 pods in namespace prod (its policies judge nothing)" in text
    assert "deployment shop/api (svc api, api-internal)" in text


def test_an_empty_answer_still_says_what_it_judged() -> None:
    """The dangerous answer of issue 11: "no change" on a state without the policies' pods."""
    policies = PolicySet(k8s_policies=(normalise(DENY_PROD),))
    empty = with_judged(diff_policies(policies, policies, CLUSTER), CLUSTER, policies)
    text = render_semantic_diff(empty, "text")
    assert text.splitlines()[:2] == [
        "No connection changes its verdict.",
        "judged: 0 pods in namespace empty; 0 pods in namespace kube-system; "
        "0 pods in namespace prod (its policies judge nothing); namespace shop: 1 pod, 1 workload",
    ]


def test_json_carries_both_and_reads_back(labelled: SemanticDiff) -> None:
    text = render_semantic_diff(labelled, "json")
    document = validate_output(text)
    prod = {"namespace": "prod", "pods": 0, "workloads": 0, "has_policies": True,
            "summary": "0 pods in namespace prod (its policies judge nothing)"}
    assert prod in document["summary"]["judged"]
    api = next(c["destination"] for c in document["changes"] if c["destination"].get("namespace") == "shop")
    assert api["names"] == ["deployment/api", "web-0"]
    assert api["services"] == {"deployment/api": ["api", "api-internal"]}
    again = read_diff_json(text, "diff.json")
    assert again.diff.changes == labelled.changes and again.diff.judged == labelled.judged
    assert render_semantic_diff(again.diff, "json") == text


def test_the_html_report_says_what_was_judged(labelled: SemanticDiff) -> None:
    page = render_html_report(DiffReport(labelled, DiffContext(cluster="state.yaml")))
    assert '<dd id="judged">0 pods in namespace empty;' in page
    assert "0 pods in namespace prod (its policies judge nothing)" in page
