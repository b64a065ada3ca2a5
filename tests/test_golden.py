"""Golden conversions: `tests/golden/<case>/` holds `case.yaml` (the command's arguments), the input,
and the expected stdout (`expected.yaml` / `expected.json`) and stderr (`expected.stderr`).

Regenerate with `NP2CALICO_REGEN_GOLDEN=1 python -m pytest tests/test_golden.py`, then review the
diff. Every emitted object must pass both upstream CRD sets (v3.32.1 and v3.31.7). Cases with a
`calico.yaml` also compare our rules with what Calico's own converter produces (derived by hand
from conversion.go), where the two agree by design: rules field by field, selectors by meaning.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.crd_validation import assert_valid_for_calico
from translator.cli import app
from translator.selectors import parse

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
REGENERATE = os.environ.get("NP2CALICO_REGEN_GOLDEN") == "1"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "case.yaml").is_file())


@pytest.fixture(autouse=True)
def _at_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cases' arguments are paths relative to the repository root."""
    monkeypatch.chdir(ROOT)


def run_case(case: str) -> tuple[list[str], Any]:
    spec = yaml.safe_load((GOLDEN / case / "case.yaml").read_text())
    result = CliRunner().invoke(app, ["convert", *spec["args"]])
    assert result.exit_code == 0, result.stderr + result.stdout
    return spec["args"], result


def _stdout_name(args: list[str]) -> str:
    return "expected.json" if "json" in args else "expected.yaml"


def _documents(args: list[str], text: str) -> list[dict[str, Any]]:
    if "json" in args:
        return json.loads(text)["items"]
    return [d for d in yaml.safe_load_all(text) if d is not None]


@pytest.mark.parametrize("case", CASES)
def test_golden_output(case: str) -> None:
    args, result = run_case(case)
    expected_out = GOLDEN / case / _stdout_name(args)
    expected_err = GOLDEN / case / "expected.stderr"
    if REGENERATE:
        expected_out.write_text(result.stdout)
        expected_err.write_text(result.stderr)
    assert result.stdout == expected_out.read_text()
    assert result.stderr == expected_err.read_text()


@pytest.mark.parametrize("case", CASES)
def test_golden_output_is_valid_for_both_calico_versions(case: str) -> None:
    args, result = run_case(case)
    documents = _documents(args, result.stdout)
    assert documents
    for document in documents:
        assert_valid_for_calico(document)


# --- agreement with Calico's own converter ---------------------------------------------------------

AGREEMENT_CASES = [c for c in CASES if (GOLDEN / c / "calico.yaml").is_file()]


def _labels(selector_text: str) -> tuple[list[str], list[str]]:
    """The label keys and values a selector mentions (from its canonical AST's text)."""
    tree = parse(selector_text)
    keys: set[str] = set()
    values: set[str] = set()
    for node in _nodes(tree):
        if hasattr(node, "label"):
            keys.add(node.label)
        values.update(getattr(node, "values", ()) or ())
        if isinstance(getattr(node, "value", None), str):
            values.add(node.value)
    return sorted(keys), sorted(values)


def _nodes(node: Any) -> list[Any]:
    children = getattr(node, "operands", None) or ([node.operand] if hasattr(node, "operand") else [])
    return [node, *(n for child in children for n in _nodes(child))]


def same_meaning(ours: str | None, theirs: str | None) -> bool:
    """Two selectors select the same label sets (brute force over the labels they mention)."""
    if ours is None or theirs is None:
        return ours == theirs
    keys_a, values_a = _labels(ours)
    keys_b, values_b = _labels(theirs)
    keys = sorted(set(keys_a) | set(keys_b))
    values = [None, "other", *sorted(set(values_a) | set(values_b))]
    a, b = parse(ours), parse(theirs)
    for combination in itertools.product(values, repeat=len(keys)):
        labels = {k: v for k, v in zip(keys, combination, strict=True) if v is not None}
        if a.matches(labels) != b.matches(labels):
            return False
    return True


SELECTOR_FIELDS = ("selector", "namespaceSelector", "notSelector")


def _same_entity(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    plain = {k: v for k, v in ours.items() if k not in SELECTOR_FIELDS}
    expected = {k: v for k, v in theirs.items() if k not in SELECTOR_FIELDS}
    ports_ours = [str(p) for p in plain.pop("ports", [])]
    ports_theirs = [str(p) for p in expected.pop("ports", [])]
    return (
        plain == expected
        and ports_ours == ports_theirs
        and all(same_meaning(ours.get(f), theirs.get(f)) for f in SELECTOR_FIELDS)
    )


def _same_rule(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    return (
        ours.get("action") == theirs.get("action")
        and ours.get("protocol") == theirs.get("protocol")
        and all(_same_entity(ours.get(s, {}), theirs.get(s, {})) for s in ("source", "destination"))
    )


@pytest.mark.parametrize("case", AGREEMENT_CASES)
def test_rules_agree_with_calicos_own_converter(case: str) -> None:
    args, result = run_case(case)
    ours = _documents(args, result.stdout)[0]["spec"]
    theirs = yaml.safe_load((GOLDEN / case / "calico.yaml").read_text())
    assert same_meaning(ours["selector"], theirs["selector"])
    assert ours["types"] == theirs["types"]
    for direction in ("ingress", "egress"):
        got, expected = ours.get(direction, []), theirs[direction]
        assert len(got) == len(expected), direction
        for index, (rule, calico_rule) in enumerate(zip(got, expected, strict=True)):
            assert _same_rule(rule, calico_rule), f"{direction}[{index}]: {rule} != {calico_rule}"


def test_same_meaning_tells_selectors_apart() -> None:
    assert same_meaning("a not in { 'x' } && ! has(b)", "!has(b) && a != 'x'")
    assert not same_meaning("a != 'x'", "has(a) && a != 'x'")
