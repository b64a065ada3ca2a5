"""Label values as the solver sees them: a small enumeration where that is exact, strings otherwise.

Selectors only ever compare one label with constants. For a key that no selector applies
`contains`, `starts with` or `ends with` to, every value other than the constants the selectors
mention behaves the same, so the value is one of those constants or "another value": an integer
0..n, where n stands for any other valid value. Keys read with a string operator get a z3 string
with the Kubernetes validity rules as a regular expression. Both are exact; the enumeration keeps
the large majority of queries out of the (much slower) string theory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import z3

from translator.evaluate.calico_policies import TierPolicies
from translator.selectors import (
    ENDPOINT_NAMESPACE_LABEL,
    SERVICE_ACCOUNT_LABEL,
    And,
    Contains,
    EndsWith,
    Not,
    Or,
    Selector,
    StartsWith,
)
from translator.verify import invariants as inv

STRING_TESTS = (Contains, StartsWith, EndsWith)


def _leaves(selector: Selector) -> Iterator[Selector]:
    if isinstance(selector, Not):
        yield from _leaves(selector.operand)
    elif isinstance(selector, (And, Or)):
        for operand in selector.operands:
            yield from _leaves(operand)
    else:
        yield selector


def tier_selectors(tiers: Iterable[TierPolicies]) -> Iterator[Selector]:
    """Every selector Felix evaluates for these policies (already rewritten onto endpoint labels)."""
    for tier in tiers:
        for policy in tier.policies:
            yield policy.selector
            for rule in (*policy.ingress, *policy.egress):
                for entity in (rule.source, rule.destination):
                    for selector in (entity.selectors.positive, entity.selectors.negative):
                        if selector is not None:
                            yield selector


def valid_value(key: str, value: str) -> bool:
    """Whether an endpoint can carry `value` under `key` (Calico's own labels are names)."""
    if key == ENDPOINT_NAMESPACE_LABEL:
        return inv.is_namespace_name(value)
    if key == SERVICE_ACCOUNT_LABEL:
        return inv.is_service_account(value)
    return inv.is_label_value(value)


@dataclass
class Domains:
    """Per label key: the constants selectors compare it with, and whether strings are needed."""

    constants: dict[str, set[str]] = field(default_factory=dict)
    strings: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, selectors: Iterable[Selector], namespaces: Iterable[str] = ()) -> Domains:
        domains = cls()
        domains.constants[ENDPOINT_NAMESPACE_LABEL] = set(namespaces)
        for selector in selectors:
            for leaf in _leaves(selector):
                key = getattr(leaf, "label", None)
                if key is None:
                    continue
                values = getattr(leaf, "values", None) or (getattr(leaf, "value", None),)
                domains.constants.setdefault(key, set()).update(v for v in values if v is not None)
                if isinstance(leaf, STRING_TESTS):
                    domains.strings.add(key)
        return domains

    def enumerated(self, key: str) -> tuple[str, ...]:
        """The valid constants of an enumerated key, sorted (index len() = any other value)."""
        return tuple(sorted(v for v in self.constants.get(key, ()) if valid_value(key, v)))


class Value:
    """One endpoint's value for one label key, whatever its representation."""

    def equals(self, constant: str) -> z3.BoolRef:
        raise NotImplementedError

    def string_test(self, kind: type[Selector], constant: str) -> z3.BoolRef:
        raise NotImplementedError

    def constraints(self) -> list[z3.BoolRef]:
        return []


@dataclass
class FixedValue(Value):
    """A value known in advance (`projectcalico.org/orchestrator`, a fixed namespace)."""

    text: str

    def equals(self, constant: str) -> z3.BoolRef:
        return z3.BoolVal(self.text == constant)

    def string_test(self, kind: type[Selector], constant: str) -> z3.BoolRef:
        test = {Contains: str.__contains__, StartsWith: str.startswith, EndsWith: str.endswith}[kind]
        return z3.BoolVal(test(self.text, constant))


@dataclass
class EnumValue(Value):
    """One of `constants`, or (index len(constants)) any other valid value."""

    term: z3.ArithRef
    constants: tuple[str, ...]

    def equals(self, constant: str) -> z3.BoolRef:
        if constant not in self.constants:
            return z3.BoolVal(False)  # not a value an endpoint can carry
        return self.term == self.constants.index(constant)

    def string_test(self, kind: type[Selector], constant: str) -> z3.BoolRef:
        raise AssertionError("string tests need a StringValue")

    def constraints(self) -> list[z3.BoolRef]:
        return [self.term >= 0, self.term <= len(self.constants)]

    def is_other(self, model: z3.ModelRef) -> bool:
        return bool(model.eval(self.term, model_completion=True).as_long() == len(self.constants))


@dataclass
class StringValue(Value):
    term: z3.SeqRef

    def equals(self, constant: str) -> z3.BoolRef:
        return self.term == z3.StringVal(constant)

    def string_test(self, kind: type[Selector], constant: str) -> z3.BoolRef:
        value = z3.StringVal(constant)
        if kind is Contains:
            return z3.Contains(self.term, value)
        if kind is StartsWith:
            return z3.PrefixOf(value, self.term)
        return z3.SuffixOf(value, self.term)


def other_value(key: str, taken: Iterable[str], hint: str) -> str:
    """A valid value for `key` that none of `taken` is: what "any other value" becomes in a witness."""
    used = set(taken)
    base = {ENDPOINT_NAMESPACE_LABEL: "other", SERVICE_ACCOUNT_LABEL: "other"}.get(key, "other")
    for i in range(len(used) + 1):
        candidate = f"{base}-{hint}" if i == 0 else f"{base}-{hint}-{i}"
        if candidate not in used:
            return candidate
    raise AssertionError("unreachable: more candidates than taken values")
