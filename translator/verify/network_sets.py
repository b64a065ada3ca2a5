"""Network sets in the verify engine: given objects whose nets join the IP sets of the selectors
their labels match.

Felix fills a rule selector's IP set with the addresses of matching endpoints and the `nets` of
every matching network set (docs: "it includes the CIDRs from any network sets that match the
selector"; `translator.evaluate.calico_match._in_selector_set` does the same). So an address
matches a selector when a pod owning it matches, or when it lies in the nets of a network set
whose labels match, whoever owns the address. Network sets are cluster state, given as they are:
their names, labels and nets are constants, not unknowns.

What selectors see of a network set (libcalico-go `syncersv1/updateprocessors`:
`globalnetworksetprocessor.go`, `networksetprocessor.go`):
- a GlobalNetworkSet: its own labels, nothing else (no namespace, no profile);
- a NetworkSet of namespace N: its own labels, then `projectcalico.org/namespace` = N written over
  them, and the labels of its namespace profile `kns.N` inherited as `pcns.*` (its own labels win,
  felix/labelindex). Like every namespace's, N's labels are not given: `pcns.kubernetes.io/
  metadata.name` and `pcns.projectcalico.org/name` are N, and every other `pcns.K` is N's label K —
  absent or any valid value — one unknown shared by every set of N and the pods of N.

Pods of N inherit the same labels: a pod may override an inherited label but not remove it, so
when N has K, a pod of N has `pcns.K`; a pod without `pcns.*` labels of its own (`honest`) has N's
value exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import z3

from translator.model.cluster import NetworkSet
from translator.model.common import IPAddress, IPNetwork
from translator.selectors import ENDPOINT_NAMESPACE_LABEL
from translator.verify import invariants as inv
from translator.verify.domains import (
    Domains,
    EnumValue,
    FixedValue,
    StringValue,
    Value,
    label_value_re,
    same,
    value_text,
)
from translator.verify.terms import Term, conj, disj


class _Where(Protocol):
    @property
    def outside(self) -> bool: ...


class Endpoint(Protocol):
    """What network sets need of a symbolic endpoint (`symbols.Endpoint`, which holds these terms
    in its packet: a protocol rather than an import, so the two modules do not import each other)."""

    @property
    def where(self) -> _Where: ...

    @property
    def is_pod(self) -> Term: ...

    @property
    def namespace(self) -> Value: ...

    def label(self, key: str) -> tuple[Term, Value]: ...

    def in_network(self, net: IPNetwork) -> z3.BoolRef: ...

ABSENT: tuple[Term, Value] = (False, FixedValue(""))


@dataclass
class NamespaceLabels:
    """The unknown labels of the namespaces network sets live in: one (present, value) pair per
    namespace and inherited `pcns.` key some selector reads on one of their sets."""

    domains: Domains
    found: dict[tuple[str, str], tuple[Term, Value]] = field(default_factory=dict)
    _constraints: list[z3.BoolRef] = field(default_factory=list)

    def label(self, namespace: str, key: str) -> tuple[Term, Value]:
        found = self.found.get((namespace, key))
        if found is None:
            found = self.found[(namespace, key)] = self._new(namespace, key)
        return found

    def _new(self, namespace: str, key: str) -> tuple[Term, Value]:
        if not inv.namespace_can_carry(key[len(inv.NAMESPACE_PREFIX):]):
            return ABSENT
        name = f"ns[{namespace}].value[{key}]"
        value: Value
        if key in self.domains.strings:
            term = z3.String(name)
            self._constraints += [z3.InRe(term, label_value_re()), z3.Length(term) <= inv.LABEL_VALUE_MAX]
            value = StringValue(term)
        else:
            constants = self.domains.enumerated(key)
            value = EnumValue(z3.BitVec(name, EnumValue.width(constants)), constants, key,
                              self.domains.positions(key))
            self._constraints += value.constraints(self.domains.invalid_indices(key))
        return z3.Bool(f"ns[{namespace}].has[{key}]"), value

    def constraints(self, ends: Sequence[Endpoint], honest: bool) -> list[z3.BoolRef]:
        """Value validity, and the pods of each namespace inheriting its labels."""
        found = list(self._constraints)
        for (namespace, key), (present, value) in sorted(self.found.items()):
            if present is False:
                continue
            for end in ends:
                if end.where.outside:
                    continue
                here = conj((end.is_pod, end.namespace.equals(namespace)))
                if here is False:
                    continue
                has, own = end.label(key)
                inherits = z3.And(has == present, z3.Implies(present, same(own, value))) if honest \
                    else z3.Implies(present, has)  # type: ignore[arg-type]
                found.append(z3.Implies(_z3(here), inherits))
        return found

    def present_labels(self, model: z3.ModelRef) -> dict[str, dict[str, str | None]]:
        """Per namespace, the label each read key has in the model (None: the namespace lacks it)."""
        labels: dict[str, dict[str, str | None]] = {}
        for (namespace, key), (present, value) in sorted(self.found.items()):
            if present is False:
                continue
            plain = key[len(inv.NAMESPACE_PREFIX):]
            holds = z3.is_true(model.eval(present, model_completion=True))
            labels.setdefault(namespace, {})[plain] = value_text(value, model) if holds else None
        return labels


def _z3(term: Term) -> z3.BoolRef:
    return z3.BoolVal(term) if isinstance(term, bool) else term


@dataclass
class NetworkSetView:
    """The labels selectors see on one network set (module docstring), for `encode.selector_holds`."""

    network_set: NetworkSet
    namespaces: NamespaceLabels
    selector_cache: dict[object, Term] = field(default_factory=dict)

    def label(self, key: str) -> tuple[Term, Value]:
        namespace, own = self.network_set.namespace, self.network_set.labels
        if namespace is not None and key == ENDPOINT_NAMESPACE_LABEL:
            return True, FixedValue(namespace)
        if key in own:
            return True, FixedValue(own[key])
        if namespace is None:
            return ABSENT
        if key in inv.ALWAYS_INHERITED:
            return True, FixedValue(namespace)
        if key.startswith(inv.NAMESPACE_PREFIX):
            return self.namespaces.label(namespace, key)
        return ABSENT

    def holds(self, end: Endpoint) -> Term:
        """The endpoint's address lies in the set's nets."""
        return disj(end.in_network(n) for n in self.network_set.nets)


@dataclass
class NetworkSetTerms:
    """Every given network set, seen by the selectors of one symbolic packet."""

    views: tuple[NetworkSetView, ...]
    namespaces: NamespaceLabels

    @classmethod
    def of(cls, network_sets: Iterable[NetworkSet], domains: Domains) -> NetworkSetTerms:
        namespaces = NamespaceLabels(domains)
        return cls(tuple(NetworkSetView(s, namespaces) for s in network_sets), namespaces)

    def holding(self, addresses: Iterable[IPAddress]) -> list[NetworkSet]:
        """The sets whose nets hold one of `addresses` (those a witness needs)."""
        wanted = list(addresses)
        return [v.network_set for v in self.views
                if any(a.version == n.version and a in n for a in wanted for n in v.network_set.nets)]


def network_set_manifest(network_set: NetworkSet) -> dict[str, Any]:
    """The object `explain --cluster` reads back (projectcalico.org/v3)."""
    metadata: dict[str, Any] = {"name": network_set.name}
    if network_set.namespace is not None:
        metadata["namespace"] = network_set.namespace
    if network_set.labels:
        metadata["labels"] = dict(sorted(network_set.labels.items()))
    kind = "GlobalNetworkSet" if network_set.namespace is None else "NetworkSet"
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": metadata,
            "spec": {"nets": [str(n) for n in network_set.nets]}}


def network_set_namespaces(network_sets: Iterable[NetworkSet]) -> set[str]:
    return {s.namespace for s in network_sets if s.namespace is not None}


def assumption(network_sets: Sequence[NetworkSet]) -> str:
    """What verify assumed of network sets, in words."""
    if not network_sets:
        return "no network sets"
    namespaced = sum(1 for s in network_sets if s.namespace is not None)
    return f"network sets as given: {len(network_sets) - namespaced} global, {namespaced} namespaced"
