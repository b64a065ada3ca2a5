"""Parser of Calico's selector language into the AST of `translator.selectors.ast`.

Tokenisation follows libcalico-go/lib/selector/tokenizer (upstream wins over our docs):
- whitespace is space or tab only; any other character outside a quoted value (a newline
  included) is an error;
- quoted values use '…' or "…" with no escapes, and run to the next matching quote (so a
  double-quoted value may hold a single quote and the other way round);
- after a label only an operator may follow: `==`, `!=`, `in`, `not in`, `contains`,
  `starts with`, `ends with` (the words of a two-word operator may be separated by blanks);
- `has(`, `all(` and `global(` are keywords only when written without a blank before `(`,
  and only where a label could start;
- a label is 1-512 characters of `[A-Za-z0-9_./-]`.

Parsing follows libcalico-go/lib/selector/parser: `||` binds looser than `&&`, a run of `!`
collapses to its parity (`!!a` is `a`), sets are sorted and deduplicated, an empty selector is
`all()`. We also flatten a parenthesised `&&` inside a `&&` (and `||` inside `||`): the meaning
is the same, and it keeps `parse(render(s)) == s` for every canonical AST.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from translator.selectors.ast import (
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

BLANKS = " \t"
MAX_LABEL_LENGTH = 512
_LABEL = re.compile(r"[A-Za-z0-9_./-]+")


class SelectorSyntaxError(ValueError):
    """A selector that does not parse; `position` is the 0-based offset, `column` 1-based."""

    def __init__(self, text: str, position: int, message: str) -> None:
        self.text = text
        self.position = position
        self.reason = message
        super().__init__(f"{message} at column {position + 1}")

    @property
    def column(self) -> int:
        return self.position + 1

    def pointer(self) -> str:
        """The selector and a caret under the offending character (for terminal output)."""
        first_line = self.text.split("\n", 1)[0]
        return f"{first_line}\n{' ' * self.position}^"


class Kind(Enum):
    LABEL = "label"
    STRING = "quoted value"
    LPAREN = "'('"
    RPAREN = "')'"
    LBRACE = "'{'"
    RBRACE = "'}'"
    COMMA = "','"
    EQ = "'=='"
    NE = "'!='"
    IN = "'in'"
    NOT_IN = "'not in'"
    CONTAINS = "'contains'"
    STARTS_WITH = "'starts with'"
    ENDS_WITH = "'ends with'"
    NOT = "'!'"
    AND = "'&&'"
    OR = "'||'"
    HAS = "has()"
    ALL = "all()"
    GLOBAL = "global()"
    EOF = "end of selector"


@dataclass(frozen=True)
class Token:
    kind: Kind
    position: int
    value: str = ""


_SINGLE_CHARS = {
    "(": Kind.LPAREN,
    ")": Kind.RPAREN,
    "{": Kind.LBRACE,
    "}": Kind.RBRACE,
    ",": Kind.COMMA,
}
_DOUBLE_CHARS = {"==": Kind.EQ, "!=": Kind.NE, "&&": Kind.AND, "||": Kind.OR}
# Operators allowed right after a label, in upstream's order of trial ("in" last: "not in" first).
_WORD_OPERATORS = (
    (("contains",), Kind.CONTAINS),
    (("starts", "with"), Kind.STARTS_WITH),
    (("ends", "with"), Kind.ENDS_WITH),
    (("not", "in"), Kind.NOT_IN),
    (("in",), Kind.IN),
)
_VALUE_OPERATORS: dict[Kind, Callable[[str, str], Selector]] = {
    Kind.EQ: Equals,
    Kind.NE: NotEquals,
    Kind.CONTAINS: Contains,
    Kind.STARTS_WITH: StartsWith,
    Kind.ENDS_WITH: EndsWith,
}


class _Tokenizer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[Token] = []

    def error(self, position: int, message: str) -> SelectorSyntaxError:
        return SelectorSyntaxError(self.text, position, message)

    def skip_blanks(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in BLANKS:
            self.pos += 1

    def run(self) -> list[Token]:
        while True:
            self.skip_blanks()
            if self.pos >= len(self.text):
                self.tokens.append(Token(Kind.EOF, self.pos))
                return self.tokens
            self.tokens.append(self.next_token())

    def next_token(self) -> Token:
        start, rest = self.pos, self.text[self.pos :]
        char = rest[0]
        if char in _SINGLE_CHARS:
            self.pos += 1
            return Token(_SINGLE_CHARS[char], start)
        if char in "'\"":
            return self.quoted(char)
        if rest[:2] in _DOUBLE_CHARS:
            self.pos += 2
            return Token(_DOUBLE_CHARS[rest[:2]], start)
        if char == "!":
            self.pos += 1
            return Token(Kind.NOT, start)
        if char in "=&|":
            raise self.error(start, f"expected '{char * 2}'")
        if self.tokens and self.tokens[-1].kind is Kind.LABEL:
            return self.operator_after_label()
        for word, kind in (("has(", Kind.HAS), ("all(", Kind.ALL), ("global(", Kind.GLOBAL)):
            if rest.startswith(word):
                return self.function(word, kind)
        return self.label()

    def quoted(self, quote: str) -> Token:
        start = self.pos
        end = self.text.find(quote, start + 1)
        if end == -1:
            raise self.error(start, "unterminated quoted value")
        self.pos = end + 1
        return Token(Kind.STRING, start, self.text[start + 1 : end])

    def operator_after_label(self) -> Token:
        start = self.pos
        for words, kind in _WORD_OPERATORS:
            if self.text.startswith(words[0], self.pos):
                self.pos += len(words[0])
                for word in words[1:]:
                    self.skip_blanks()
                    if not self.text.startswith(word, self.pos):
                        raise self.error(self.pos, f"expected '{word}' after '{words[0]}'")
                    self.pos += len(word)
                return Token(kind, start)
        label = self.tokens[-1].value
        raise self.error(start, f"expected an operator after label '{label}'")

    def function(self, word: str, kind: Kind) -> Token:
        start = self.pos
        self.pos += len(word)
        self.skip_blanks()
        value = ""
        if kind is Kind.HAS:
            match = _LABEL.match(self.text, self.pos)
            if not match:
                raise self.error(self.pos, "expected a label name in has(…)")
            value = self.checked_label(match)
            self.skip_blanks()
        if not self.text.startswith(")", self.pos):
            raise self.error(self.pos, f"expected ')' to close {word}")
        self.pos += 1
        return Token(kind, start, value)

    def label(self) -> Token:
        start = self.pos
        match = _LABEL.match(self.text, self.pos)
        if not match:
            char = self.text[start]
            shown = "newline" if char in "\r\n" else f"character {char!r}"
            raise self.error(start, f"unexpected {shown} (only space and tab separate terms)")
        return Token(Kind.LABEL, start, self.checked_label(match))

    def checked_label(self, match: re.Match[str]) -> str:
        label = match.group()
        if len(label) > MAX_LABEL_LENGTH:
            raise self.error(match.start(), f"label longer than {MAX_LABEL_LENGTH} characters")
        self.pos = match.end()
        return label


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind is not Kind.EOF:
            self.index += 1
        return token

    def expect(self, kind: Kind, context: str) -> Token:
        token = self.current
        if token.kind is not kind:
            raise self.unexpected(f"expected {kind.value} {context}")
        return self.advance()

    def unexpected(self, message: str) -> SelectorSyntaxError:
        found = f"{message}, found {self.current.kind.value}"
        return SelectorSyntaxError(self.text, self.current.position, found)

    def parse(self) -> Selector:
        if self.current.kind is Kind.EOF:
            return All()
        selector = self.or_expression()
        if self.current.kind is not Kind.EOF:
            raise self.unexpected("expected '&&', '||' or the end of the selector")
        return selector

    def or_expression(self) -> Selector:
        terms = [self.and_expression()]
        while self.current.kind is Kind.OR:
            self.advance()
            terms.append(self.and_expression())
        return _combine(Or, terms)

    def and_expression(self) -> Selector:
        terms = [self.unary()]
        while self.current.kind is Kind.AND:
            self.advance()
            terms.append(self.unary())
        return _combine(And, terms)

    def unary(self) -> Selector:
        negated = False
        while self.current.kind is Kind.NOT:
            self.advance()
            negated = not negated
        operand = self.primary()
        return Not(operand) if negated else operand

    def primary(self) -> Selector:
        token = self.current
        if token.kind is Kind.LPAREN:
            self.advance()
            inner = self.or_expression()
            self.expect(Kind.RPAREN, f"to close the '(' of column {token.position + 1}")
            return inner
        if token.kind is Kind.HAS:
            self.advance()
            return Has(token.value)
        if token.kind is Kind.ALL:
            self.advance()
            return All()
        if token.kind is Kind.GLOBAL:
            self.advance()
            return Global()
        if token.kind is Kind.LABEL:
            return self.comparison()
        raise self.unexpected("expected a label, has(), all(), global(), '!' or '('")

    def comparison(self) -> Selector:
        label = self.advance().value
        operator = self.current
        if operator.kind in _VALUE_OPERATORS:
            self.advance()
            value = self.expect(Kind.STRING, f"after {operator.kind.value}").value
            return _VALUE_OPERATORS[operator.kind](label, value)
        if operator.kind in (Kind.IN, Kind.NOT_IN):
            self.advance()
            values = self.string_set(operator.kind)
            return In(label, values) if operator.kind is Kind.IN else NotIn(label, values)
        raise self.unexpected(f"expected an operator after label '{label}'")

    def string_set(self, operator: Kind) -> tuple[str, ...]:
        self.expect(Kind.LBRACE, f"after {operator.value}")
        values: list[str] = []
        while self.current.kind is Kind.STRING:
            values.append(self.advance().value)
            if self.current.kind is not Kind.COMMA:
                break
            self.advance()
        self.expect(Kind.RBRACE, "to close the set")
        return tuple(sorted(set(values)))


def _combine(node: type[And] | type[Or], terms: list[Selector]) -> Selector:
    """One term stays as it is; nested nodes of the same kind are flattened."""
    if len(terms) == 1:
        return terms[0]
    flat: list[Selector] = []
    for term in terms:
        flat.extend(term.operands if isinstance(term, node) else (term,))
    return node(tuple(flat))


def parse_selector(text: str) -> Selector:
    """Parse a Calico selector; an empty (or blank) selector is `all()`.

    Raises `SelectorSyntaxError` with the offset of the offending character.
    """
    tokens = _Tokenizer(text).run()
    return _Parser(text, tokens).parse()
