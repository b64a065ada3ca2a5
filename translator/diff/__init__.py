"""Semantic diff of two policy sets over a cluster's traffic space (and a symbolic one)."""

from __future__ import annotations

from translator.diff.compare import diff_policies, make_evaluator
from translator.diff.result import Cause, Change, Endpoints, Outcome, SemanticDiff

__all__ = ["Cause", "Change", "Endpoints", "Outcome", "SemanticDiff", "diff_policies",
           "make_evaluator"]
