"""What every command shares on the terminal: verbosity, colour, progress, diagnostics on stderr.

- Verbosity: `-q/--quiet` shows errors only; the default adds warnings, notes and info; `-v/--verbose`
  adds what was read and how long the work took.
- Colour only where a person reads it: `--color auto` (the default) colours a stream that is a
  terminal, unless `NO_COLOR` is set (https://no-color.org) or `TERM=dumb`; `always`/`never` decide.
- Progress: translator/cli/progress.py.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import IO, Any

from translator.errors import Diagnostic, Level


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
    return is_terminal(stream)


def is_terminal(stream: IO[str]) -> bool:
    """Whether `stream` is a terminal (seen through the stand-in the progress line puts on stderr)."""
    stream = getattr(stream, "rich_proxied_file", stream)
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


def elapsed() -> float:
    return time.monotonic() - SETTINGS.started
