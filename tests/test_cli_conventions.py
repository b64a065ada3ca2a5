"""The conventions every command shares, checked in one place for every command the app has.

Commands are discovered from the app, so a new command (verify, report, …) is covered as soon as it
is registered.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from tests.builders import run_outputs as run
from translator.cli import app
from translator.version import __version__

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "samples" / "lab"
CLICK_APP: Any = typer.main.get_command(app)
COMMANDS = sorted(CLICK_APP.commands)
# `promote --from-cluster` promotes what the cluster has staged; elsewhere the flag reads the cluster.
SAME_FLAG_OTHER_MEANING = {("promote", "--from-cluster")}
# A real invocation of each command that answers with a document, to run with -q and -o json.
RUNS: dict[str, list[str]] = {
    "convert": ["convert", str(LAB / "policies")],
    "diff": ["diff", str(LAB / "policies"), "--migrate", "--cluster", str(LAB / "cluster.yaml")],
    "explain": ["explain", str(LAB / "policies"), "--cluster", str(LAB / "cluster.yaml"),
                "--from", "default/curl", "--to", "default/color-api-7b9d7c9c7b-lx8tm", "--port", "80"],
    "validate": ["validate", str(LAB / "policies")],
}


def choices(param: Any) -> set[str]:
    return {c.value for c in param.type_descriptor.choices or ()}


def options(command: str) -> dict[str, Any]:
    params = CLICK_APP.commands[command].params
    return {name: p for p in params for name in (*p.opts, *p.secondary_opts)}


def test_every_command_is_discovered() -> None:
    expected = {"convert", "diff", "explain", "validate", "snapshot", "apply", "promote", "rollback"}
    assert expected <= set(COMMANDS)


def test_no_arguments_prints_the_help() -> None:
    code, out, _ = run()
    assert code == 0
    assert out.startswith("Usage: np2calico [OPTIONS] COMMAND") and "Commands:" in out


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    assert run(flag) == (0, f"np2calico {__version__}\n", "")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_on_every_command(command: str, flag: str) -> None:
    assert run(command, flag) == (0, f"np2calico {__version__}\n", "")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_has_plain_placeholders_and_an_example(command: str, flag: str) -> None:
    code, out, _ = run(command, flag)
    assert code == 0
    assert out.startswith(f"Usage: np2calico {command} [OPTIONS]")
    assert "Examples" in out, "every command's help shows a real example"
    python_types = re.findall(r"<(?:list\[\w+\]|str|int|float|path|bool)>", out)
    assert python_types == [], "help shows placeholders (FILE, NS/POD), not Python types"


@pytest.mark.parametrize("command", COMMANDS)
def test_shared_options_on_every_command(command: str) -> None:
    opts = options(command)
    for flag in ("-q", "--quiet", "-v", "--verbose", "--color", "-h", "--help", "-V", "--version"):
        assert flag in opts or flag in ("-h", "--help"), f"{command} lacks {flag}"
    color = opts["--color"]
    assert choices(color) == {"auto", "always", "never"}


# Every command answers with a document on -o json: apply, promote and rollback with their plan.
@pytest.mark.parametrize("command", COMMANDS)
def test_output_format_and_file_on_every_command_that_answers_with_a_document(command: str) -> None:
    opts = options(command)
    assert opts["-o"] is opts["--output"], "-o/--output is the format flag"
    assert "json" in choices(opts["-o"])
    assert "--output-file" in opts or command == "explain", "--output-file is the path"


@pytest.mark.parametrize("command", COMMANDS)
def test_namespace_has_its_short_flag(command: str) -> None:
    opts = options(command)
    if "--namespace" in opts:
        assert opts["-n"] is opts["--namespace"]


def test_same_option_same_words_across_commands() -> None:
    """An option declared once reads the same in every command that has it."""
    seen: dict[str, tuple[str, str | None]] = {}
    for command in COMMANDS:
        for param in CLICK_APP.commands[command].params:
            if param.param_type_name != "option":
                continue
            key = param.opts[0]
            if (command, key) in SAME_FLAG_OTHER_MEANING:
                continue
            help_text = (param.help or "", param.metavar)
            if key in seen:
                assert seen[key] == help_text, f"{key} of {command} differs from another command's"
            seen[key] = help_text


@pytest.mark.parametrize("command", COMMANDS)
def test_positional_arguments_are_named_alike(command: str) -> None:
    params = CLICK_APP.commands[command].params
    names = {p.display_name_raw for p in params if p.param_type_name == "argument"}
    assert names <= {"FILE", "BUNDLE"}


@pytest.mark.parametrize("command", sorted(RUNS))
def test_quiet_prints_errors_only(command: str) -> None:
    code, _, err = run(*RUNS[command], "-q")
    assert code in (0, 1), err
    assert err == ""


def test_quiet_and_verbose_together_are_refused() -> None:
    code, _, err = run(*RUNS["validate"], "-q", "-v")
    assert code == 2 and err == "np2calico: error: give at most one of --quiet and --verbose\n"


def test_verbose_says_how_long_it_took() -> None:
    code, _, err = run(*RUNS["validate"], "-v")
    assert code == 0 and re.search(r"^np2calico: validate took \d+\.\d\ds$", err, re.MULTILINE)


@pytest.mark.parametrize("command", sorted(RUNS))
def test_json_output_carries_api_version_and_kind_and_matches_its_schema(command: str) -> None:
    import json

    from tests.schema_helper import validate_output

    code, out, err = run(*RUNS[command], "-o", "json")
    assert code in (0, 1), err
    if command == "convert":  # Calico manifests: their own apiVersion and kind
        assert all(item["apiVersion"] == "projectcalico.org/v3" for item in json.loads(out)["items"])
        return
    assert validate_output(out)["apiVersion"] == "np2calico.io/v1alpha1"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_scripts(shell: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")  # read when the app is built
    result = CliRunner().invoke(app, ["--show-completion", shell])
    assert result.exit_code == 0, result.stderr
    assert "np2calico" in result.stdout.lower() or "_NP2CALICO_COMPLETE" in result.stdout


def test_snapshot_output_is_a_format_not_a_path() -> None:
    opts = options("snapshot")
    assert choices(opts["-o"]) == {"yaml", "json"}
