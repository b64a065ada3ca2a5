"""A semantic diff with its context in any output format: text, json, markdown or html."""

from __future__ import annotations

from translator.diff.report import DiffReport
from translator.render.diff import render_semantic_diff

FORMATS = ("text", "json", "markdown", "html")


def render_diff_report(report: DiffReport, fmt: str = "text", color: bool = False) -> str:
    """The page for html; otherwise what `render_semantic_diff` writes (json with the context)."""
    if fmt == "html":
        from translator.render.html import render_html_report  # jinja2 only when a page is asked for

        return render_html_report(report)
    return render_semantic_diff(report.diff, fmt, color, report.context)
