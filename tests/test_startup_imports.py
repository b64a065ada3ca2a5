"""Start-up stays light: `--help` and a small diff import no client, schema or solver library.

Each of these costs tenths of a second to import; only the commands that need them (a live
cluster, an invalid document to explain, `verify`, the HTML report) should pay for them. pydantic
is typer's way of coercing option values; np2calico's options are coerced without it
(translator/cli/coercion.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "samples" / "lab"
HEAVY = ("kubernetes", "urllib3", "jsonschema", "referencing", "z3", "jinja2", "pydantic", "pydantic_core")


def imported(*args: str) -> set[str]:
    """Top-level modules a `python -m translator ...` run imported (from -X importtime)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "translator", *args], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize("args", [
    ["--help"],
    ["diff", "--help"],
    ["diff", "--migrate", str(LAB / "policies"), "--cluster", str(LAB / "cluster.yaml"), "-o", "json"],
], ids=["help", "diff-help", "lab-migration-diff"])
def test_start_up_imports_nothing_heavy(args: list[str]) -> None:
    assert not imported(*args) & set(HEAVY)


# What `--help` needs is the command line itself: the options and their help, nothing that runs.
WORK = ("translator.load", "translator.convert", "translator.model.calico", "translator.evaluate",
        "translator.diff", "translator.render", "translator.apply", "translator.cluster", "translator.verify")


def imported_modules(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "translator", *args], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
            if line.startswith("import time:") and line.count("|") == 2}


@pytest.mark.parametrize("args", [["--help"], ["diff", "--help"], ["explain", "--help"]],
                         ids=["help", "diff-help", "explain-help"])
def test_help_loads_no_engine(args: list[str]) -> None:
    loaded = imported_modules(*args)
    assert sorted(m for m in loaded if m.startswith(WORK)) == []


def test_a_diff_loads_no_cluster_client_or_apply_workflow() -> None:
    loaded = imported_modules("diff", "--migrate", str(LAB / "policies"),
                              "--cluster", str(LAB / "cluster.yaml"))
    assert sorted(m for m in loaded if m.startswith(("translator.cluster", "translator.apply"))) == []


@pytest.mark.parametrize("choice, model", [
    ("translator.cli.options:TieBreakChoice", "translator.model.calico:TieBreak"),
    ("translator.cli.options:SemanticsChoice", "translator.evaluate.verdict:Semantics"),
], ids=["tie-break", "semantics"])
def test_cli_choices_name_the_models_values(choice: str, model: str) -> None:
    """The CLI declares its own choice enums (so `--help` loads no model); they offer every value."""
    import importlib

    def values(where: str) -> list[str]:
        module, name = where.split(":")
        return [member.value for member in getattr(importlib.import_module(module), name)]

    assert values(choice) == values(model)
