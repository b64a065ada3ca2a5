"""The typer app: argument parsing and exit codes, nothing else. Each command lives in its module."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="np2calico",
    help="Move Kubernetes NetworkPolicies onto Calico policies without changing what traffic is "
    "allowed, and preview what a global default deny would change.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Importing the command modules registers their commands on `app`.
from translator.cli import convert, diff, explain, live, validate, verify  # noqa: E402, F401


def main() -> None:
    app()
