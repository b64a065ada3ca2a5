"""Calico's selector language (libcalico-go/lib/selector): the AST with its canonical rendering
and evaluation (`ast`), and the parser (`parser`). `from translator.selectors import ...` is the
way in; the parser depends on the AST, never the other way round.

Missing-label behaviour follows Calico: `k != v`, `k not in {…}` and `!has(k)` are true when the
label is absent; every other test is false.
"""

from __future__ import annotations

from translator.selectors.ast import (
    ENDPOINT_NAMESPACE_LABEL,
    NAMESPACE_NAME_LABEL,
    ORCHESTRATOR_LABEL,
    SERVICE_ACCOUNT_LABEL,
    All,
    And,
    Contains,
    EndsWith,
    Equals,
    Global,
    Has,
    In,
    Not,
    NotEquals,
    NotIn,
    Or,
    Selector,
    StartsWith,
    and_,
    find_all,
    from_label_selector,
    leaves,
    or_,
    quote,
    walk,
)
from translator.selectors.parser import SelectorSyntaxError, parse_selector


def parse(text: str) -> Selector:
    """Parse a Calico selector; raises `SelectorSyntaxError`."""
    return parse_selector(text)


__all__ = [
    "ENDPOINT_NAMESPACE_LABEL",
    "NAMESPACE_NAME_LABEL",
    "ORCHESTRATOR_LABEL",
    "SERVICE_ACCOUNT_LABEL",
    "All",
    "And",
    "Contains",
    "EndsWith",
    "Equals",
    "Global",
    "Has",
    "In",
    "Not",
    "NotEquals",
    "NotIn",
    "Or",
    "Selector",
    "SelectorSyntaxError",
    "StartsWith",
    "and_",
    "find_all",
    "from_label_selector",
    "leaves",
    "or_",
    "parse",
    "parse_selector",
    "quote",
    "walk",
]
