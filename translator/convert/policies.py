"""Kubernetes NetworkPolicy → Calico NetworkPolicy (namespaced) or GlobalNetworkPolicy (global).

A converted policy keeps the Kubernetes policy's selection and its allow rules; isolation is
written separately as explicit denies (`translator.convert.deny`). `types` always lists the
directions the Kubernetes policy governs (after Kubernetes defaulting), never Calico's guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from translator.convert import naming
from translator.convert.options import ConvertOptions
from translator.convert.ordering import ALLOW_ORDER
from translator.convert.rules import (
    PeerScope,
    convert_rules,
    depends_on_namespace,
    pod_selector,
    within,
)
from translator.errors import Diagnostics, Location
from translator.model.calico import (
    GlobalNetworkPolicy,
    Metadata,
    NetworkPolicy,
    PolicySpec,
    StagedAction,
)
from translator.model.common import Direction
from translator.model.k8s import NetworkPolicy as K8sPolicy
from translator.selectors import Selector

SOURCE_ANNOTATION = "np2calico.io/source"
DIRECTIONS = (Direction.INGRESS, Direction.EGRESS)


def metadata(name: str, sources: Sequence[str], namespace: str | None = None) -> Metadata:
    """Every emitted object names the Kubernetes policies it came from."""
    return Metadata(name=name, namespace=namespace, annotations=((SOURCE_ANNOTATION, ",".join(sources)),))


def staged_action(options: ConvertOptions) -> StagedAction | None:
    return StagedAction.SET if options.staged else None


def governed(policy: K8sPolicy) -> tuple[Direction, ...]:
    """The directions a normalised policy isolates, in Calico's canonical order."""
    return tuple(d for d in DIRECTIONS if policy.governs(d))


def origin(policy: K8sPolicy) -> Location:
    return policy.origin or Location(file=policy.key)


def report_dead_rules(policy: K8sPolicy, diags: Diagnostics) -> None:
    """Rules of a direction the policy does not govern never apply in Kubernetes: say so."""
    for direction in DIRECTIONS:
        if policy.rules(direction) and not policy.governs(direction):
            field = direction.value.lower()
            diags.info(
                origin(policy).child("spec").child(field),
                f"{field} rules not converted: policyTypes {[str(t) for t in policy.policy_types or ()]} "
                f"does not include {direction.value}, so Kubernetes never applies them",
            )


def policy_spec(
    policy: K8sPolicy, options: ConvertOptions, scope: PeerScope, selector: Selector | None = None
) -> PolicySpec:
    """`selector` replaces the policy's own pod selector (a GNP confines it to its namespaces)."""
    types = governed(policy)

    def rules(direction: Direction) -> tuple:
        if direction not in types:
            return ()
        return convert_rules(policy.rules(direction), direction, scope)

    return PolicySpec(
        tier=options.tier_name,
        order=ALLOW_ORDER,
        selector=selector or pod_selector(policy.pod_selector),
        types=types,
        ingress=rules(Direction.INGRESS),
        egress=rules(Direction.EGRESS),
    )


def to_network_policy(policy: K8sPolicy, options: ConvertOptions) -> NetworkPolicy:
    name = naming.namespaced_name(policy.name, options.tier)
    return NetworkPolicy(
        metadata=metadata(name, [policy.key], policy.namespace),
        spec=policy_spec(policy, options, PeerScope(policy.namespace)),
        staged_action=staged_action(options),
        origin=policy.origin,
    )


def to_global_policy(group: Sequence[K8sPolicy], options: ConvertOptions) -> GlobalNetworkPolicy:
    """One GNP for one policy, or for identical namespace-independent policies of several namespaces.

    Members are taken in key order, so the name and the annotation do not depend on input order.
    The namespaces are named in `spec.selector` on `projectcalico.org/namespace` (`rules.in_namespaces`),
    never by a `spec.namespaceSelector`, which a pod could satisfy with its own `pcns.` labels.
    """
    group = sorted(group, key=lambda p: p.key)
    first = group[0]
    sources = [p.key for p in group]
    if len(group) == 1:
        name = naming.global_name(first.namespace, first.name, options.tier)
    else:
        name = naming.merged_name(sources, first.name, options.tier)
    selector = within([p.namespace for p in group], pod_selector(first.pod_selector))
    return GlobalNetworkPolicy(
        metadata=metadata(name, sources),
        spec=policy_spec(first, options, PeerScope(first.namespace, explicit=True), selector),
        staged_action=staged_action(options),
        origin=first.origin,
    )


def _content_key(policy: K8sPolicy) -> tuple:
    """What a policy means apart from its namespace (and its name): merge candidates share it."""
    types = governed(policy)
    return (
        policy.pod_selector,
        types,
        policy.ingress if Direction.INGRESS in types else (),
        policy.egress if Direction.EGRESS in types else (),
    )


def mergeable(policy: K8sPolicy) -> bool:
    """True when no governed rule has a podSelector-only peer ("pods of my own namespace")."""
    return not any(depends_on_namespace(r) for d in governed(policy) for r in policy.rules(d))


def global_groups(policies: Sequence[K8sPolicy]) -> list[list[K8sPolicy]]:
    """Policies grouped for the global target: identical namespace-independent ones together.

    Groups keep the order of their first member; within a group, members are in input order and
    at most one per namespace is needed (a repeat in the same namespace adds nothing, but stays
    listed as a source).
    """
    groups: dict[object, list[K8sPolicy]] = defaultdict(list)
    order: list[object] = []
    for index, policy in enumerate(policies):
        key = ("merge", _content_key(policy)) if mergeable(policy) else ("single", index)
        if key not in groups:
            order.append(key)
        groups[key].append(policy)
    return [groups[k] for k in order]
