"""The rollback bundle: one YAML file written before any change, read by `np2calico rollback`.

    apiVersion: np2calico.io/v1
    kind: RollbackBundle
    metadata: {command: apply, createdAt: ..., tool: calicoctl, context: lab, kubeconfig: ...}
    previous: [...]   # the state before the change of every object that is updated or deleted
    created: [...]    # apiVersion/kind/metadata of every object that is created
    planned: [...]    # apiVersion/kind/metadata of every object applied (promote BUNDLE reads it)

Rolling back deletes `created` (tolerating objects that never got created) and re-applies
`previous`. The file is written through a temporary file and a hard link, so it is complete or
absent, and an existing bundle is never overwritten.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from translator.apply.plan import Plan, StepAction, identity
from translator.errors import InputError, Location, UsageError
from translator.output import write_text

API_VERSION = "np2calico.io/v1"
KIND = "RollbackBundle"


@dataclass(frozen=True)
class Bundle:
    command: str
    created_at: str
    tool: str | None = None
    context: str | None = None
    kubeconfig: str | None = None
    previous: tuple[Mapping[str, Any], ...] = ()
    created: tuple[Mapping[str, Any], ...] = ()
    planned: tuple[Mapping[str, Any], ...] = ()


def bundle_for(
    plan: Plan, command: str, now: datetime.datetime, *, tool: str | None = None,
    context: str | None = None, kubeconfig: str | None = None,
) -> Bundle:
    return Bundle(
        command=command,
        created_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool=tool, context=context, kubeconfig=kubeconfig,
        previous=plan.previous,
        created=plan.created,
        planned=tuple(identity(s.manifest) for s in plan.steps if s.action is StepAction.APPLY),
    )


def default_path(now: datetime.datetime, directory: Path = Path()) -> Path:
    return directory / f"np2calico-rollback-{now.strftime('%Y%m%dT%H%M%SZ')}.yaml"


def render(bundle: Bundle) -> str:
    metadata = {k: v for k, v in (
        ("command", bundle.command), ("createdAt", bundle.created_at), ("tool", bundle.tool),
        ("context", bundle.context), ("kubeconfig", bundle.kubeconfig),
    ) if v is not None}
    document = {
        "apiVersion": API_VERSION, "kind": KIND, "metadata": metadata,
        "previous": [dict(m) for m in bundle.previous],
        "created": [dict(m) for m in bundle.created],
        "planned": [dict(m) for m in bundle.planned],
    }
    header = f"# Undo with: np2calico rollback <this file>   ({bundle.command}, {bundle.created_at})\n"
    return header + yaml.safe_dump(document, sort_keys=False)


def write(bundle: Bundle, path: Path) -> None:
    """Write atomically; refuse to replace an existing file (it may be an older bundle)."""
    try:
        write_text(render(bundle), path, what="rollback bundle", exclusive=True)
    except FileExistsError:
        raise UsageError(f"rollback bundle {path} already exists; choose another --bundle path") from None


def read(path: Path) -> Bundle:
    """A bundle written by `write`; anything else is an InputError naming the file and field."""
    where = Location(str(path), 1)
    try:
        documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    except OSError as exc:
        raise InputError.at(Location(str(path)), f"cannot read the rollback bundle: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        message = f"cannot read the rollback bundle: not UTF-8 text (byte {exc.start})"
        raise InputError.at(Location(str(path)), message) from None
    except yaml.YAMLError as exc:
        raise InputError.at(where, f"not a YAML rollback bundle: {' '.join(str(exc).split())}") from None
    document = documents[0] if len(documents) == 1 else None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        expected = f"not a rollback bundle (expected one document of kind {KIND})"
        raise InputError.at(where.child("kind"), expected)
    metadata = document.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InputError.at(where.child("metadata"), "expected a mapping")
    return Bundle(
        command=str(metadata.get("command", "")),
        created_at=str(metadata.get("createdAt", "")),
        tool=metadata.get("tool"), context=metadata.get("context"), kubeconfig=metadata.get("kubeconfig"),
        previous=_objects(document, "previous", where),
        created=_objects(document, "created", where),
        planned=_objects(document, "planned", where),
    )


def _objects(document: Mapping[str, Any], key: str, where: Location) -> tuple[Mapping[str, Any], ...]:
    items = document.get(key) or []
    if not isinstance(items, list):
        raise InputError.at(where.child(key), "expected a list of objects")
    for index, item in enumerate(items):
        metadata = item.get("metadata") if isinstance(item, dict) else None
        if not isinstance(metadata, dict) or not item.get("kind") or not metadata.get("name"):
            message = "expected an object with kind and metadata.name"
            raise InputError.at(where.child(key).child(index), message)
    return tuple(items)
