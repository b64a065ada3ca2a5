"""The typer app and the conventions every command shares, applied in one place.

`command(func)` wraps a command function: it adds `-q/--quiet`, `-v/--verbose`, `--color` and
`-V/--version` to its options and turns np2calico's errors into one-line messages and exit codes.
Commands are registered explicitly in `translator/cli/__init__.py`, never by import side effect.
"""

from __future__ import annotations

import contextlib
import inspect
import re
import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from translator.cli import console, progress
from translator.cli.coercion import use_quick_coercion
from translator.cli.common import handle_errors
from translator.version import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"np2calico {__version__}")
        raise typer.Exit(0)


Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Errors only.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Say more: timings and details.")]
Color = Annotated[
    console.ColorMode,
    typer.Option("--color", help="Colour: auto (a terminal, unless NO_COLOR or TERM=dumb), always or never."),
]
Version = Annotated[
    bool,
    typer.Option("--version", "-V", is_eager=True, callback=_print_version,
                 help="Print the version and exit."),
]

_SHARED = (
    inspect.Parameter("quiet", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Quiet),
    inspect.Parameter("verbose", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Verbose),
    inspect.Parameter("color", inspect.Parameter.KEYWORD_ONLY, default=console.ColorMode.AUTO,
                      annotation=Color),
    inspect.Parameter("version", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Version),
)
SHARED_OPTIONS = tuple(p.name for p in _SHARED)


class _Command(TyperCommand):
    """Help shows an argument's placeholder (`FILE`), never its Python type (`<list[str]>`); values
    are coerced without pydantic where typer's own helpers suffice (translator/cli/coercion.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):
                param.display_type_rich = _no_type  # type: ignore[method-assign]

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, with_optional_values(list(args)))  # type: ignore[no-any-return]

    def get_params(self, ctx: Any) -> list[Any]:
        return use_quick_coercion(super().get_params(ctx))


class _Group(TyperGroup):
    """The app: its own options (--help, --version, completion) are coerced without pydantic too."""

    def get_params(self, ctx: Any) -> list[Any]:
        return use_quick_coercion(super().get_params(ctx))


def _no_type(ctx: Any) -> None:
    return None


app = typer.Typer(
    name="np2calico",
    help="Move Kubernetes NetworkPolicies onto Calico policies without changing what traffic is "
    "allowed, and preview what a global default deny would change.",
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT_SETTINGS,
    cls=_Group,
)


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context, version: Version = False) -> None:
    """Move Kubernetes NetworkPolicies onto Calico policies without changing what traffic is allowed,
    and preview what a global default deny would change."""
    if ctx.invoked_subcommand is None:  # `np2calico` alone: the help, as a successful answer
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


def command(func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` with the shared options and error handling (see the module docstring)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        shared = {name: kwargs.pop(name) for name in SHARED_OPTIONS}

        def run() -> Any:
            console.configure(shared["quiet"], shared["verbose"], shared["color"])
            try:
                with progress.step(func.__name__):  # the progress line, once the command runs a second
                    return func(*args, **kwargs)
            finally:
                console.detail(f"{func.__name__} took {console.elapsed():.2f}s")

        return handle_errors(run)()

    own = inspect.signature(func, eval_str=True)
    wrapper.__signature__ = own.replace(  # type: ignore[attr-defined]
        parameters=[*own.parameters.values(), *_SHARED]
    )
    return wrapper


# Options whose value may be left out: what they mean then, and what their values look like.
# Typer's parser has no optional values, so the command line is rewritten before parsing: the
# next argument is the option's value only when it looks like one (so `--allow-apiserver
# policies.yaml` keeps the file a FILE argument).
OPTIONAL_VALUES = {
    "--allow-apiserver": ("service", re.compile(r"service|[0-9A-Fa-f.:]+(/[0-9]+)?(:[0-9]+)?")),
}


def with_optional_values(args: list[str]) -> list[str]:
    """`--allow-apiserver` not followed by a value becomes `--allow-apiserver=service`."""
    rewritten: list[str] = []
    for position, arg in enumerate(args):
        if arg == "--":
            return [*rewritten, *args[position:]]
        following = args[position + 1] if position + 1 < len(args) else ""
        if arg in OPTIONAL_VALUES:
            default, value = OPTIONAL_VALUES[arg]
            if not value.fullmatch(following):
                arg = f"{arg}={default}"
        rewritten.append(arg)
    return rewritten


def register(func: Callable[..., Any], epilog: str | None = None, name: str | None = None) -> None:
    """Add `func` to the app as a command with the shared conventions."""
    app.command(name=name, epilog=epilog, cls=_Command)(command(func))


def main() -> None:
    """The console entry point; `python -m translator` too."""
    from translator.cli.common import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, interrupted, silence_stdout

    try:
        app(prog_name="np2calico")
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED:  # Ctrl-C before the command ran (typer exits silently)
            with contextlib.suppress(typer.Exit):
                interrupted()
        try:
            sys.stdout.flush()  # Python's own final flush would report a broken pipe as a traceback
        except BrokenPipeError:
            silence_stdout()
            raise SystemExit(EXIT_BROKEN_PIPE) from None
        raise exc from None
