"""A semantic diff with what a reader needs around it: what was compared, on which cluster, the
warnings and the dropped-policy report. The JSON and HTML outputs carry it; `np2calico report`
reads it back from the JSON output.
"""

from __future__ import annotations

from dataclasses import dataclass

from translator.diff.result import SemanticDiff

EXIT_NO_CHANGE = 0
EXIT_CHANGES = 1


@dataclass(frozen=True)
class Comparison:
    """What was compared: two policy sets (`policies`), or policies and their conversion (`migrate`).

    `options` are the conversion options in command-line form (`--default-deny global`)."""

    mode: str
    before: str
    after: str
    options: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line: what was compared (the options are listed on their own)."""
        if self.mode == "migrate":
            return f"{self.before} against their conversion"
        return f"{self.before} (before) against {self.after} (after)"


@dataclass(frozen=True)
class DiffContext:
    """Everything around the changes. `cluster` says where the cluster state came from (None:
    no cluster, pods described by labels only); `namespaces` are that cluster's namespaces."""

    comparison: Comparison | None = None
    cluster: str | None = None
    namespaces: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    symbolic: bool = False


@dataclass(frozen=True)
class DiffReport:
    diff: SemanticDiff
    context: DiffContext = DiffContext()

    @property
    def exit_status(self) -> int:
        """The exit status of `np2calico diff` for this result: 0 no change, 1 changes."""
        return EXIT_NO_CHANGE if self.diff.is_empty else EXIT_CHANGES
