"""What `apply`, `promote` and `rollback` will do, step by step, before anything is changed.

A `Plan` is an ordered list of steps (apply or delete one object) plus what a rollback needs: the
previous state of every object a step touches, and the identities of the objects it creates.

Apply order. Tiers come first (by their `order`), then every other object by its `spec.order`
(no order: last), ties in the order of the input. `np2calico convert` gives allows the lower
orders and denies the higher ones, so this is "tiers, allows, then denies" — and it stays right for
any input: whatever Calico evaluates before a policy is in place before that policy is.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from translator.resource_diff import (
    FieldChange,
    FieldChangeKind,
    ObjectAction,
    ObjectChange,
    ObjectKey,
    ResourceDiff,
    clean,
    diff_resources,
    object_key,
)

CALICO_V3 = "projectcalico.org/v3"
STAGED_KINDS = {"NetworkPolicy": "StagedNetworkPolicy", "GlobalNetworkPolicy": "StagedGlobalNetworkPolicy"}
ENFORCED_KINDS = {staged: enforced for enforced, staged in STAGED_KINDS.items()}
STAGED_ACTION_SET = "Set"
RESTORE = "restore"  # a rollback re-applies an object's previous state
DEFAULT_TIER = "default"
TIER_LABEL = "projectcalico.org/tier"  # set by the Calico API server on every policy


class StepAction(str, Enum):
    APPLY = "apply"
    DELETE = "delete"


@dataclass(frozen=True)
class Step:
    """One object to apply (create or update) or delete."""

    action: StepAction
    change: ObjectAction  # create / update / delete, as the plan shows it
    manifest: Mapping[str, Any]
    fields: tuple[FieldChange, ...] = ()  # what an update changes
    label: str | None = None  # how the plan names the step when not by `change` (rollback: restore)

    @property
    def key(self) -> ObjectKey:
        return object_key(self.manifest)

    @property
    def verb(self) -> str:
        return self.label or self.change.value

    def __str__(self) -> str:
        return f"{self.verb} {self.key}"


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...] = ()
    unchanged: tuple[ObjectKey, ...] = ()
    previous: tuple[Mapping[str, Any], ...] = ()  # re-applied by a rollback
    created: tuple[Mapping[str, Any], ...] = ()  # deleted by a rollback (identities only)
    notes: tuple[str, ...] = field(default=())  # e.g. objects a promote skipped, and why

    @property
    def is_empty(self) -> bool:
        return not self.steps

    def count(self, change: ObjectAction) -> int:
        return sum(1 for s in self.steps if s.change is change)


def apply_order(manifests: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Tiers first, then objects by `spec.order` (absent: last); stable for equal orders."""
    indexed = list(enumerate(manifests))
    return [m for _, m in sorted(indexed, key=lambda pair: (_rank(pair[1]), pair[0]))]


def _rank(manifest: Mapping[str, Any]) -> tuple[int, float]:
    order = (manifest.get("spec") or {}).get("order")
    number = float(order) if isinstance(order, (int, float)) else math.inf
    return (0 if manifest.get("kind") == "Tier" else 1, number)


def identity(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Just enough of an object to name it to `kubectl delete -f -` / `calicoctl delete -f -`."""
    metadata = manifest.get("metadata") or {}
    kept = {k: metadata[k] for k in ("name", "namespace") if metadata.get(k)}
    return {"apiVersion": manifest.get("apiVersion", CALICO_V3), "kind": manifest.get("kind"),
            "metadata": kept}


def restorable(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """An object read from the cluster, as it can be applied again (server fields removed)."""
    # Objects read from the storage CRDs (crd.projectcalico.org/v1) are applied back as v3.
    return {"apiVersion": CALICO_V3, **clean(manifest)}


def staged(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The Staged kind of a policy: same spec plus `stagedAction: Set`; other kinds unchanged."""
    kind = str(manifest.get("kind", ""))
    result = copy.deepcopy(dict(manifest))
    if kind in STAGED_KINDS:
        result["kind"] = STAGED_KINDS[kind]
        result["spec"] = {**(result.get("spec") or {}), "stagedAction": STAGED_ACTION_SET}
    return result


def enforced(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The enforced kind of a staged policy: same spec without `stagedAction`."""
    result = restorable(manifest)
    result["kind"] = ENFORCED_KINDS[str(manifest.get("kind"))]
    result["spec"] = {k: v for k, v in (result.get("spec") or {}).items() if k != "stagedAction"}
    return result


def build_apply_plan(
    proposed: Sequence[Mapping[str, Any]], existing: Sequence[Mapping[str, Any]]
) -> Plan:
    """Apply `proposed` (in apply order) over `existing`, the current state of the same objects."""
    ordered = apply_order(proposed)
    wanted = {object_key(m): m for m in ordered}
    diff = diff_resources(ordered, [_without_server_defaults(e, wanted.get(object_key(e))) for e in existing])
    changes = _changes_by_key(diff)
    steps = [
        Step(StepAction.APPLY, changes[object_key(m)].action, m, changes[object_key(m)].fields)
        for m in ordered if object_key(m) in changes
    ]
    return Plan(
        steps=tuple(steps),
        unchanged=diff.unchanged,
        previous=tuple(restorable(c.existing) for c in diff.changed if c.existing is not None),
        created=tuple(identity(s.manifest) for s in steps if s.change is ObjectAction.CREATE),
    )


def _without_server_defaults(
    existing: Mapping[str, Any], proposed: Mapping[str, Any] | None
) -> Mapping[str, Any]:
    """Drop what the Calico API server adds on its own (tier `default` and its tier label) when the
    manifest leaves it out, so the plan does not show an update for an object that is the same."""
    if proposed is None:
        return existing
    result = copy.deepcopy(dict(existing))
    spec, metadata = result.get("spec") or {}, result.get("metadata") or {}
    if spec.get("tier") == DEFAULT_TIER and "tier" not in (proposed.get("spec") or {}):
        del spec["tier"]
    labels = metadata.get("labels") or {}
    if TIER_LABEL in labels and TIER_LABEL not in ((proposed.get("metadata") or {}).get("labels") or {}):
        del labels[TIER_LABEL]
        if not labels:
            del metadata["labels"]
    return result


def build_promote_plan(
    staged_objects: Sequence[Mapping[str, Any]], existing_enforced: Sequence[Mapping[str, Any]]
) -> Plan:
    """Create (or update) the enforced form of each staged policy, then delete the staged ones.

    Staged objects with `stagedAction: Delete`, and StagedKubernetesNetworkPolicies (whose
    enforced form is a Kubernetes policy, not a Calico one), are left alone and named in `notes`.
    """
    promotable, notes = _promotable(staged_objects)
    apply_plan = build_apply_plan([enforced(s) for s in promotable], existing_enforced)
    deletes = [Step(StepAction.DELETE, ObjectAction.DELETE, identity(s)) for s in promotable]
    return Plan(
        steps=apply_plan.steps + tuple(deletes),
        unchanged=apply_plan.unchanged,
        previous=apply_plan.previous + tuple(restorable(s) for s in promotable),
        created=apply_plan.created,
        notes=tuple(notes),
    )


def _promotable(objects: Sequence[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], list[str]]:
    promotable: list[Mapping[str, Any]] = []
    notes: list[str] = []
    for obj in objects:
        key = object_key(obj)
        action = (obj.get("spec") or {}).get("stagedAction", STAGED_ACTION_SET)
        if obj.get("kind") not in ENFORCED_KINDS:
            notes.append(f"skipped {key}: only Calico staged policies are promoted")
        elif action != STAGED_ACTION_SET:
            notes.append(f"skipped {key}: stagedAction {action} is not promoted (delete it by hand)")
        else:
            promotable.append(obj)
    return promotable, notes


def build_rollback_plan(
    previous: Sequence[Mapping[str, Any]], created: Sequence[Mapping[str, Any]]
) -> Plan:
    """Delete what was created (last created first, so denies go before allows), then restore."""
    deletes = [Step(StepAction.DELETE, ObjectAction.DELETE, identity(m)) for m in reversed(created)]
    restores = [Step(StepAction.APPLY, ObjectAction.UPDATE, m, label=RESTORE) for m in apply_order(previous)]
    return Plan(steps=tuple(deletes + restores))


def _changes_by_key(diff: ResourceDiff) -> dict[ObjectKey, ObjectChange]:
    return {c.key: c for c in (*diff.created, *diff.changed)}


def describe(plan: Plan) -> list[str]:
    """The plan as numbered lines, in the order the steps will run, with the fields that change."""
    standard = [a.value for a in ObjectAction]
    verbs = standard + sorted({s.verb for s in plan.steps} - set(standard))
    counts = ", ".join(f"{sum(s.verb == v for s in plan.steps)} to {v}" for v in verbs)
    lines = [f"Plan: {counts}, {len(plan.unchanged)} unchanged."]
    for number, step in enumerate(plan.steps, 1):
        lines.append(f"  {number}. {step}")
        lines.extend(f"       {_field_line(change)}" for change in step.fields)
    lines.extend(f"  unchanged: {key}" for key in plan.unchanged)
    lines.extend(f"  note: {note}" for note in plan.notes)
    return lines


def _field_line(change: FieldChange) -> str:
    if change.kind is FieldChangeKind.ADDED:
        return f"+ {change.path}: {_compact(change.after)}"
    if change.kind is FieldChangeKind.REMOVED:
        return f"- {change.path}: {_compact(change.before)}"
    return f"~ {change.path}: {_compact(change.before)} -> {_compact(change.after)}"


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
