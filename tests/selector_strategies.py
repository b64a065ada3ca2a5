"""Hypothesis strategies for Calico selectors, Kubernetes LabelSelectors and label sets.

Domains are tiny on purpose: with three label keys and four values, random selectors and random
label sets actually match each other, so `matches` is exercised on both outcomes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hypothesis import strategies as st

from translator.model.common import LabelSelector, LabelSelectorRequirement, SelectorOperator
from translator.selectors import (
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
)

T = TypeVar("T")

LABEL_KEYS = ("app", "tier", "example.com/role")
# Values with a single and a double quote exercise both quoting styles; "" is a legal value.
LABEL_VALUES = ("web", "db", "", "it's", 'say "hi"')
# Selector values may be any text without both quote kinds (the grammar has no escapes).
SELECTOR_VALUES = (*LABEL_VALUES, "w", "b", "e")

label_keys = st.sampled_from(LABEL_KEYS)
label_values = st.sampled_from(LABEL_VALUES)
selector_values = st.sampled_from(SELECTOR_VALUES)

label_sets = st.dictionaries(label_keys, label_values, max_size=len(LABEL_KEYS))


def _sorted_unique(values: list[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


value_sets = st.lists(selector_values, max_size=3).map(_sorted_unique)

leaves: st.SearchStrategy[Selector] = st.one_of(
    st.just(All()),
    st.just(Global()),
    st.builds(Has, label_keys),
    st.builds(Equals, label_keys, selector_values),
    st.builds(NotEquals, label_keys, selector_values),
    st.builds(In, label_keys, value_sets),
    st.builds(NotIn, label_keys, value_sets),
    st.builds(Contains, label_keys, selector_values),
    st.builds(StartsWith, label_keys, selector_values),
    st.builds(EndsWith, label_keys, selector_values),
)


def _operands_of(node: type[And] | type[Or]) -> Callable[[list[Selector]], tuple[Selector, ...]]:
    """Flatten direct children of the same kind: the canonical form never nests them."""

    def flatten(parts: list[Selector]) -> tuple[Selector, ...]:
        flat: list[Selector] = []
        for part in parts:
            flat.extend(part.operands if isinstance(part, node) else (part,))
        return tuple(flat)

    return flatten


def _negate(selector: Selector) -> Selector:
    # `!!x` parses as `x` (upstream collapses a run of `!`), so the canonical form has no Not(Not).
    return selector.operand if isinstance(selector, Not) else Not(selector)


def _extend(children: st.SearchStrategy[Selector]) -> st.SearchStrategy[Selector]:
    pairs = st.lists(children, min_size=2, max_size=3)
    return st.one_of(
        children.map(_negate),
        pairs.map(_operands_of(And)).map(And),
        pairs.map(_operands_of(Or)).map(Or),
    )


# Canonical selector ASTs: what the parser returns for some text.
selectors: st.SearchStrategy[Selector] = st.recursive(leaves, _extend, max_leaves=8)


def _requirement(key: str, operator: SelectorOperator, values: list[str]) -> LabelSelectorRequirement:
    if operator in (SelectorOperator.EXISTS, SelectorOperator.DOES_NOT_EXIST):
        return LabelSelectorRequirement(key, operator, ())
    return LabelSelectorRequirement(key, operator, tuple(values))


requirements = st.builds(
    _requirement,
    label_keys,
    st.sampled_from(list(SelectorOperator)),
    st.lists(label_values, min_size=1, max_size=3),
)

label_selectors = st.builds(
    LabelSelector,
    st.dictionaries(label_keys, label_values, max_size=2).map(lambda d: tuple(sorted(d.items()))),
    st.lists(requirements, max_size=3).map(tuple),
)


# --- a printer that writes the same selector in many legal ways --------------------------------

_QUOTES = ("'", '"')


@st.composite
def noisy_texts(draw: st.DrawFn, selector: Selector) -> str:
    """Text for `selector` with random blanks, quote styles and redundant parentheses."""
    return _noisy(draw, selector)


def _blank(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(("", " ", "  ", "\t", " \t ")))


def _sep(draw: st.DrawFn) -> str:
    """A blank that must not be empty (between a label and a word operator)."""
    return draw(st.sampled_from((" ", "  ", "\t")))


def _quoted(draw: st.DrawFn, value: str) -> str:
    usable = [q for q in _QUOTES if q not in value]
    quote = draw(st.sampled_from(usable))
    return f"{quote}{value}{quote}"


def _noisy(draw: st.DrawFn, selector: Selector) -> str:
    text = _noisy_node(draw, selector)
    if draw(st.booleans()):
        text = f"({_blank(draw)}{text}{_blank(draw)})"
    return f"{_blank(draw)}{text}{_blank(draw)}"


def _noisy_node(draw: st.DrawFn, s: Selector) -> str:
    b = _blank
    if isinstance(s, All):
        return f"all({b(draw)})"
    if isinstance(s, Global):
        return f"global({b(draw)})"
    if isinstance(s, Has):
        return f"has({b(draw)}{s.label}{b(draw)})"
    if isinstance(s, (In, NotIn)):
        op = "in" if isinstance(s, In) else f"not{_sep(draw)}in"
        values = list(s.values) * draw(st.sampled_from((1, 2)))  # duplicates are legal
        items = f"{b(draw)},{b(draw)}".join(_quoted(draw, v) for v in reversed(values))
        trailing = "," if values and draw(st.booleans()) else ""
        return f"{s.label}{_sep(draw)}{op}{b(draw)}{{{b(draw)}{items}{trailing}{b(draw)}}}"
    if isinstance(s, Not):
        inner = _noisy_node(draw, s.operand)
        if isinstance(s.operand, (And, Or)) or draw(st.booleans()):
            inner = f"({b(draw)}{inner}{b(draw)})"
        return f"!{b(draw)}{inner}"
    if isinstance(s, (And, Or)):
        joiner = "&&" if isinstance(s, And) else "||"
        parts = []
        for operand in s.operands:
            part = _noisy_node(draw, operand)
            if (isinstance(s, And) and isinstance(operand, Or)) or draw(st.booleans()):
                part = f"({b(draw)}{part}{b(draw)})"
            parts.append(part)
        return f"{b(draw)}{joiner}{b(draw)}".join(parts)
    return _noisy_comparison(draw, s)


_VALUE_OPERATOR_TEXT: dict[type, str] = {
    Equals: "==",
    NotEquals: "!=",
    Contains: "contains",
    StartsWith: "starts with",
    EndsWith: "ends with",
}


def _noisy_comparison(draw: st.DrawFn, s: Selector) -> str:
    label, value = s.label, s.value  # type: ignore[attr-defined]
    op = _VALUE_OPERATOR_TEXT[type(s)].replace(" ", _sep(draw))
    before = _sep(draw) if op[0].isalpha() else _blank(draw)
    return f"{label}{before}{op}{_blank(draw)}{_quoted(draw, value)}"
