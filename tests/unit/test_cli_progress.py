"""The progress line (translator/cli/progress.py) on a fake terminal: it names the steps, counts,
prints stderr lines above itself, goes before output is written, and never touches stdout."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Iterator

import pytest

from translator.cli import console, progress
from translator.cli.common import write_output


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


def wait_for(stream: io.StringIO, text: str) -> bool:
    """Whether `text` reaches `stream` within a few seconds (the line is drawn by another thread)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if text in stream.getvalue():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTerminal]:
    """stderr is a fake terminal (set in the test itself: pytest's capture resets sys.stderr)."""
    monkeypatch.setenv(progress.PROGRESS_DELAY_ENV, "0")
    monkeypatch.setenv("TERM", "xterm-256color")
    console.configure(quiet=False, verbose=False, color=console.ColorMode.NEVER)
    yield FakeTerminal()
    progress.pause()
    console.configure(quiet=False, verbose=False, color=console.ColorMode.AUTO)


def test_the_line_names_the_steps_and_counts(terminal: FakeTerminal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress.step("diff"):
        with progress.step("reading policies"):
            assert wait_for(terminal, "diff: reading policies")
        items = iter(progress.counted([1, 2, 3], "evaluating"))
        next(items)
        next(items)
        assert wait_for(terminal, "diff: evaluating 1/3")
        list(items)
    assert sys.stderr is terminal  # rich's stand-in for stderr is gone with the line


def test_stderr_lines_print_and_stdout_is_left_alone(terminal: FakeTerminal, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress.step("convert"):
        assert wait_for(terminal, "convert")
        console.warning("something to say")
        print("output", file=sys.stdout)
    assert "np2calico: warning: something to say" in terminal.getvalue()
    assert capsys.readouterr().out == "output\n"


def test_output_erases_the_line_first(terminal: FakeTerminal, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress.step("convert"):
        assert wait_for(terminal, "convert")
        write_output("the output\n", None)
        drawn = terminal.getvalue()
        time.sleep(0.3)  # nothing is drawn any more: the line stays erased
        assert terminal.getvalue() == drawn
        assert sys.stderr is terminal
    assert capsys.readouterr().out == "the output\n"


@pytest.mark.parametrize("quiet, stream", [(True, FakeTerminal), (False, Pipe)], ids=["quiet", "pipe"])
def test_no_line_when_quiet_or_piped(quiet: bool, stream: type[io.StringIO],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    err = stream()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setenv(progress.PROGRESS_DELAY_ENV, "0")
    console.configure(quiet=quiet, verbose=False, color=console.ColorMode.NEVER)
    with progress.step("diff"):
        time.sleep(0.3)
    assert err.getvalue() == ""
    console.configure(quiet=False, verbose=False, color=console.ColorMode.AUTO)


def test_no_line_before_the_delay(terminal: FakeTerminal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv(progress.PROGRESS_DELAY_ENV, "600")
    console.configure(quiet=False, verbose=False, color=console.ColorMode.NEVER)
    with progress.step("diff"):
        time.sleep(0.3)
    assert terminal.getvalue() == ""


def test_a_tick_shows_how_far_the_step_is(terminal: FakeTerminal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress.step("diff"), progress.step("comparing verdicts") as tick:
        tick(3, 40)
        assert wait_for(terminal, "diff: comparing verdicts 3/40")
