"""The quick coercion of option values (translator/cli/coercion.py) gives what typer's own gives:
the same value, or the same error, for every parameter of every command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main

from translator.cli import app
from translator.cli.coercion import QuickParam

ROOT = Path(__file__).resolve().parents[2]
# Values a user may type, for each kind of option; wrong ones included (their errors must be typer's).
SAMPLES: dict[str, list[Any]] = {
    "str": ["default", "", "k8s-app == 'kube-dns'"],
    "int": ["0", "42", "-3", "x", 7],
    "float": ["1.5", "x", 2.0],
    "bool": [True, False],
    "Path": ["-", "out.yaml", str(ROOT), str(ROOT / "README.md"), str(ROOT / "absent.yaml"), Path("x")],
    "enum": ["json", "JSON", "global", "v3.31", "calicoctl", "never", "bogus", ""],
}


def _kind(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return "Path"
    return getattr(annotation, "__name__", "") if annotation in (str, int, float, bool) else "enum"


def _outcome(runtime: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        return "value", runtime.coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # the error itself is compared
        return type(exc).__name__, exc.format_message() if hasattr(exc, "format_message") else str(exc)


def _cases() -> list[Any]:
    group = typer.main.get_command(app)
    cases = []
    for name, command in sorted(group.commands.items()):  # type: ignore[attr-defined]
        ctx = typer.Context(command, info_name=name)
        for param in command.get_params(ctx):
            annotation = param.type_descriptor.annotation
            is_list = getattr(annotation, "__origin__", None) is list
            leaf = annotation.__args__[0] if is_list else annotation
            for value in SAMPLES[_kind(leaf)]:
                cases.append(pytest.param(ctx, param, (value, value) if is_list else value,
                                          id=f"{name}-{param.name}-{value!r}"))
    return cases


@pytest.mark.parametrize("ctx, param, value", _cases())
def test_quick_coercion_is_typers(ctx: Any, param: Any, value: Any) -> None:
    from typer._coercion import build_runtime_param

    assert isinstance(param.get_runtime_param(), QuickParam)
    quick = _outcome(param.get_runtime_param(), value, param, ctx)
    assert quick == _outcome(build_runtime_param(param.type_descriptor), value, param, ctx)
