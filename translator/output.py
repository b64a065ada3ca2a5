"""The one way np2calico writes a result: to stdout, or to a path without harming what the path is.

Every writer (convert, diff, snapshot, apply's rollback bundles, report) goes through `write_text`:
- `None` or `-` is stdout; `/dev/stdout` and `/dev/stderr` are the process's own streams.
- A regular file is replaced atomically (a temporary file next to it, then a rename), so a failure never
  leaves half a file; the replaced file keeps its permission bits (and, for root, its owner). A new
  file gets the mode the umask gives (0666 & ~umask), like a shell redirection.
- A symlink is written through to its target (the link itself stays a link).
- A device, a FIFO or a socket is opened and written directly: replacing `/dev/null` or a named pipe
  by a regular file would destroy it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from translator.errors import UsageError, one_line

STDOUT = "-"
_STANDARD_STREAMS = {"/dev/stdout": "stdout", "/dev/stderr": "stderr"}


def write_text(
    text: str, target: str | Path | None, *, what: str = "--output-file", exclusive: bool = False
) -> None:
    """Write `text` (UTF-8) to `target`; `what` names the target in error messages.

    With `exclusive`, an existing path is refused (FileExistsError): a rollback bundle never replaces
    another one. Errors are UsageErrors naming `what` and the path.
    """
    if target is None or str(target) == STDOUT:
        _write_stream(sys.stdout, text)
        return
    stream = _STANDARD_STREAMS.get(os.path.abspath(target))
    if stream is not None:
        _write_stream(getattr(sys, stream), text)
        return
    path = Path(os.path.realpath(target))  # a symlink (even a chain, even dangling) is written through
    label = f"{what} {one_line(str(target))}"
    mode = _existing_mode(path, label)
    if mode is not None and not stat.S_ISREG(mode):
        if exclusive:
            raise FileExistsError(str(target))
        _write_directly(path, _encoded(text), label)
    else:
        _replace_atomically(path, _encoded(text), label, exclusive=exclusive)


# A big diff's JSON runs to gigabytes: it is encoded and written a slice at a time, never
# whole a second time as bytes.
_SLICE = 8 * 2**20


def _slices(text: str) -> Iterator[str]:
    for start in range(0, len(text), _SLICE):
        yield text[start:start + _SLICE]


def _encoded(text: str) -> Iterator[bytes]:
    return (piece.encode("utf-8") for piece in _slices(text))


def _write_stream(stream: TextIO, text: str) -> None:
    for piece in _slices(text):
        stream.write(piece)
    stream.flush()


def _existing_mode(path: Path, label: str) -> int | None:
    """The st_mode of what is at `path`, None when nothing is; a folder is refused."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"{label}: cannot write: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise UsageError(f"{label}: is a folder, not a file")
    return mode


def _write_directly(path: Path, data: Iterable[bytes], label: str) -> None:
    """Devices and FIFOs: open and write in place (a FIFO waits for its reader, as with `>`)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_NOCTTY)
        try:
            for piece in data:
                view = memoryview(piece)
                while view:
                    view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    except OSError as exc:
        raise UsageError(f"{label}: cannot write: {exc.strerror or exc}") from None


def _replace_atomically(path: Path, data: Iterable[bytes], label: str, *, exclusive: bool) -> None:
    directory = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        reason = "no such folder" if not directory.is_dir() else exc.strerror or str(exc)
        raise UsageError(f"{label}: cannot write: {reason}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in data:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        _copy_permissions(path, tmp)
        if exclusive:
            os.link(tmp, path)  # fails with FileExistsError instead of replacing
        else:
            os.replace(tmp, path)
    except FileExistsError:
        raise
    except OSError as exc:
        raise UsageError(f"{label}: cannot write: {exc.strerror or exc}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def _copy_permissions(path: Path, tmp: str) -> None:
    """The replaced file's mode (and owner, when we may set it); a new file's mode from the umask."""
    try:
        old = path.stat()
    except FileNotFoundError:
        os.chmod(tmp, 0o666 & ~_umask())
        return
    os.chmod(tmp, stat.S_IMODE(old.st_mode))
    if hasattr(os, "chown") and (old.st_uid, old.st_gid) != _owner(tmp):
        # Not root: the file becomes ours, as with any editor that renames into place.
        with contextlib.suppress(PermissionError):
            os.chown(tmp, old.st_uid, old.st_gid)


def _owner(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_uid, st.st_gid


def _umask() -> int:
    """The process umask (reading it means setting it; set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
