"""Proof of equivalence for every possible pod: `verify(a, b)` with a z3 engine (see `engine`)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from translator.evaluate.calico_policies import DEFAULT_TIE_BREAK
from translator.model.calico import PolicySet, TieBreak
from translator.model.cluster import HostEndpoint, NetworkSet
from translator.model.common import IPNetwork
from translator.verify.addresses import nicer_addresses
from translator.verify.engine import Check, Engine, Question, Sides, UndecidedError
from translator.verify.network_sets import assumption
from translator.verify.service_witness import named_services
from translator.verify.witness import Witness, build_witness

__all__ = ["Check", "Question", "UndecidedError", "VerifyResult", "Witness", "verify"]


@dataclass(frozen=True)
class VerifyResult:
    equivalent: bool
    witness: Witness | None
    checks: tuple[Check, ...]
    namespaces: tuple[str, ...]
    network_sets: tuple[NetworkSet, ...] = ()
    # The host endpoints the proof covered (names).
    host_endpoints: tuple[str, ...] = ()
    # The Services `services` rules of A or B name ("namespace/name"), judged for every endpoint set.
    services: tuple[str, ...] = ()

    @property
    def service_assumption(self) -> str:
        """What the proof took of the Services' endpoints (cluster state never narrows them)."""
        if not self.services:
            return "no services rules"
        return ("services rules judged for every possible endpoint set of "
                + ", ".join(f"svc {s}" for s in self.services))

    @property
    def network_set_assumption(self) -> str:
        """"network sets as given: N global, M namespaced", or "no network sets"."""
        return assumption(self.network_sets)

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.checks)


DEFAULT_POD_CIDRS: tuple[IPNetwork, ...] = (ipaddress.ip_network("10.244.0.0/16"),)


def verify(a: PolicySet, b: PolicySet, *, tie_break: TieBreak | str = DEFAULT_TIE_BREAK,
           question: Question | None = None, shortcuts: bool = True,
           network_sets: Iterable[NetworkSet] = (),
           pod_cidrs: Sequence[IPNetwork] = DEFAULT_POD_CIDRS,
           host_endpoints: Sequence[HostEndpoint] = ()) -> VerifyResult:
    """Equivalent for every possible connection (see `invariants`), or a witness that is not.

    `question` may narrow the pods to those without `pcns.*` labels of their own. `shortcuts=False`
    sends every check to the solver, even those settled by comparing policies (benchmarks, tests).
    `network_sets` are cluster state, the same for both sides (`network_sets` module): rule
    selectors match their nets; without them, an address outside every pod matches no selector.
    `pod_cidrs` only guides the witness's addresses (pods are proven for every address).
    `host_endpoints`: the cluster's host endpoints, each an endpoint of its own (its labels,
    expected IPs, named ports and profiles, as the Calico evaluator models it); an address among
    theirs is never a pod's nor outside the cluster.
    """
    sides = Sides.of(a, b, tie_break, network_sets=network_sets, hosts=host_endpoints)
    hosts = tuple(h.name for h in host_endpoints)
    services = tuple(sorted(named_services(a, b)))
    engine = Engine(sides, question, shortcuts=shortcuts)
    checks = []
    for check in engine.checks():
        checks.append(check)
        if check.differs:
            difference = engine.find_difference(check)
            if difference is not None:
                realistic = nicer_addresses(difference.packet, difference.query, difference.model, pod_cidrs)
                difference = replace(difference, model=realistic)
                witness = build_witness(difference, a, b, tie_break)
                return VerifyResult(False, witness, tuple(checks), sides.namespaces, sides.network_sets,
                                    hosts, services)
    return VerifyResult(True, None, tuple(checks), sides.namespaces, sides.network_sets, hosts, services)
