"""A table of cases for every rule of semantics.md §1.1–§1.5, on model objects built directly.

Policies are written as a user would (no defaults applied) and go through `normalise`, so the
defaulting traps of §1.2 are exercised exactly as the loader would see them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.builders import (
    ALLOWED,
    BOTH,
    DENIED_AT_EGRESS,
    DENIED_AT_INGRESS,
    EGRESS,
    HTTP_DECLARED_TWICE,
    HTTP_ON_8080,
    INGRESS,
    SCTP,
    TCP,
    UDP,
    Case,
    block,
    evaluator_cluster,
    pod,
    pods,
    pol,
    port,
    rule,
    sel,
    table,
)
from tests.examples import examples
from translator.evaluate.k8s import K8sEvaluator, evaluate
from translator.evaluate.verdict import DecidedBy, Decision, Subject, Verdict
from translator.model.cluster import Cluster, Connection, Endpoint, HostEndpoint, Namespace, Pod
from translator.model.common import LabelSelector, Protocol, parse_ip
from translator.model.k8s import (
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    normalise,
)
from translator.render.verdicts import decision_reasons, describe_selector

CLUSTER = evaluator_cluster(
    namespaces=[Namespace.create("prod", {"env": "prod"})],
    pods=[
        pod("default", "db", {"app": "db", "tier": "backend"}, "10.0.0.3"),
        pod("prod", "client", {"app": "client"}, "10.0.2.2", ports=HTTP_ON_8080),
        pod("bare", "pod", {}, "10.0.3.2"),
        pod("default", "hostpod", {"app": "client"}, "192.168.1.10", host_network=True),
    ],
    host_endpoints=[HostEndpoint("node1", "node1", "eth0", {"role": "node"}, (parse_ip("192.168.1.1"),))],
)


# --- builders: as a user writes YAML, before defaulting ----------------------------------------














def ep(text: str) -> Endpoint:
    if text.startswith("hep:"):
        found = CLUSTER.host_endpoint(text[4:])
        assert found is not None
        return found
    if "/" in text:
        pod = CLUSTER.pod(text)
        assert pod is not None, text
        return pod
    return CLUSTER.endpoint_for_ip(parse_ip(text))


def _literal(text: str) -> dict[str, Any]:
    return {} if "/" in text or text.startswith("hep:") else {"ip": parse_ip(text)}


def conn(src: str, dst: str, number: int | str, protocol: Protocol = TCP, **addresses: Any) -> Connection:
    """Like the CLI: an IP literal owned by a pod denotes that pod, reached at that address."""
    for side, text in (("source_ip", src), ("destination_ip", dst)):
        if "ip" in _literal(text):
            addresses.setdefault(side, _literal(text)["ip"])
    return Connection(ep(src), ep(dst), protocol, number, **addresses)


def verdict_of(policies: list[NetworkPolicy], connection: Connection) -> tuple[bool, bool, bool]:
    v = evaluate([normalise(p) for p in policies], CLUSTER, connection)
    return v.allowed, v.egress.allowed, v.ingress.allowed


# --- common policies -----------------------------------------------------------------------------

DENY_INGRESS = pol("deny-ingress", types=INGRESS)
DENY_EGRESS = pol("deny-egress", types=EGRESS)
WEB = sel({"app": "web"})
CLIENT = sel({"app": "client"})
FROM_CLIENT_80 = pol("from-client", WEB, types=INGRESS, ingress=(rule(pods(CLIENT), ports=(port(80, TCP),)),))


def web_ingress(*rules: NetworkPolicyRule, name: str = "web-in") -> NetworkPolicy:
    return pol(name, WEB, types=INGRESS, ingress=rules)


def client_egress(*rules: NetworkPolicyRule) -> NetworkPolicy:
    return pol("client-out", CLIENT, types=EGRESS, egress=rules)


CASES = [
    # §1.1 isolation and combination
    Case(
        name="no-policy-allows-all",
        policies=[],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="deny-all-ingress-isolates",
        policies=[DENY_INGRESS],
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="ingress-policy-leaves-egress-open",
        policies=[DENY_INGRESS],
        source="default/web", destination="203.0.113.5", port=443,
        expect=ALLOWED,
    ),
    Case(
        name="policy-of-other-namespace-does-not-isolate",
        policies=[pol("dev-deny", ns="dev", types=INGRESS)],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="policy-selecting-other-pods-does-not-isolate",
        policies=[pol("db-only", sel({"app": "db"}), types=INGRESS)],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="union-deny-all-plus-allow",
        policies=[DENY_INGRESS, FROM_CLIENT_80],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="union-second-policy-allows",
        policies=[FROM_CLIENT_80, web_ingress(rule(pods(sel({"app": "db"}))), name="from-db")],
        source="default/db", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="both-directions-needed-egress-denies",
        policies=[DENY_EGRESS, FROM_CLIENT_80],
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_EGRESS,
    ),
    Case(
        name="both-directions-needed-ingress-denies",
        policies=[client_egress(rule()), DENY_INGRESS],
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="external-source-judged-on-ingress-only",
        policies=[DENY_EGRESS, web_ingress(rule(block("203.0.113.0/24")))],
        source="203.0.113.5", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="external-destination-judged-on-egress-only",
        policies=[DENY_INGRESS],
        source="default/client", destination="203.0.113.5", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="external-destination-egress-denied",
        policies=[DENY_EGRESS],
        source="default/client", destination="203.0.113.5", port=80,
        expect=DENIED_AT_EGRESS,
    ),
    Case(
        name="host-endpoint-never-selected",
        policies=[pol("all", types=BOTH)],
        source="hep:node1", destination="192.168.1.1", port=22,
        expect=ALLOWED,
    ),
    Case(
        name="host-endpoint-peer-not-matched-by-selectors",
        policies=[web_ingress(rule(pods(LabelSelector(), LabelSelector())))],
        source="hep:node1", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="host-endpoint-peer-matched-by-ipblock",
        policies=[web_ingress(rule(block("192.168.1.0/24")))],
        source="hep:node1", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="host-network-pod-not-isolated",
        policies=[pol("all", types=BOTH)],
        source="default/hostpod", destination="203.0.113.5", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="host-network-pod-peer-not-matched-by-selector",
        policies=[web_ingress(rule(pods(CLIENT)))],
        source="default/hostpod", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="host-network-pod-peer-matched-by-ipblock",
        policies=[web_ingress(rule(block("192.168.1.10/32")))],
        source="default/hostpod", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="pod-to-itself-denied-like-any-pair",
        policies=[DENY_INGRESS],
        source="default/web", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="pod-to-itself-allowed-like-any-pair",
        policies=[web_ingress(rule(pods(WEB)))],
        source="default/web", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="empty-pod-selector-selects-whole-namespace",
        policies=[DENY_INGRESS],
        source="default/web", destination="default/db", port=5432,
        expect=DENIED_AT_INGRESS,
    ),
    # §1.2 defaulting traps
    Case(
        name="egress-rules-without-types-isolate-ingress-too",
        policies=[pol("out", WEB, egress=(rule(),))],
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="egress-rules-without-types-isolate-egress",
        policies=[pol("out", WEB, egress=(rule(block("10.0.0.0/8")),))],
        source="default/web", destination="203.0.113.5", port=80,
        expect=DENIED_AT_EGRESS,
    ),
    Case(
        name="empty-egress-without-types-leaves-egress-open",
        policies=[pol("no-types", WEB, egress=())],
        source="default/web", destination="203.0.113.5", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="empty-egress-without-types-isolates-ingress",
        policies=[pol("no-types", WEB, egress=())],
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="explicit-egress-type-leaves-ingress-open",
        policies=[pol("eg", WEB, types=EGRESS, ingress=(rule(pods(sel({"app": "db"}))),))],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="explicit-egress-type-isolates-egress",
        policies=[pol("eg", WEB, types=EGRESS, ingress=(rule(),))],
        source="default/web", destination="203.0.113.5", port=80,
        expect=DENIED_AT_EGRESS,
    ),
    Case(
        name="port-protocol-defaults-to-tcp",
        policies=[web_ingress(rule(ports=(port(80),)))],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="port-protocol-default-is-not-udp",
        policies=[web_ingress(rule(ports=(port(80),)))],
        source="default/client", destination="default/web", protocol=UDP, port=80,
        expect=DENIED_AT_INGRESS,
    ),
    # §1.3 empty versus absent
    Case(
        name="ingress-empty-rule-allows-everything",
        policies=[web_ingress(rule())],
        source="203.0.113.5", destination="default/web", protocol=SCTP, port=9999,
        expect=ALLOWED,
    ),
    Case(
        name="egress-empty-rule-allows-everything",
        policies=[client_egress(rule())],
        source="default/client", destination="2001:db8::5", protocol=UDP, port=9999,
        expect=ALLOWED,
    ),
    Case(
        name="no-peers-include-external-ips",
        policies=[web_ingress(rule(ports=(port(80, TCP),)))],
        source="198.51.100.1", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="no-ports-every-protocol",
        policies=[web_ingress(rule(pods(CLIENT)))],
        source="default/client", destination="default/web", protocol=UDP, port=1234,
        expect=ALLOWED,
    ),
    Case(
        name="ports-empty-entry-every-tcp-port",
        policies=[web_ingress(rule(ports=(port(),)))],
        source="default/client", destination="default/web", port=1234,
        expect=ALLOWED,
    ),
    Case(
        name="ports-empty-entry-tcp-only",
        policies=[web_ingress(rule(ports=(port(),)))],
        source="default/client", destination="default/web", protocol=UDP, port=1234,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="ports-udp-entry-every-udp-port",
        policies=[web_ingress(rule(ports=(port(protocol=UDP),)))],
        source="default/client", destination="default/web", protocol=UDP, port=5000,
        expect=ALLOWED,
    ),
    Case(
        name="ports-udp-entry-not-tcp",
        policies=[web_ingress(rule(ports=(port(protocol=UDP),)))],
        source="default/client", destination="default/web", port=5000,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="ports-udp-entry-not-sctp",
        policies=[web_ingress(rule(ports=(port(protocol=UDP),)))],
        source="default/client", destination="default/web", protocol=SCTP, port=5000,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="rule-needs-port-and-peer",
        policies=[FROM_CLIENT_80],
        source="default/client", destination="default/web", port=81,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="rule-needs-peer-and-port",
        policies=[FROM_CLIENT_80],
        source="default/db", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    # §1.4 peers: the seven combinations
    Case(
        name="podsel-empty-own-namespace",
        policies=[web_ingress(rule(pods(LabelSelector())))],
        source="default/db", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="podsel-empty-not-other-namespace",
        policies=[web_ingress(rule(pods(LabelSelector())))],
        source="dev/other", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="podsel-own-namespace",
        policies=[FROM_CLIENT_80],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="podsel-same-labels-other-namespace",
        policies=[FROM_CLIENT_80],
        source="dev/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="nssel-empty-every-namespace",
        policies=[web_ingress(rule(pods(None, LabelSelector())))],
        source="dev/other", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="nssel-empty-not-external",
        policies=[web_ingress(rule(pods(None, LabelSelector())))],
        source="203.0.113.5", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="nssel-labels",
        policies=[web_ingress(rule(pods(None, sel({"env": "dev"}))))],
        source="dev/other", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="nssel-labels-other-namespace",
        policies=[web_ingress(rule(pods(None, sel({"env": "dev"}))))],
        source="prod/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="nssel-own-namespace-not-special",
        policies=[web_ingress(rule(pods(None, sel({"env": "dev"}))))],
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="nssel-metadata-name-label",
        policies=[web_ingress(rule(pods(None, sel({"kubernetes.io/metadata.name": "dev"}))))],
        source="dev/other", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="nssel-namespace-missing-from-state",
        policies=[web_ingress(rule(pods(None, sel({"kubernetes.io/metadata.name": "bare"}))))],
        source="bare/pod", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="nssel-empty-and-podsel-any-namespace",
        policies=[web_ingress(rule(pods(CLIENT, LabelSelector())))],
        source="dev/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="nssel-empty-and-podsel-needs-labels",
        policies=[web_ingress(rule(pods(CLIENT, LabelSelector())))],
        source="dev/other", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="nssel-and-podsel-both",
        policies=[web_ingress(rule(pods(CLIENT, sel({"env": "dev"}))))],
        source="dev/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="nssel-and-podsel-wrong-namespace",
        policies=[web_ingress(rule(pods(CLIENT, sel({"env": "dev"}))))],
        source="prod/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="nssel-and-podsel-wrong-pod",
        policies=[web_ingress(rule(pods(CLIENT, sel({"env": "dev"}))))],
        source="dev/other", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="nssel-and-podsel-empty-whole-namespace",
        policies=[web_ingress(rule(pods(LabelSelector(), sel({"env": "dev"}))))],
        source="dev/other", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="two-items-or-namespace",
        policies=[web_ingress(rule(pods(None, sel({"env": "dev"})), pods(CLIENT)))],
        source="dev/other", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="two-items-or-pod",
        policies=[web_ingress(rule(pods(None, sel({"env": "dev"})), pods(CLIENT)))],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="selectors-never-match-external-ip",
        policies=[web_ingress(rule(pods(LabelSelector(), LabelSelector())))],
        source="203.0.113.5", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    # §1.4 label selector operators, missing keys
    Case(
        name="notin-matches-missing-key",
        policies=[web_ingress(rule(pods(sel(None, ("tier", "NotIn", ("backend",))))))],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="notin-rejects-listed-value",
        policies=[web_ingress(rule(pods(sel(None, ("tier", "NotIn", ("backend",))))))],
        source="default/db", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="doesnotexist-matches-missing-key",
        policies=[web_ingress(rule(pods(sel(None, ("tier", "DoesNotExist", ())))))],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="doesnotexist-rejects-present-key",
        policies=[web_ingress(rule(pods(sel(None, ("tier", "DoesNotExist", ())))))],
        source="default/db", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="in-rejects-missing-key",
        policies=[web_ingress(rule(pods(sel(None, ("tier", "In", ("backend", "x"))))))],
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="in-matches-value",
        policies=[web_ingress(rule(pods(sel(None, ("tier", "In", ("backend", "x"))))))],
        source="default/db", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="exists-matches-present-key",
        policies=[web_ingress(rule(pods(sel(None, ("tier", "Exists", ())))))],
        source="default/db", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="matchlabels-and-expressions",
        policies=[web_ingress(rule(pods(sel({"app": "db"}, ("tier", "NotIn", ("backend",))))))],
        source="default/db", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="spec-podselector-notin-isolates-missing-key",
        policies=[pol("deny-untiered", sel(None, ("tier", "NotIn", ("backend",))), types=INGRESS)],
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="spec-podselector-notin-spares-listed",
        policies=[pol("deny-untiered", sel(None, ("tier", "NotIn", ("backend",))), types=INGRESS)],
        source="default/client", destination="default/db", port=80,
        expect=ALLOWED,
    ),
    # §1.4 ipBlock
    Case(
        name="ipblock-matches-pod-ip",
        policies=[web_ingress(rule(block("10.0.0.0/24")))],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="ipblock-matches-pod-ip-other-namespace",
        policies=[web_ingress(rule(block("10.0.1.0/24")))],
        source="dev/other", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="ipblock-except-removes",
        policies=[web_ingress(rule(block("10.0.0.0/24", "10.0.0.2/32")))],
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="ipblock-except-keeps-rest",
        policies=[web_ingress(rule(block("10.0.0.0/24", "10.0.0.2/32")))],
        source="default/db", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="ipblock-except-other-peer-allows",
        policies=[web_ingress(rule(block("10.0.0.0/24", "10.0.0.2/32"), pods(CLIENT)))],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="ipblock-except-other-policy-allows",
        policies=[web_ingress(rule(block("10.0.0.0/24", "10.0.0.2/32"))), FROM_CLIENT_80],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="ipblock-host-bits-masked",
        policies=[web_ingress(rule(block("10.0.0.77/24")))],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="ipblock-ipv4-never-matches-ipv6",
        policies=[web_ingress(rule(block("0.0.0.0/0")))],
        source="2001:db8::5", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="ipblock-ipv6-never-matches-ipv4",
        policies=[web_ingress(rule(block("::/0")))],
        source="203.0.113.5", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="ipblock-ipv6-matches-ipv6",
        policies=[web_ingress(rule(block("::/0")))],
        source="2001:db8::5", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="ipblock-egress-to-external",
        policies=[client_egress(rule(block("203.0.113.0/24")))],
        source="default/client", destination="203.0.113.5", port=443,
        expect=ALLOWED,
    ),
    Case(
        name="ipblock-egress-outside-block",
        policies=[client_egress(rule(block("203.0.113.0/24")))],
        source="default/client", destination="198.51.100.1", port=443,
        expect=DENIED_AT_EGRESS,
    ),
    Case(
        name="dual-stack-pod-primary-family",
        policies=[web_ingress(rule(block("fd00::/64")))],
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="dual-stack-pod-address-used",
        policies=[web_ingress(rule(block("fd00::/64")))],
        source="default/client", destination="default/web", port=80,
        source_ip="fd00::2", destination_ip="fd00::1",
        expect=ALLOWED,
    ),
    Case(
        name="dual-stack-family-from-ip-endpoint",
        policies=[client_egress(rule(block("fd00::/64")))],
        source="default/client", destination="fd00::1", port=80,
        expect=ALLOWED,
    ),
    # §1.5 ports
    Case(
        name="udp-rule-never-opens-tcp",
        policies=[web_ingress(rule(ports=(port(53, UDP),)))],
        source="default/client", destination="default/web", port=53,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="sctp-rule-never-opens-tcp",
        policies=[web_ingress(rule(ports=(port(53, SCTP),)))],
        source="default/client", destination="default/web", port=53,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="udp-rule-opens-udp",
        policies=[web_ingress(rule(ports=(port(53, UDP),)))],
        source="default/client", destination="default/web", protocol=UDP, port=53,
        expect=ALLOWED,
    ),
    Case(
        name="endport-start-inclusive",
        policies=[web_ingress(rule(ports=(port(8000, TCP, 8080),)))],
        source="default/client", destination="default/web", port=8000,
        expect=ALLOWED,
    ),
    Case(
        name="endport-end-inclusive",
        policies=[web_ingress(rule(ports=(port(8000, TCP, 8080),)))],
        source="default/client", destination="default/web", port=8080,
        expect=ALLOWED,
    ),
    Case(
        name="endport-above",
        policies=[web_ingress(rule(ports=(port(8000, TCP, 8080),)))],
        source="default/client", destination="default/web", port=8081,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="endport-below",
        policies=[web_ingress(rule(ports=(port(8000, TCP, 8080),)))],
        source="default/client", destination="default/web", port=7999,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="named-port-ingress-resolves-on-selected-pod",
        policies=[web_ingress(rule(ports=(port("http", TCP),)))],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="named-port-ingress-other-number",
        policies=[web_ingress(rule(ports=(port("http", TCP),)))],
        source="default/client", destination="default/web", port=8080,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="named-port-ingress-not-resolved-on-source",
        policies=[web_ingress(rule(ports=(port("http", TCP),)))],
        source="prod/client", destination="default/web", port=8080,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="named-port-protocol-mismatch",
        policies=[web_ingress(rule(ports=(port("dns", TCP),)))],
        source="default/client", destination="default/web", port=53,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="named-port-protocol-match",
        policies=[web_ingress(rule(ports=(port("dns", UDP),)))],
        source="default/client", destination="default/web", protocol=UDP, port=53,
        expect=ALLOWED,
    ),
    Case(
        name="named-port-undeclared",
        policies=[web_ingress(rule(ports=(port("nope", TCP),)))],
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
    ),
    Case(
        name="named-port-egress-resolves-on-peer",
        policies=[client_egress(rule(ports=(port("http", TCP),)))],
        source="default/client", destination="prod/client", port=8080,
        expect=ALLOWED,
    ),
    Case(
        name="named-port-egress-peer-other-number",
        policies=[client_egress(rule(ports=(port("http", TCP),)))],
        source="default/client", destination="default/web", port=8080,
        expect=DENIED_AT_EGRESS,
    ),
    Case(
        name="named-port-egress-peer-own-number",
        policies=[client_egress(rule(ports=(port("http", TCP),)))],
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="named-port-never-matches-external-ip",
        policies=[client_egress(rule(ports=(port("http", TCP),)))],
        source="default/client", destination="203.0.113.5", port=80,
        expect=DENIED_AT_EGRESS,
    ),
    Case(
        name="named-port-not-on-pod-ip-given-by-address",
        policies=[client_egress(rule(ports=(port("http", TCP),)))],
        source="default/client", destination="10.0.0.1", port=80,
        expect=ALLOWED,
    ),
    Case(
        name="connection-named-port-meets-numeric-rule",
        policies=[FROM_CLIENT_80],
        source="default/client", destination="default/web", port="http",
        expect=ALLOWED,
    ),
]


def connection(case: Case[list[NetworkPolicy]]) -> Connection:
    ips = {side: parse_ip(ip) for side, ip in case.addresses.items()}
    return conn(case.source, case.destination, case.port, case.protocol, **ips)


@pytest.mark.parametrize("case", table(CASES))
def test_semantics_table(case: Case[list[NetworkPolicy]]) -> None:
    assert verdict_of(case.policies, connection(case)) == case.expect


def test_every_case_id_is_unique() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))


# --- explanations --------------------------------------------------------------------------------


def _evaluator(*policies: NetworkPolicy) -> K8sEvaluator:
    return K8sEvaluator([normalise(p) for p in policies], CLUSTER)


def _reasons(verdict: Verdict, decision: Decision) -> tuple[str, ...]:
    return decision_reasons(decision, verdict.connection)


def test_allow_names_policy_rule_peer_and_port() -> None:
    second = web_ingress(
        rule(block("198.51.100.0/24")),
        rule(pods(sel({"app": "db"})), pods(CLIENT), ports=(port(443, TCP), port(80, TCP))),
    )
    v = _evaluator(DENY_INGRESS, second).evaluate(conn("default/client", "default/web", 80))
    assert v.allowed and v.word == "allow"
    assert (v.ingress.policy, v.ingress.rule) == ("default/web-in", 1)
    assert v.ingress.decided_by is DecidedBy.RULE and v.ingress.k8s_match is not None
    assert (v.ingress.k8s_match.peer, v.ingress.k8s_match.port) == (1, 1)
    assert v.ingress.isolating == ("default/deny-ingress", "default/web-in")
    reasons = _reasons(v, v.ingress)
    assert "peer 1 (podSelector app=client)" in reasons[0]
    assert "port 1 (TCP/80)" in reasons[0]
    assert reasons[1] == "default/web is isolated for ingress by default/deny-ingress, default/web-in"


def test_deny_names_isolating_policies() -> None:
    v = _evaluator(DENY_INGRESS, FROM_CLIENT_80).evaluate(conn("default/db", "default/web", 80))
    assert not v.allowed and v.word == "deny"
    assert v.ingress.policy is None and v.ingress.rule is None
    assert v.ingress.decided_by is DecidedBy.NO_RULE and v.ingress.subject == "default/web"
    assert v.ingress.isolating == ("default/deny-ingress", "default/from-client")
    assert _reasons(v, v.ingress) == (
        "default/web is isolated for ingress by default/deny-ingress, default/from-client; "
        "no rule allows TCP/80 from default/db",
    )


def test_not_isolated_and_not_judged_reasons() -> None:
    v = _evaluator(DENY_INGRESS).evaluate(conn("203.0.113.5", "default/web", 80))
    assert (v.egress.decided_by, v.egress.subject_kind) == (DecidedBy.NOT_JUDGED, Subject.OUTSIDE)
    assert "203.0.113.5 is outside the cluster" in _reasons(v, v.egress)[0]
    v = _evaluator().evaluate(conn("default/client", "hep:node1", 22))
    assert (v.ingress.decided_by, v.ingress.subject_kind) == (DecidedBy.NOT_JUDGED, Subject.HOST_ENDPOINT)
    assert "never select host endpoints" in _reasons(v, v.ingress)[0]
    assert (v.egress.decided_by, v.egress.subject) == (DecidedBy.NOT_ISOLATED, "default/client")
    assert "default/client is not isolated for egress" in _reasons(v, v.egress)[0]


def test_every_peer_and_every_port_reported() -> None:
    v = _evaluator(web_ingress(rule())).evaluate(conn("default/client", "default/web", 80))
    assert v.ingress.k8s_match is not None
    assert (v.ingress.k8s_match.peer, v.ingress.k8s_match.port) == (None, None)
    assert "every peer, every port" in _reasons(v, v.ingress)[0]


def test_named_connection_port_shows_number() -> None:
    v = _evaluator(FROM_CLIENT_80).evaluate(conn("default/client", "default/web", "http"))
    assert "TCP/http (80) from default/client" in _reasons(v, v.ingress)[0]


def test_ipblock_except_described() -> None:
    v = _evaluator(web_ingress(rule(block("10.0.0.0/16", "10.0.1.0/24")))).evaluate(
        conn("default/db", "default/web", 80)
    )
    assert "ipBlock 10.0.0.0/16 except 10.0.1.0/24" in _reasons(v, v.ingress)[0]


@pytest.mark.parametrize(
    ("selector", "text"),
    [
        (LabelSelector(), "{}"),
        (sel({"b": "2", "a": "1"}), "a=1,b=2"),
        (
            sel(
                None,
                ("t", "In", ("x", "y")),
                ("u", "NotIn", ("z",)),
                ("v", "Exists", ()),
                ("w", "DoesNotExist", ()),
            ),
            "t in (x,y),u notin (z),v,!w",
        ),
    ],
)
def test_describe_selector(selector: LabelSelector, text: str) -> None:
    assert describe_selector(selector) == text


# --- contract --------------------------------------------------------------------------------------


def test_refuses_policy_without_defaulted_types() -> None:
    with pytest.raises(ValueError, match="not normalised"):
        K8sEvaluator([pol("raw")], CLUSTER)


def test_refuses_port_without_defaulted_protocol() -> None:
    raw = pol("raw", types=INGRESS, ingress=(rule(ports=(port(80),)),))
    with pytest.raises(ValueError, match="not normalised"):
        K8sEvaluator([raw], CLUSTER)


@pytest.mark.parametrize(
    "peer",
    [
        NetworkPolicyPeer(),
        NetworkPolicyPeer(pod_selector=LabelSelector(), ip_block=block("10.0.0.0/8").ip_block),
    ],
    ids=["empty-peer", "ipblock-with-selector"],
)
def test_refuses_invalid_peer(peer: NetworkPolicyPeer) -> None:
    with pytest.raises(ValueError, match="a peer needs"):
        K8sEvaluator([normalise(web_ingress(rule(peer)))], CLUSTER)


def test_normalise_is_idempotent_for_the_evaluator() -> None:
    once = normalise(pol("out", WEB, egress=(rule(),)))
    c = conn("default/client", "default/web", 80)
    assert K8sEvaluator([once], CLUSTER).evaluate(c) == K8sEvaluator([normalise(once)], CLUSTER).evaluate(c)


def test_evaluator_reuse_matches_one_shot() -> None:
    policies = [normalise(p) for p in (DENY_INGRESS, FROM_CLIENT_80, DENY_EGRESS)]
    evaluator = K8sEvaluator(policies, CLUSTER)
    connections = [connection(case) for case in CASES] * 2
    assert [evaluator.evaluate(c) for c in connections] == [
        evaluate(policies, CLUSTER, c) for c in connections
    ]


# --- metamorphic properties: what "a union of allow-lists, per namespace" implies ------------------

SELECTORS = st.sampled_from(
    [LabelSelector(), WEB, CLIENT, sel({"app": "db"}), sel(None, ("tier", "NotIn", ("backend",)))]
)
NAMESPACE_SELECTORS = st.sampled_from([LabelSelector(), sel({"env": "dev"}), sel({"team": "a"})])
PEERS = st.one_of(
    st.builds(pods, SELECTORS, st.none()),
    st.builds(pods, st.none() | SELECTORS, NAMESPACE_SELECTORS),
    st.sampled_from([block("10.0.0.0/24"), block("10.0.0.0/16", "10.0.1.0/24"), block("0.0.0.0/0")]),
)
PORTS = st.sampled_from(
    [port(80, TCP), port(None, TCP), port(None, UDP), port(53, UDP), port("http", TCP), port(8000, TCP, 8080)]
)
RULES = st.builds(
    lambda peers, ports: rule(*peers, ports=tuple(ports)),
    st.lists(PEERS, max_size=2),
    st.lists(PORTS, max_size=2),
)
ENDPOINTS = st.sampled_from(
    ["default/web", "default/client", "default/db", "dev/client", "dev/other", "prod/client", "203.0.113.5"]
)
CONNECTIONS = st.builds(
    conn, ENDPOINTS, ENDPOINTS, st.sampled_from([80, 53, 8080, 443]), st.sampled_from([TCP, UDP])
)


@st.composite
def policy_sets(draw: st.DrawFn) -> list[NetworkPolicy]:
    count = draw(st.integers(0, 4))
    return [
        normalise(
            pol(
                f"p{i}",
                draw(SELECTORS),
                ns=draw(st.sampled_from(["default", "dev"])),
                types=draw(st.sampled_from([INGRESS, EGRESS, BOTH])),
                ingress=tuple(draw(st.lists(RULES, max_size=2))),
                egress=tuple(draw(st.lists(RULES, max_size=2))),
            )
        )
        for i in range(count)
    ]


def _allowed(policies: list[NetworkPolicy], connection: Connection) -> tuple[bool, bool]:
    v = K8sEvaluator(policies, CLUSTER).evaluate(connection)
    return v.egress.allowed, v.ingress.allowed


@settings(max_examples=examples(400))
@given(policy_sets(), CONNECTIONS, st.randoms(use_true_random=False))
def test_policy_order_does_not_matter(
    policies: list[NetworkPolicy], connection: Connection, rnd: Any
) -> None:
    shuffled = list(policies)
    rnd.shuffle(shuffled)
    assert _allowed(shuffled, connection) == _allowed(policies, connection)


@settings(max_examples=examples(400))
@given(policy_sets(), CONNECTIONS)
def test_one_policy_per_rule_is_the_same_union(policies: list[NetworkPolicy], connection: Connection) -> None:
    split = []
    for p in policies:
        split.append(replace(p, name=f"{p.name}-isolate", ingress=(), egress=()))
        split += [
            replace(p, name=f"{p.name}-in{i}", ingress=(r,), egress=()) for i, r in enumerate(p.ingress)
        ]
        split += [
            replace(p, name=f"{p.name}-out{i}", ingress=(), egress=(r,)) for i, r in enumerate(p.egress)
        ]
    assert _allowed(split, connection) == _allowed(policies, connection)


@settings(max_examples=examples(400))
@given(policy_sets(), CONNECTIONS, RULES, st.integers(0, 3))
def test_adding_a_rule_never_denies(
    policies: list[NetworkPolicy], connection: Connection, extra: NetworkPolicyRule, which: int
) -> None:
    assume(policies)
    target = policies[which % len(policies)]
    grown = replace(target, ingress=(*target.ingress, extra), egress=(*target.egress, extra))
    before = _allowed(policies, connection)
    after = _allowed([grown if p is target else p for p in policies], connection)
    assert all(a or not b for b, a in zip(before, after, strict=True))


@settings(max_examples=examples(400))
@given(policy_sets(), CONNECTIONS)
def test_only_the_endpoints_namespaces_matter(policies: list[NetworkPolicy], connection: Connection) -> None:
    namespaces = {e.namespace for e in (connection.source, connection.destination) if isinstance(e, Pod)}
    kept = [p for p in policies if p.namespace in namespaces]
    assert _allowed(kept, connection) == _allowed(policies, connection)


# Two containers of one pod may declare the same port name with different numbers (Kubernetes
# only warns). A named port in a rule matches every container port of that name and protocol,
# as implementations see it: policy-assistant probes each (number, name) pair, Felix's named-port
# IP sets hold every number.
_SIDECAR_POD = pod(
    "default",
    "multi",
    {"app": "multi"},
    "10.0.0.9",
    ports=HTTP_DECLARED_TWICE,
)
_SIDECAR_CLUSTER = Cluster.build(CLUSTER.namespaces.values(), (*CLUSTER.pods, _SIDECAR_POD))


@pytest.mark.parametrize(
    ("protocol", "port", "allowed"),
    [(TCP, 80, True), (TCP, 8080, True), (TCP, 9090, False), (UDP, 9090, False), (TCP, 81, False)],
    ids=["first-number", "second-container-number", "other-protocol-number", "udp-rule-absent", "undeclared"],
)
def test_named_port_declared_by_several_containers_matches_each_number(
    protocol: Protocol, port: int, allowed: bool
) -> None:
    rule = NetworkPolicyRule(ports=(NetworkPolicyPort(TCP, "http"),))
    policy = normalise(NetworkPolicy("default", "p", LabelSelector.of({"app": "multi"}), None, (rule,)))
    client = _SIDECAR_CLUSTER.pod("default/client")
    assert client is not None
    verdict = evaluate([policy], _SIDECAR_CLUSTER, Connection(client, _SIDECAR_POD, protocol, port))
    assert verdict.ingress.allowed is allowed, verdict.ingress
