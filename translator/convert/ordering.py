"""Policy orders and the apply order of the emitted stream.

Within the tier np2calico writes to:
- 1000 for every converted allow: the order at which Calico enforces Kubernetes NetworkPolicies in
  the `default` tier, so during a migration the originals and their conversions sit side by side
  (both only allow: ties between them cannot change a verdict);
- 2000 for the explicit per-namespace denies: after every allow that can apply to their pods, so
  a Deny never hides an allow (an explicit Deny stops the tier, semantics.md §2.1);
- 3000 for the global default deny (`--default-deny global`): after everything else. Its DNS and
  API-server exceptions are Allow rules placed before its Deny rules, in the same policy.
The per-namespace denies and the default deny select disjoint pods (namespaces the default deny
excludes keep their per-namespace denies; covered namespaces need none), so no verdict depends on
a tie.
"""

from __future__ import annotations

from collections.abc import Iterable

from translator.model.calico import CalicoPolicy, GlobalNetworkPolicy

ALLOW_ORDER = 1000.0
DENY_ORDER = 2000.0
DEFAULT_DENY_ORDER = 3000.0


def apply_order(policies: Iterable[CalicoPolicy]) -> tuple[CalicoPolicy, ...]:
    """Allows before denies (so applying the stream never cuts traffic it will allow), then by name."""
    return tuple(sorted(policies, key=_apply_key))


def _apply_key(policy: CalicoPolicy) -> tuple[float, str, str, str]:
    scope = "" if isinstance(policy, GlobalNetworkPolicy) else policy.namespace
    order = policy.spec.order if policy.spec.order is not None else float("inf")
    return (order, policy.kind, scope, policy.name)
