"""Hypothesis strategies for the verify engine's brute-force check, over a *complete* tiny universe.

Selectors read `app` (values `a`), the inherited namespace label `pcns.team` (value `x`), the
namespace name (`n1`); rules name protocols TCP/UDP (or none) and port 80 (or every port). So
every possible endpoint is, for the policies, like one of the `universe()` endpoints (each key
absent, the mentioned value, or another value; namespace n1 or another one; an outside address),
and every packet like TCP/UDP/SCTP to port 80 or 81: enumerating them decides equivalence
exactly, which is what the engine's answer is compared with.
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import replace

from hypothesis import strategies as st

from translator.model import calico, k8s
from translator.model.cluster import (
    DEFAULT_ALLOW_PROFILE,
    Cluster,
    Connection,
    Endpoint,
    HostEndpoint,
    Namespace,
    NetworkSet,
    Pod,
)
from translator.model.common import (
    Direction,
    LabelSelector,
    LabelSelectorRequirement,
    PortRange,
    Protocol,
    SelectorOperator,
)
from translator.selectors import (
    ENDPOINT_NAMESPACE_LABEL,
    NAMESPACE_NAME_LABEL,
    All,
    And,
    Equals,
    Has,
    In,
    Not,
    NotEquals,
    Or,
    Selector,
)

# Source ports: none, or ranges that hold every port (the engine refuses any other constraint).
EVERY_SOURCE_PORT: tuple[tuple[PortRange, ...], ...] = (
    (), (), (PortRange(1, 65535),), (PortRange(1, 1023), PortRange(1024, 65535)))
NAMED = "n1"
OTHER = "n2"
PORTS = (80, 81)
PROTOCOLS = (Protocol.TCP, Protocol.UDP, Protocol.SCTP)
OUTSIDE = ipaddress.IPv4Address("192.0.2.1")


def _nets(*cidrs: str) -> tuple[ipaddress.IPv4Network, ...]:
    return tuple(ipaddress.IPv4Network(c) for c in cidrs)

pod_leaves: st.SearchStrategy[Selector] = st.sampled_from(
    (All(), Has("app"), Not(Has("app")), Equals("app", "a"), NotEquals("app", "a"), In("app", ("a",)),
     Equals(ENDPOINT_NAMESPACE_LABEL, NAMED), NotEquals(ENDPOINT_NAMESPACE_LABEL, NAMED))
)
namespace_leaves: st.SearchStrategy[Selector] = st.sampled_from(
    (All(), Has("team"), Not(Has("team")), Equals("team", "x"), NotEquals("team", "x"),
     Equals(NAMESPACE_NAME_LABEL, NAMED))
)


def _combined(leaves: st.SearchStrategy[Selector]) -> st.SearchStrategy[Selector]:
    pairs = st.tuples(leaves, leaves)
    return st.one_of(leaves, pairs.map(lambda p: And(p)), pairs.map(lambda p: Or(p)),
                     leaves.map(lambda s: Not(s)))


pod_selectors = _combined(pod_leaves)
namespace_selectors = _combined(namespace_leaves)


@st.composite
def entities(draw: st.DrawFn, ports: bool) -> calico.EntityRule:
    return calico.EntityRule(
        selector=draw(st.none() | pod_selectors),
        namespace_selector=draw(st.none() | namespace_selectors),
        ports=(PortRange(80, 80),) if ports else (),
    )


@st.composite
def rules(draw: st.DrawFn, direction: Direction) -> calico.Rule:
    action = draw(st.sampled_from((calico.Action.ALLOW, calico.Action.DENY, calico.Action.PASS)))
    protocol = draw(st.sampled_from((None, "TCP", "UDP")))
    ports = protocol is not None and draw(st.booleans())
    peer = draw(entities(False))
    own = calico.EntityRule(ports=(PortRange(80, 80),) if ports else ())
    # Source ports every client port satisfies (issue 9 item 4): they must change nothing.
    client = draw(st.sampled_from(EVERY_SOURCE_PORT)) if protocol is not None else ()
    if direction is Direction.INGRESS:
        return calico.Rule(action, protocol, source=replace(peer, ports=client), destination=own)
    destination = replace(peer, ports=own.ports)
    return calico.Rule(action, protocol, source=calico.EntityRule(ports=client), destination=destination)


@st.composite
def specs(draw: st.DrawFn, tier: str) -> calico.PolicySpec:
    types = draw(st.sampled_from(((Direction.INGRESS,), (Direction.EGRESS,),
                                  (Direction.INGRESS, Direction.EGRESS))))
    return calico.PolicySpec(
        tier=tier,
        order=draw(st.sampled_from((None, 10.0, 20.0))),
        selector=draw(pod_selectors),
        types=types,
        ingress=tuple(draw(st.lists(rules(Direction.INGRESS), max_size=2))),
        egress=tuple(draw(st.lists(rules(Direction.EGRESS), max_size=2))),
    )


@st.composite
def calico_policies(draw: st.DrawFn, index: int, tier: str) -> calico.CalicoPolicy:
    spec = draw(specs(tier))
    name = f"{tier}.p{index}" if tier != calico.DEFAULT_TIER else f"p{index}"
    if draw(st.booleans()):
        return calico.NetworkPolicy(calico.Metadata(name, NAMED), spec)
    return calico.GlobalNetworkPolicy(calico.Metadata(name), spec,
                                      namespace_selector=draw(st.none() | namespace_selectors))


k8s_label_selectors = st.sampled_from((
    LabelSelector(), LabelSelector.of({"app": "a"}),
    LabelSelector.of(None, LabelSelectorRequirement("app", SelectorOperator.EXISTS)),
    LabelSelector.of(None, LabelSelectorRequirement("app", SelectorOperator.NOT_IN, ("a",))),
))
k8s_namespace_selectors = st.sampled_from((LabelSelector(), LabelSelector.of({"team": "x"})))


@st.composite
def k8s_rules(draw: st.DrawFn) -> k8s.NetworkPolicyRule:
    peers = draw(st.lists(st.builds(k8s.NetworkPolicyPeer, st.none() | k8s_label_selectors,
                                    st.none() | k8s_namespace_selectors), max_size=2))
    peers = [p for p in peers if p.pod_selector is not None or p.namespace_selector is not None]
    ports = draw(st.lists(st.builds(k8s.NetworkPolicyPort, st.sampled_from((Protocol.TCP, Protocol.UDP)),
                                    st.sampled_from((None, 80))), max_size=2))
    return k8s.NetworkPolicyRule(tuple(ports), tuple(peers))


@st.composite
def k8s_policies(draw: st.DrawFn, index: int) -> k8s.NetworkPolicy:
    types = draw(st.sampled_from((None, (Direction.INGRESS,), (Direction.EGRESS,),
                                  (Direction.INGRESS, Direction.EGRESS))))
    return k8s.normalise(k8s.NetworkPolicy(
        NAMED, f"k{index}", draw(k8s_label_selectors), types,
        tuple(draw(st.lists(k8s_rules(), max_size=2))), tuple(draw(st.lists(k8s_rules(), max_size=2))),
    ))


@st.composite
def policy_sets(draw: st.DrawFn) -> calico.PolicySet:
    tier = calico.Tier("t", 100.0, draw(st.sampled_from((calico.Action.PASS, calico.Action.DENY))))
    in_tier = draw(st.booleans())
    calicos = [draw(calico_policies(i, "t" if in_tier and i == 0 else calico.DEFAULT_TIER))
               for i in range(draw(st.integers(0, 2)))]
    k8ss = [draw(k8s_policies(i)) for i in range(draw(st.integers(0, 2)))]
    return calico.PolicySet(tuple(k8ss), tuple(calicos), (), (tier,) if in_tier else ())


# Host endpoints: with pod-like labels and the default-allow profile; bare without profile; one
# claiming namespace n1 through the label Calico writes on pods (a host endpoint may carry any
# label), IPv6 only, with two addresses. Policies hold no CIDR, so their addresses do not matter.
HOSTS = (
    HostEndpoint("hep-a", "node-1", labels={"app": "a"}, expected_ips=(ipaddress.IPv4Address("192.0.2.10"),),
                 profiles=(DEFAULT_ALLOW_PROFILE,)),
    HostEndpoint("hep-b", "node-2", interface="eth0", expected_ips=(ipaddress.IPv4Address("192.0.2.11"),)),
    HostEndpoint("hep-c", "node-3", labels={ENDPOINT_NAMESPACE_LABEL: NAMED, "app": "z"},
                 expected_ips=(ipaddress.IPv6Address("2001:db8::c"), ipaddress.IPv6Address("2001:db8::d"))),
)


def universe(hosts: tuple[HostEndpoint, ...] = ()) -> tuple[Cluster, list[Endpoint]]:
    """One pod per class of endpoint labels the policies can tell apart, an outside address, and
    the host endpoints given."""
    pods = []
    choices = itertools.product((NAMED, OTHER), (None, "a", "z"), (None, "x", "y"), (False, True))
    for i, (namespace, app, team, spoof) in enumerate(choices):
        labels = {k: v for k, v in (("app", app), ("pcns.team", team)) if v is not None}
        if spoof:  # the pod claims to be in the other namespace
            labels["pcns." + NAMESPACE_NAME_LABEL] = OTHER if namespace == NAMED else NAMED
        pods.append(Pod(namespace, f"pod-{i}", labels, (ipaddress.IPv4Address(f"10.0.0.{i + 1}"),)))
    cluster = Cluster.build([Namespace.create(NAMED), Namespace.create(OTHER)], pods, hosts)
    return cluster, [*pods, OUTSIDE, *hosts]


def connections(endpoints: list[Endpoint]) -> list[Connection]:
    return [Connection(s, d, protocol, port) for s in endpoints for d in endpoints if s is not d
            for protocol in PROTOCOLS for port in PORTS]


# --- network sets ----------------------------------------------------------------------------------
# One global set and one per namespace, over outside addresses and some pods, each labelled so that
# the generated selectors can match it: `g` carries app=a; `s` (in n2, a namespace no policy names)
# only what it inherits from n2 (pcns.team when n2 is labelled); `t` (in n1) app=z and a pcns.team
# of its own, which beats the one n1 would give it.
NETWORK_SETS = (
    NetworkSet("g", None, {"app": "a"}, _nets("192.0.2.0/25", "10.0.0.0/29")),
    NetworkSet("s", OTHER, {}, _nets("198.51.100.0/24", "10.0.0.4/30")),
    NetworkSet("t", NAMED, {"app": "z", "pcns.team": "y"}, _nets("192.0.2.64/26", "203.0.113.0/24")),
)
# Outside addresses in g and t, s only, t only, and none (`OUTSIDE` is in g only).
SET_ADDRESSES = tuple(ipaddress.IPv4Address(a)
                      for a in ("192.0.2.100", "198.51.100.1", "203.0.113.1", "192.0.2.200"))
# The namespaces' labels are unknown to verify: the enumeration tries each of these.
NAMESPACE_LABELLINGS = ({}, {OTHER: {"team": "x"}, NAMED: {"team": "y"}})


def network_set_universes() -> list[tuple[Cluster, list[Endpoint]]]:
    """The pods of `universe()` with the network sets, once per namespace labelling."""
    cluster, endpoints = universe()
    found = []
    for labelling in NAMESPACE_LABELLINGS:
        namespaces = [Namespace.create(n, labelling.get(n, {})) for n in (NAMED, OTHER)]
        labelled = Cluster.build(namespaces, cluster.pods, network_sets=NETWORK_SETS)
        found.append((labelled, [*endpoints, *SET_ADDRESSES]))
    return found
