"""Object-by-object diff of manifests: what `kubectl diff` would show, for calicoctl users too.

Stable API (the `plan`/`apply` commands call it; keep it backward compatible):

    diff_resources(proposed: Sequence[Mapping], existing: Sequence[Mapping]) -> ResourceDiff

- Both inputs are plain manifests (dicts as YAML/JSON loading gives them); `kind: List` and
  `*List` kinds are expanded.
- Objects are matched by `ObjectKey` = (API group, kind, namespace, name). The version is not
  part of the key, and `projectcalico.org/v3` (calicoctl, the Calico API server) and
  `crd.projectcalico.org/v1` (the storage CRDs as kubectl prints them) are the same group
  `projectcalico.org`: the same policy read either way is one object.
- Server-managed fields are ignored: `metadata.uid`, `resourceVersion`, `creationTimestamp`,
  `generation`, `managedFields`, `selfLink`, the `kubectl.kubernetes.io/last-applied-configuration`
  annotation, and `status`. So is `apiVersion` (the version of one group), which is how a v1 CRD
  object and its v3 form compare equal.
- `ResourceDiff.created` / `.changed` / `.deleted` are tuples of `ObjectChange` sorted by key;
  `.unchanged` lists the keys that are the same on both sides. A changed object carries its
  `FieldChange`s (dotted path like `spec.ingress[0].action`, kind added|removed|changed, the
  values before and after), in path order.
- Two objects with the same key on one side are an `InputError` (exit code 2 in the CLI).

Rendering lives in `translator.render.diff.render_resource_diff(diff, fmt, color=False)`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from translator.errors import InputError, Location

CALICO_GROUP = "projectcalico.org"
# Both API groups Calico objects are read under, mapped to one.
_GROUP_ALIASES = {"crd.projectcalico.org": CALICO_GROUP}
_SERVER_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
                    "selfLink")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


@dataclass(frozen=True, order=True)
class ObjectKey:
    """Identity of an object across API versions: (group, kind, namespace, name)."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        group = f".{self.group}" if self.group else ""
        return f"{self.kind}{group} {where}{self.name}"


class FieldChangeKind(str, Enum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: `before` is None when added, `after` is None when removed."""

    path: str
    kind: FieldChangeKind
    before: Any = None
    after: Any = None


class ObjectAction(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class ObjectChange:
    """One object to create, update or delete; the manifests are cleaned of server fields."""

    key: ObjectKey
    action: ObjectAction
    fields: tuple[FieldChange, ...] = ()
    proposed: Mapping[str, Any] | None = None
    existing: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ResourceDiff:
    created: tuple[ObjectChange, ...] = ()
    changed: tuple[ObjectChange, ...] = ()
    deleted: tuple[ObjectChange, ...] = ()
    unchanged: tuple[ObjectKey, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(self.created or self.changed or self.deleted)

    @property
    def changes(self) -> tuple[ObjectChange, ...]:
        """Every change, in key order (creates, updates and deletes interleaved)."""
        return tuple(sorted((*self.created, *self.changed, *self.deleted), key=lambda c: c.key))


def api_group(api_version: str) -> str:
    """`projectcalico.org/v3` → `projectcalico.org`; `v1` (the core group) → ``."""
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return _GROUP_ALIASES.get(group, group)


def object_key(manifest: Mapping[str, Any]) -> ObjectKey:
    metadata = manifest.get("metadata") or {}
    return ObjectKey(
        api_group(str(manifest.get("apiVersion", ""))),
        str(manifest.get("kind", "")),
        str(metadata.get("namespace") or ""),
        str(metadata.get("name", "")),
    )


def expand_lists(manifests: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Objects of `kind: List` / `*List` replaced by their items, recursively."""
    found: list[Mapping[str, Any]] = []
    for manifest in manifests:
        if str(manifest.get("kind", "")).endswith("List") and "items" in manifest:
            found.extend(expand_lists(manifest.get("items") or ()))
        else:
            found.append(manifest)
    return found


def clean(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """A copy without server-managed fields, apiVersion and empty leftovers."""
    result = copy.deepcopy(dict(manifest))
    result.pop("status", None)
    result.pop("apiVersion", None)
    metadata = result.get("metadata")
    if isinstance(metadata, dict):
        for name in _SERVER_METADATA:
            metadata.pop(name, None)
        annotations = metadata.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(LAST_APPLIED, None)
            if not annotations:
                metadata.pop("annotations")
    return result


def _index(manifests: Sequence[Mapping[str, Any]], side: str) -> dict[ObjectKey, dict[str, Any]]:
    indexed: dict[ObjectKey, dict[str, Any]] = {}
    for position, manifest in enumerate(expand_lists(manifests)):
        key = object_key(manifest)
        if key in indexed:
            where = Location(f"<{side}>", position + 1)
            raise InputError.at(where, f"{key} appears twice in the {side} manifests")
        indexed[key] = clean(manifest)
    return indexed


def _path_text(parts: Sequence[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_REPORT_KINDS = {
    "values_changed": FieldChangeKind.CHANGED,
    "type_changes": FieldChangeKind.CHANGED,
    "dictionary_item_added": FieldChangeKind.ADDED,
    "iterable_item_added": FieldChangeKind.ADDED,
    "dictionary_item_removed": FieldChangeKind.REMOVED,
    "iterable_item_removed": FieldChangeKind.REMOVED,
}


def field_changes(existing: Mapping[str, Any], proposed: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """The fields that differ, field by field, with list order significant (rule order is)."""
    from deepdiff import DeepDiff  # imported here: it pulls in numpy, which slows every command's start

    tree = DeepDiff(existing, proposed, view="tree")
    changes: list[FieldChange] = []
    for report, items in tree.items():
        kind = _REPORT_KINDS.get(report)
        if kind is None:
            continue
        for item in items:
            before = None if kind is FieldChangeKind.ADDED else item.t1
            after = None if kind is FieldChangeKind.REMOVED else item.t2
            changes.append(FieldChange(_path_text(item.path(output_format="list")), kind, before, after))
    return tuple(sorted(changes, key=lambda c: c.path))


def diff_resources(
    proposed: Sequence[Mapping[str, Any]], existing: Sequence[Mapping[str, Any]]
) -> ResourceDiff:
    """Compare what would be applied with what the cluster holds, object by object."""
    wanted = _index(proposed, "proposed")
    present = _index(existing, "existing")
    created, changed, deleted, unchanged = [], [], [], []
    for key in sorted(wanted.keys() | present.keys()):
        new, old = wanted.get(key), present.get(key)
        if old is None:
            created.append(ObjectChange(key, ObjectAction.CREATE, proposed=new))
        elif new is None:
            deleted.append(ObjectChange(key, ObjectAction.DELETE, existing=old))
        else:
            fields = field_changes(old, new)
            if fields:
                changed.append(ObjectChange(key, ObjectAction.UPDATE, fields, new, old))
            else:
                unchanged.append(key)
    return ResourceDiff(tuple(created), tuple(changed), tuple(deleted), tuple(unchanged))
