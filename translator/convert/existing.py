"""Calico policies a cluster already enforces, next to a conversion of its Kubernetes policies.

A snapshot of a cluster holds both: its Kubernetes NetworkPolicies (what np2calico converts) and
Calico policies, tiers and staged policies that someone wrote (or an earlier migration applied).
Those are part of what the cluster enforces: a conversion leaves them as they are, and the
migrated cluster enforces them plus the conversion, minus the Kubernetes policies it replaces.
"""

from __future__ import annotations

from translator.model.calico import PolicySet


def calico_part(policies: PolicySet) -> PolicySet:
    """What a conversion leaves as it is: Calico policies, staged Kubernetes policies, tiers."""
    return PolicySet(
        calico_policies=policies.calico_policies,
        staged_k8s_policies=policies.staged_k8s_policies,
        tiers=policies.tiers,
    )


def after_migration(existing: PolicySet, converted: PolicySet) -> PolicySet:
    """The cluster's Calico part with the conversion applied over it: an object of the conversion
    replaces an existing one of the same kind and name (as `kubectl apply` would)."""
    kept = calico_part(existing)
    replaced = {p.key for p in converted.calico_policies}
    tiers = {t.name for t in converted.tiers}
    return PolicySet(
        k8s_policies=converted.k8s_policies,
        calico_policies=(*(p for p in kept.calico_policies if p.key not in replaced),
                         *converted.calico_policies),
        staged_k8s_policies=(*kept.staged_k8s_policies, *converted.staged_k8s_policies),
        tiers=(*(t for t in kept.tiers if t.name not in tiers), *converted.tiers),
    )


def describe_kept(policies: PolicySet) -> list[str]:
    """One line per Calico object left as it is, in input order (for stderr)."""
    lines = [f"Tier {t.name}" for t in policies.tiers]
    lines += [p.key for p in policies.calico_policies]
    lines += [p.key for p in policies.staged_k8s_policies]
    return lines
