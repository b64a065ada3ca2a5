"""The progress line: what the running command is doing, on stderr, once it has run a second.

One line per command: a spinner, the steps it is in (`diff: comparing verdicts`), a counter when
the amount is known, and the time since the command started. It shows only when stderr is a
terminal, the command is not quiet and TERM is not dumb, and only once the command has run longer
than the delay (NP2CALICO_PROGRESS_DELAY seconds, default 1): quick commands never show it. It is
erased before anything goes to stdout (`pause`, which `write_output` calls) and when the command
ends; lines written to stderr meanwhile print above it. stdout is never redirected or changed.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from translator.cli import console

T = TypeVar("T")

# Seconds before progress shows: short work stays silent. Tests of the progress display set it to 0.
PROGRESS_DELAY_ENV = "NP2CALICO_PROGRESS_DELAY"
_DEFAULT_DELAY = 1.0


@dataclass
class _Step:
    what: str
    total: int | None = None
    done: int = 0


class _Line:
    """The steps of the running command and, once the delay has passed, their line on stderr."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._steps: list[_Step] = []
        self._shown: Any = None  # a rich Progress while the line is on the terminal
        self._task: Any = None
        self._timer: threading.Timer | None = None

    def push(self, step: _Step) -> None:
        with self._lock:
            self._steps.append(step)
            if self._shown is not None:
                self._update(refresh=True)
            elif self._timer is None and wanted():
                self._timer = threading.Timer(max(0.0, _delay() - console.elapsed()), self._show)
                self._timer.daemon = True
                self._timer.start()

    def pop(self, step: _Step) -> None:
        with self._lock:
            self._steps.remove(step)
            if not self._steps:
                self.pause()
            elif self._shown is not None:
                self._update(refresh=False)  # the next step (drawn at once) usually follows

    def advance(self, step: _Step, done: int | None = None, total: int | None = None) -> None:
        """One more of `step` done (or `done` of `total`)."""
        with self._lock:
            step.done = step.done + 1 if done is None else done
            step.total = step.total if total is None else total
            if self._shown is not None and step is self._steps[-1]:
                self._update(refresh=False)

    def pause(self) -> None:
        """Erase the line (until the next step begins)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._shown is not None:
                self._shown.stop()
                self._shown = self._task = None

    def _show(self) -> None:
        with self._lock:
            self._timer = None
            if not self._steps or self._shown is not None:
                return
            self._shown = _progress_display()
            self._task = self._shown.add_task("", total=None)
            self._update(refresh=False)
            self._shown.start()

    def _update(self, *, refresh: bool) -> None:
        top = self._steps[-1]
        counter = f"{top.done}/{top.total}" if top.total is not None else ""
        self._shown.update(self._task, description=": ".join(s.what for s in self._steps), counter=counter)
        if refresh:
            self._shown.refresh()


_LINE = _Line()


def wanted() -> bool:
    """Whether a progress line may show: stderr is a terminal, not quiet, TERM is not dumb."""
    return not console.quiet() and console.is_terminal(sys.stderr) and os.environ.get("TERM") != "dumb"


def _delay() -> float:
    try:
        return float(os.environ.get(PROGRESS_DELAY_ENV, _DEFAULT_DELAY))
    except ValueError:
        return _DEFAULT_DELAY


def _progress_display() -> Any:
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn, SpinnerColumn, TextColumn
    from rich.text import Text

    class SinceStart(ProgressColumn):
        """Seconds since the command started (not since the line appeared)."""

        def render(self, task: Any) -> Text:
            return Text(f"{console.elapsed():.0f}s", style="progress.elapsed")

    stderr = Console(file=sys.stderr, no_color=not console.use_color(sys.stderr))
    # redirect_stdout=False: stdout is the command's output and is never touched; stderr lines
    # written while the line shows go through rich, which prints them above it. Five redraws a
    # second keep the spinner alive for half the CPU of rich's default ten (~0.5 % of a core).
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.fields[counter]}"),
                    SinceStart(), console=stderr, transient=True, redirect_stdout=False, redirect_stderr=True,
                    refresh_per_second=5)


@contextmanager
def step(what: str) -> Iterator[Callable[[int, int], None]]:
    """The command is doing `what` while the block runs (nested steps read `outer: inner`); the
    value is `tick(done, total)`, for work that knows how far it is."""
    current = _Step(what)
    _LINE.push(current)
    try:
        yield (lambda done, total: _LINE.advance(current, done, total)) if wanted() else _no_tick
    finally:
        _LINE.pop(current)


def _no_tick(done: int, total: int) -> None:
    return None


def counted(items: Sequence[T], what: str) -> Iterator[T]:
    """Iterate `items` as the step `what`, with a counter of those done."""
    current = _Step(what, total=len(items))
    _LINE.push(current)
    try:
        for item in items:
            yield item
            _LINE.advance(current)
    finally:
        _LINE.pop(current)


def pause() -> None:
    """Erase the progress line: output is about to be written, or the user asked something."""
    _LINE.pause()
