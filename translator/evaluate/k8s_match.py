"""Does one Kubernetes NetworkPolicy rule match one connection? Peers and ports, one function each.

A rule matches when (its ports are empty OR some port entry matches) AND (its peers are empty OR
some peer matches) — semantics.md §1.3. The peer is the *other* end of the connection: the source
for an ingress rule, the destination for an egress rule.

The seven podSelector / namespaceSelector combinations of one peer (`nil` = absent, `{}` = empty):

| podSelector | namespaceSelector | the peer selects                                        |
| ----------- | ----------------- | ------------------------------------------------------- |
| {}          | nil               | every pod of the policy's namespace                     |
| X           | nil               | pods matching X in the policy's namespace               |
| nil or {}   | {}                | every pod of every namespace                            |
| nil or {}   | Y                 | every pod of the namespaces matching Y                  |
| X           | {}                | pods matching X in every namespace                      |
| X           | Y                 | pods matching X in the namespaces matching Y (AND)      |
| nil         | nil               | invalid (the loader rejects it; an ipBlock stands alone) |

The policy's own namespace is not special for a namespaceSelector: it matches on labels only.
Selectors match pods only, and never host-network pods: like Calico, we take the option the
Kubernetes docs allow of treating their traffic as the node's (matched by ipBlock alone).
"""

from __future__ import annotations

from dataclasses import dataclass

from translator.model.cluster import Cluster, Endpoint, Pod
from translator.model.common import IPAddress, LabelSelector, Protocol, network_in
from translator.model.k8s import IPBlock, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule

# The index reported for "the rule has no peers / no ports", which matches everything.
EVERY = None


class SelectorCache:
    """Memoised label-selector matches: pods by `ns/name`, namespaces by name.

    A cluster names each pod once, so its key stands for its labels. This is what lets one
    evaluator answer thousands of connections a second.
    """

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._pods: dict[tuple[LabelSelector, str], bool] = {}
        self._namespaces: dict[tuple[LabelSelector, str], bool] = {}

    def pod(self, selector: LabelSelector, pod: Pod) -> bool:
        key = (selector, pod.key)
        found = self._pods.get(key)
        if found is None:
            found = self._pods[key] = selector.matches(pod.labels)
        return found

    def namespace(self, selector: LabelSelector, name: str) -> bool:
        key = (selector, name)
        found = self._namespaces.get(key)
        if found is None:
            labels = self._cluster.namespace(name).labels
            found = self._namespaces[key] = selector.matches(labels)
        return found


def policy_pod(endpoint: Endpoint) -> Pod | None:
    """The endpoint as a pod Kubernetes policy can select: not an IP, a host endpoint or a
    host-network pod."""
    if isinstance(endpoint, Pod) and not endpoint.host_network:
        return endpoint
    return None


def ip_block_contains(block: IPBlock, address: IPAddress) -> bool:
    """In the CIDR and in none of its `except` CIDRs; IPv4 never matches an IPv6 block."""
    if not network_in(address, block.cidr):
        return False
    return not any(network_in(address, excluded) for excluded in block.except_)


def peer_matches(
    peer: NetworkPolicyPeer,
    policy_namespace: str,
    endpoint: Endpoint,
    address: IPAddress | None,
    selectors: SelectorCache,
) -> bool:
    """Whether `peer` admits the other end of the connection (`endpoint`, reached at `address`)."""
    if peer.ip_block is not None:
        # On the address alone: pod IPs included (the upstream e2e suite relies on it).
        return address is not None and ip_block_contains(peer.ip_block, address)
    pod = policy_pod(endpoint)
    if pod is None:
        return False
    if peer.namespace_selector is None:
        in_namespace = pod.namespace == policy_namespace
    else:
        in_namespace = selectors.namespace(peer.namespace_selector, pod.namespace)
    if not in_namespace:
        return False
    return peer.pod_selector is None or selectors.pod(peer.pod_selector, pod)


def named_port_numbers(destination: Endpoint, name: str, protocol: Protocol) -> tuple[int, ...]:
    """A rule's named port resolves on the connection's destination pod, for the rule's protocol.

    For an ingress rule that is the selected pod, for an egress rule the peer pod; either way the
    destination. Never on a non-pod endpoint. Every container port of that name counts: two
    containers may declare the same name with different numbers.
    """
    pod = policy_pod(destination)
    return pod.named_ports(name, protocol) if pod is not None else ()


def port_entry_matches(
    entry: NetworkPolicyPort, protocol: Protocol, port: int | None, destination: Endpoint
) -> bool:
    """One `ports` item against the connection's protocol and destination port number."""
    if entry.protocol is not protocol:
        return False  # a UDP or SCTP entry never opens TCP, and vice versa
    if entry.port is None:
        return True  # every port of that protocol
    if port is None:
        return False
    if isinstance(entry.port, int):
        end = entry.end_port if entry.end_port is not None else entry.port
        return entry.port <= port <= end  # endPort is inclusive
    return port in named_port_numbers(destination, entry.port, entry.protocol)


@dataclass(frozen=True)
class RuleMatch:
    """Which peer and port entry matched; `EVERY` (None) when the rule's list was empty."""

    peer: int | None
    port: int | None


@dataclass(frozen=True)
class ConnectionSide:
    """What a rule is matched against: the peer end and the destination port of the connection."""

    policy_namespace: str
    peer: Endpoint
    peer_address: IPAddress | None
    protocol: Protocol
    port: int | None
    destination: Endpoint


def _matching_port(rule: NetworkPolicyRule, side: ConnectionSide) -> tuple[bool, int | None]:
    if not rule.ports:
        return True, EVERY
    for index, entry in enumerate(rule.ports):
        if port_entry_matches(entry, side.protocol, side.port, side.destination):
            return True, index
    return False, None


def _matching_peer(
    rule: NetworkPolicyRule, side: ConnectionSide, selectors: SelectorCache
) -> tuple[bool, int | None]:
    if not rule.peers:
        return True, EVERY  # every peer, including addresses outside the cluster
    for index, peer in enumerate(rule.peers):
        if peer_matches(peer, side.policy_namespace, side.peer, side.peer_address, selectors):
            return True, index
    return False, None


def match_rule(rule: NetworkPolicyRule, side: ConnectionSide, selectors: SelectorCache) -> RuleMatch | None:
    """The first matching (peer, port) of `rule`, or None when the rule does not match."""
    port_ok, port_index = _matching_port(rule, side)
    if not port_ok:
        return None
    peer_ok, peer_index = _matching_peer(rule, side, selectors)
    if not peer_ok:
        return None
    return RuleMatch(peer_index, port_index)
