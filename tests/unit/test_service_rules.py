"""Calico rules with `services`: loading (Calico's validation), rendering, the evaluator's match on
the Service's endpoints (felix/serviceindex), and the refusals when the endpoints are unknown."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tests.crd_validation import crd_errors
from tests.unit.test_load_calico import load_objects, messages, np, only_policy, rule
from translator.evaluate.calico import CalicoEvaluator
from translator.evaluate.service_members import ServiceEndpointsUnknown
from translator.model.calico import Action, EntityRule, PolicySet, ServiceMatch
from translator.model.cluster import Cluster, Connection, ContainerPort, Pod
from translator.model.common import Protocol
from translator.model.services import EndpointPort, EndpointSlice, Service, ServicePort
from translator.render.calico import policy_manifest
from translator.render.verdicts import decision_reasons

KUBERNETES = {"name": "kubernetes", "namespace": "default"}


def egress(*rules: dict[str, Any], kind: str = "GlobalNetworkPolicy") -> dict[str, Any]:
    return np({"selector": "all()", "types": ["Egress"], "egress": list(rules)}, kind=kind)


def ingress(*rules: dict[str, Any], kind: str = "GlobalNetworkPolicy") -> dict[str, Any]:
    return np({"selector": "all()", "types": ["Ingress"], "ingress": list(rules)}, kind=kind)


# --- loading --------------------------------------------------------------------------------------


def test_services_are_loaded_and_rendered_back() -> None:
    body = egress(rule(destination={"services": KUBERNETES}))
    policy = only_policy(load_objects(body))
    assert policy.spec.egress[0].destination == EntityRule(services=ServiceMatch("kubernetes", "default"))
    assert policy_manifest(policy)["spec"]["egress"] == [
        {"action": "Allow", "destination": {"services": KUBERNETES}}
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            egress(rule(destination={"services": KUBERNETES, "selector": "app == 'x'"})),
            "spec.egress[0].destination.selector: cannot specify Selector/NotSelector and Services on the "
            "same rule",
        ),
        (
            egress(rule(destination={"services": KUBERNETES, "notNets": ["10.0.0.0/8"]})),
            "spec.egress[0].destination.notNets: cannot specify Nets/NotNets and Services on the same rule",
        ),
        (
            egress(rule(destination={"services": KUBERNETES, "namespaceSelector": "all()"})),
            "spec.egress[0].destination.namespaceSelector: cannot specify NamespaceSelector and Services on "
            "the same rule",
        ),
        (
            egress(rule(protocol="TCP", destination={"services": KUBERNETES, "ports": [443]})),
            "spec.egress[0].destination.ports: ports and notPorts cannot be specified with services",
        ),
        (
            egress(rule(source={"services": KUBERNETES})),
            "spec.egress[0].source.services: not allowed in egress rule source",
        ),
        (
            ingress(rule(destination={"services": KUBERNETES})),
            "spec.ingress[0].destination.services: not allowed in ingress rule destination",
        ),
        (
            egress(rule(destination={"services": {"namespace": "default"}})),
            "spec.egress[0].destination.services.name: services must specify a service name",
        ),
        (
            egress(rule(destination={"services": {"name": "Bad_Name", "namespace": "default"}})),
            "spec.egress[0].destination.services.name: name must be a lower case RFC 1123 subdomain of at "
            "most 253 characters",
        ),
        (
            egress(rule(destination={"services": {"name": "kubernetes"}})),
            "spec.egress[0].destination.services.namespace: must specify a namespace",
        ),
    ],
    ids=[
        "selector",
        "not-nets",
        "namespace-selector",
        "ports",
        "egress-source",
        "ingress-destination",
        "no-name",
        "bad-name",
        "global-without-namespace",
    ],
)
def test_invalid_services_name_the_field(body: dict[str, Any], expected: str) -> None:
    loaded = load_objects(body)
    assert expected in messages(loaded)
    assert all(d.location.file == "p.yaml" and d.location.document == 1 for d in loaded.errors)


def test_a_namespaced_policy_must_write_the_namespace() -> None:
    """The API documents "this policy's namespace", Felix matches no Service: refused, not guessed."""
    loaded = load_objects(egress(rule(destination={"services": {"name": "db"}}), kind="NetworkPolicy"))
    (error,) = messages(loaded)
    assert error.startswith("spec.egress[0].destination.services.namespace: np2calico cannot evaluate")


def test_source_services_with_source_ports_is_valid() -> None:
    body = ingress(rule(protocol="TCP", source={"services": KUBERNETES}, destination={"ports": [80]}))
    policy = only_policy(load_objects(body))
    assert policy.spec.ingress[0].source.services == ServiceMatch("kubernetes", "default")


# --- CRD (with the services CEL rules) -------------------------------------------------------------


def test_crd_rules_on_services() -> None:
    good = egress(rule(destination={"services": KUBERNETES}))
    bad = egress(
        rule(protocol="TCP", destination={"services": KUBERNETES, "ports": [443], "nets": ["10.0.0.0/8"]})
    )
    assert crd_errors(good, "v3.32.1") == []
    assert crd_errors(bad, "v3.32.1") == [
        "spec.egress[0]: ports and notPorts cannot be specified with services",
        "spec.egress[0].destination: cannot specify Nets/NotNets and Services on the same rule",
    ]


# --- the evaluator ---------------------------------------------------------------------------------

CLIENT = Pod("app", "client", {"app": "client"}, (ipaddress.ip_address("10.244.0.5"),))
API_ADDRESS = ipaddress.ip_address("192.168.49.2")
OTHER = ipaddress.ip_address("192.168.49.3")
API_SLICE = EndpointSlice(
    "default", "kubernetes-abcde", "kubernetes", (API_ADDRESS,), (EndpointPort(8443, Protocol.TCP, "https"),)
)
API_SERVICE = Service("default", "kubernetes", None, (ServicePort(443, 8443, Protocol.TCP, "https"),))
WEB_V1 = Pod(
    "shop",
    "web-v1",
    {"app": "web"},
    (ipaddress.ip_address("10.244.1.1"),),
    (ContainerPort(8080, Protocol.TCP, "http"),),
    workload="deployment",
)
WEB_V2 = Pod(
    "shop",
    "web-v2",
    {"app": "web"},
    (ipaddress.ip_address("10.244.1.2"),),
    (ContainerPort(9090, Protocol.TCP, "http"),),
    workload="deployment",
)
LONE = Pod(
    "shop",
    "lone",
    {"app": "other"},
    (ipaddress.ip_address("10.244.1.3"),),
    (ContainerPort(8080, Protocol.TCP, "http"),),
)
WEB = Service("shop", "web", {"app": "web"}, (ServicePort(80, "http", Protocol.TCP, "http"),))


def allow_to(service: ServiceMatch) -> PolicySet:
    """Pods of `app` may only talk to `service`'s endpoints (then Deny)."""
    body = np(
        {
            "selector": "all()",
            "types": ["Egress"],
            "egress": [
                rule(destination={"services": {"name": service.name, "namespace": service.namespace}}),
                {"action": "Deny"},
            ],
        },
        namespace="app",
    )
    return PolicySet(calico_policies=(only_policy(load_objects(body)),))


def allowed(
    policies: PolicySet, cluster: Cluster, destination: Any, port: int, protocol: Protocol = Protocol.TCP
) -> bool:
    evaluator = CalicoEvaluator(policies, cluster)
    return evaluator.evaluate(Connection(CLIENT, destination, protocol, port)).egress.allowed


@pytest.mark.parametrize(
    ("destination", "port", "protocol", "expected"),
    [
        (API_ADDRESS, 8443, Protocol.TCP, True),
        (API_ADDRESS, 443, Protocol.TCP, False),  # the ClusterIP's port: the packet carries 8443
        (API_ADDRESS, 8443, Protocol.UDP, False),
        (OTHER, 8443, Protocol.TCP, False),
    ],
    ids=["endpoint-port", "service-port", "other-protocol", "other-address"],
)
def test_destination_services_match_the_slices(
    destination: Any, port: int, protocol: Protocol, expected: bool
) -> None:
    cluster = Cluster.build(pods=[CLIENT], services=[API_SERVICE], endpoint_slices=[API_SLICE])
    assert (
        allowed(allow_to(ServiceMatch("kubernetes", "default")), cluster, destination, port, protocol)
        is expected
    )


@pytest.mark.parametrize(
    ("destination", "port", "expected"),
    [(WEB_V1, 8080, True), (WEB_V1, 9090, False), (WEB_V2, 9090, True), (LONE, 8080, False)],
    ids=["v1-own-port", "v1-other-port", "v2-own-port", "not-selected"],
)
def test_destination_services_without_slices_follow_the_selector(
    destination: Pod, port: int, expected: bool
) -> None:
    """The named targetPort resolves per pod, as the EndpointSlice controller would list it."""
    cluster = Cluster.build(pods=[CLIENT, WEB_V1, WEB_V2, LONE], services=[WEB])
    assert allowed(allow_to(ServiceMatch("web", "shop")), cluster, destination, port) is expected


def test_the_decision_names_the_service_endpoint_and_slice() -> None:
    cluster = Cluster.build(pods=[CLIENT], services=[API_SERVICE], endpoint_slices=[API_SLICE])
    conn = Connection(CLIENT, API_ADDRESS, Protocol.TCP, 8443)
    decision = CalicoEvaluator(allow_to(ServiceMatch("kubernetes", "default")), cluster).evaluate(conn).egress
    (reason,) = decision_reasons(decision, conn)
    assert reason.endswith(
        "TCP/8443 on 192.168.49.2 is an endpoint of svc default/kubernetes "
        "(from EndpointSlice kubernetes-abcde)"
    )


@pytest.mark.parametrize(
    "cluster",
    [Cluster.build(pods=[CLIENT]), Cluster.build(pods=[CLIENT], services=[API_SERVICE])],
    ids=["no-service", "no-slice-no-selector"],
)
def test_unknown_endpoints_are_refused_not_guessed(cluster: Cluster) -> None:
    with pytest.raises(
        ServiceEndpointsUnknown, match="whether this connection goes to one of them is unknown"
    ):
        allowed(allow_to(ServiceMatch("kubernetes", "default")), cluster, API_ADDRESS, 8443)


def test_unknown_endpoints_do_not_matter_when_another_field_decides() -> None:
    """A UDP rule never reaches the services match of a TCP-only rule: nothing to refuse."""
    body = np(
        {
            "selector": "all()",
            "types": ["Egress"],
            "egress": [rule(protocol="UDP", destination={"services": KUBERNETES})],
        },
        namespace="app",
    )
    policies = PolicySet(calico_policies=(only_policy(load_objects(body)),))
    assert allowed(policies, Cluster.build(pods=[CLIENT]), API_ADDRESS, 8443) is False


def test_source_services_match_the_endpoint_addresses_on_any_port() -> None:
    body = np(
        {
            "selector": "all()",
            "types": ["Ingress"],
            "ingress": [rule(source={"services": {"name": "web", "namespace": "shop"}}), {"action": "Deny"}],
        },
        namespace="app",
    )
    policies = PolicySet(calico_policies=(only_policy(load_objects(body)),))
    cluster = Cluster.build(pods=[CLIENT, WEB_V1, LONE], services=[WEB])
    evaluator = CalicoEvaluator(policies, cluster)
    for source, expected in ((WEB_V1, True), (LONE, False)):
        verdict = evaluator.evaluate(Connection(source, CLIENT, Protocol.TCP, 12345))
        assert verdict.ingress.allowed is expected
        assert (verdict.ingress.action is Action.ALLOW) is expected
