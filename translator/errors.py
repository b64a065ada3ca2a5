"""Errors and diagnostics. Every one carries a location: file, document index and field path."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


def one_line(text: str) -> str:
    """`text` printable on one line: a newline, tab or other control character in a file name (or
    key) is shown escaped (`\\n`), so every diagnostic stays one `FILE:DOC:PATH: level: msg` line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclass(frozen=True)
class Location:
    """Where something came from: `file:document:field.path` (document index starts at 1)."""

    file: str = "<input>"
    document: int | None = None
    path: str = ""

    def child(self, key: str | int) -> Location:
        """The location of a field or list item below this one."""
        if isinstance(key, int):
            return Location(self.file, self.document, f"{self.path}[{key}]")
        path = f"{self.path}.{key}" if self.path else key
        return Location(self.file, self.document, path)

    def __str__(self) -> str:
        parts = [self.file]
        if self.document is not None:
            parts.append(str(self.document))
        if self.path:
            parts.append(self.path)
        return one_line(":".join(parts))


class Level(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    location: Location
    level: Level
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.level.value}: {self.message}"


@dataclass
class Diagnostics:
    """A collector: loaders and converters report here instead of stopping at the first problem."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, location: Location, message: str) -> None:
        self.items.append(Diagnostic(location, Level.ERROR, message))

    def warning(self, location: Location, message: str) -> None:
        self.items.append(Diagnostic(location, Level.WARNING, message))

    def info(self, location: Location, message: str) -> None:
        self.items.append(Diagnostic(location, Level.INFO, message))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level is Level.ERROR]

    def errors_since(self, mark: int) -> bool:
        """Whether an error was reported after `mark` (a length of `items` taken before). Loaders
        ask after every document: counting all errors each time would be quadratic in the
        diagnostics (a snapshot says "skipped ConfigMap" once per ConfigMap)."""
        return any(d.level is Level.ERROR for d in self.items[mark:])

    @property
    def has_errors(self) -> bool:
        return any(d.level is Level.ERROR for d in self.items)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise InputError(self.errors)


class NP2CalicoError(Exception):
    """Base class of every error np2calico raises on purpose."""


class InputError(NP2CalicoError):
    """The input is unreadable or invalid. Carries every problem found, not just the first."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic) -> None:
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @classmethod
    def at(cls, location: Location, message: str) -> InputError:
        return cls(Diagnostic(location, Level.ERROR, message))


class UsageError(NP2CalicoError):
    """The command line asks for something impossible (exit code 2)."""


class ClusterError(NP2CalicoError):
    """Talking to a live cluster or to calicoctl/kubectl failed (one-line message)."""
