"""The typer app: argument parsing and exit codes, nothing else. Each command lives in its module and
is registered here, explicitly, with the conventions every command shares (translator/cli/app.py)."""

from __future__ import annotations

from translator.cli import convert, diff, explain, live, report, validate, verify
from translator.cli.app import app, main, register

register(convert.convert, convert.EXAMPLES)
register(diff.diff, diff.EXAMPLES)
register(report.report, report.EXAMPLES)
register(explain.explain, explain.EXAMPLES)
register(validate.validate, validate.EXAMPLES)
register(verify.verify, verify.EXAMPLES)
register(live.snapshot, live.SNAPSHOT_EXAMPLES)
register(live.apply, live.APPLY_EXAMPLES)
register(live.promote, live.PROMOTE_EXAMPLES)
register(live.rollback, live.ROLLBACK_EXAMPLES)

__all__ = ["app", "main"]
