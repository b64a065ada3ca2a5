"""The envelope of every machine-readable output: `apiVersion`, `kind`, then the body.

Tools reading np2calico's JSON check `apiVersion` before anything else; a change that breaks them
gets a new version. Each kind is described by a JSON Schema in schemas/ (np2calico-<kind>.schema.json).
"""

from __future__ import annotations

from typing import Any

from translator.errors import Diagnostic

API_VERSION = "np2calico.io/v1alpha1"


def envelope(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, **body}


def diagnostic_to_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    """A diagnostic as data: where (file, document, field path), its level and message."""
    where = diagnostic.location
    return {
        "file": where.file,
        "document": where.document,
        "path": where.path,
        "level": diagnostic.level.value,
        "message": diagnostic.message,
    }
