"""Explicit denies: Kubernetes isolation written out as Calico `Deny` rules.

Kubernetes isolates a pod in a direction when some policy of its namespace selects it and governs
that direction (semantics.md §1.1). Calico has no such notion: a pod that no Allow matches falls
to the end of the tier, which denies only when the tier's defaultAction is Deny. So for every
(namespace, direction) with governing policies, one policy selects exactly the isolated pods (the
OR of those policies' pod selectors) and denies, ordered after every allow (`ordering`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from translator.convert import naming
from translator.convert.options import ConvertOptions, Target
from translator.convert.ordering import DENY_ORDER
from translator.convert.policies import governed, metadata, staged_action
from translator.convert.rules import K8S_PODS, within
from translator.model.calico import (
    Action,
    CalicoPolicy,
    GlobalNetworkPolicy,
    NetworkPolicy,
    PolicySpec,
    Rule,
)
from translator.model.common import Direction
from translator.model.k8s import NetworkPolicy as K8sPolicy
from translator.selectors import Selector, and_, from_label_selector, or_

DENY_ALL = (Rule(Action.DENY),)


def isolated_pods(policies: Sequence[K8sPolicy]) -> Selector:
    """The pods any of these (same-namespace) policies select, as one canonical selector."""
    selectors = {from_label_selector(p.pod_selector) for p in policies}
    terms = sorted(selectors, key=str)
    if any(str(s) == "all()" for s in terms):
        return K8S_PODS
    return and_([K8S_PODS, or_(terms)])


def isolation(
    policies: Sequence[K8sPolicy], covered: Callable[[str], bool]
) -> dict[tuple[str, Direction], list[K8sPolicy]]:
    """(namespace, direction) → the policies isolating pods there, for namespaces not `covered`."""
    found: dict[tuple[str, Direction], list[K8sPolicy]] = defaultdict(list)
    for policy in policies:
        if covered(policy.namespace):
            continue
        for direction in governed(policy):
            found[(policy.namespace, direction)].append(policy)
    return dict(sorted(found.items()))


def deny_spec(direction: Direction, selector: Selector, options: ConvertOptions) -> PolicySpec:
    deny = {direction: DENY_ALL}
    return PolicySpec(
        tier=options.tier_name,
        order=DENY_ORDER,
        selector=selector,
        types=(direction,),
        ingress=deny.get(Direction.INGRESS, ()),
        egress=deny.get(Direction.EGRESS, ()),
    )


def _sources(policies: Sequence[K8sPolicy]) -> list[str]:
    return sorted({p.key for p in policies})


def namespaced_denies(
    isolating: dict[tuple[str, Direction], list[K8sPolicy]], options: ConvertOptions
) -> list[CalicoPolicy]:
    denies: list[CalicoPolicy] = []
    for (namespace, direction), policies in isolating.items():
        name = naming.deny_name(direction.value, (namespace,), options.tier, scoped=False)
        denies.append(
            NetworkPolicy(
                metadata=metadata(name, _sources(policies), namespace),
                spec=deny_spec(direction, isolated_pods(policies), options),
                staged_action=staged_action(options),
            )
        )
    return denies


def global_denies(
    isolating: dict[tuple[str, Direction], list[K8sPolicy]], options: ConvertOptions
) -> list[CalicoPolicy]:
    """Namespaces isolating the same pods in the same direction share one GNP.

    Its namespaces are named on `projectcalico.org/namespace` in `spec.selector` (`rules.within`):
    a pod cannot leave an explicit deny by labelling itself `pcns.projectcalico.org/name`.
    """
    merged: dict[tuple[Direction, str], tuple[Selector, list[str], list[K8sPolicy]]] = {}
    for (namespace, direction), policies in isolating.items():
        selector = isolated_pods(policies)
        _, namespaces, sources = merged.setdefault((direction, str(selector)), (selector, [], []))
        namespaces.append(namespace)
        sources.extend(policies)
    denies: list[CalicoPolicy] = []
    for (direction, _), (selector, namespaces, sources) in sorted(merged.items(), key=_by_direction):
        name = naming.deny_name(direction.value, tuple(namespaces), options.tier, scoped=True)
        denies.append(
            GlobalNetworkPolicy(
                metadata=metadata(name, _sources(sources)),
                spec=deny_spec(direction, within(namespaces, selector), options),
                staged_action=staged_action(options),
            )
        )
    return denies


def _by_direction(item: tuple[tuple[Direction, str], object]) -> tuple[str, str]:
    return (item[0][0].value, item[0][1])


def explicit_denies(
    policies: Sequence[K8sPolicy], options: ConvertOptions, covered: Callable[[str], bool]
) -> list[CalicoPolicy]:
    """The explicit denies of every namespace the global default deny (if any) does not cover."""
    isolating = isolation(policies, covered)
    if options.target is Target.GLOBAL:
        return global_denies(isolating, options)
    return namespaced_denies(isolating, options)
