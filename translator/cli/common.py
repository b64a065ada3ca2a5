"""What every command shares: exit codes, error reporting, atomic output."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

from translator.cli import progress
from translator.cli.console import report
from translator.errors import ClusterError, InputError, NP2CalicoError, UsageError
from translator.output import write_text

# Exit codes like diff(1).
EXIT_OK = 0
EXIT_NO = 1  # differences found, invalid input under `validate`, diagnostics under --strict
EXIT_ERROR = 2  # could not answer
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it
EXIT_BROKEN_PIPE = 141  # the reader went away (128 + SIGPIPE), as for any Unix filter killed by it

_interrupt_reported = False

F = TypeVar("F", bound=Callable[..., Any])


def die(message: str, code: int = EXIT_ERROR) -> NoReturn:
    print(f"np2calico: error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn np2calico's own errors into a clear message and exit code 2, never a traceback.

    An unexpected exception is an internal error: also exit 2, so that a crash can never look like
    "no differences" (exit 0) or "differences" (exit 1).
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except InputError as exc:
            report(exc.diagnostics)
            raise typer.Exit(EXIT_ERROR) from None
        except (UsageError, ClusterError, NP2CalicoError) as exc:
            die(str(exc))
        except (KeyboardInterrupt, typer.Abort):
            interrupted()
        except BrokenPipeError:
            silence_stdout()
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
        except Exception as exc:  # an internal error must still exit 2, with a short message
            if os.environ.get("NP2CALICO_DEBUG"):
                raise
            die(f"internal error: {type(exc).__name__}: {exc} (set NP2CALICO_DEBUG=1 for a traceback)")

    return wrapper  # type: ignore[return-value]


def interrupted() -> NoReturn:
    """Ctrl-C: one line, exit 130, whether it came during the work or a prompt."""
    global _interrupt_reported
    if not _interrupt_reported:
        _interrupt_reported = True
        print("np2calico: interrupted", file=sys.stderr)
    raise typer.Exit(EXIT_INTERRUPTED)


def silence_stdout() -> None:
    """After a broken pipe, stdout goes nowhere: Python's final flush must not fail a second time."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def warn_empty(paths: Iterable[str], from_cluster: bool = False) -> None:
    """The input held no NetworkPolicy: an empty file or folder, comments only, or empty stdin."""
    from translator.cli.console import warning
    from translator.errors import one_line

    where = "the cluster" if from_cluster else ", ".join(
        "stdin" if p == "-" else one_line(p) for p in dict.fromkeys(paths)
    )
    warning(f"no NetworkPolicy found in {where}")


def check_namespace_options(**options: str | Iterable[str]) -> None:
    """Namespace names given on the command line (`dns_namespace="kube-system"`, or a list) must be
    DNS-1123 labels: they end up in selectors of the output, where a typo would match nothing."""
    from translator.load.names import dns1123_label_errors

    for option, values in options.items():
        for value in [values] if isinstance(values, str) else values:
            problems = dns1123_label_errors(value) if value else ["required value"]
            if problems:
                flag = "--" + option.replace("_", "-")
                raise UsageError(f"{flag} {value!r}: invalid namespace: {'; '.join(problems)}")


def write_output(text: str, output_file: Path | None) -> None:
    """Write to stdout, or to `--output-file` without harming what it is (see translator.output)."""
    progress.pause()  # the progress line is erased first: it never mixes with the output on a terminal
    write_text(text, output_file)
