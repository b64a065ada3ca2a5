"""Names of the emitted policies: valid for Calico v3.31 and v3.32, deterministic, collision-free.

Calico policy names are DNS labels joined by at most one dot, at most 253 characters
(libcalico-go validator). v3.31 also wants `<tier>.<name>` in a tier other than `default` and no
dot in the default tier (unless it starts with `default.`); v3.32 accepts both. The portable form:
no dot in the base name, and the `<tier>.` prefix outside `default`.

A Kubernetes name may hold several dots. When the base name has to change (dots replaced, or
shortened), a short hash of the original is appended, so two different sources never meet on the
same name. Global names always carry a hash of `namespace/name`: without it `a-b`/`c` and
`a`/`b-c` would both become `a-b-c`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace

from translator.errors import Diagnostics, Location, NP2CalicoError
from translator.model.calico import CalicoPolicy

MAX_NAME_LENGTH = 253
HASH_LENGTH = 8
DENY_PREFIX = "np2calico-deny"
DEFAULT_DENY_NAME = "np2calico-default-deny"


def short_hash(text: str) -> str:
    """A stable short digest (not for security: only to keep derived names apart)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def _label_safe(text: str) -> str:
    """Dots become dashes, so the base name is one DNS label run."""
    return text.replace(".", "-")


def _with_hash(base: str, digest: str, room: int) -> str:
    """`<base>-<digest>`, the base shortened (and trimmed of trailing dashes) to fit `room`."""
    keep = max(room - len(digest) - 1, 1)
    return f"{base[:keep].rstrip('-')}-{digest}"


def _in_tier(base: str, tier: str | None) -> str:
    return base if tier is None else f"{tier}.{base}"


def _room(tier: str | None) -> int:
    return MAX_NAME_LENGTH - (0 if tier is None else len(tier) + 1)


def namespaced_name(k8s_name: str, tier: str | None) -> str:
    """A namespaced policy's name: the Kubernetes name when it is already portable."""
    room = _room(tier)
    base = _label_safe(k8s_name)
    if base == k8s_name and len(base) <= room:
        return _in_tier(base, tier)
    return _in_tier(_with_hash(base, short_hash(k8s_name), room), tier)


def global_name(namespace: str, k8s_name: str, tier: str | None) -> str:
    """A GlobalNetworkPolicy converted from one Kubernetes policy: `<ns>-<name>-<hash>`."""
    base = f"{namespace}-{_label_safe(k8s_name)}"
    return _in_tier(_with_hash(base, short_hash(f"{namespace}/{k8s_name}"), _room(tier)), tier)


def merged_name(sources: Iterable[str], first_name: str, tier: str | None) -> str:
    """A GNP merged from policies repeated across namespaces: `<name>-<hash of all sources>`."""
    digest = short_hash(",".join(sorted(sources)))
    return _in_tier(_with_hash(_label_safe(first_name), digest, _room(tier)), tier)


def deny_name(direction: str, namespaces: tuple[str, ...], tier: str | None, *, scoped: bool) -> str:
    """An explicit deny: `np2calico-deny-<direction>` in a namespace; global ones name theirs."""
    base = f"{DENY_PREFIX}-{direction.lower()}"
    if not scoped:
        return _in_tier(base, tier)
    if len(namespaces) == 1:
        return _in_tier(f"{base}-{namespaces[0]}", tier)
    return _in_tier(f"{base}-{short_hash(','.join(namespaces))}", tier)


def default_deny_name(tier: str | None) -> str:
    return _in_tier(DEFAULT_DENY_NAME, tier)


class NameCollisionError(NP2CalicoError):
    """Two emitted objects would share a kind, namespace and name."""


def check_unique(policies: Iterable[CalicoPolicy], sources: dict[str, str]) -> None:
    """Fail clearly when two emitted policies would overwrite each other when applied.

    `sources` maps a policy key to the Kubernetes policies it came from, for the message.
    """
    seen: dict[tuple[str, str], str] = {}
    for policy in policies:
        scope = getattr(policy.metadata, "namespace", None) or ""
        identity = (scope, policy.name)
        if identity in seen:
            first, second = seen[identity], sources.get(policy.key, policy.key)
            raise NameCollisionError(
                f"two policies would both be named {policy.name!r}"
                f"{f' in namespace {scope!r}' if scope else ''}: from {first} and from {second}; "
                "rename one of the Kubernetes policies"
            )
        seen[identity] = sources.get(policy.key, policy.key)


def _identity(policy: CalicoPolicy) -> tuple[str, str]:
    """What two objects must not share to coexist: scope (namespace, or "" for global) and name."""
    return (getattr(policy.metadata, "namespace", None) or "", policy.name)


def _free_name(name: str, scope: str, taken: set[tuple[str, str]]) -> str:
    """`<name>-2`, `-3`, … : the first one free in `scope` (deterministic: depends on names only)."""
    suffix = 2
    while (scope, f"{name}-{suffix}") in taken:
        suffix += 1
    return f"{name}-{suffix}"


def avoid_taken_names(
    generated: Sequence[CalicoPolicy], converted: Sequence[CalicoPolicy], diags: Diagnostics
) -> list[CalicoPolicy]:
    """Rename generated policies (explicit denies, the default deny) whose name an input policy's
    conversion already uses: any legal Kubernetes name may be given, `np2calico-deny-ingress`
    included. The input keeps its name; the generated one gets the first free `-N` suffix, and a
    note says so."""
    owners = {_identity(p): p for p in converted}
    taken = set(owners) | {_identity(p) for p in generated}
    renamed: list[CalicoPolicy] = []
    for policy in generated:
        scope, name = _identity(policy)
        owner = owners.get((scope, name))
        if owner is not None:
            new_name = _free_name(name, scope, taken)
            taken.add((scope, new_name))
            where = getattr(owner, "origin", None) or Location(file=owner.key)
            diags.info(
                where.child("metadata").child("name"),
                f"the generated {policy.kind} {name!r} would take the name of {owner.key}'s conversion: "
                f"named {new_name!r} instead",
            )
            policy = replace(policy, metadata=replace(policy.metadata, name=new_name))
        renamed.append(policy)
    return renamed
