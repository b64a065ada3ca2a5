"""Shared by the verify tests: load policy sets from YAML text, replay a witness as explain does."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

from translator.errors import Location
from translator.evaluate.calico import CalicoEvaluator
from translator.evaluate.connections import make_connection, resolve_endpoint
from translator.evaluate.verdict import Verdict
from translator.load import load
from translator.model.calico import PolicySet
from translator.model.common import Protocol
from translator.verify import Witness


def policies(text: str) -> PolicySet:
    """A policy set from YAML text (through the loader, so defaulting and validation apply)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "policies.yaml"
        path.write_text(text, encoding="utf-8")
        return load([str(path)]).policies


def replay(witness: Witness, sides: tuple[PolicySet, PolicySet], tie_break: str = "v3.32") -> list[Verdict]:
    """The witness's manifests read back by the loader and its connection evaluated on both sides,
    the way `explain --cluster WITNESS --semantics calico` does it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "witness.yaml"
        path.write_text(yaml.safe_dump_all(list(witness.objects)), encoding="utf-8")
        cluster = load([str(path)]).cluster()
    source = resolve_endpoint(witness.source, cluster, Location("--from"))
    destination = resolve_endpoint(witness.destination, cluster, Location("--to"))
    assert witness.port is not None
    conn = make_connection(source, destination, witness.port, Protocol(witness.protocol), Location("--port"))
    return [CalicoEvaluator(side, cluster, tie_break=tie_break).evaluate(conn) for side in sides]


def assert_reproduces(witness: Witness, sides: tuple[PolicySet, PolicySet], tie_break: str = "v3.32") -> None:
    verdicts = replay(witness, sides, tie_break)
    assert [v.allowed for v in verdicts] == [witness.allowed_a, witness.allowed_b]
    assert verdicts[0].allowed != verdicts[1].allowed
