"""The three rings, checked: lower layers never import higher ones; only edges do I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "translator"

CORE = {"translator.errors", "translator.model", "translator.selectors"}
# What each area may import from translator (besides itself).
ALLOWED: dict[str, set[str]] = {
    "translator.errors": set(),
    "translator.model": {"translator.errors", "translator.selectors"},
    "translator.selectors": {"translator.model", "translator.errors"},
    "translator.load": CORE,
    "translator.evaluate": CORE | {"translator.load"},
    "translator.convert": CORE,
    "translator.verify": CORE | {"translator.evaluate", "translator.load"},
    "translator.diff": CORE
    | {"translator.evaluate", "translator.convert", "translator.load", "translator.verify"},
    "translator.resource_diff": CORE,
    "translator.render": CORE
    | {"translator.evaluate", "translator.convert", "translator.diff", "translator.resource_diff",
       "translator.verify"},
}
# Modules that must stay pure: no file, terminal, network or process I/O libraries.
PURE = ("translator.model", "translator.selectors",
        "translator.evaluate.k8s", "translator.evaluate.calico", "translator.convert", "translator.diff",
        "translator.verify")
IO_LIBRARIES = {"yaml", "json", "typer", "kubernetes", "subprocess", "click"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _area(module: str) -> str | None:
    for area in sorted(ALLOWED, key=len, reverse=True):
        if module == area or module.startswith(area + "."):
            return area
    return None


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "schemas" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_lower_layers_do_not_import_higher_ones(path: Path) -> None:
    module = _module_name(path)
    area = _area(module)
    if area is None:  # edges (cli, cluster, apply, __main__) may import anything
        return
    for imported in _imports(path):
        if not imported.startswith("translator"):
            continue
        target = _area(imported) or imported
        assert target == area or target in ALLOWED[area], f"{module} imports {imported}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_pure_modules_do_no_io(path: Path) -> None:
    module = _module_name(path)
    if not module.startswith(PURE):
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    io = {i.split(".")[0] for i in _imports(path)} & IO_LIBRARIES
    assert not io, f"{module} imports {sorted(io)}"
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "print"]
    assert not calls, f"{module} prints"
