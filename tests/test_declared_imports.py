"""The suite runs on a fresh install of `.[test]`: nothing may import a package that only happens
to be on a developer's machine. click is the one that bit twice (typer >= 0.29 no longer installs
it), so the check names it; `typer.testing` has what the tests need."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNDECLARED = re.compile(r"^\s*(?:from|import)\s+click\b", re.MULTILINE)


def test_no_source_or_test_imports_click() -> None:
    found = [str(path.relative_to(ROOT)) for folder in ("translator", "tests", "benchmarks")
             for path in sorted((ROOT / folder).rglob("*.py"))
             if UNDECLARED.search(path.read_text(encoding="utf-8"))]
    assert found == []
