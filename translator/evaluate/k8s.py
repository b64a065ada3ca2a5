"""The Kubernetes NetworkPolicy semantics: (policies, cluster, connection) -> Verdict with reasons.

Every later test trusts this module, so it follows semantics.md §1.1–§1.5 to the letter:

- Egress is judged at the source pod, ingress at the destination pod, each on its own; the
  connection needs both. A side that is not a pod Kubernetes policy can select (an IP outside the
  cluster, a host endpoint, a host-network pod) is not judged and allows.
- A pod is isolated in a direction iff a policy *of its namespace* selects it and lists that
  direction in its (normalised) policyTypes. Not isolated: everything allowed in that direction.
- Isolated: allowed iff some rule of some isolating policy matches (a union, no order, no deny).
- Pod-to-itself traffic is undefined upstream (kubernetes/kubernetes#95879); it is evaluated like
  any other pair: the pod's egress and its ingress must both allow it.

Policies must be normalised (`translator.model.k8s.normalise`): the evaluator refuses others
instead of guessing the defaults a second time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from translator.evaluate.k8s_match import (
    ConnectionSide,
    RuleMatch,
    SelectorCache,
    match_rule,
    policy_pod,
)
from translator.evaluate.verdict import Decision, Verdict
from translator.model.cluster import Cluster, Connection, Endpoint, HostEndpoint, Pod
from translator.model.cluster import endpoint_label as label
from translator.model.common import Direction, IPAddress, LabelSelector
from translator.model.k8s import NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort


def require_normalised(policy: NetworkPolicy) -> NetworkPolicy:
    """Reject a policy that skipped `normalise()` (defaulting happens once, in the loader) or
    validation (a peer with no field would otherwise read as "every pod of the namespace")."""
    rules = (*policy.ingress, *policy.egress)
    ports = [p for rule in rules for p in rule.ports]
    if policy.policy_types is None or any(p.protocol is None for p in ports):
        raise ValueError(f"{policy.key}: NetworkPolicy is not normalised (use k8s.normalise)")
    if any(_invalid_peer(peer) for rule in rules for peer in rule.peers):
        raise ValueError(f"{policy.key}: a peer needs podSelector/namespaceSelector or ipBlock alone")
    return policy


def _invalid_peer(peer: NetworkPolicyPeer) -> bool:
    selectors = peer.pod_selector is not None or peer.namespace_selector is not None
    return selectors == (peer.ip_block is not None)


class K8sEvaluator:
    """Evaluates connections under Kubernetes semantics; build once, evaluate many times.

    Policies are indexed by (namespace, direction) and pod selections are cached by pod key, so a
    pod is named by its `namespace/name` throughout one evaluator.
    """

    def __init__(self, policies: Sequence[NetworkPolicy], cluster: Cluster) -> None:
        self._cluster = cluster
        self._selectors = SelectorCache(cluster)
        ordered = sorted((require_normalised(p) for p in policies), key=lambda p: p.key)
        self._governing: dict[tuple[str, Direction], list[NetworkPolicy]] = defaultdict(list)
        for policy in ordered:
            for direction in policy.policy_types or ():
                self._governing[(policy.namespace, direction)].append(policy)
        self._isolating: dict[tuple[str, Direction], tuple[NetworkPolicy, ...]] = {}

    def evaluate(self, conn: Connection) -> Verdict:
        source_ip, destination_ip = conn.addresses()
        port = conn.port_number()
        src, dst = conn.source, conn.destination
        egress = self._decide(Direction.EGRESS, conn, src, dst, destination_ip, port)
        ingress = self._decide(Direction.INGRESS, conn, dst, src, source_ip, port)
        return Verdict(conn, egress, ingress)

    def isolating_policies(self, pod: Pod, direction: Direction) -> tuple[NetworkPolicy, ...]:
        """The policies of the pod's namespace that select it and govern `direction`."""
        key = (pod.key, direction)
        found = self._isolating.get(key)
        if found is None:
            candidates = self._governing.get((pod.namespace, direction), ())
            found = tuple(p for p in candidates if self._selectors.pod(p.pod_selector, pod))
            self._isolating[key] = found
        return found

    def _decide(
        self,
        direction: Direction,
        conn: Connection,
        subject: Endpoint,
        peer: Endpoint,
        peer_address: IPAddress | None,
        port: int | None,
    ) -> Decision:
        pod = policy_pod(subject)
        if pod is None:
            return Decision(direction, True, (_not_judged(subject, direction),))
        isolating = self.isolating_policies(pod, direction)
        if not isolating:
            return Decision(direction, True, (_not_isolated(pod, direction),))
        side = ConnectionSide(pod.namespace, peer, peer_address, conn.protocol, port, conn.destination)
        for policy in isolating:
            for index, rule in enumerate(policy.rules(direction)):
                found = match_rule(rule, side, self._selectors)
                if found is not None:
                    return _allowed(direction, conn, pod, isolating, policy, index, found)
        return Decision(direction, False, (_no_rule_allows(direction, conn, pod, isolating),))


def evaluate(policies: Sequence[NetworkPolicy], cluster: Cluster, conn: Connection) -> Verdict:
    """One-shot form of `K8sEvaluator(policies, cluster).evaluate(conn)`."""
    return K8sEvaluator(policies, cluster).evaluate(conn)


# --- reasons -------------------------------------------------------------------------------------


def _word(direction: Direction) -> str:
    return direction.value.lower()


def _not_judged(endpoint: Endpoint, direction: Direction) -> str:
    if isinstance(endpoint, HostEndpoint):
        why = "is a host endpoint; Kubernetes NetworkPolicies never select host endpoints"
    elif isinstance(endpoint, Pod):
        why = "uses the host network; Kubernetes NetworkPolicies do not select host-network pods"
    else:
        why = "is outside the cluster; Kubernetes policies judge only the pod side"
    return f"{_word(direction)} not judged: {label(endpoint)} {why}"


def _not_isolated(pod: Pod, direction: Direction) -> str:
    return (
        f"{pod.key} is not isolated for {_word(direction)}: no NetworkPolicy of namespace "
        f"{pod.namespace} selects it with policyType {direction.value}"
    )


def _isolated_by(pod: Pod, direction: Direction, isolating: Sequence[NetworkPolicy]) -> str:
    names = ", ".join(p.key for p in isolating)
    return f"{pod.key} is isolated for {_word(direction)} by {names}"


def _traffic(conn: Connection, direction: Direction) -> str:
    number = conn.port_number()
    port = f"{conn.port} ({number})" if isinstance(conn.port, str) and number else f"{conn.port}"
    if direction is Direction.EGRESS:
        return f"{conn.protocol.value}/{port} to {label(conn.destination)}"
    return f"{conn.protocol.value}/{port} from {label(conn.source)}"


def _allowed(
    direction: Direction,
    conn: Connection,
    pod: Pod,
    isolating: Sequence[NetworkPolicy],
    policy: NetworkPolicy,
    index: int,
    found: RuleMatch,
) -> Decision:
    rule = policy.rules(direction)[index]
    peer = "every peer"
    if found.peer is not None:
        peer = f"peer {found.peer} ({describe_peer(rule.peers[found.peer])})"
    port = "every port"
    if found.port is not None:
        port = f"port {found.port} ({describe_port(rule.ports[found.port])})"
    first = (
        f"allowed by {policy.key} {_word(direction)} rule {index}: {peer}, {port} "
        f"match {_traffic(conn, direction)}"
    )
    reasons = (first, _isolated_by(pod, direction, isolating))
    return Decision(direction, True, reasons, policy=policy.key, rule=index)


def _no_rule_allows(
    direction: Direction, conn: Connection, pod: Pod, isolating: Sequence[NetworkPolicy]
) -> str:
    return f"{_isolated_by(pod, direction, isolating)}; no rule allows {_traffic(conn, direction)}"


def describe_selector(selector: LabelSelector) -> str:
    """A kubectl-style rendering: `app=curl,tier in (a,b),!debug`; `{}` for the empty selector."""
    if selector.is_empty:
        return "{}"
    terms = [f"{k}={v}" for k, v in selector.match_labels]
    for req in selector.match_expressions:
        values = ",".join(req.values)
        terms.append(
            {
                "In": f"{req.key} in ({values})",
                "NotIn": f"{req.key} notin ({values})",
                "Exists": req.key,
                "DoesNotExist": f"!{req.key}",
            }[req.operator.value]
        )
    return ",".join(terms)


def describe_peer(peer: NetworkPolicyPeer) -> str:
    if peer.ip_block is not None:
        excluded = "".join(f" except {net}" for net in peer.ip_block.except_)
        return f"ipBlock {peer.ip_block.cidr}{excluded}"
    parts = []
    if peer.namespace_selector is not None:
        parts.append(f"namespaceSelector {describe_selector(peer.namespace_selector)}")
    if peer.pod_selector is not None:
        parts.append(f"podSelector {describe_selector(peer.pod_selector)}")
    return " and ".join(parts)


def describe_port(entry: NetworkPolicyPort) -> str:
    protocol = entry.protocol.value if entry.protocol is not None else "TCP"
    if entry.port is None:
        return f"{protocol}/any"
    if entry.end_port is not None:
        return f"{protocol}/{entry.port}-{entry.end_port}"
    return f"{protocol}/{entry.port}"
