"""Kubernetes NetworkPolicies → equivalent Calico resources: `convert(policies, options)`.

The output allows exactly what the input allows, wherever it is applied: in any tier (explicit
denies, so a tier's defaultAction does not matter) and next to the original Kubernetes policies
(allows at Calico's Kubernetes order 1000, denies after every allow). See `ordering` for the
order scheme, `naming` for names, `rules` for the rule translation, `deny` for isolation and
`default_deny` for `--default-deny global`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from translator.convert.default_deny import (
    default_deny_policy,
    redundancy,
    warn_included_system_namespaces,
)
from translator.convert.deny import explicit_denies
from translator.convert.naming import avoid_taken_names, check_unique
from translator.convert.options import SYSTEM_NAMESPACES, ConvertOptions, DefaultDenyOptions, Target
from translator.convert.ordering import apply_order
from translator.convert.policies import (
    SOURCE_ANNOTATION,
    global_groups,
    report_dead_rules,
    to_global_policy,
    to_network_policy,
)
from translator.errors import Diagnostic, Diagnostics, InputError, Level, Location
from translator.model.calico import CalicoPolicy, PolicySet, Tier
from translator.model.k8s import NetworkPolicy as K8sPolicy
from translator.model.k8s import normalise

__all__ = [
    "SOURCE_ANNOTATION",
    "ConversionResult",
    "ConvertOptions",
    "DefaultDenyOptions",
    "Dropped",
    "Target",
    "convert",
]


@dataclass(frozen=True)
class Dropped:
    """A policy the conversion leaves out (proven redundant under the global default deny), and why."""

    key: str
    reason: str
    where: Location

    def __str__(self) -> str:
        return str(Diagnostic(self.where, Level.INFO, f"dropped {self.key}: {self.reason}"))


@dataclass(frozen=True)
class ConversionResult:
    """What `convert` produced: Tier(s) and policies in apply order, diagnostics, and a report.

    `report` lists what the conversion decided that a reviewer must know (the `dropped` policies),
    one line each, as `FILE:DOC:PATH: info: message` like every diagnostic.
    """

    tiers: tuple[Tier, ...]
    policies: tuple[CalicoPolicy, ...]
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    dropped: tuple[Dropped, ...] = ()

    @property
    def report(self) -> tuple[str, ...]:
        return tuple(str(d) for d in self.dropped)

    @property
    def policy_set(self) -> PolicySet:
        """The output as a cluster would enforce it (for an evaluator or a diff)."""
        return PolicySet(calico_policies=self.policies, tiers=self.tiers)


def convert(policies: Iterable[K8sPolicy], options: ConvertOptions | None = None) -> ConversionResult:
    options = options or ConvertOptions()
    diags = Diagnostics()
    normalised = _unique([normalise(p) for p in policies])
    for policy in normalised:
        report_dead_rules(policy, diags)
        warn_system_namespace(policy, diags)
    kept, dropped = _drop_redundant(normalised, options.default_deny)
    allows = _allows(kept, options)
    generated = explicit_denies(normalised, options, _covered(options))
    if options.default_deny is not None:
        warn_included_system_namespaces(options.default_deny, diags)
        generated.append(default_deny_policy(options))
    ordered = apply_order([*allows, *avoid_taken_names(generated, allows, diags)])
    check_unique(ordered, {p.key: _source(p) for p in ordered})
    return ConversionResult(_tiers(options), ordered, diags, tuple(dropped))


def warn_system_namespace(policy: K8sPolicy, diags: Diagnostics) -> None:
    """Lock-out guard: output selecting a system namespace's pods is written only with a warning."""
    if policy.namespace in SYSTEM_NAMESPACES:
        diags.warning(
            policy.origin or Location(file=policy.key),
            f"policy of system namespace {policy.namespace!r}: its conversion selects "
            "control-plane pods (as the Kubernetes policy does); review it before applying",
        )


def _allows(policies: Sequence[K8sPolicy], options: ConvertOptions) -> list[CalicoPolicy]:
    if options.target is Target.GLOBAL:
        return [to_global_policy(group, options) for group in global_groups(policies)]
    return [to_network_policy(p, options) for p in policies]


def _covered(options: ConvertOptions) -> Callable[[str], bool]:
    deny = options.default_deny
    return (lambda _namespace: False) if deny is None else deny.covers


def _drop_redundant(
    policies: Sequence[K8sPolicy], deny: DefaultDenyOptions | None
) -> tuple[list[K8sPolicy], list[Dropped]]:
    """Under the global default deny, drop covered policies proven redundant, each reported."""
    if deny is None:
        return list(policies), []
    kept: list[K8sPolicy] = []
    dropped: list[Dropped] = []
    for policy in policies:
        reason = redundancy(policy, deny) if deny.covers(policy.namespace) else None
        if reason is None:
            kept.append(policy)
        else:
            dropped.append(Dropped(policy.key, reason, policy.origin or Location(file=policy.key)))
    return kept, dropped


def _unique(policies: list[K8sPolicy]) -> list[K8sPolicy]:
    """Two input policies with the same namespace and name: the cluster would keep only one."""
    seen: dict[str, K8sPolicy] = {}
    problems: list[Diagnostic] = []
    for policy in policies:
        if policy.key in seen:
            where = policy.origin or Location(file=policy.key)
            problems.append(Diagnostic(where, Level.ERROR, f"NetworkPolicy {policy.key} is defined twice"))
        seen[policy.key] = policy
    if problems:
        raise InputError(problems)
    return policies


def _tiers(options: ConvertOptions) -> tuple[Tier, ...]:
    if options.tier is None:
        return ()
    return (Tier(options.tier, options.tier_order, options.tier_default_action),)


def _source(policy: CalicoPolicy) -> str:
    return dict(policy.metadata.annotations).get(SOURCE_ANNOTATION, policy.key)
