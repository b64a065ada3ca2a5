"""The Calico semantics: (policies, cluster, connection) -> Verdict, the way Felix decides it.

semantics.md §2.1, per endpoint and direction (egress at the source, ingress at the destination):

    for tier in tiers by (order, name):
        pols = policies of the tier selecting the endpoint and governing the direction
        if none: next tier (no end-of-tier action)
        for policy by (order, tie key), for rule in order, first match:
            Allow -> accept | Deny -> drop | Pass -> next tier | Log -> keep going
        nothing matched: drop unless tier.defaultAction is Pass
    then profiles: a pod's kns.<ns> allows; a host endpoint needs projectcalico-default-allow

We judge the first packet of a new connection: established/related traffic, which Felix accepts
before any policy, is out of scope. Pods and host endpoints are judged; an address outside the
cluster is not (that side allows). A host-network pod is not a workload endpoint: it is judged and
matched as the host endpoint owning its IP if there is one, else as an outside address. Host
endpoint failsafe ports (Felix's FailsafeInboundHostPorts/OutboundHostPorts) are not modelled.

Kubernetes NetworkPolicies of the input are enforced as Calico converts them (`knp`). Ordering,
tie-break keys and staged policies: see `calico_policies`; selector scopes: `calico_scope`;
rule fields: `calico_match`.
"""

from __future__ import annotations

from typing import Any

from translator.evaluate.calico_match import (
    Packet,
    ResolvedRule,
    SourcePortNeeded,
    rule_matches,
    rule_service_endpoints,
)
from translator.evaluate.calico_policies import (
    DEFAULT_TIE_BREAK,
    PreparedPolicies,
    PreparedPolicy,
    TierPolicies,
    ordered_tiers,
)
from translator.evaluate.calico_scope import (
    NAMESPACE_PROFILE_PREFIX,
    EndpointKind,
    EndpointView,
    EndpointViews,
)
from translator.evaluate.service_members import ServiceEndpointsUnknown, ServiceIndex
from translator.evaluate.verdict import DecidedBy, Decision, Semantics, Subject, TrailStep, Verdict
from translator.model import calico
from translator.model.calico import TieBreak
from translator.model.cluster import (
    DEFAULT_ALLOW_PROFILE,
    Cluster,
    Connection,
    Endpoint,
    HostEndpoint,
    Pod,
)
from translator.model.common import Direction
from translator.selectors import ENDPOINT_NAMESPACE_LABEL, And, Selector
from translator.selectors import Equals as EqualsSelector


class EvaluatorShare:
    """What evaluators of one cluster can share: endpoint views, Services' endpoints, prepared
    policies and selector results. The diff builds an evaluator per namespace and side; each one
    rebuilt the views of the pods it met and prepared the global policies again."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.views = EndpointViews(cluster)
        self.services = ServiceIndex(cluster)
        self.prepared = PreparedPolicies()
        # Keyed by id(): every selector lives in a policy `prepared` holds as long as this does.
        self.selector_results: dict[tuple[int, str], bool] = {}


class CalicoEvaluator:
    """Evaluates connections under Calico semantics; build once, evaluate many times.

    Endpoint label sets, selector results and the policies applying to each endpoint are cached,
    so repeated calls (the diff engine's) cost a few dictionary lookups plus rule matching.
    Evaluators of one cluster may share those caches (`share`).
    """

    def __init__(
        self,
        policies: calico.PolicySet,
        cluster: Cluster,
        *,
        tie_break: TieBreak | str = DEFAULT_TIE_BREAK,
        preview_staged: bool = False,
        share: EvaluatorShare | None = None,
    ) -> None:
        if share is None:
            share = EvaluatorShare(cluster)
        elif share.cluster is not cluster:
            raise ValueError("an EvaluatorShare serves the evaluators of its own cluster only")
        self._tiers = ordered_tiers(policies, tie_break, preview_staged, share.prepared)
        self._views = share.views
        self._services = share.services
        self._selector_results = share.selector_results
        self._applicable: dict[tuple[str, Direction], tuple[TierPolicies, ...]] = {}
        self._by_namespace = [_NamespaceIndex(tp.policies) for tp in self._tiers]
        # Decisions without a trail, shared: a diff asks the same endpoint the same question for
        # many peers, and a Decision is immutable. Keyed by id() of rules/tiers living in _tiers.
        self._decisions: dict[tuple[object, ...], Decision] = {}

    @property
    def tiers(self) -> tuple[TierPolicies, ...]:
        """Every tier holding an evaluated policy, in evaluation order."""
        return self._tiers

    def evaluate(self, conn: Connection) -> Verdict:
        packet = self.packet(conn)
        egress = self._decide(Direction.EGRESS, packet.source, packet)
        ingress = self._decide(Direction.INGRESS, packet.destination, packet)
        return Verdict(conn, egress, ingress)

    def decide(self, conn: Connection, direction: Direction) -> Decision:
        """One direction's decision alone (egress at the source, ingress at the destination)."""
        packet = self.packet(conn)
        view = packet.source if direction is Direction.EGRESS else packet.destination
        return self._decide(direction, view, packet)

    def packet(self, conn: Connection) -> Packet:
        """The connection as Felix sees it: endpoint views, addresses, family, destination port."""
        source_ip, destination_ip = conn.addresses()
        source = self._views.of(conn.source, source_ip)
        destination = self._views.of(conn.destination, destination_ip)
        # Without any address the family cannot matter except for CIDR rules, which then cannot
        # match anyway; IPv4 is the arbitrary choice.
        version = (source_ip.version if source_ip is not None
                   else destination_ip.version if destination_ip is not None else 4)
        port = conn.port_number()
        if port is None and isinstance(conn.port, str):
            port = destination.named_port(conn.port, conn.protocol)
        return Packet(
            conn.protocol, version, source, destination, source_ip, destination_ip, port, conn.source_port
        )

    def applicable_policies(self, endpoint: Endpoint, direction: Direction) -> tuple[TierPolicies, ...]:
        """Per tier, the policies selecting `endpoint` that govern `direction` (empty tiers left out)."""
        if isinstance(endpoint, (Pod, HostEndpoint)):
            address = endpoint.ips[0] if endpoint.ips else None
        else:
            address = endpoint
        view = self._views.of(endpoint, address)
        return self._applicable_to(view, direction) if view.is_judged else ()

    def _applicable_to(self, view: EndpointView, direction: Direction) -> tuple[TierPolicies, ...]:
        key = (view.key, direction)
        found = self._applicable.get(key)
        if found is None:
            namespace = (view.labels or {}).get(ENDPOINT_NAMESPACE_LABEL)
            found = self._applicable[key] = tuple(
                TierPolicies(tp.tier, selected)
                for tp, index in zip(self._tiers, self._by_namespace, strict=True)
                if (selected := tuple(p for p in index.candidates(namespace)
                                      if self._governs(p, view, direction)))
            )
        return found

    def _governs(self, policy: PreparedPolicy, view: EndpointView, direction: Direction) -> bool:
        return direction in policy.types and self._selects(policy.selector, view)

    def _selects(self, selector: Selector, view: EndpointView) -> bool:
        key = (id(selector), view.key)
        found = self._selector_results.get(key)
        if found is None:
            assert view.labels is not None, "selectors are only evaluated on endpoints"
            found = self._selector_results[key] = selector.matches(view.labels)
        return found

    def _decide(self, direction: Direction, view: EndpointView, packet: Packet) -> Decision:
        if not view.is_judged:
            key = (None, direction, view.key)
            found = self._decisions.get(key)
            if found is None:
                found = self._decisions[key] = _not_judged(view, direction)
            return found
        trail: list[TrailStep] = []
        applicable = self._applicable_to(view, direction)
        for tier_policies in applicable:
            decision = self._run_tier(tier_policies, direction, view, packet, trail)
            if decision is not None:
                return decision
        return _profiles(view, direction, bool(applicable), trail)

    def _run_tier(
        self,
        tier_policies: TierPolicies,
        direction: Direction,
        view: EndpointView,
        packet: Packet,
        trail: list[TrailStep],
    ) -> Decision | None:
        """The tier's decision, or None to go on with the next tier (after a Pass)."""
        tier = tier_policies.tier
        selects, services = self._selects, self._services
        source_ip, destination_ip = packet.source_ip, packet.destination_ip
        for policy in tier_policies.policies:
            for rule in policy.candidate_rules(direction, source_ip, destination_ip):
                try:
                    if not rule_matches(rule, packet, selects, services):
                        continue
                except (SourcePortNeeded, ServiceEndpointsUnknown) as exc:
                    raise _naming_policy(policy, exc) from None
                if rule.action is calico.Action.LOG:
                    trail.append(_step(tier, policy, rule))
                    continue
                if rule.action is calico.Action.PASS:
                    trail.append(_step(tier, policy, rule))
                    return None
                return self._rule_decision(tier, policy, rule, direction, view, trail, packet)
        if tier.default_action is calico.Action.PASS:
            trail.append(TrailStep(tier.name, calico.Action.PASS))
            return None
        if trail:
            return _end_of_tier(tier_policies, direction, view, trail)
        key = (id(tier_policies), direction, view.key, view.kind)
        found = self._decisions.get(key)
        if found is None:
            found = self._decisions[key] = _end_of_tier(tier_policies, direction, view, trail)
        return found

    def _rule_decision(self, tier: calico.Tier, policy: PreparedPolicy, rule: ResolvedRule,
                       direction: Direction, view: EndpointView, trail: list[TrailStep],
                       packet: Packet) -> Decision:
        note = self._service_note(rule, packet)
        if trail:
            return _rule_decision(tier, policy, rule, direction, view, trail, note)
        key = (id(policy), id(rule), direction, view.key, view.kind, note)
        found = self._decisions.get(key)
        if found is None:
            found = self._decisions[key] = _rule_decision(tier, policy, rule, direction, view, trail, note)
        return found

    def _service_note(self, rule: ResolvedRule, packet: Packet) -> str | None:
        """How a deciding `services` rule matched: which Service, endpoint and port."""
        if rule.source.services is None and rule.destination.services is None:
            return None
        found = rule_service_endpoints(rule, self._services)
        if not found:
            return None
        if rule.destination.services is not None:
            endpoint = found[-1]
            where = packet.destination_ip or packet.destination.key
            return (f"{packet.protocol.value}/{packet.port} on {where} is an endpoint of svc "
                    f"{endpoint.key} (from {endpoint.how})")
        where = packet.source_ip or packet.source.key
        return f"{where} is an endpoint of svc {found[0].key} (from {found[0].how})"


def _naming_policy(policy: PreparedPolicy, exc: SourcePortNeeded | ServiceEndpointsUnknown) -> Exception:
    """The refusal of a rule's match, naming its policy (a SourcePortNeeded or a
    ServiceEndpointsUnknown, as raised)."""
    if isinstance(exc, SourcePortNeeded):
        return SourcePortNeeded(f"{policy.key} {exc}")
    return ServiceEndpointsUnknown(f"{policy.key} {exc}")


class _NamespaceIndex:
    """A tier's policies by the namespace their selector requires, if any.

    A namespaced policy's effective selector is `... && projectcalico.org/namespace == 'ns'`: it
    can only select endpoints whose label says `ns`. Checking every policy of a 27,000-policy
    cluster against every pod was most of `explain --semantics calico`; an endpoint now tries the
    policies without such a term plus those of its own namespace, in the tier's order.
    """

    def __init__(self, policies: tuple[PreparedPolicy, ...]) -> None:
        self._anywhere: list[tuple[int, PreparedPolicy]] = []
        self._by_namespace: dict[str, list[tuple[int, PreparedPolicy]]] = {}
        for position, policy in enumerate(policies):
            namespace = required_value(policy.selector, ENDPOINT_NAMESPACE_LABEL)
            if namespace is None:
                self._anywhere.append((position, policy))
            else:
                self._by_namespace.setdefault(namespace, []).append((position, policy))
        self._merged: dict[str | None, tuple[PreparedPolicy, ...]] = {}

    def candidates(self, namespace: str | None) -> tuple[PreparedPolicy, ...]:
        """Every policy that can select an endpoint whose namespace label is `namespace`."""
        found = self._merged.get(namespace)
        if found is None:
            own = self._by_namespace.get(namespace, []) if namespace is not None else []
            found = self._merged[namespace] = tuple(
                p for _, p in sorted([*self._anywhere, *own], key=lambda entry: entry[0]))
        return found


def required_value(selector: Selector, label: str) -> str | None:
    """The value `selector` requires of `label` (an `==` term, alone or in an `&&`), if any."""
    if isinstance(selector, EqualsSelector) and selector.label == label:
        return selector.value
    if isinstance(selector, And):
        for operand in selector.operands:
            found = required_value(operand, label)
            if found is not None:
                return found
    return None


def evaluate_calico(
    policies: calico.PolicySet, cluster: Cluster, conn: Connection, **options: Any
) -> Verdict:
    """One-shot form of `CalicoEvaluator(policies, cluster, **options).evaluate(conn)`."""
    return CalicoEvaluator(policies, cluster, **options).evaluate(conn)


# --- decisions ----------------------------------------------------------------------------------


def _step(tier: calico.Tier, policy: PreparedPolicy, rule: ResolvedRule) -> TrailStep:
    return TrailStep(tier.name, rule.action, policy.key, rule.index, rule.origin)


_SUBJECTS = {
    EndpointKind.POD: Subject.POD,
    EndpointKind.HOST: Subject.HOST_ENDPOINT,
    EndpointKind.OUTSIDE: Subject.OUTSIDE,
}


def _subject_kind(view: EndpointView) -> Subject:
    return _SUBJECTS[view.kind]


def _not_judged(view: EndpointView, direction: Direction) -> Decision:
    return Decision(Semantics.CALICO, direction, True, DecidedBy.NOT_JUDGED, view.key, Subject.OUTSIDE)


def _rule_decision(
    tier: calico.Tier,
    policy: PreparedPolicy,
    rule: ResolvedRule,
    direction: Direction,
    view: EndpointView,
    trail: list[TrailStep],
    service_note: str | None = None,
) -> Decision:
    return Decision(
        Semantics.CALICO,
        direction,
        rule.action is calico.Action.ALLOW,
        DecidedBy.RULE,
        view.key,
        _subject_kind(view),
        policy=policy.key,
        rule=rule.index,
        tier=tier.name,
        action=rule.action,
        origin=rule.origin,
        trail=tuple(trail),
        service=service_note,
    )


def _end_of_tier(
    tier_policies: TierPolicies, direction: Direction, view: EndpointView, trail: list[TrailStep]
) -> Decision:
    return Decision(
        Semantics.CALICO,
        direction,
        False,
        DecidedBy.END_OF_TIER,
        view.key,
        _subject_kind(view),
        tier=tier_policies.tier.name,
        isolating=tier_policies.keys,
        trail=tuple(trail),
    )


def _profiles(
    view: EndpointView, direction: Direction, any_policy: bool, trail: list[TrailStep]
) -> Decision:
    """After the last tier: the endpoint's profiles decide (a pod's `kns.<namespace>` allows; a
    host endpoint needs projectcalico-default-allow)."""
    decided = DecidedBy.PROFILE if any_policy else DecidedBy.NO_POLICY
    if view.kind is EndpointKind.POD:
        profile = f"{NAMESPACE_PROFILE_PREFIX}{view.namespace}"
        return Decision(
            Semantics.CALICO, direction, True, decided, view.key, profile=profile, trail=tuple(trail)
        )
    profiles = view.endpoint.profiles if isinstance(view.endpoint, HostEndpoint) else ()
    allowing = DEFAULT_ALLOW_PROFILE if DEFAULT_ALLOW_PROFILE in profiles else None
    return Decision(
        Semantics.CALICO,
        direction,
        allowing is not None,
        decided,
        view.key,
        Subject.HOST_ENDPOINT,
        profile=allowing,
        profiles=tuple(profiles),
        trail=tuple(trail),
    )
