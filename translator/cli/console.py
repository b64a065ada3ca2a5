"""What every command shares on the terminal: verbosity, colour, progress, diagnostics on stderr.

- Verbosity: `-q/--quiet` shows errors only; the default adds warnings, notes and info; `-v/--verbose`
  adds what was read and how long the work took.
- Colour only where a person reads it: `--color auto` (the default) colours a stream that is a
  terminal, unless `NO_COLOR` is set (https://no-color.org) or `TERM=dumb`; `always`/`never` decide.
- Progress (a spinner, or a counter when the amount is known) on stderr, only on a terminal, only
  when not quiet, and only for work that lasts longer than about a second.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import IO, Any, TypeVar

from translator.errors import Diagnostic, Level

T = TypeVar("T")

# Seconds before progress shows: short work stays silent. Tests of the progress display set it to 0.
PROGRESS_DELAY_ENV = "NP2CALICO_PROGRESS_DELAY"
_DEFAULT_PROGRESS_DELAY = 1.0


class ColorMode(str, Enum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


class Verbosity(int, Enum):
    QUIET = 0
    NORMAL = 1
    VERBOSE = 2


@dataclass
class Settings:
    """The settings of the running command (one command per process)."""

    verbosity: Verbosity = Verbosity.NORMAL
    color: ColorMode = ColorMode.AUTO
    started: float = 0.0


SETTINGS = Settings()


def configure(quiet: bool, verbose: bool, color: ColorMode) -> None:
    from translator.errors import UsageError

    if quiet and verbose:
        raise UsageError("give at most one of --quiet and --verbose")
    SETTINGS.verbosity = Verbosity.QUIET if quiet else Verbosity.VERBOSE if verbose else Verbosity.NORMAL
    SETTINGS.color = color
    SETTINGS.started = time.monotonic()


def quiet() -> bool:
    return SETTINGS.verbosity is Verbosity.QUIET


def verbose() -> bool:
    return SETTINGS.verbosity is Verbosity.VERBOSE


def use_color(stream: IO[str] | None = None) -> bool:
    """Whether to colour what goes to `stream` (stdout by default)."""
    if SETTINGS.color is not ColorMode.AUTO:
        return SETTINGS.color is ColorMode.ALWAYS
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    stream = stream or sys.stdout
    return _isatty(stream)


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


@dataclass
class Recording:
    """What a command said on stderr: warnings, notes and info; and the policies a conversion dropped."""

    warnings: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


_RECORDINGS: list[Recording] = []


@contextmanager
def recording() -> Iterator[Recording]:
    """Keep what `report`, `warning` and `note` say meanwhile (uncoloured, even under --quiet), for
    outputs that carry it too (diff's json and html): a stored report says what stderr said."""
    found = Recording()
    _RECORDINGS.append(found)
    try:
        yield found
    finally:
        _RECORDINGS.remove(found)


def _record(line: str, dropped: bool = False) -> None:
    for found in _RECORDINGS:
        (found.dropped if dropped else found.warnings).append(line)


_LEVEL_COLORS = {Level.ERROR: "\x1b[1;31m", Level.WARNING: "\x1b[33m", Level.INFO: "\x1b[2m"}
_RESET = "\x1b[0m"


def report(diagnostics: Iterable[Diagnostic]) -> None:
    """Diagnostics to stderr as `FILE:DOC:FIELD.PATH: level: message`; quiet keeps errors only."""
    color = use_color(sys.stderr)
    for d in diagnostics:
        if d.level is not Level.ERROR:
            _record(str(d))
        if quiet() and d.level is not Level.ERROR:
            continue
        line = str(d)
        if color:
            word = f": {d.level.value}: "
            line = line.replace(word, f": {_LEVEL_COLORS[d.level]}{d.level.value}{_RESET}: ", 1)
        print(line, file=sys.stderr)


def warning(message: str) -> None:
    """`np2calico: warning: ...` on stderr; quiet drops it."""
    _record(f"np2calico: warning: {message}")
    if not quiet():
        line = f"np2calico: {_LEVEL_COLORS[Level.WARNING]}warning{_RESET}: " if use_color(sys.stderr) else (
            "np2calico: warning: ")
        print(line + message, file=sys.stderr)


def note(message: str) -> None:
    """A line for people on stderr (a summary, a report line); quiet drops it."""
    _record(message)
    if not quiet():
        print(message, file=sys.stderr)


# More policies dropped by a conversion than this are summarised on stderr, one line per reason.
DROPPED_LISTED = 10


def dropped(policies: Sequence[Any]) -> None:
    """The policies a conversion drops (`translator.convert.Dropped`) on stderr: each one, or past
    DROPPED_LISTED one line per reason with their count (each one with --verbose); quiet drops
    them. A recording (diff's json and html) keeps each one."""
    for policy in policies:
        _record(str(policy), dropped=True)
    if quiet():
        return
    if verbose() or len(policies) <= DROPPED_LISTED:
        for policy in policies:
            print(policy, file=sys.stderr)
        return
    by_reason: dict[str, list[str]] = {}
    for policy in policies:
        by_reason.setdefault(policy.reason, []).append(policy.key)
    word = f"{_LEVEL_COLORS[Level.INFO]}info{_RESET}" if use_color(sys.stderr) else "info"
    for reason, keys in by_reason.items():
        print(f"np2calico: {word}: dropped {_counted(keys)}: {reason} (--verbose lists each)",
              file=sys.stderr)


def _counted(keys: Sequence[str], shown: int = 3) -> str:
    """`4 policies (a/x, b/x, c/x and 1 more)`."""
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    noun = "policy" if len(keys) == 1 else "policies"
    return f"{len(keys)} {noun} ({', '.join(keys[:shown])}{more})"


def detail(message: str) -> None:
    """A line for `--verbose` only."""
    if verbose():
        print(f"np2calico: {message}", file=sys.stderr)


def _progress_delay() -> float:
    try:
        return float(os.environ.get(PROGRESS_DELAY_ENV, _DEFAULT_PROGRESS_DELAY))
    except ValueError:
        return _DEFAULT_PROGRESS_DELAY


def _progress_wanted() -> bool:
    return not quiet() and _isatty(sys.stderr) and os.environ.get("TERM") != "dumb"


@contextmanager
def progress(what: str) -> Iterator[None]:
    """A spinner with `what` and the time spent on stderr while the block runs, if it runs longer
    than the delay."""
    if not _progress_wanted():
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    spinner = Progress(SpinnerColumn(), TextColumn(what), TimeElapsedColumn(), console=_stderr_console(),
                       transient=True)
    spinner.add_task(what, total=None)
    with _after_delay(spinner.start, spinner.stop):
        yield


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(file=sys.stderr, no_color=not use_color(sys.stderr))


def counted(items: Sequence[T], what: str) -> Iterator[T]:
    """Iterate `items`; on a terminal, a bar with `what` and a counter after the delay."""
    if not _progress_wanted():
        yield from items
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=_stderr_console(), transient=True)
    task = bar.add_task(what, total=len(items))
    with _after_delay(bar.start, bar.stop):
        for item in items:
            yield item
            bar.advance(task)


@contextmanager
def _after_delay(start: Any, stop: Any) -> Iterator[None]:
    """Call `start` after the delay unless the block is done by then; `stop` if it was started."""
    lock = threading.Lock()
    state = {"started": False, "done": False}

    def begin() -> None:
        with lock:
            if not state["done"]:
                start()
                state["started"] = True

    timer = threading.Timer(_progress_delay(), begin)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
            if state["started"]:
                stop()


def elapsed() -> float:
    return time.monotonic() - SETTINGS.started
