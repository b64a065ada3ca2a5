"""The README's commands run: every `np2calico …` line of its ```sh blocks, on the bundled samples."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Commands that need a live cluster or a shell pipe cannot run here; the CLI tests cover them.
NEEDS_MORE = ("--from-cluster", "|", "kubectl")


def _sh_commands() -> list[str]:
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            command = line.split(" #")[0].strip()
            if command.startswith("np2calico ") and not any(m in command for m in NEEDS_MORE):
                commands.append(command)
    return commands


COMMANDS = _sh_commands()


def test_the_readme_has_runnable_commands() -> None:
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command: str, tmp_path: Path) -> None:
    args = shlex.split(command)[1:]
    outputs = (".yaml", ".json", ".html", ".xml")
    args = [str(tmp_path / a) if a.endswith(outputs) and not (ROOT / a).exists() else a for a in args]
    result = subprocess.run([sys.executable, "-m", "translator", *args], cwd=ROOT,
                            capture_output=True, text=True, check=False, timeout=120)
    # 0 = done / no change; 1 = a diff found changes (the migration example).
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr


def test_quick_start_convert_prints_calico_policies() -> None:
    result = subprocess.run([sys.executable, "-m", "translator", "convert", "samples/lab/policies"],
                            cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    assert result.stdout.count("apiVersion: projectcalico.org/v3") == 8
    assert "name: np2calico-deny-ingress" in result.stdout
