"""The three rings, checked: no import cycles, lower layers never import higher ones, and only
edges do I/O.

Every `import` counts, at module level or inside a function: a lazy import still is a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "translator"

# The architecture's layers, lowest first (docs: errors, common value types → k8s model, selectors
# → calico model, cluster model → loader, convert, evaluators → diff → render → cli). A module may
# import its own area and any area of a *lower* layer; areas of one layer never import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("translator.errors", "translator.version", "translator.model.common", "translator.gc_pause"),
    ("translator.model.k8s", "translator.model.services", "translator.selectors"),
    ("translator.model.calico", "translator.model.cluster", "translator.model"),
    ("translator.load",),
    # The Calico evaluator enforces Kubernetes policies through the converter (convert.rules).
    ("translator.convert",),
    ("translator.evaluate",),
    ("translator.verify", "translator.resource_diff"),
    ("translator.diff",),
    ("translator.render",),
    # The edges: output files, cluster access, the apply workflow, the CLI, the public API.
    ("translator.output",),
    ("translator.cluster",),
    ("translator.apply",),
    ("translator.cli",),
    ("translator.__main__", "translator"),
)
LAYER = {area: index for index, areas in enumerate(LAYERS) for area in areas}

# Modules that must stay pure: no file, terminal, network or process I/O libraries.
PURE = ("translator.model", "translator.selectors", "translator.evaluate.k8s", "translator.evaluate.calico",
        "translator.convert", "translator.diff", "translator.verify")
IO_LIBRARIES = {"yaml", "json", "typer", "kubernetes", "subprocess", "click"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "schemas" not in p.parts}


def _imports(path: Path) -> set[str]:
    """The translator modules `path` imports (`from pkg import submodule` names the submodule)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return {name for name in found if name == "translator" or name.startswith("translator.")}


GRAPH = {module: _imports(path) - {module} for module, path in MODULES.items()}


def _area(module: str) -> str | None:
    """The longest layered prefix of `module` (the bare package only names its own __init__)."""
    prefixes = [a for a in LAYER if module == a or (a != "translator" and module.startswith(a + "."))]
    return max(prefixes, key=len, default=None)


def _cycles(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c in graph), None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        yield sorted(component)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])


def test_no_import_cycles() -> None:
    cycles = list(_cycles(GRAPH))
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert list(_cycles(graph)) == [["a", "b", "c"]]
    assert not list(_cycles({"a": {"b"}, "b": set()}))


def test_every_module_has_a_layer() -> None:
    """A new top-level module or package must be placed in LAYERS, not slip in unchecked."""
    assert [m for m in MODULES if _area(m) is None] == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_lower_layers_do_not_import_higher_ones(module: str) -> None:
    area = _area(module)
    assert area is not None
    for imported in sorted(GRAPH[module]):
        target = _area(imported)
        assert target is not None, f"{module} imports {imported}, which has no layer"
        assert target == area or LAYER[target] < LAYER[area], (
            f"{module} (layer {LAYER[area]}) imports {imported} (layer {LAYER[target]})"
        )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_pure_modules_do_no_io(module: str) -> None:
    if not module.startswith(PURE):
        return
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    names = {alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    io = {name.split(".")[0] for name in names} & IO_LIBRARIES
    assert not io, f"{module} imports {sorted(io)}"
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "print"]
    assert not calls, f"{module} prints"
