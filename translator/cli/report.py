"""`np2calico report`: the HTML report (or another format) of a stored `diff -o json` output."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from translator.cli.common import EXIT_OK, write_output
from translator.cli.options import OUTPUT_FORMAT, OutputFile
from translator.cli.progress import step
from translator.errors import InputError, Location

EXAMPLES = """\b
Examples (from the repository root):
  # In CI: keep the diff as JSON, render the page from it (as an artifact or for a PR):
  np2calico diff samples/lab/policies --cluster samples/lab/cluster.yaml \\
      --migrate --default-deny global -o json --output-file diff.json
  np2calico report diff.json --output-file report.html
  # The same stored diff as a pull-request comment:
  np2calico report diff.json -o markdown
Exit status: 0 written, 2 error (unreadable or malformed JSON).
"""


class ReportFormat(str, Enum):
    HTML = "html"
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


def report(
    diff_json: Annotated[
        str, typer.Argument(metavar="FILE", show_default=False,
                            help="The `np2calico diff -o json` output ('-' for stdin).")
    ],
    output: Annotated[ReportFormat, OUTPUT_FORMAT] = ReportFormat.HTML,
    output_file: OutputFile = None,
) -> None:
    """Render a stored semantic diff: the HTML page with the namespace matrix, or text/markdown/json.

    The page is the one `np2calico diff -o html` writes: one self-contained file (no network access)
    with the summary, the namespace × namespace matrix and every change.
    """
    from translator.render.diff_json import read_diff_json
    from translator.render.report import render_diff_report

    with step("reading the diff"):
        found = read_diff_json(_read(diff_json), "<stdin>" if diff_json == "-" else diff_json)
    with step(f"rendering {output.value}"):
        text = render_diff_report(found, output.value)
    write_output(text, output_file)
    raise typer.Exit(EXIT_OK)


def _read(path: str) -> str:
    """The text of `path` (or stdin), decoded as UTF-8; a clear error when it cannot be read."""
    where = Location("<stdin>" if path == "-" else path)
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise InputError.at(where, f"cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.at(where, f"not UTF-8 text (byte {exc.start})") from None
