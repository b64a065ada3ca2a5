"""`--default-deny global`: the policy itself, its options, and redundancy dropped only when proven."""

from __future__ import annotations

import ipaddress

import pytest

from translator.convert import ConvertOptions, DefaultDenyOptions, convert
from translator.convert.default_deny import default_deny_policy, redundancy
from translator.convert.options import SYSTEM_NAMESPACES, parse_apiserver, parse_dns_ip
from translator.errors import UsageError
from translator.model.calico import Action, GlobalNetworkPolicy
from translator.model.common import Direction, LabelSelector, PortRange, Protocol
from translator.model.k8s import (
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    normalise,
)

INGRESS, EGRESS = Direction.INGRESS, Direction.EGRESS
KUBE_SYSTEM = LabelSelector.of({"kubernetes.io/metadata.name": "kube-system"})
KUBE_DNS = LabelSelector.of({"k8s-app": "kube-dns"})
DNS_PEER = NetworkPolicyPeer(pod_selector=KUBE_DNS, namespace_selector=KUBE_SYSTEM)
DNS_PORTS = (NetworkPolicyPort(Protocol.UDP, 53), NetworkPolicyPort(Protocol.TCP, 53))


def egress_policy(*rules: NetworkPolicyRule, types: tuple = (EGRESS,)) -> NetworkPolicy:
    return normalise(NetworkPolicy("prod", "p", LabelSelector(), types, egress=rules))


def test_the_default_deny_policy() -> None:
    options = ConvertOptions(default_deny=DefaultDenyOptions.build(dns_ips=(parse_dns_ip("169.254.20.10"),)))
    policy = default_deny_policy(options)
    assert isinstance(policy, GlobalNetworkPolicy)
    assert policy.spec.types == (INGRESS, EGRESS)
    assert policy.namespace_selector is None
    assert str(policy.spec.selector) == (
        "projectcalico.org/orchestrator == 'k8s' && has(projectcalico.org/namespace) && "
        "projectcalico.org/namespace not in "
        "{'calico-apiserver', 'calico-system', 'kube-system', 'tigera-operator'}"
    )
    assert [r.action for r in policy.spec.ingress] == [Action.DENY]
    egress = policy.spec.egress
    assert [(r.action, r.protocol.written if r.protocol else None) for r in egress] == [
        (Action.ALLOW, "UDP"),
        (Action.ALLOW, "TCP"),
        (Action.ALLOW, "UDP"),
        (Action.ALLOW, "TCP"),
        (Action.DENY, None),
    ]
    assert egress[0].destination.namespace_selector is None
    assert str(egress[0].destination.selector) == (
        "projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == 'kube-system' && "
        "k8s-app == 'kube-dns'"
    )
    assert egress[2].destination.nets == (ipaddress.ip_network("169.254.20.10/32"),)


def test_dns_ips_of_both_families_get_separate_rules() -> None:
    nets = (parse_dns_ip("169.254.20.10"), parse_dns_ip("fd00::10"))
    policy = default_deny_policy(ConvertOptions(default_deny=DefaultDenyOptions.build(dns_ips=nets)))
    families = [{n.version for n in r.destination.nets} for r in policy.spec.egress if r.destination.nets]
    assert families == [{4}, {4}, {6}, {6}]


def test_exclusions_and_inclusions() -> None:
    options = DefaultDenyOptions.build(exclude=("monitoring",), include=("kube-system",))
    assert "monitoring" in options.exclude_namespaces and "kube-system" not in options.exclude_namespaces
    assert options.included_system_namespaces == ("kube-system",)
    assert set(DefaultDenyOptions.build().exclude_namespaces) == set(SYSTEM_NAMESPACES)


@pytest.mark.parametrize(
    ("text", "net", "ports"),
    [
        ("10.96.0.1/32:6443", "10.96.0.1/32", (PortRange(6443, 6443),)),
        ("10.96.0.1", "10.96.0.1/32", (PortRange(443, 443), PortRange(6443, 6443))),
        ("10.96.0.1:443", "10.96.0.1/32", (PortRange(443, 443),)),
        ("fd00::1/128:443", "fd00::1/128", (PortRange(443, 443),)),
        ("fd00::1", "fd00::1/128", (PortRange(443, 443), PortRange(6443, 6443))),
    ],
)
def test_parse_apiserver(text: str, net: str, ports: tuple) -> None:
    access = parse_apiserver(text)
    assert (str(access.net), access.ports) == (net, ports)


@pytest.mark.parametrize("text", ["10.96.0.1/32:0", "10.96.0.1/32:70000", "nonsense", "10.96.0.1/33"])
def test_parse_apiserver_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        parse_apiserver(text)


DEFAULTS = DefaultDenyOptions.build()


@pytest.mark.parametrize(
    ("policy", "dropped"),
    [
        (egress_policy(), True),
        (egress_policy(types=(INGRESS, EGRESS)), True),
        (egress_policy(NetworkPolicyRule(DNS_PORTS, (DNS_PEER,))), True),
        (egress_policy(NetworkPolicyRule((NetworkPolicyPort(Protocol.UDP, 53),), (DNS_PEER,))), True),
        (
            egress_policy(NetworkPolicyRule(DNS_PORTS, (NetworkPolicyPeer(namespace_selector=KUBE_SYSTEM),))),
            False,
        ),
        (egress_policy(NetworkPolicyRule(DNS_PORTS, (NetworkPolicyPeer(pod_selector=KUBE_DNS),))), False),
        (egress_policy(NetworkPolicyRule(DNS_PORTS)), False),
        (egress_policy(NetworkPolicyRule((), (DNS_PEER,))), False),
        (egress_policy(NetworkPolicyRule((NetworkPolicyPort(Protocol.TCP, 53, 54),), (DNS_PEER,))), False),
        (egress_policy(NetworkPolicyRule((NetworkPolicyPort(Protocol.UDP, "dns"),), (DNS_PEER,))), False),
        (egress_policy(NetworkPolicyRule((NetworkPolicyPort(Protocol.SCTP, 53),), (DNS_PEER,))), False),
        (
            normalise(
                NetworkPolicy("prod", "p", LabelSelector(), (INGRESS,), ingress=(NetworkPolicyRule(),))
            ),
            False,
        ),
    ],
    ids=[
        "no-rules",
        "no-rules-both-directions",
        "dns-udp-and-tcp",
        "dns-udp-only",
        "whole-kube-system",
        "dns-pods-of-own-namespace",
        "port-53-anywhere",
        "dns-pods-every-port",
        "port-range",
        "named-port",
        "sctp",
        "ingress-rule",
    ],
)
def test_redundancy_is_proven_or_not_claimed(policy: NetworkPolicy, dropped: bool) -> None:
    assert (redundancy(policy, DEFAULTS) is not None) == dropped


def test_policies_of_excluded_namespaces_are_kept_with_their_denies() -> None:
    policies = [
        NetworkPolicy("kube-system", "deny", LabelSelector()),
        NetworkPolicy("prod", "deny", LabelSelector()),
    ]
    result = convert(policies, ConvertOptions(default_deny=DEFAULTS))
    warnings = [str(d) for d in result.diagnostics.items if d.level.value == "warning"]
    assert len(warnings) == 1 and "system namespace 'kube-system'" in warnings[0]
    keys = {(getattr(p.metadata, "namespace", None), p.name) for p in result.policies}
    assert keys == {
        ("kube-system", "deny"),
        ("kube-system", "np2calico-deny-ingress"),
        (None, "np2calico-default-deny"),
    }
    assert result.report == (
        "prod/deny: info: dropped prod/deny: a default deny with no rules; the global default deny "
        "isolates these pods already",
    )
