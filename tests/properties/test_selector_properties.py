"""Properties of the selector language: render/parse round trips and LabelSelector conversion."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.examples import examples
from tests.selector_strategies import label_selectors, label_sets, noisy_texts, selectors
from translator.model.common import LabelSelector, LabelSelectorRequirement, SelectorOperator
from translator.selectors import (
    And,
    Equals,
    Has,
    Not,
    NotIn,
    Or,
    Selector,
    from_label_selector,
    parse_selector,
)


@settings(max_examples=examples(2000))
@given(selectors)
@example(And((Or((Has("a"), Has("b"))), Not(Has("c")))))
@example(Not(Or((Equals("a", "it's"), Equals("b", '"q"')))))
def test_parse_of_render_is_identity(selector: Selector) -> None:
    assert parse_selector(selector.render()) == selector


@settings(max_examples=examples(1000))
@given(st.data(), selectors)
def test_any_legal_spelling_parses_to_the_same_ast(data: st.DataObject, selector: Selector) -> None:
    text = data.draw(noisy_texts(selector), label="text")
    assert parse_selector(text) == selector


@settings(max_examples=examples(1000))
@given(selectors, label_sets)
def test_rendered_selector_matches_like_the_ast(selector: Selector, labels: dict[str, str]) -> None:
    assert parse_selector(selector.render()).matches(labels) == selector.matches(labels)


@settings(max_examples=examples(2000))
@given(label_selectors, label_sets)
@example(
    LabelSelector((), (LabelSelectorRequirement("app", SelectorOperator.NOT_IN, ("web",)),)),
    {},
)
@example(
    LabelSelector((), (LabelSelectorRequirement("app", SelectorOperator.DOES_NOT_EXIST),)),
    {},
)
def test_converted_label_selector_matches_the_same_labels(
    selector: LabelSelector, labels: dict[str, str]
) -> None:
    converted = from_label_selector(selector)
    assert converted.matches(labels) == selector.matches(labels)
    # ...and it survives printing into a manifest and reading back.
    assert parse_selector(converted.render()).matches(labels) == selector.matches(labels)


@settings(max_examples=examples(500))
@given(label_selectors)
def test_converted_label_selector_round_trips(selector: LabelSelector) -> None:
    converted = from_label_selector(selector)
    assert parse_selector(converted.render()) == converted


def test_not_in_on_a_missing_key_matches_in_both_languages() -> None:
    k8s = LabelSelector((), (LabelSelectorRequirement("tier", SelectorOperator.NOT_IN, ("db", "web")),))
    assert from_label_selector(k8s) == NotIn("tier", ("db", "web"))
    assert k8s.matches({}) and from_label_selector(k8s).matches({})
