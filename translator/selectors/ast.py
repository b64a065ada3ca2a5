"""The AST of Calico's selector language (libcalico-go/lib/selector): canonical rendering, evaluation.

The parser is `translator.selectors.parser`; the package re-exports both.
Missing-label behaviour follows Calico: `k != v`, `k not in {…}` and `!has(k)` are true when the
label is absent; every other test is false.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from translator.model.common import Labels, LabelSelector, LabelSelectorRequirement, SelectorOperator

# Labels Calico adds: on namespaces (their name) and on workload endpoints (their namespace).
NAMESPACE_NAME_LABEL = "projectcalico.org/name"
ENDPOINT_NAMESPACE_LABEL = "projectcalico.org/namespace"
ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"
SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"
T = TypeVar("T")


class Selector(ABC):
    """Base of every selector node. Nodes are frozen dataclasses, so equality is structural."""

    @abstractmethod
    def matches(self, labels: Labels) -> bool:
        """True when an entity with these labels is selected."""

    @abstractmethod
    def render(self) -> str:
        """The canonical text: single-quoted values, parentheses only where needed."""

    def __str__(self) -> str:
        return self.render()


def quote(value: str) -> str:
    """Single quotes unless the value holds one (the grammar has no escapes)."""
    return f'"{value}"' if "'" in value else f"'{value}'"


@dataclass(frozen=True)
class All(Selector):
    def matches(self, labels: Labels) -> bool:
        return True

    def render(self) -> str:
        return "all()"


@dataclass(frozen=True)
class Global(Selector):
    """`global()`: non-namespaced entities (host endpoints, global network sets)."""

    def matches(self, labels: Labels) -> bool:
        return ENDPOINT_NAMESPACE_LABEL not in labels

    def render(self) -> str:
        return "global()"


@dataclass(frozen=True)
class Has(Selector):
    label: str

    def matches(self, labels: Labels) -> bool:
        return self.label in labels

    def render(self) -> str:
        return f"has({self.label})"


@dataclass(frozen=True)
class Equals(Selector):
    label: str
    value: str

    def matches(self, labels: Labels) -> bool:
        return labels.get(self.label) == self.value

    def render(self) -> str:
        return f"{self.label} == {quote(self.value)}"


@dataclass(frozen=True)
class NotEquals(Selector):
    label: str
    value: str

    def matches(self, labels: Labels) -> bool:
        return labels.get(self.label) != self.value

    def render(self) -> str:
        return f"{self.label} != {quote(self.value)}"


def _render_set(values: tuple[str, ...]) -> str:
    return "{" + ", ".join(quote(v) for v in values) + "}"


@dataclass(frozen=True)
class In(Selector):
    label: str
    values: tuple[str, ...]

    def matches(self, labels: Labels) -> bool:
        return self.label in labels and labels[self.label] in self.values

    def render(self) -> str:
        return f"{self.label} in {_render_set(self.values)}"


@dataclass(frozen=True)
class NotIn(Selector):
    label: str
    values: tuple[str, ...]

    def matches(self, labels: Labels) -> bool:
        return self.label not in labels or labels[self.label] not in self.values

    def render(self) -> str:
        return f"{self.label} not in {_render_set(self.values)}"


@dataclass(frozen=True)
class Contains(Selector):
    label: str
    value: str

    def matches(self, labels: Labels) -> bool:
        return self.label in labels and self.value in labels[self.label]

    def render(self) -> str:
        return f"{self.label} contains {quote(self.value)}"


@dataclass(frozen=True)
class StartsWith(Selector):
    label: str
    value: str

    def matches(self, labels: Labels) -> bool:
        return self.label in labels and labels[self.label].startswith(self.value)

    def render(self) -> str:
        return f"{self.label} starts with {quote(self.value)}"


@dataclass(frozen=True)
class EndsWith(Selector):
    label: str
    value: str

    def matches(self, labels: Labels) -> bool:
        return self.label in labels and labels[self.label].endswith(self.value)

    def render(self) -> str:
        return f"{self.label} ends with {quote(self.value)}"


@dataclass(frozen=True)
class Not(Selector):
    operand: Selector

    def matches(self, labels: Labels) -> bool:
        return not self.operand.matches(labels)

    def render(self) -> str:
        inner = self.operand.render()
        return f"!({inner})" if isinstance(self.operand, (And, Or)) else f"!{inner}"


@dataclass(frozen=True)
class And(Selector):
    operands: tuple[Selector, ...]

    def matches(self, labels: Labels) -> bool:
        return all(o.matches(labels) for o in self.operands)

    def render(self) -> str:
        return " && ".join(f"({o.render()})" if isinstance(o, Or) else o.render() for o in self.operands)


@dataclass(frozen=True)
class Or(Selector):
    operands: tuple[Selector, ...]

    def matches(self, labels: Labels) -> bool:
        return any(o.matches(labels) for o in self.operands)

    def render(self) -> str:
        return " || ".join(o.render() for o in self.operands)


def walk(selector: Selector) -> Iterator[Selector]:
    """Every node of `selector`, each before its operands (model: sqlglot's `Expression.walk`)."""
    yield selector
    if isinstance(selector, Not):
        yield from walk(selector.operand)
    elif isinstance(selector, (And, Or)):
        for operand in selector.operands:
            yield from walk(operand)


def find_all(selector: Selector, *types: type[T]) -> Iterator[T]:
    """The nodes of `selector` of the given types, in `walk` order (sqlglot's `find_all`)."""
    return (node for node in walk(selector) if isinstance(node, types))


def leaves(selector: Selector) -> Iterator[Selector]:
    """The tests of `selector` without And/Or/Not: any selector is a boolean function of them."""
    return (node for node in walk(selector) if not isinstance(node, (And, Or, Not)))


def and_(parts: Iterable[Selector]) -> Selector:
    """Conjunction that drops `all()` terms and flattens nested ANDs; no terms gives `all()`."""
    flat: list[Selector] = []
    for part in parts:
        if isinstance(part, All):
            continue
        flat.extend(part.operands if isinstance(part, And) else (part,))
    if not flat:
        return All()
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def or_(parts: Iterable[Selector]) -> Selector:
    """Disjunction that flattens nested ORs; a single term is returned as it is."""
    flat: list[Selector] = []
    for part in parts:
        flat.extend(part.operands if isinstance(part, Or) else (part,))
    if not flat:
        raise ValueError("or_() needs at least one term")
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def _requirement_selector(req: LabelSelectorRequirement) -> Selector:
    values = tuple(sorted(set(req.values)))
    if req.operator is SelectorOperator.IN:
        return Equals(req.key, values[0]) if len(values) == 1 else In(req.key, values)
    if req.operator is SelectorOperator.NOT_IN:
        return NotEquals(req.key, values[0]) if len(values) == 1 else NotIn(req.key, values)
    if req.operator is SelectorOperator.EXISTS:
        return Has(req.key)
    return Not(Has(req.key))


def from_label_selector(selector: LabelSelector) -> Selector:
    """The Calico selector matching exactly the label sets the Kubernetes selector matches.

    matchLabels sorted by key, then matchExpressions sorted by their rendering, so equal
    Kubernetes selectors give byte-identical Calico selectors.
    """
    terms: list[Selector] = [Equals(k, v) for k, v in sorted(selector.match_labels)]
    exprs = sorted({_requirement_selector(r) for r in selector.match_expressions}, key=str)
    return and_([*terms, *exprs])
