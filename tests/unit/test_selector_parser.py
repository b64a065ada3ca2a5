"""The Calico selector parser: grammar, canonical form, errors with positions, missing labels.

Cases follow libcalico-go/lib/selector/{tokenizer,parser} behaviour.
"""

from __future__ import annotations

import pytest

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
    SelectorSyntaxError,
    StartsWith,
    find_all,
    leaves,
    parse,
    parse_selector,
    walk,
)

PARSES = [
    ("", All()),
    (" \t ", All()),
    ("all()", All()),
    ("all( )", All()),
    ("global()", Global()),
    ("has(a)", Has("a")),
    ("has( example.com/x-y_z )", Has("example.com/x-y_z")),
    ("a == 'b'", Equals("a", "b")),
    ('a=="b"', Equals("a", "b")),
    ("a == \"it's\"", Equals("a", "it's")),
    ("a == '\"q\"'", Equals("a", '"q"')),
    ("a == ''", Equals("a", "")),
    ("a != 'b'", NotEquals("a", "b")),
    ("a contains 'b'", Contains("a", "b")),
    ("a starts with 'b'", StartsWith("a", "b")),
    ("a starts \t with 'b'", StartsWith("a", "b")),
    ("a ends with 'b'", EndsWith("a", "b")),
    ("a in {}", In("a", ())),
    ("a in {'y', 'x', 'y'}", In("a", ("x", "y"))),
    ("a in {'x',}", In("a", ("x",))),
    ("a not in {'x'}", NotIn("a", ("x",))),
    ("a not   in{'x'}", NotIn("a", ("x",))),
    ("!has(a)", Not(Has("a"))),
    ("!!has(a)", Has("a")),
    ("!!!has(a)", Not(Has("a"))),
    ("! a == 'b'", Not(Equals("a", "b"))),
    ("a == 'x' && b == 'y' && c == 'z'", And((Equals("a", "x"), Equals("b", "y"), Equals("c", "z")))),
    ("a == 'x' || b == 'y' || c == 'z'", Or((Equals("a", "x"), Equals("b", "y"), Equals("c", "z")))),
    ("(a == 'x' && b == 'y') && c == 'z'", And((Equals("a", "x"), Equals("b", "y"), Equals("c", "z")))),
    ("a == 'x' || b == 'y' && c == 'z'", Or((Equals("a", "x"), And((Equals("b", "y"), Equals("c", "z")))))),
    ("(a == 'x' || b == 'y') && c == 'z'", And((Or((Equals("a", "x"), Equals("b", "y"))), Equals("c", "z")))),
    ("!(has(a) || has(b))", Not(Or((Has("a"), Has("b"))))),
    ("((has(a)))", Has("a")),
    # Keywords are only keywords where a label cannot be: these are plain labels.
    ("in == 'x'", Equals("in", "x")),
    ("has == 'x'", Equals("has", "x")),
    ("all != 'x'", NotEquals("all", "x")),
    # A newline inside a quoted value is accepted upstream (the quote runs to the next quote).
    ("a == 'x\ny'", Equals("a", "x\ny")),
]


@pytest.mark.parametrize(("text", "expected"), PARSES, ids=[repr(t) for t, _ in PARSES])
def test_parses(text: str, expected: object) -> None:
    assert parse_selector(text) == expected
    assert parse(text) == expected  # the re-export in translator.selectors


# (text, 0-based position of the error, a fragment of the message)
ERRORS = [
    ("a", 1, "expected an operator after label 'a'"),
    ("a == b", 5, "expected quoted value"),
    ("a = 'b'", 2, "expected '=='"),
    ("a == 'b' & c", 9, "expected '&&'"),
    ("a == 'b' | c", 9, "expected '||'"),
    ("a == 'b", 5, "unterminated quoted value"),
    ('a == "b', 5, "unterminated quoted value"),
    ("a == 'b'\n&& has(c)", 8, "unexpected newline"),
    ("a == 'b' \r", 9, "unexpected newline"),
    ("a foo 'b'", 2, "expected an operator after label 'a'"),
    ("a starts 'b'", 9, "expected 'with' after 'starts'"),
    ("a ends 'b'", 7, "expected 'with' after 'ends'"),
    ("a not {'b'}", 6, "expected 'in' after 'not'"),
    ("a in 'b'", 5, "expected '{'"),
    ("a in {'b' 'c'}", 10, "expected '}'"),
    ("a in {,}", 6, "expected '}'"),
    ("has(a", 5, "expected ')' to close has("),
    ("has()", 4, "expected a label name"),
    ("has (a)", 4, "expected an operator after label 'has'"),
    ("all(x)", 4, "expected ')' to close all("),
    ("global(", 7, "expected ')' to close global("),
    ("(has(a)", 7, "expected ')' to close the '(' of column 1"),
    ("has(a))", 6, "expected '&&', '||' or the end"),
    ("has(a) has(b)", 7, "expected '&&', '||' or the end"),
    ("&& has(a)", 0, "expected a label"),
    ("has(a) &&", 9, "expected a label"),
    ("!", 1, "expected a label"),
    ("a == 'b' #", 9, "unexpected character '#'"),
    ("a" * 513 + " == 'x'", 0, "longer than 512"),
]


@pytest.mark.parametrize(("text", "position", "message"), ERRORS, ids=[repr(t[:20]) for t, _, _ in ERRORS])
def test_errors_point_at_the_position(text: str, position: int, message: str) -> None:
    with pytest.raises(SelectorSyntaxError) as info:
        parse_selector(text)
    error = info.value
    assert message in str(error)
    assert error.position == position
    assert error.column == position + 1
    assert f"at column {position + 1}" in str(error)


def test_error_is_a_value_error_with_a_caret() -> None:
    with pytest.raises(ValueError) as info:
        parse_selector("app == web")
    assert isinstance(info.value, SelectorSyntaxError)
    assert info.value.pointer() == "app == web\n       ^"


def test_label_of_512_characters_is_accepted() -> None:
    label = "a" * 512
    assert parse_selector(f"has({label})") == Has(label)


# (selector, labels, expected): Calico's behaviour on missing labels (semantics.md §2.6).
MATCHES = [
    ("a == 'x'", {}, False),
    ("a != 'x'", {}, True),
    ("a != 'x'", {"a": "x"}, False),
    ("a != 'x'", {"a": "y"}, True),
    ("a in {'x'}", {}, False),
    ("a not in {'x'}", {}, True),
    ("a not in {'x'}", {"a": "x"}, False),
    ("a not in {}", {"a": "x"}, True),
    ("a in {}", {"a": "x"}, False),
    ("has(a)", {}, False),
    ("!has(a)", {}, True),
    ("a contains ''", {}, False),
    ("a contains ''", {"a": ""}, True),
    ("a starts with 'we'", {"a": "web"}, True),
    ("a ends with 'eb'", {"a": "web"}, True),
    ("a ends with 'eb'", {}, False),
    ("a == ''", {"a": ""}, True),
    ("a == ''", {}, False),
    ("", {}, True),
    ("!(a == 'x') ", {}, True),
]


@pytest.mark.parametrize(("text", "labels", "expected"), MATCHES, ids=[f"{t}|{ls}" for t, ls, _ in MATCHES])
def test_missing_label_behaviour(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_selector(text).matches(labels) is expected


RENDERS = [
    ("a=='x'&&(b=='y'||c=='z')", "a == 'x' && (b == 'y' || c == 'z')"),
    ("a=='x'||(b=='y'&&c=='z')", "a == 'x' || b == 'y' && c == 'z'"),
    ('a == "x"', "a == 'x'"),
    ("a == \"it's\"", "a == \"it's\""),
    ("a in {\"b\", 'a'}", "a in {'a', 'b'}"),
    ("!(a == 'x' && b == 'y')", "!(a == 'x' && b == 'y')"),
    ("!(has(a))", "!has(a)"),
]


@pytest.mark.parametrize(("text", "canonical"), RENDERS, ids=[t for t, _ in RENDERS])
def test_canonical_rendering(text: str, canonical: str) -> None:
    selector = parse_selector(text)
    assert selector.render() == canonical
    assert parse_selector(canonical) == selector


def test_walk_visits_parents_before_operands_and_leaves_skip_connectives() -> None:
    selector = parse("a == 'x' && !(has(b) || c in {'1'})")
    kinds = [type(node).__name__ for node in walk(selector)]
    assert kinds == ["And", "Equals", "Not", "Or", "Has", "In"]
    assert [n.render() for n in leaves(selector)] == ["a == 'x'", "has(b)", "c in {'1'}"]
    assert [n.render() for n in find_all(selector, Has, In)] == ["has(b)", "c in {'1'}"]
