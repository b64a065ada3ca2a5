"""Parsers of Calico kinds (projectcalico.org/v3 as calicoctl prints them, crd.projectcalico.org/v1)."""

from __future__ import annotations

from translator.load.registry import Parser

PARSERS: dict[tuple[str, str], Parser] = {}
