"""A change plan of `apply`, `promote` or `rollback` as data for tools (kind `ChangePlan`).

The same plan the text output numbers for people: the steps in the order they run, the fields an
update changes, what is unchanged, notes, and how the command ended (`outcome`). Deterministic:
the plan's own order, keys sorted.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

from translator.apply.plan import Plan, Step
from translator.render.envelope import envelope
from translator.resource_diff import FieldChange, ObjectKey


class Outcome(str, Enum):
    """How the command ended; the exit status says the same for scripts."""

    NOTHING_TO_CHANGE = "nothing-to-change"
    DRY_RUN = "dry-run"
    DECLINED = "declined"
    DONE = "done"


def _key(key: ObjectKey) -> dict[str, Any]:
    return {"group": key.group, "kind": key.kind, "namespace": key.namespace or None, "name": key.name}


def _field(change: FieldChange) -> dict[str, Any]:
    return {"path": change.path, "change": change.kind.value, "before": change.before, "after": change.after}


def _step(number: int, step: Step) -> dict[str, Any]:
    fields = [_field(f) for f in step.fields]
    return {"number": number, "action": step.verb, **_key(step.key), "fields": fields}


def plan_to_dict(plan: Plan, *, command: str, tool: str, context: str | None, outcome: Outcome,
                 bundle: str | None) -> dict[str, Any]:
    return envelope("ChangePlan", {
        "command": command,
        "tool": tool,
        "context": context,
        "outcome": outcome.value,
        "steps": [_step(n, s) for n, s in enumerate(plan.steps, 1)],
        "unchanged": [_key(k) for k in plan.unchanged],
        "notes": list(plan.notes),
        "rollbackBundle": bundle,
    })


def plan_to_json(plan: Plan, **how: Any) -> str:
    return json.dumps(plan_to_dict(plan, **how), indent=2, sort_keys=True, default=str) + "\n"
