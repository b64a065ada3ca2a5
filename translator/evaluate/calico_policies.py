"""The policies Felix would enforce, grouped in ordered tiers (felix/calc/policy_sorter.go).

- Tiers sort by (order, name); a Tier without order is stored with 1,000,000 like `default`
  (libcalico-go/lib/resources/tier.go). Built-in tiers exist without being listed; a policy in
  any other tier missing from the input is an error, as Calico refuses to create it.
- Policies sort by (order, unset = +inf, then a tie-break key):
  * `v3.32` (default; PolKVLess): `<name>/<namespace>/<kind>`, namespace empty for global
    policies, kind the v3 kind (`NetworkPolicy`, `GlobalNetworkPolicy`, `StagedNetworkPolicy`,
    `StagedGlobalNetworkPolicy`, `KubernetesNetworkPolicy`, `StagedKubernetesNetworkPolicy`);
  * `v3.31`: the v1 policy name: `<ns>/<tiered name>` for namespaced policies, `<tiered name>`
    for global ones, where the tiered name is the backend name (names.TieredPolicyName: a
    name without a dot gets `default.`), a Kubernetes policy is `knp.default.<name>`, and
    staged ones carry `staged:` before the name (model.PolicyNamePrefixStaged).
- Staged policies are left out unless previewing. Previewing evaluates staged `Set` policies as
  if enforced, next to the enforced ones (they do not replace an enforced policy of the same
  name), and a StagedKubernetesNetworkPolicy as an enforced Kubernetes policy. Staged `Delete`
  is not previewed: upstream never sends it to Felix (stagedkubernetesnetworkpolicyprocessor.go).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property

from translator.errors import InputError, Location, UsageError
from translator.evaluate import knp
from translator.evaluate.calico_match import ResolvedRule, resolve_rule
from translator.evaluate.calico_scope import (
    effective_types,
    global_policy_selector,
    namespaced_policy_selector,
)
from translator.evaluate.rule_index import RuleIndex
from translator.model import calico, k8s
from translator.model.calico import TieBreak
from translator.model.common import Direction, IPAddress
from translator.selectors import Selector

DEFAULT_TIE_BREAK = TieBreak.V3_32
STAGED_PREFIX = "staged:"
KUBERNETES_KIND = "KubernetesNetworkPolicy"

BUILTIN_TIERS = (
    calico.Tier(calico.DEFAULT_TIER, calico.DEFAULT_TIER_ORDER, calico.Action.DENY),
    # v3.32+
    calico.Tier("kube-admin", 1000.0, calico.Action.PASS),
    calico.Tier("kube-baseline", 10_000_000.0, calico.Action.PASS),
    # v3.29-v3.31
    calico.Tier("adminnetworkpolicy", 1000.0, calico.Action.PASS),
    calico.Tier("baselineadminnetworkpolicy", 10_000_000.0, calico.Action.PASS),
)


@dataclass(frozen=True)
class PreparedPolicy:
    """A policy as Felix holds it: effective selector and types, resolved rules, sort keys."""

    key: str
    kind: str
    name: str
    namespace: str | None
    tier: str
    order: float
    tie_key: str
    selector: Selector
    types: frozenset[Direction]
    ingress: tuple[ResolvedRule, ...]
    egress: tuple[ResolvedRule, ...]
    # The same rules indexed by their nets (hundreds of ipBlocks are common).
    indexes: dict[Direction, RuleIndex] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "indexes", {Direction.INGRESS: RuleIndex(self.ingress),
                                             Direction.EGRESS: RuleIndex(self.egress)})

    def rules(self, direction: Direction) -> tuple[ResolvedRule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress

    def candidate_rules(self, direction: Direction, source_ip: IPAddress | None,
                        destination_ip: IPAddress | None) -> tuple[ResolvedRule, ...]:
        """The rules of `direction`, in order, leaving out those whose nets exclude the packet."""
        return self.indexes[direction].candidates(source_ip, destination_ip)

    @property
    def sort_key(self) -> tuple[float, str]:
        return (self.order, self.tie_key)


@dataclass(frozen=True)
class TierPolicies:
    tier: calico.Tier
    policies: tuple[PreparedPolicy, ...]

    @cached_property  # named by every end-of-tier verdict
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.policies)


def tiered_name(name: str) -> str:
    """The v3.29–v3.31 backend name: a name without a dot lives in `default.`."""
    return name if "." in name else f"{calico.DEFAULT_TIER}.{name}"


def as_tie_break(value: TieBreak | str) -> TieBreak:
    """A tie-break given by its version string (library callers) as the enum."""
    try:
        return TieBreak(value)
    except ValueError:
        known = ", ".join(t.value for t in TieBreak)
        raise UsageError(f"unknown tie-break {value!r}: use one of {known}") from None


def tie_key(tie_break: TieBreak, kind: str, name: str, namespace: str | None, v331_name: str) -> str:
    if tie_break is TieBreak.V3_31:
        return v331_name if namespace is None else f"{namespace}/{v331_name}"
    return f"{name}/{namespace or ''}/{kind}"


def _resolve_rules(
    rules: tuple[calico.Rule, ...],
    direction: Direction,
    namespace: str | None,
    origins: tuple[str, ...] | None,
) -> tuple[ResolvedRule, ...]:
    word = direction.value.lower()
    return tuple(
        resolve_rule(rule, i, namespace, origins[i] if origins else f"{word}[{i}]")
        for i, rule in enumerate(rules)
    )


def _prepare(
    policy: calico.CalicoPolicy,
    kind: str,
    tie: str,
    origins: knp.ConvertedPolicy | None = None,
) -> PreparedPolicy:
    spec = policy.spec
    if isinstance(policy, calico.NetworkPolicy):
        namespace: str | None = policy.namespace
        selector = namespaced_policy_selector(spec.selector, policy.namespace)
    else:
        namespace = None
        selector = global_policy_selector(spec.selector, policy.namespace_selector)
    key = f"{kind}/{namespace}/{policy.name}" if namespace is not None else f"{kind}/{policy.name}"
    ingress_origins = origins.ingress_origins if origins else None
    egress_origins = origins.egress_origins if origins else None
    return PreparedPolicy(
        key=key,
        kind=kind,
        name=policy.name,
        namespace=namespace,
        tier=spec.tier or calico.DEFAULT_TIER,
        order=math.inf if spec.order is None else spec.order,
        tie_key=tie,
        selector=selector,
        types=effective_types(spec),
        ingress=_resolve_rules(spec.ingress, Direction.INGRESS, namespace, ingress_origins),
        egress=_resolve_rules(spec.egress, Direction.EGRESS, namespace, egress_origins),
    )


def _prepare_calico(policy: calico.CalicoPolicy, tie_break: TieBreak) -> PreparedPolicy:
    staged = STAGED_PREFIX if policy.staged_action is not None else ""
    namespace = policy.namespace if isinstance(policy, calico.NetworkPolicy) else None
    tie = tie_key(tie_break, policy.kind, policy.name, namespace, staged + tiered_name(policy.name))
    return _prepare(policy, policy.kind, tie)


def _prepare_k8s(policy: k8s.NetworkPolicy, tie_break: TieBreak, staged: bool) -> PreparedPolicy:
    converted = knp.k8s_to_calico(policy)
    kind = f"Staged{KUBERNETES_KIND}" if staged else KUBERNETES_KIND
    v331 = (STAGED_PREFIX if staged else "") + knp.KNP_NAME_PREFIX + policy.name
    tie = tie_key(tie_break, kind, policy.name, policy.namespace, v331)
    prepared = _prepare(converted.policy, kind, tie, converted)
    # Report the Kubernetes object, not the converted name Calico gives it internally.
    key = f"{kind}/{policy.namespace}/{policy.name}"
    return replace(prepared, key=key, name=policy.name)


def _is_previewed(staged_action: calico.StagedAction | None, preview_staged: bool) -> bool:
    if staged_action is None:
        return True
    return preview_staged and staged_action is calico.StagedAction.SET


class PreparedPolicies:
    """Policies prepared once each, found again by identity: evaluators built over parts of one
    policy set (the diff's, one per namespace and side) share the policies they have in common,
    such as the global ones, instead of preparing them once per part. Holds each policy, so an
    identity is never reused while its entry lives."""

    def __init__(self) -> None:
        self._found: dict[tuple[int, TieBreak, bool], tuple[object, PreparedPolicy]] = {}

    def of(self, policy: k8s.NetworkPolicy | calico.CalicoPolicy, tie_break: TieBreak,
           staged: bool = False) -> PreparedPolicy:
        """`policy` prepared (`staged`: a Kubernetes policy as a StagedKubernetesNetworkPolicy)."""
        key = (id(policy), tie_break, staged)
        found = self._found.get(key)
        if found is None:
            prepared = (_prepare_k8s(policy, tie_break, staged) if isinstance(policy, k8s.NetworkPolicy)
                        else _prepare_calico(policy, tie_break))
            found = self._found[key] = (policy, prepared)
        return found[1]


def enforced_policies(
    policies: calico.PolicySet, tie_break: TieBreak | str, preview_staged: bool,
    prepared: PreparedPolicies | None = None,
) -> list[PreparedPolicy]:
    """Every policy Felix would evaluate, Kubernetes ones converted as Calico converts them
    (taken from `prepared` when it holds them already)."""
    tie_break = as_tie_break(tie_break)
    cache = prepared if prepared is not None else PreparedPolicies()
    found = [cache.of(p, tie_break) for p in policies.k8s_policies]
    found += [
        cache.of(p, tie_break)
        for p in policies.calico_policies
        if _is_previewed(p.staged_action, preview_staged)
    ]
    found += [
        cache.of(s.policy, tie_break, staged=True)
        for s in policies.staged_k8s_policies
        if _is_previewed(s.staged_action, preview_staged)
    ]
    return found


def known_tiers(tiers: Iterable[calico.Tier]) -> dict[str, calico.Tier]:
    """Built-in tiers, overridden by the input's Tier objects of the same name."""
    known = {t.name: t for t in BUILTIN_TIERS}
    known.update((t.name, t) for t in tiers)
    return known


def check_tiers(policies: calico.PolicySet, tiers: dict[str, calico.Tier]) -> None:
    """Calico refuses a policy in a tier that does not exist: so do we, naming the policy."""
    problems = []
    for policy in policies.calico_policies:
        tier = policy.spec.tier or calico.DEFAULT_TIER
        if tier not in tiers:
            where = policy.origin or Location(path=policy.key)
            problems.append(
                InputError.at(
                    where.child("spec").child("tier"), f"{policy.key}: tier {tier!r} does not exist"
                )
            )
    if problems:
        raise InputError([d for e in problems for d in e.diagnostics])


def ordered_tiers(
    policies: calico.PolicySet, tie_break: TieBreak | str, preview_staged: bool,
    prepared_policies: PreparedPolicies | None = None,
) -> tuple[TierPolicies, ...]:
    """Tiers by (order, name), each with its policies by (order, tie key); empty tiers omitted."""
    tiers = known_tiers(policies.tiers)
    check_tiers(policies, tiers)
    by_tier: dict[str, list[PreparedPolicy]] = {}
    for prepared in enforced_policies(policies, tie_break, preview_staged, prepared_policies):
        by_tier.setdefault(prepared.tier, []).append(prepared)
    ordered = sorted((tiers[name] for name in by_tier), key=lambda t: (t.effective_order, t.name))
    return tuple(
        TierPolicies(tier, tuple(sorted(by_tier[tier.name], key=lambda p: p.sort_key))) for tier in ordered
    )
