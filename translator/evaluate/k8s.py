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
from translator.evaluate.verdict import DecidedBy, Decision, K8sRuleMatch, Semantics, Subject, Verdict
from translator.model.cluster import Cluster, Connection, Endpoint, HostEndpoint, Pod
from translator.model.cluster import endpoint_label as label
from translator.model.common import Direction, IPAddress
from translator.model.k8s import NetworkPolicy, NetworkPolicyPeer


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
        # (pod key, direction) -> the isolating policies and their keys (named by every verdict)
        self._isolating: dict[tuple[str, Direction], tuple[tuple[NetworkPolicy, ...], tuple[str, ...]]] = {}

    def evaluate(self, conn: Connection) -> Verdict:
        source_ip, destination_ip = conn.addresses()
        port = conn.port_number()
        src, dst = conn.source, conn.destination
        egress = self._decide(Direction.EGRESS, conn, src, dst, destination_ip, port)
        return Verdict(conn, egress, self._decide(Direction.INGRESS, conn, dst, src, source_ip, port))

    def decide(self, conn: Connection, direction: Direction) -> Decision:
        """One direction's decision alone (egress at the source, ingress at the destination)."""
        source_ip, destination_ip = conn.addresses()
        port = conn.port_number()
        src, dst = conn.source, conn.destination
        if direction is Direction.EGRESS:
            return self._decide(Direction.EGRESS, conn, src, dst, destination_ip, port)
        return self._decide(Direction.INGRESS, conn, dst, src, source_ip, port)

    def isolating_policies(self, pod: Pod, direction: Direction) -> tuple[NetworkPolicy, ...]:
        """The policies of the pod's namespace that select it and govern `direction`."""
        return self._isolating_with_keys(pod, direction)[0]

    def _isolating_with_keys(
        self, pod: Pod, direction: Direction
    ) -> tuple[tuple[NetworkPolicy, ...], tuple[str, ...]]:
        key = (pod.key, direction)
        found = self._isolating.get(key)
        if found is None:
            candidates = self._governing.get((pod.namespace, direction), ())
            policies = tuple(p for p in candidates if self._selectors.pod(p.pod_selector, pod))
            found = self._isolating[key] = (policies, _keys(policies))
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
            return _not_judged(subject, direction)
        isolating, keys = self._isolating_with_keys(pod, direction)
        if not isolating:
            return Decision(Semantics.K8S, direction, True, DecidedBy.NOT_ISOLATED, label(pod))
        side = ConnectionSide(pod.namespace, peer, peer_address, conn.protocol, port, conn.destination)
        for policy in isolating:
            for index, rule in enumerate(policy.rules(direction)):
                found = match_rule(rule, side, self._selectors)
                if found is not None:
                    return _allowed(direction, pod, keys, policy, index, found)
        return Decision(Semantics.K8S, direction, False, DecidedBy.NO_RULE, label(pod), isolating=keys)


def evaluate(policies: Sequence[NetworkPolicy], cluster: Cluster, conn: Connection) -> Verdict:
    """One-shot form of `K8sEvaluator(policies, cluster).evaluate(conn)`."""
    return K8sEvaluator(policies, cluster).evaluate(conn)


# --- decisions ----------------------------------------------------------------------------------


def _not_judged(endpoint: Endpoint, direction: Direction) -> Decision:
    if isinstance(endpoint, HostEndpoint):
        kind = Subject.HOST_ENDPOINT
    elif isinstance(endpoint, Pod):
        kind = Subject.HOST_NETWORK_POD
    else:
        kind = Subject.OUTSIDE
    return Decision(Semantics.K8S, direction, True, DecidedBy.NOT_JUDGED, label(endpoint), kind)


def _keys(isolating: Sequence[NetworkPolicy]) -> tuple[str, ...]:
    return tuple(p.key for p in isolating)


def _allowed(
    direction: Direction,
    pod: Pod,
    isolating: tuple[str, ...],
    policy: NetworkPolicy,
    index: int,
    found: RuleMatch,
) -> Decision:
    match = K8sRuleMatch(policy.rules(direction)[index], found.peer, found.port)
    return Decision(
        Semantics.K8S,
        direction,
        True,
        DecidedBy.RULE,
        label(pod),
        policy=policy.key,
        rule=index,
        k8s_match=match,
        isolating=isolating,
    )
