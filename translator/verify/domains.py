"""Label values as the solver sees them: a small enumeration where that is exact, strings otherwise.

Selectors only ever compare one label with constants. For a key that no selector applies
`contains`, `starts with` or `ends with` to, every value other than the constants the selectors
mention behaves the same, so the value is one of those constants or "another value": an integer
0..n, where n stands for any other valid value. Keys read with a string operator get a z3 string
with the Kubernetes validity rules as a regular expression. Both are exact; the enumeration keeps
the large majority of queries out of the (much slower) string theory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

import z3

from translator.evaluate.calico_policies import TierPolicies
from translator.selectors import (
    ENDPOINT_NAMESPACE_LABEL,
    SERVICE_ACCOUNT_LABEL,
    Contains,
    EndsWith,
    Selector,
    StartsWith,
    leaves,
)
from translator.verify import invariants as inv
from translator.verify.terms import Term

STRING_TESTS = (Contains, StartsWith, EndsWith)


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


# Keys whose values are namespace names (unless a pod overrides an inherited one): one shared
# enumeration, so that "this label equals the pod's namespace" is a comparison of two terms.
NAMESPACE_VALUED = (ENDPOINT_NAMESPACE_LABEL, *inv.ALWAYS_INHERITED)


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
    # Per key, built on first use: every query of a large input asks again (1,000 namespace
    # names validated per endpoint per query made the engine quadratic in namespaces).
    _enumerated: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)
    _invalid: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False, compare=False)
    _positions: dict[str, dict[str, int]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, selectors: Iterable[Selector], namespaces: Iterable[str] = ()) -> Domains:
        domains = cls()
        shared = set(namespaces)
        for name in NAMESPACE_VALUED:
            domains.constants[name] = shared
        for selector in selectors:
            for leaf in leaves(selector):
                label: str | None = getattr(leaf, "label", None)
                if label is None:
                    continue
                values = getattr(leaf, "values", None) or (getattr(leaf, "value", None),)
                domains.constants.setdefault(label, set()).update(v for v in values if v is not None)
                if isinstance(leaf, STRING_TESTS):
                    domains.strings.add(label)
        if domains.strings & set(NAMESPACE_VALUED):
            domains.strings.update(NAMESPACE_VALUED)
        return domains

    def enumerated(self, key: str) -> tuple[str, ...]:
        """The constants of an enumerated key, sorted (index len() = any other value). For the
        shared namespace-valued keys, those valid for any of them (see `invalid_for`)."""
        found = self._enumerated.get(key)
        if found is None:
            keys = NAMESPACE_VALUED if key in NAMESPACE_VALUED else (key,)
            valid = (v for v in self.constants.get(key, ()) if any(valid_value(k, v) for k in keys))
            found = self._enumerated[key] = tuple(sorted(valid))
        return found

    def positions(self, key: str) -> dict[str, int]:
        """`enumerated(key)` as constant -> index."""
        found = self._positions.get(key)
        if found is None:
            found = self._positions[key] = {c: i for i, c in enumerate(self.enumerated(key))}
        return found

    def invalid_indices(self, key: str) -> tuple[int, ...]:
        """Indices of `enumerated(key)` that `key` itself cannot carry (a shared namespace-valued
        constant valid only for another of those keys)."""
        found = self._invalid.get(key)
        if found is None:
            constants = self.enumerated(key)
            found = self._invalid[key] = tuple(i for i, v in enumerate(constants) if not valid_value(key, v))
        return found


class Value(ABC):
    """One endpoint's value for one label key, whatever its representation."""

    @abstractmethod
    def equals(self, constant: str) -> Term:
        """The term "this value is `constant`"."""

    @abstractmethod
    def string_test(self, kind: type[Selector], constant: str) -> Term:
        """The term for a string operator (`contains`, `starts with`, `ends with`) on this value."""

    def constraints(self) -> list[z3.BoolRef]:
        return []


@dataclass
class FixedValue(Value):
    """A value known in advance (`projectcalico.org/orchestrator`, a fixed namespace)."""

    text: str

    def equals(self, constant: str) -> Term:
        return self.text == constant

    def string_test(self, kind: type[Selector], constant: str) -> Term:
        test = {Contains: str.__contains__, StartsWith: str.startswith, EndsWith: str.endswith}[kind]
        return bool(test(self.text, constant))


@dataclass
class EnumValue(Value):
    """One of `constants`, or (index len(constants) and up) any other valid value. Namespace-valued
    keys have two "other" slots, so that two pods may be in two distinct unnamed namespaces."""

    term: z3.BitVecRef
    constants: tuple[str, ...]
    key: str = ""
    # constant -> index; shared between endpoints by `Domains.positions` (a thousand namespace names).
    positions: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.positions:
            self.positions = {c: i for i, c in enumerate(self.constants)}

    @staticmethod
    def width(constants: tuple[str, ...]) -> int:
        """Bits for the constants and the two "other" slots."""
        return max(1, (len(constants) + 2).bit_length())

    @property
    def others(self) -> int:
        return 2 if self.key in NAMESPACE_VALUED else 1

    def equals(self, constant: str) -> Term:
        index = self.positions.get(constant)
        if index is None:
            return False  # not a value an endpoint can carry
        return self.term == index

    def string_test(self, kind: type[Selector], constant: str) -> Term:
        raise AssertionError("string tests need a StringValue")

    def constraints(self, invalid: tuple[int, ...] | None = None) -> list[z3.BoolRef]:
        """The valid indices; `invalid` (the constants `key` cannot carry) when already known."""
        if invalid is None:
            invalid = tuple(i for i, v in enumerate(self.constants) if not valid_value(self.key, v))
        return [z3.ULT(self.term, len(self.constants) + self.others), *(self.term != i for i in invalid)]

    def index(self, model: z3.ModelRef) -> int:
        return int(model.eval(self.term, model_completion=True).as_long())


@dataclass
class StringValue(Value):
    term: z3.SeqRef

    def equals(self, constant: str) -> Term:
        return self.term == z3.StringVal(constant)

    def string_test(self, kind: type[Selector], constant: str) -> Term:
        value = z3.StringVal(constant)
        if kind is Contains:
            return z3.Contains(self.term, value)
        if kind is StartsWith:
            return z3.PrefixOf(value, self.term)
        return z3.SuffixOf(value, self.term)


def same(first: Value, second: Value) -> z3.BoolRef:
    """The two values are equal (values of one key, or of two namespace-valued keys)."""
    if isinstance(first, FixedValue) and isinstance(second, FixedValue):
        return z3.BoolVal(first.text == second.text)
    if isinstance(first, FixedValue):
        first, second = second, first
    if isinstance(second, FixedValue):
        if isinstance(first, EnumValue) and second.text not in first.positions:
            return first.term == len(first.constants)
        return first.equals(second.text)
    return first.term == second.term  # type: ignore[attr-defined, no-any-return]


def value_text(value: Value, model: z3.ModelRef) -> str:
    """The concrete value the model gives (a fresh valid one for "any other value")."""
    if isinstance(value, FixedValue):
        return value.text
    if isinstance(value, StringValue):
        return str(model.eval(value.term, model_completion=True).as_string())
    assert isinstance(value, EnumValue)
    index = value.index(model)
    if index >= len(value.constants):
        return other_value(value.constants, index - len(value.constants))
    return value.constants[index]


def alnum(lower_only: bool) -> z3.ReRef:
    ranges = [z3.Range("a", "z"), z3.Range("0", "9")]
    if not lower_only:
        ranges.append(z3.Range("A", "Z"))
    return z3.Union(*ranges)


@cache
def label_value_re() -> z3.ReRef:
    """A valid Kubernetes label value (empty, or alphanumeric at both ends)."""
    edge = alnum(False)
    middle = z3.Union(edge, z3.Re("-"), z3.Re("_"), z3.Re("."))
    return z3.Union(z3.Re(""), edge, z3.Concat(edge, z3.Star(middle), edge))


def other_value(taken: Iterable[str], slot: int = 0) -> str:
    """The `slot`-th valid label value and namespace name that none of `taken` is: "any other
    value" in a witness, the same for every endpoint (the solver treats them all alike)."""
    used = set(taken)
    free = (c for c in ("other", *(f"other-{i}" for i in range(1, len(used) + slot + 2))) if c not in used)
    for _ in range(slot):
        next(free)
    return next(free)
