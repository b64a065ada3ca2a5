"""Semantic diff of two policy sets over a cluster's traffic space (and a symbolic one)."""

from __future__ import annotations

from translator.diff.result import Cause, Change, Endpoints, Outcome, SemanticDiff
from translator.diff.semantic import diff_policies, make_evaluator

__all__ = ["Cause", "Change", "Endpoints", "Outcome", "SemanticDiff", "diff_policies",
           "make_evaluator"]
