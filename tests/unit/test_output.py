"""The one output writer: never harms what `--output-file` points at (issue 12, data safety)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from translator.cli import app
from translator.errors import UsageError
from translator.output import write_text

LAB = Path(__file__).resolve().parents[2] / "samples" / "lab"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_stdout_for_none_and_dash(capsys: pytest.CaptureFixture[str]) -> None:
    write_text("a\n", None)
    write_text("b\n", "-")
    assert capsys.readouterr().out == "a\nb\n"


def test_dev_stdout_is_the_process_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    write_text("c\n", "/dev/stdout")
    assert capsys.readouterr().out == "c\n"


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o640, 0o755])
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("old\n")
    target.chmod(mode)
    write_text("new\n", target)
    assert target.read_text() == "new\n"
    assert _mode(target) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]  # no temporary file left


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_umask_mode(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "new.yaml"
    previous = os.umask(umask)
    try:
        write_text("x\n", target)
    finally:
        os.umask(previous)
    assert _mode(target) == 0o666 & ~umask


def test_a_symlink_is_written_through_to_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("old\n")
    real.chmod(0o644)
    link = tmp_path / "link.yaml"
    link.symlink_to(real.name)  # relative, as `ln -s` makes them
    write_text("new\n", link)
    assert link.is_symlink() and os.readlink(link) == "real.yaml"
    assert real.read_text() == "new\n" and _mode(real) == 0o644


def test_a_chain_of_symlinks_and_a_dangling_one(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    first, second = tmp_path / "first", tmp_path / "second"
    second.symlink_to(tmp_path / "sub" / "missing.yaml")  # dangling: the shell's `>` creates the target
    first.symlink_to(second)
    write_text("hello\n", first)
    assert first.is_symlink() and second.is_symlink()
    assert (tmp_path / "sub" / "missing.yaml").read_text() == "hello\n"


def test_a_fifo_is_written_directly(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_text("through the pipe\n", fifo)
    reader.join(timeout=10)
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def _char_device_like_dev_null(tmp_path: Path) -> Path:
    """A copy of /dev/null's device node in tmp (root only); else /dev/null itself (which a
    non-root writer could not replace anyway, so writing to it risks nothing)."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.stat("/dev/null").st_rdev)
    except PermissionError:
        return Path("/dev/null")
    return node


def test_a_device_is_written_directly_not_replaced(tmp_path: Path) -> None:
    device = _char_device_like_dev_null(tmp_path)
    before = device.stat()
    write_text("discarded\n", device)
    after = device.stat()
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev, after.st_mode) == (before.st_ino, before.st_rdev, before.st_mode)


def test_a_full_device_is_a_clear_error() -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    with pytest.raises(UsageError, match=r"--output-file /dev/full: cannot write: No space left"):
        write_text("x\n", "/dev/full")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a folder"):
        write_text("x\n", tmp_path)


def test_exclusive_never_replaces(tmp_path: Path) -> None:
    target = tmp_path / "bundle.yaml"
    target.write_text("older\n")
    with pytest.raises(FileExistsError):
        write_text("newer\n", target, exclusive=True)
    assert target.read_text() == "older\n"
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.yaml"]


@pytest.mark.parametrize("command", [
    ["convert", str(LAB / "policies")],
    ["diff", str(LAB / "policies"), "--migrate", "--cluster", str(LAB / "cluster.yaml")],
])
def test_commands_write_through_symlinks_and_keep_modes(tmp_path: Path, command: list[str]) -> None:
    real = tmp_path / "real.out"
    real.write_text("old\n")
    real.chmod(0o644)
    link = tmp_path / "link.out"
    link.symlink_to(real)
    result = CliRunner().invoke(app, [*command, "--output-file", str(link)])
    assert result.exit_code in (0, 1), result.stderr
    assert link.is_symlink() and _mode(real) == 0o644 and real.read_text() != "old\n"


def test_convert_writes_into_a_device_node(tmp_path: Path) -> None:
    device = _char_device_like_dev_null(tmp_path)
    result = CliRunner().invoke(app, ["convert", str(LAB / "policies"), "--output-file", str(device)])
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(device.stat().st_mode)


FILE_SYSTEM_CALLS = {("os", "replace"), ("os", "rename"), ("os", "link"), ("tempfile", "mkstemp"),
                     ("tempfile", "NamedTemporaryFile"), ("shutil", "copyfile"), ("shutil", "move")}
PATH_WRITES = {"write_text", "write_bytes"}  # Path methods (the writer's own write_text is a bare name)


def test_no_module_but_the_writer_writes_files() -> None:
    """Every writer (convert, diff, snapshot, bundles, report…) goes through translator.output."""
    import ast

    package = Path(__file__).resolve().parents[2] / "translator"
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "output.py" and path.parent == package:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = getattr(func, "attr", getattr(func, "id", ""))
            owner = getattr(getattr(func, "value", None), "id", "")
            opens_for_writing = name == "open" and any(
                isinstance(a, ast.Constant) and isinstance(a.value, str) and set(a.value) & set("wax+")
                for a in [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "mode")]
            )
            path_write = isinstance(func, ast.Attribute) and name in PATH_WRITES
            if (owner, name) in FILE_SYSTEM_CALLS or path_write or opens_for_writing:
                offenders.append(f"{path.relative_to(package)}:{node.lineno}: {name}")
    assert offenders == []


def test_a_text_longer_than_a_slice_is_written_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Big outputs are encoded a slice at a time: slices end anywhere, even inside a character
    whose UTF-8 takes several bytes, and the bytes written are still the text's."""
    monkeypatch.setattr("translator.output._SLICE", 3)
    text = "änderung → 변경 ✓\n" * 5
    target = tmp_path / "out.txt"
    write_text(text, target)
    assert target.read_bytes() == text.encode("utf-8")
    write_text(text, None)
    assert capsys.readouterr().out == text
