"""Colour and progress on a real terminal (a pty), and nothing extra when piped (issue 12)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "samples" / "lab"
STEPS = LAB / "steps"
# Two steps of the lab that differ: the text diff has changes to colour.
DIFF = ["diff", str(STEPS / "08-allow-curl-egress"), str(STEPS / "09-allow-dns"),
        "--cluster", str(LAB / "cluster.yaml")]
ESC = b"\x1b["
PROGRESS_DELAY = "NP2CALICO_PROGRESS_DELAY"


def _drain(fds: dict[int, bytearray], proc: subprocess.Popen[bytes]) -> None:
    """Read every pty until the process is gone and the ptys are empty (a full pty would block it)."""
    while fds:
        ready, _, _ = select.select(list(fds), [], [], 0.2)
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed its side
                chunk = b""
            if chunk:
                fds[fd] += chunk
            else:
                del fds[fd]
        if not ready and proc.poll() is not None:
            break


def run_on_tty(args: list[str], env: dict[str, str], *, stdout_tty: bool = True) -> tuple[int, bytes, bytes]:
    """Run np2calico with stderr (and stdout, unless piped) on their own ptys."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM", "FORCE_COLOR")}
    # The progress line shows once a command has run a second, which a loaded machine reaches
    # with any command: tests of it set the delay; the others keep it out of their way.
    full_env.update({"TERM": "xterm-256color", "COLUMNS": "100", PROGRESS_DELAY: "600", **env})
    out_master, out_slave = pty.openpty() if stdout_tty else os.pipe()
    err_master, err_slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "translator", *args], cwd=ROOT, env=full_env,
                            stdin=subprocess.DEVNULL, stdout=out_slave, stderr=err_slave)
    os.close(out_slave)
    os.close(err_slave)
    buffers = {out_master: bytearray(), err_master: bytearray()}
    found = dict(buffers)
    _drain(buffers, proc)
    code = proc.wait(timeout=120)
    os.close(out_master)
    os.close(err_master)
    return code, bytes(found[out_master]), bytes(found[err_master])


def test_text_is_coloured_on_a_terminal() -> None:
    code, out, _ = run_on_tty(DIFF, {})
    assert code == 1 and ESC in out


@pytest.mark.parametrize("env, flags", [
    ({"NO_COLOR": "1"}, []),
    ({"TERM": "dumb"}, []),
    ({}, ["--color", "never"]),
], ids=["NO_COLOR", "TERM=dumb", "--color never"])
def test_no_colour_when_asked_on_a_terminal(env: dict[str, str], flags: list[str]) -> None:
    code, out, err = run_on_tty([*DIFF, *flags], env)
    assert code == 1 and ESC not in out and ESC not in err


def test_color_always_colours_a_pipe() -> None:
    code, out, _ = run_on_tty([*DIFF, "--color", "always"], {}, stdout_tty=False)
    assert code == 1 and ESC in out


def test_no_colour_into_a_pipe() -> None:
    code, out, _ = run_on_tty(DIFF, {}, stdout_tty=False)
    assert code == 1 and ESC not in out


def test_progress_shows_on_a_terminal_for_long_work() -> None:
    # The delay before progress shows is set to 0 here: the lab diff is quicker than a second.
    code, _, err = run_on_tty(DIFF, {"NP2CALICO_PROGRESS_DELAY": "0"})
    assert code == 1 and b"comparing verdicts" in err


def test_no_progress_for_quick_work_quiet_runs_or_a_pipe() -> None:
    assert b"comparing verdicts" not in run_on_tty(DIFF, {PROGRESS_DELAY: "600"})[2]  # within the delay
    assert b"comparing verdicts" not in run_on_tty([*DIFF, "-q"], {"NP2CALICO_PROGRESS_DELAY": "0"})[2]
    piped = subprocess.run([sys.executable, "-m", "translator", *DIFF], cwd=ROOT, capture_output=True,
                           env={**os.environ, "NP2CALICO_PROGRESS_DELAY": "0"}, check=False)
    assert b"comparing verdicts" not in piped.stderr and ESC not in piped.stdout


def test_explain_batch_counts_on_a_terminal() -> None:
    args = ["explain", str(LAB / "policies"), "--cluster", str(LAB / "cluster.yaml"),
            "--connections", str(LAB / "connections.yaml")]
    code, _, err = run_on_tty(args, {"NP2CALICO_PROGRESS_DELAY": "0"})
    assert code == 0 and b"evaluating connections" in err


@pytest.mark.parametrize("args, step", [
    (["convert", str(LAB / "policies"), "--default-deny", "global"], b"convert: converting"),
    (["diff", "--migrate", str(LAB / "policies"), "--cluster", str(LAB / "cluster.yaml"), "-o", "json"],
     b"diff: comparing verdicts"),
], ids=["convert", "diff-json"])
def test_progress_names_the_step_and_leaves_stdout_as_piped(args: list[str], step: bytes) -> None:
    """stderr on a terminal shows the line; stdout (piped, or a terminal too) is what a pipe gets."""
    piped = subprocess.run([sys.executable, "-m", "translator", *args], cwd=ROOT, capture_output=True,
                           env={**os.environ, PROGRESS_DELAY: "0"}, check=False)
    code, out, err = run_on_tty(args, {PROGRESS_DELAY: "0"}, stdout_tty=False)
    assert step in err and code == piped.returncode
    assert out == piped.stdout and piped.stdout
    _, on_terminal, _ = run_on_tty(args, {PROGRESS_DELAY: "0"})
    assert on_terminal.replace(b"\r\n", b"\n") == piped.stdout
