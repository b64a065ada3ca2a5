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

from tests.builders import BOTH, EGRESS, INGRESS, SCTP, TCP, UDP, block, pods, pol, port, rule, sel
from tests.examples import examples
from translator.evaluate.k8s import K8sEvaluator, evaluate
from translator.evaluate.verdict import DecidedBy, Decision, Subject, Verdict
from translator.model.cluster import (
    Cluster,
    Connection,
    ContainerPort,
    Endpoint,
    HostEndpoint,
    Namespace,
    Pod,
)
from translator.model.common import (
    LabelSelector,
    Protocol,
    parse_ip,
)
from translator.model.k8s import (
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    normalise,
)
from translator.render.verdicts import decision_reasons, describe_selector


def _pod(
    ns: str,
    name: str,
    labels: dict[str, str],
    *ips: str,
    ports: tuple[ContainerPort, ...] = (),
    host_network: bool = False,
) -> Pod:
    return Pod(ns, name, labels, tuple(parse_ip(i) for i in ips), ports, host_network=host_network)


CLUSTER = Cluster.build(
    namespaces=[
        Namespace.create("default", {"team": "a"}),
        Namespace.create("dev", {"env": "dev"}),
        Namespace.create("prod", {"env": "prod"}),
    ],
    pods=[
        _pod(
            "default",
            "web",
            {"app": "web"},
            "10.0.0.1",
            "fd00::1",
            ports=(ContainerPort(80, TCP, "http"), ContainerPort(53, UDP, "dns")),
        ),
        _pod("default", "client", {"app": "client"}, "10.0.0.2", "fd00::2"),
        _pod("default", "db", {"app": "db", "tier": "backend"}, "10.0.0.3"),
        _pod("dev", "client", {"app": "client"}, "10.0.1.2"),
        _pod("dev", "other", {"app": "other"}, "10.0.1.3"),
        _pod("prod", "client", {"app": "client"}, "10.0.2.2", ports=(ContainerPort(8080, TCP, "http"),)),
        _pod("bare", "pod", {}, "10.0.3.2"),
        _pod("default", "hostpod", {"app": "client"}, "192.168.1.10", host_network=True),
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


def web_ingress(*rules: NetworkPolicyRule) -> NetworkPolicy:
    return pol("web-in", WEB, types=INGRESS, ingress=rules)


def client_egress(*rules: NetworkPolicyRule) -> NetworkPolicy:
    return pol("client-out", CLIENT, types=EGRESS, egress=rules)


# Each case: id, policies, connection, (overall, egress, ingress) allowed.
CASES = [
    # §1.1 isolation and combination
    ("no-policy-allows-all", [], conn("default/client", "default/web", 80), (True, True, True)),
    (
        "deny-all-ingress-isolates",
        [DENY_INGRESS],
        conn("default/client", "default/web", 80),
        (False, True, False),
    ),
    (
        "ingress-policy-leaves-egress-open",
        [DENY_INGRESS],
        conn("default/web", "203.0.113.5", 443),
        (True, True, True),
    ),
    (
        "policy-of-other-namespace-does-not-isolate",
        [pol("dev-deny", ns="dev", types=INGRESS)],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "policy-selecting-other-pods-does-not-isolate",
        [pol("db-only", sel({"app": "db"}), types=INGRESS)],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "union-deny-all-plus-allow",
        [DENY_INGRESS, FROM_CLIENT_80],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "union-second-policy-allows",
        [FROM_CLIENT_80, pol("from-db", WEB, types=INGRESS, ingress=(rule(pods(sel({"app": "db"}))),))],
        conn("default/db", "default/web", 80),
        (True, True, True),
    ),
    (
        "both-directions-needed-egress-denies",
        [DENY_EGRESS, FROM_CLIENT_80],
        conn("default/client", "default/web", 80),
        (False, False, True),
    ),
    (
        "both-directions-needed-ingress-denies",
        [client_egress(rule()), DENY_INGRESS],
        conn("default/client", "default/web", 80),
        (False, True, False),
    ),
    (
        "external-source-judged-on-ingress-only",
        [DENY_EGRESS, web_ingress(rule(block("203.0.113.0/24")))],
        conn("203.0.113.5", "default/web", 80),
        (True, True, True),
    ),
    (
        "external-destination-judged-on-egress-only",
        [DENY_INGRESS],
        conn("default/client", "203.0.113.5", 80),
        (True, True, True),
    ),
    (
        "external-destination-egress-denied",
        [DENY_EGRESS],
        conn("default/client", "203.0.113.5", 80),
        (False, False, True),
    ),
    (
        "host-endpoint-never-selected",
        [pol("all", types=BOTH)],
        conn("hep:node1", "192.168.1.1", 22),
        (True, True, True),
    ),
    (
        "host-endpoint-peer-not-matched-by-selectors",
        [web_ingress(rule(pods(LabelSelector(), LabelSelector())))],
        conn("hep:node1", "default/web", 80),
        (False, True, False),
    ),
    (
        "host-endpoint-peer-matched-by-ipblock",
        [web_ingress(rule(block("192.168.1.0/24")))],
        conn("hep:node1", "default/web", 80),
        (True, True, True),
    ),
    (
        "host-network-pod-not-isolated",
        [pol("all", types=BOTH)],
        conn("default/hostpod", "203.0.113.5", 80),
        (True, True, True),
    ),
    (
        "host-network-pod-peer-not-matched-by-selector",
        [web_ingress(rule(pods(CLIENT)))],
        conn("default/hostpod", "default/web", 80),
        (False, True, False),
    ),
    (
        "host-network-pod-peer-matched-by-ipblock",
        [web_ingress(rule(block("192.168.1.10/32")))],
        conn("default/hostpod", "default/web", 80),
        (True, True, True),
    ),
    (
        "pod-to-itself-denied-like-any-pair",
        [DENY_INGRESS],
        conn("default/web", "default/web", 80),
        (False, True, False),
    ),
    (
        "pod-to-itself-allowed-like-any-pair",
        [web_ingress(rule(pods(WEB)))],
        conn("default/web", "default/web", 80),
        (True, True, True),
    ),
    (
        "empty-pod-selector-selects-whole-namespace",
        [DENY_INGRESS],
        conn("default/web", "default/db", 5432),
        (False, True, False),
    ),
    # §1.2 defaulting traps
    (
        "egress-rules-without-types-isolate-ingress-too",
        [pol("out", WEB, egress=(rule(),))],
        conn("default/client", "default/web", 80),
        (False, True, False),
    ),
    (
        "egress-rules-without-types-isolate-egress",
        [pol("out", WEB, egress=(rule(block("10.0.0.0/8")),))],
        conn("default/web", "203.0.113.5", 80),
        (False, False, True),
    ),
    (
        "empty-egress-without-types-leaves-egress-open",
        [pol("no-types", WEB, egress=())],
        conn("default/web", "203.0.113.5", 80),
        (True, True, True),
    ),
    (
        "empty-egress-without-types-isolates-ingress",
        [pol("no-types", WEB, egress=())],
        conn("default/client", "default/web", 80),
        (False, True, False),
    ),
    (
        "explicit-egress-type-leaves-ingress-open",
        [pol("eg", WEB, types=EGRESS, ingress=(rule(pods(sel({"app": "db"}))),))],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "explicit-egress-type-isolates-egress",
        [pol("eg", WEB, types=EGRESS, ingress=(rule(),))],
        conn("default/web", "203.0.113.5", 80),
        (False, False, True),
    ),
    (
        "port-protocol-defaults-to-tcp",
        [web_ingress(rule(ports=(port(80),)))],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "port-protocol-default-is-not-udp",
        [web_ingress(rule(ports=(port(80),)))],
        conn("default/client", "default/web", 80, UDP),
        (False, True, False),
    ),
    # §1.3 empty versus absent
    (
        "ingress-empty-rule-allows-everything",
        [web_ingress(rule())],
        conn("203.0.113.5", "default/web", 9999, SCTP),
        (True, True, True),
    ),
    (
        "egress-empty-rule-allows-everything",
        [client_egress(rule())],
        conn("default/client", "2001:db8::5", 9999, UDP),
        (True, True, True),
    ),
    (
        "no-peers-include-external-ips",
        [web_ingress(rule(ports=(port(80, TCP),)))],
        conn("198.51.100.1", "default/web", 80),
        (True, True, True),
    ),
    (
        "no-ports-every-protocol",
        [web_ingress(rule(pods(CLIENT)))],
        conn("default/client", "default/web", 1234, UDP),
        (True, True, True),
    ),
    (
        "ports-empty-entry-every-tcp-port",
        [web_ingress(rule(ports=(port(),)))],
        conn("default/client", "default/web", 1234),
        (True, True, True),
    ),
    (
        "ports-empty-entry-tcp-only",
        [web_ingress(rule(ports=(port(),)))],
        conn("default/client", "default/web", 1234, UDP),
        (False, True, False),
    ),
    (
        "ports-udp-entry-every-udp-port",
        [web_ingress(rule(ports=(port(protocol=UDP),)))],
        conn("default/client", "default/web", 5000, UDP),
        (True, True, True),
    ),
    (
        "ports-udp-entry-not-tcp",
        [web_ingress(rule(ports=(port(protocol=UDP),)))],
        conn("default/client", "default/web", 5000),
        (False, True, False),
    ),
    (
        "ports-udp-entry-not-sctp",
        [web_ingress(rule(ports=(port(protocol=UDP),)))],
        conn("default/client", "default/web", 5000, SCTP),
        (False, True, False),
    ),
    (
        "rule-needs-port-and-peer",
        [FROM_CLIENT_80],
        conn("default/client", "default/web", 81),
        (False, True, False),
    ),
    (
        "rule-needs-peer-and-port",
        [FROM_CLIENT_80],
        conn("default/db", "default/web", 80),
        (False, True, False),
    ),
    # §1.4 peers: the seven combinations
    (
        "podsel-empty-own-namespace",
        [web_ingress(rule(pods(LabelSelector())))],
        conn("default/db", "default/web", 80),
        (True, True, True),
    ),
    (
        "podsel-empty-not-other-namespace",
        [web_ingress(rule(pods(LabelSelector())))],
        conn("dev/other", "default/web", 80),
        (False, True, False),
    ),
    ("podsel-own-namespace", [FROM_CLIENT_80], conn("default/client", "default/web", 80), (True, True, True)),
    (
        "podsel-same-labels-other-namespace",
        [FROM_CLIENT_80],
        conn("dev/client", "default/web", 80),
        (False, True, False),
    ),
    (
        "nssel-empty-every-namespace",
        [web_ingress(rule(pods(None, LabelSelector())))],
        conn("dev/other", "default/web", 80),
        (True, True, True),
    ),
    (
        "nssel-empty-not-external",
        [web_ingress(rule(pods(None, LabelSelector())))],
        conn("203.0.113.5", "default/web", 80),
        (False, True, False),
    ),
    (
        "nssel-labels",
        [web_ingress(rule(pods(None, sel({"env": "dev"}))))],
        conn("dev/other", "default/web", 80),
        (True, True, True),
    ),
    (
        "nssel-labels-other-namespace",
        [web_ingress(rule(pods(None, sel({"env": "dev"}))))],
        conn("prod/client", "default/web", 80),
        (False, True, False),
    ),
    (
        "nssel-own-namespace-not-special",
        [web_ingress(rule(pods(None, sel({"env": "dev"}))))],
        conn("default/client", "default/web", 80),
        (False, True, False),
    ),
    (
        "nssel-metadata-name-label",
        [web_ingress(rule(pods(None, sel({"kubernetes.io/metadata.name": "dev"}))))],
        conn("dev/other", "default/web", 80),
        (True, True, True),
    ),
    (
        "nssel-namespace-missing-from-state",
        [web_ingress(rule(pods(None, sel({"kubernetes.io/metadata.name": "bare"}))))],
        conn("bare/pod", "default/web", 80),
        (True, True, True),
    ),
    (
        "nssel-empty-and-podsel-any-namespace",
        [web_ingress(rule(pods(CLIENT, LabelSelector())))],
        conn("dev/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "nssel-empty-and-podsel-needs-labels",
        [web_ingress(rule(pods(CLIENT, LabelSelector())))],
        conn("dev/other", "default/web", 80),
        (False, True, False),
    ),
    (
        "nssel-and-podsel-both",
        [web_ingress(rule(pods(CLIENT, sel({"env": "dev"}))))],
        conn("dev/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "nssel-and-podsel-wrong-namespace",
        [web_ingress(rule(pods(CLIENT, sel({"env": "dev"}))))],
        conn("prod/client", "default/web", 80),
        (False, True, False),
    ),
    (
        "nssel-and-podsel-wrong-pod",
        [web_ingress(rule(pods(CLIENT, sel({"env": "dev"}))))],
        conn("dev/other", "default/web", 80),
        (False, True, False),
    ),
    (
        "nssel-and-podsel-empty-whole-namespace",
        [web_ingress(rule(pods(LabelSelector(), sel({"env": "dev"}))))],
        conn("dev/other", "default/web", 80),
        (True, True, True),
    ),
    (
        "two-items-or-namespace",
        [web_ingress(rule(pods(None, sel({"env": "dev"})), pods(CLIENT)))],
        conn("dev/other", "default/web", 80),
        (True, True, True),
    ),
    (
        "two-items-or-pod",
        [web_ingress(rule(pods(None, sel({"env": "dev"})), pods(CLIENT)))],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "selectors-never-match-external-ip",
        [web_ingress(rule(pods(LabelSelector(), LabelSelector())))],
        conn("203.0.113.5", "default/web", 80),
        (False, True, False),
    ),
    # §1.4 label selector operators, missing keys
    (
        "notin-matches-missing-key",
        [web_ingress(rule(pods(sel(None, ("tier", "NotIn", ("backend",))))))],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "notin-rejects-listed-value",
        [web_ingress(rule(pods(sel(None, ("tier", "NotIn", ("backend",))))))],
        conn("default/db", "default/web", 80),
        (False, True, False),
    ),
    (
        "doesnotexist-matches-missing-key",
        [web_ingress(rule(pods(sel(None, ("tier", "DoesNotExist", ())))))],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "doesnotexist-rejects-present-key",
        [web_ingress(rule(pods(sel(None, ("tier", "DoesNotExist", ())))))],
        conn("default/db", "default/web", 80),
        (False, True, False),
    ),
    (
        "in-rejects-missing-key",
        [web_ingress(rule(pods(sel(None, ("tier", "In", ("backend", "x"))))))],
        conn("default/client", "default/web", 80),
        (False, True, False),
    ),
    (
        "in-matches-value",
        [web_ingress(rule(pods(sel(None, ("tier", "In", ("backend", "x"))))))],
        conn("default/db", "default/web", 80),
        (True, True, True),
    ),
    (
        "exists-matches-present-key",
        [web_ingress(rule(pods(sel(None, ("tier", "Exists", ())))))],
        conn("default/db", "default/web", 80),
        (True, True, True),
    ),
    (
        "matchlabels-and-expressions",
        [web_ingress(rule(pods(sel({"app": "db"}, ("tier", "NotIn", ("backend",))))))],
        conn("default/db", "default/web", 80),
        (False, True, False),
    ),
    (
        "spec-podselector-notin-isolates-missing-key",
        [pol("deny-untiered", sel(None, ("tier", "NotIn", ("backend",))), types=INGRESS)],
        conn("default/client", "default/web", 80),
        (False, True, False),
    ),
    (
        "spec-podselector-notin-spares-listed",
        [pol("deny-untiered", sel(None, ("tier", "NotIn", ("backend",))), types=INGRESS)],
        conn("default/client", "default/db", 80),
        (True, True, True),
    ),
    # §1.4 ipBlock
    (
        "ipblock-matches-pod-ip",
        [web_ingress(rule(block("10.0.0.0/24")))],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "ipblock-matches-pod-ip-other-namespace",
        [web_ingress(rule(block("10.0.1.0/24")))],
        conn("dev/other", "default/web", 80),
        (True, True, True),
    ),
    (
        "ipblock-except-removes",
        [web_ingress(rule(block("10.0.0.0/24", "10.0.0.2/32")))],
        conn("default/client", "default/web", 80),
        (False, True, False),
    ),
    (
        "ipblock-except-keeps-rest",
        [web_ingress(rule(block("10.0.0.0/24", "10.0.0.2/32")))],
        conn("default/db", "default/web", 80),
        (True, True, True),
    ),
    (
        "ipblock-except-other-peer-allows",
        [web_ingress(rule(block("10.0.0.0/24", "10.0.0.2/32"), pods(CLIENT)))],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "ipblock-except-other-policy-allows",
        [web_ingress(rule(block("10.0.0.0/24", "10.0.0.2/32"))), FROM_CLIENT_80],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "ipblock-host-bits-masked",
        [web_ingress(rule(block("10.0.0.77/24")))],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "ipblock-ipv4-never-matches-ipv6",
        [web_ingress(rule(block("0.0.0.0/0")))],
        conn("2001:db8::5", "default/web", 80),
        (False, True, False),
    ),
    (
        "ipblock-ipv6-never-matches-ipv4",
        [web_ingress(rule(block("::/0")))],
        conn("203.0.113.5", "default/web", 80),
        (False, True, False),
    ),
    (
        "ipblock-ipv6-matches-ipv6",
        [web_ingress(rule(block("::/0")))],
        conn("2001:db8::5", "default/web", 80),
        (True, True, True),
    ),
    (
        "ipblock-egress-to-external",
        [client_egress(rule(block("203.0.113.0/24")))],
        conn("default/client", "203.0.113.5", 443),
        (True, True, True),
    ),
    (
        "ipblock-egress-outside-block",
        [client_egress(rule(block("203.0.113.0/24")))],
        conn("default/client", "198.51.100.1", 443),
        (False, False, True),
    ),
    (
        "dual-stack-pod-primary-family",
        [web_ingress(rule(block("fd00::/64")))],
        conn("default/client", "default/web", 80),
        (False, True, False),
    ),
    (
        "dual-stack-pod-address-used",
        [web_ingress(rule(block("fd00::/64")))],
        conn(
            "default/client",
            "default/web",
            80,
            source_ip=parse_ip("fd00::2"),
            destination_ip=parse_ip("fd00::1"),
        ),
        (True, True, True),
    ),
    (
        "dual-stack-family-from-ip-endpoint",
        [client_egress(rule(block("fd00::/64")))],
        conn("default/client", "fd00::1", 80),
        (True, True, True),
    ),
    # §1.5 ports
    (
        "udp-rule-never-opens-tcp",
        [web_ingress(rule(ports=(port(53, UDP),)))],
        conn("default/client", "default/web", 53),
        (False, True, False),
    ),
    (
        "sctp-rule-never-opens-tcp",
        [web_ingress(rule(ports=(port(53, SCTP),)))],
        conn("default/client", "default/web", 53),
        (False, True, False),
    ),
    (
        "udp-rule-opens-udp",
        [web_ingress(rule(ports=(port(53, UDP),)))],
        conn("default/client", "default/web", 53, UDP),
        (True, True, True),
    ),
    (
        "endport-start-inclusive",
        [web_ingress(rule(ports=(port(8000, TCP, 8080),)))],
        conn("default/client", "default/web", 8000),
        (True, True, True),
    ),
    (
        "endport-end-inclusive",
        [web_ingress(rule(ports=(port(8000, TCP, 8080),)))],
        conn("default/client", "default/web", 8080),
        (True, True, True),
    ),
    (
        "endport-above",
        [web_ingress(rule(ports=(port(8000, TCP, 8080),)))],
        conn("default/client", "default/web", 8081),
        (False, True, False),
    ),
    (
        "endport-below",
        [web_ingress(rule(ports=(port(8000, TCP, 8080),)))],
        conn("default/client", "default/web", 7999),
        (False, True, False),
    ),
    (
        "named-port-ingress-resolves-on-selected-pod",
        [web_ingress(rule(ports=(port("http", TCP),)))],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "named-port-ingress-other-number",
        [web_ingress(rule(ports=(port("http", TCP),)))],
        conn("default/client", "default/web", 8080),
        (False, True, False),
    ),
    (
        "named-port-ingress-not-resolved-on-source",
        [web_ingress(rule(ports=(port("http", TCP),)))],
        conn("prod/client", "default/web", 8080),
        (False, True, False),
    ),
    (
        "named-port-protocol-mismatch",
        [web_ingress(rule(ports=(port("dns", TCP),)))],
        conn("default/client", "default/web", 53),
        (False, True, False),
    ),
    (
        "named-port-protocol-match",
        [web_ingress(rule(ports=(port("dns", UDP),)))],
        conn("default/client", "default/web", 53, UDP),
        (True, True, True),
    ),
    (
        "named-port-undeclared",
        [web_ingress(rule(ports=(port("nope", TCP),)))],
        conn("default/client", "default/web", 80),
        (False, True, False),
    ),
    (
        "named-port-egress-resolves-on-peer",
        [client_egress(rule(ports=(port("http", TCP),)))],
        conn("default/client", "prod/client", 8080),
        (True, True, True),
    ),
    (
        "named-port-egress-peer-other-number",
        [client_egress(rule(ports=(port("http", TCP),)))],
        conn("default/client", "default/web", 8080),
        (False, False, True),
    ),
    (
        "named-port-egress-peer-own-number",
        [client_egress(rule(ports=(port("http", TCP),)))],
        conn("default/client", "default/web", 80),
        (True, True, True),
    ),
    (
        "named-port-never-matches-external-ip",
        [client_egress(rule(ports=(port("http", TCP),)))],
        conn("default/client", "203.0.113.5", 80),
        (False, False, True),
    ),
    (
        "named-port-not-on-pod-ip-given-by-address",
        [client_egress(rule(ports=(port("http", TCP),)))],
        conn("default/client", "10.0.0.1", 80),
        (True, True, True),
    ),
    (
        "connection-named-port-meets-numeric-rule",
        [FROM_CLIENT_80],
        conn("default/client", "default/web", "http"),
        (True, True, True),
    ),
]


@pytest.mark.parametrize(
    ("policies", "connection", "expected"), [pytest.param(p, c, e, id=i) for i, p, c, e in CASES]
)
def test_semantics_table(
    policies: list[NetworkPolicy], connection: Connection, expected: tuple[bool, bool, bool]
) -> None:
    assert verdict_of(policies, connection) == expected


def test_every_case_id_is_unique() -> None:
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids))


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
    connections = [case[2] for case in CASES] * 2
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
_SIDECAR_POD = _pod(
    "default",
    "multi",
    {"app": "multi"},
    "10.0.0.9",
    ports=(
        ContainerPort(80, TCP, "http"),
        ContainerPort(8080, TCP, "http"),
        ContainerPort(9090, UDP, "http"),
    ),
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
