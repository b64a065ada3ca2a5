"""Example counts per property, by Hypothesis profile (tests import this, not conftest)."""

from __future__ import annotations

import os

IN_CI = bool(os.environ.get("CI")) or os.environ.get("HYPOTHESIS_PROFILE") in ("ci", "hunt")


def examples(ci: int, dev: int = 100) -> int:
    """How many examples a property runs: `ci` under CI=true, `dev` on a developer machine."""
    return ci if IN_CI else dev
