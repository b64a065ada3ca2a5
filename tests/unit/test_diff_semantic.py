"""The semantic diff engine on small hand-made cases: ports, CIDRs, named ports, families, hosts."""

from __future__ import annotations

import ipaddress

import pytest

from tests.builders import EGRESS, INGRESS, TCP, UDP, block, pods, pol, port, rule, sel
from translator.diff import diff_policies, semantic
from translator.diff.result import EndpointKind
from translator.model.calico import (
    Action,
    EntityRule,
    GlobalNetworkPolicy,
    Metadata,
    PolicySet,
    PolicySpec,
    Rule,
)
from translator.model.cluster import Cluster, ContainerPort, HostEndpoint, Namespace, Pod
from translator.model.common import Direction, LabelSelector, PortRange
from translator.model.k8s import NetworkPolicyPeer, NetworkPolicyPort, normalise
from translator.selectors import parse

IP = ipaddress.ip_address
WEB = Pod("shop", "web", {"app": "web"}, (IP("10.0.0.1"),), (ContainerPort(8080, name="http"),))
CLIENT = Pod("shop", "client", {"app": "client"}, (IP("10.0.0.2"),))
OTHER = Pod("lab", "probe", {"app": "probe"}, (IP("10.0.1.1"),))
CLUSTER = Cluster.build([Namespace.create("shop"), Namespace.create("lab")], [WEB, CLIENT, OTHER])


def ingress_policy(*ports: NetworkPolicyPort, peers: tuple[NetworkPolicyPeer, ...] = ()) -> PolicySet:
    policy = pol("web", sel({"app": "web"}), ns="shop", types=INGRESS, ingress=(rule(*peers, ports=ports),))
    return PolicySet(k8s_policies=(normalise(policy),))


def egress_to(*blocks: str) -> PolicySet:
    peers = tuple(block(b) for b in blocks)
    policy = pol("client", sel({"app": "client"}), ns="shop", types=EGRESS, egress=(rule(*peers),))
    return PolicySet(k8s_policies=(normalise(policy),))


def tcp(number: int | str, end: int | None = None) -> NetworkPolicyPort:
    return port(number, TCP, end)


def summary(before: PolicySet, after: PolicySet, cluster: Cluster = CLUSTER) -> set[tuple[str, ...]]:
    diff = diff_policies(before, after, cluster)
    return {(c.source.describe(), c.destination.describe(), c.protocol.value, c.ports_text(),
             c.status) for c in diff.changes}


def test_a_narrower_port_range_is_reported_as_the_ports_it_loses() -> None:
    found = summary(ingress_policy(tcp(80, 90)), ingress_policy(tcp(80, 85)))
    sources = ["0.0.0.0/0", "lab/probe", "shop/client, shop/web"]
    assert found == {(s, "shop/web", "TCP", "86:90", "newly denied") for s in sources}


def test_protocols_are_told_apart() -> None:
    found = summary(ingress_policy(tcp(53)), ingress_policy(port(53, UDP)))
    assert {(f[2], f[3], f[4]) for f in found} == {("TCP", "53", "newly denied"),
                                                  ("UDP", "53", "newly allowed")}


def test_a_named_port_resolves_on_the_destination() -> None:
    assert summary(ingress_policy(tcp("http")), ingress_policy(tcp(8080))) == set()
    found = summary(ingress_policy(tcp("http")), ingress_policy(tcp(80)))
    assert {(f[3], f[4]) for f in found} == {("80", "newly allowed"), ("8080", "newly denied")}


def test_peers_group_pods_by_namespace() -> None:
    same_namespace = (pods(LabelSelector()),)
    found = summary(ingress_policy(), ingress_policy(peers=same_namespace))
    # Only the pod of another namespace and addresses outside lose access; shop's pods keep it.
    assert {(f[0], f[3], f[4]) for f in found} == {("lab/probe", "1:65535", "newly denied"),
                                                  ("0.0.0.0/0", "1:65535", "newly denied")}


def test_a_narrower_cidr_is_reported_as_the_addresses_it_loses() -> None:
    diff = diff_policies(egress_to("203.0.113.0/24"), egress_to("203.0.113.0/25"), CLUSTER)
    [networks] = {c.destination.networks for c in diff.changes}
    assert networks == ("203.0.113.128/25",)
    assert {c.protocol.value for c in diff.changes} == {"TCP", "UDP", "SCTP"}
    assert all(c.direction == "egress" and not c.after.allowed for c in diff.changes)


def test_pod_addresses_inside_a_cidr_are_pod_to_pod_changes() -> None:
    diff = diff_policies(egress_to("10.0.0.0/24"), egress_to("10.0.0.0/31"), CLUSTER)
    internal = {c.destination.describe() for c in diff.changes if c.direction == "internal"}
    assert internal == {"shop/client"}  # 10.0.0.2 left the block; 10.0.0.1 (web) is still in it
    external = {n for c in diff.changes for n in c.destination.networks}
    assert "10.0.0.2/31" in external


def test_ipv6_is_its_own_family() -> None:
    dual = Pod("shop", "client", {"app": "client"}, (IP("10.0.0.2"), IP("fd00::2")))
    peer = Pod("shop", "v6", {}, (IP("fd00::9"),))
    cluster = Cluster.build([Namespace.create("shop")], [dual, peer])
    diff = diff_policies(egress_to("0.0.0.0/0", "::/0"), egress_to("0.0.0.0/0"), cluster)
    assert {c.family for c in diff.changes} == {6}
    # ipBlocks match pod addresses too: the client to itself over IPv6 changes as well.
    assert {c.destination.describe() for c in diff.changes} == {"::/0", "shop/client, shop/v6"}


def test_identical_pods_are_evaluated_once() -> None:
    few = Cluster.build([], [WEB, CLIENT])
    many = Cluster.build([], [WEB, *(Pod("shop", f"client-{i}", {"app": "client"},
                                         (IP(f"10.0.2.{i}"),)) for i in range(40))])
    before, after = ingress_policy(tcp(80)), ingress_policy(tcp(81))
    small, large = (diff_policies(before, after, c) for c in (few, many))
    assert large.evaluated == small.evaluated
    assert {len(c.source.names) for c in large.changes if c.source.namespace == "shop"} == {41}


def test_unchanged_namespaces_are_not_evaluated() -> None:
    same = ingress_policy(tcp(80))
    assert diff_policies(same, same, CLUSTER).evaluated == 0


def test_host_endpoints_are_judged_by_global_policies() -> None:
    hep = HostEndpoint("node-1", "node-1", labels={"role": "node"}, expected_ips=(IP("192.168.0.1"),),
                       profiles=("projectcalico-default-allow",))
    cluster = Cluster.build([], [CLIENT], [hep])
    deny_host = GlobalNetworkPolicy(
        Metadata("deny-host-ssh"),
        PolicySpec(order=10, selector=parse("role == 'node'"), types=(Direction.INGRESS,),
                   ingress=(Rule(Action.DENY, protocol="TCP",
                                 destination=EntityRule(ports=(PortRange.single(22),))),
                            Rule(Action.ALLOW))),
    )
    diff = diff_policies(PolicySet(), PolicySet(calico_policies=(deny_host,)), cluster)
    assert {(c.destination.kind, c.protocol.value, c.ports_text()) for c in diff.changes} == {
        (EndpointKind.HOST, "TCP", "22")}
    assert {c.after.ingress.policy for c in diff.changes} == {"GlobalNetworkPolicy/deny-host-ssh"}


@pytest.mark.parametrize("semantics", ["calico", "k8s"])
def test_both_evaluators_report_the_same_change(semantics: str) -> None:
    diff = diff_policies(ingress_policy(tcp(80, 90)), ingress_policy(tcp(80, 85)), CLUSTER,
                         semantics=semantics)
    assert {c.ports_text() for c in diff.changes} == {"86:90"}


def test_groups_are_by_namespace_pair_and_direction() -> None:
    diff = diff_policies(egress_to("0.0.0.0/0"), egress_to("10.0.0.0/8"), CLUSTER)
    assert set(diff.groups()) == {("shop", "(outside)", "egress")}


# --- named ports reached from outside the cluster (issue 9 item 2) ---------------------------------

DNS_SERVER = Pod("shop", "dns", {"app": "dns"}, (IP("10.0.0.5"),), (ContainerPort(53, UDP, "dns"),))
DNS_SERVER_2 = Pod(
    "shop", "dns-2", {"app": "dns"}, (IP("10.0.0.6"),), (ContainerPort(5353, UDP, "dns"),)
)


def dns_from_outside(*ports: NetworkPolicyPort) -> PolicySet:
    rules = (rule(block("203.0.113.0/24"), ports=ports),) if ports else ()
    policy = pol("dns", sel({"app": "dns"}), ns="shop", types=INGRESS, ingress=rules)
    return PolicySet(k8s_policies=(normalise(policy),))


def test_outside_traffic_to_a_named_port_that_closes_is_reported() -> None:
    cluster = Cluster.build([Namespace.create("shop")], [DNS_SERVER])
    before, after = dns_from_outside(port("dns", UDP)), dns_from_outside()
    assert summary(before, after, cluster) == {
        ("203.0.113.0/24", "shop/dns", "UDP", "53", "newly denied")
    }


def test_outside_named_port_resolves_on_each_pod_of_a_group() -> None:
    """Two pods declare `dns` with different numbers; after, only 53 stays open by number."""
    cluster = Cluster.build([Namespace.create("shop")], [DNS_SERVER, DNS_SERVER_2])
    before = dns_from_outside(port("dns", UDP))
    after = dns_from_outside(port(53, UDP))
    assert summary(before, after, cluster) == {
        ("203.0.113.0/24", "shop/dns-2", "UDP", "5353", "newly denied"),
        ("203.0.113.0/24", "shop/dns-2", "UDP", "53", "newly allowed"),
    }


# --- walks shared between namespaces (issue 15) ------------------------------------------------------


@pytest.mark.parametrize("names", [("a", "b", "c"), ("c", "b", "a")])
def test_a_walk_shared_between_namespaces_judges_each_namespace_from_outside(names: tuple[str, ...]) -> None:
    """Namespaces a and b hold the same "own namespace only" ingress policy, so their pods share
    one walk over the destinations, and look alike to any other namespace's policies. b's pod
    towards a must still be judged as traffic from another namespace (denied), never from a
    row computed with a's own pod as the peer (allowed), whichever pod comes first or last."""
    cluster = Cluster.build([Namespace.create(n) for n in names],
                            [Pod(n, "pod", {"app": "x"}, (IP(f"10.0.{i}.1"),)) for i, n in enumerate(names)])
    own_only = tuple(normalise(pol("own", sel(), ns=n, types=INGRESS, ingress=(rule(pods(sel())),)))
                     for n in ("a", "b"))
    diff = diff_policies(PolicySet(), PolicySet(k8s_policies=own_only), cluster)
    pairs = {(c.source.describe(), c.destination.describe(), c.status) for c in diff.changes
             if c.direction == "internal"}
    assert pairs == {(f"{s}/pod", f"{d}/pod", "newly denied")
                     for s, d in (("b", "a"), ("c", "a"), ("a", "b"), ("c", "b"))}
    assert {c.protocol.value for c in diff.changes} == {"TCP", "UDP", "SCTP"}


def test_tick_hears_every_block_walked_and_changes_nothing() -> None:
    before, after = ingress_policy(port(8080)), ingress_policy(port(80))
    ticks: list[tuple[int, int]] = []
    heard = diff_policies(before, after, CLUSTER, tick=lambda done, total: ticks.append((done, total)))
    assert heard == diff_policies(before, after, CLUSTER)
    total = ticks[-1][1]
    assert total > 0 and ticks == [(done, total) for done in range(1, total + 1)]


# --- label-rich shapes: sparse atom vectors and destinations whose ingress cannot change ------


def _per_app_policy(app: str, peer: NetworkPolicyPeer) -> PolicySet:
    policy = pol(app, sel({"app": app}), ns="shop", types=INGRESS, ingress=(rule(peer),))
    return PolicySet(k8s_policies=(normalise(policy),))


def _label_rich_cluster() -> Cluster:
    """Ten apps in shop, each selected by its own policy; many look-alike clients in lab and
    one `rare` pod: the only one that a NotIn (or a missing label) sets apart."""
    shop = [Pod("shop", f"app-{i}", {"app": f"app-{i}"}, (IP(f"10.0.0.{i + 1}"),)) for i in range(10)]
    clients = [Pod("lab", f"c-{i}", {"app": f"c-{i}", "team": "x"}, (IP(f"10.0.1.{i + 1}"),))
               for i in range(10)]
    rare = Pod("lab", "rare", {"app": "rare"}, (IP("10.0.2.1"),))
    return Cluster.build([Namespace.create("shop"), Namespace.create("lab")], [*shop, *clients, rare])


def _both(policies: list[PolicySet]) -> PolicySet:
    return PolicySet(k8s_policies=tuple(p for s in policies for p in s.k8s_policies))


@pytest.mark.parametrize("tables", [0, 16])
def test_a_change_only_one_rare_peer_sees_is_found_among_look_alike_destinations(
        tables: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Egress changes nowhere; ingress at app-3 changes for the `rare` pod alone (its NotIn
    leaf is the only one flipped, its missing `team` label the only DoesNotExist that holds):
    the walk may skip a destination only when no peer's ingress row changes there (with
    peer-type indexes per dense positions, or only the one for all of them)."""
    monkeypatch.setattr(semantic, "SPARSE_TABLES", tables)
    anyone = pods(LabelSelector(), LabelSelector())
    cluster = _label_rich_cluster()
    before = _both([_per_app_policy(f"app-{i}", anyone) for i in range(10)])
    narrowed = pods(sel(None, ("app", "NotIn", ("rare",))), LabelSelector())
    after = _both([_per_app_policy(f"app-{i}", narrowed if i == 3 else anyone) for i in range(10)])
    assert summary(before, after, cluster) == {
        ("lab/rare", "shop/app-3", protocol, "1:65535", "newly denied")
        for protocol in ("TCP", "UDP", "SCTP")}
    without_team = pods(sel(None, ("team", "DoesNotExist", ())), LabelSelector())
    after = _both([_per_app_policy(f"app-{i}", without_team if i == 7 else anyone) for i in range(10)])
    lost = {(f[0], f[1], f[4]) for f in summary(before, after, cluster)}
    # Every pod without a `team` label keeps access; lab's clients (team x) lose it.
    clients = ", ".join(f"lab/c-{i}" for i in range(10))
    assert lost == {(clients, "shop/app-7", "newly denied")}


@pytest.mark.parametrize("order", [(OTHER, WEB, CLIENT), (WEB, CLIENT, OTHER), (CLIENT, OTHER, WEB)])
def test_rows_towards_other_namespaces_are_computed_with_a_peer_from_one(order: tuple[Pod, ...]) -> None:
    """Through an own-namespace peer selector every pod looks alike to web's policy: the row
    kept for peers of other namespaces must come from one of them (lab/probe), never from a
    pod of shop, whatever order the pods come in."""
    cluster = Cluster.build([Namespace.create("shop"), Namespace.create("lab")], list(order))
    found = summary(ingress_policy(), ingress_policy(peers=(pods(LabelSelector()),)), cluster)
    assert {(f[0], f[3], f[4]) for f in found} == {("lab/probe", "1:65535", "newly denied"),
                                                  ("0.0.0.0/0", "1:65535", "newly denied")}


def _web_ingress(*rules: Rule) -> PolicySet:
    policy = GlobalNetworkPolicy(Metadata("web-in"), PolicySpec(
        order=10, selector=parse("app == 'web'"), types=(Direction.INGRESS,), ingress=rules))
    return PolicySet(calico_policies=(policy,))


@pytest.mark.parametrize(("rules", "denied"), [
    ((Rule(Action.ALLOW, not_protocol="UDP"),), {"UDP"}),
    ((Rule(Action.DENY, protocol=132), Rule(Action.ALLOW)), {"SCTP"}),  # by number
    ((Rule(Action.ALLOW, protocol="UDP"), Rule(Action.ALLOW, protocol="SCTP")), {"TCP"}),
    ((Rule(Action.DENY, destination=EntityRule(not_ports=(PortRange.single(53),))),
      Rule(Action.ALLOW)), {"TCP", "UDP", "SCTP"}),
])
def test_protocols_a_rule_names_are_decided_apart(rules: tuple[Rule, ...], denied: set[str]) -> None:
    """Protocols no rule names share their decisions (`_compute_row`); one a protocol,
    notProtocol or port names must not borrow another's."""
    diff = diff_policies(_web_ingress(Rule(Action.ALLOW)), _web_ingress(*rules), CLUSTER)
    assert {c.protocol.value for c in diff.changes if c.status == "newly denied"} == denied
    assert not [c for c in diff.changes if c.status != "newly denied"]
