"""Verdicts as data: which policy, rule, direction and tier decided, or what decided instead.

Modelled on policy-assistant's matcher results (an `Effect` per policy kind, a `DirectionResult`
per direction): the evaluators only record *what* happened, as typed values; the words live in
`translator.render.verdicts`, so text, JSON and reports say the same thing from one object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from translator.model.calico import Action
from translator.model.cluster import Connection
from translator.model.common import Direction
from translator.model.k8s import NetworkPolicyRule


class Semantics(str, Enum):
    """Whose rules judged: Kubernetes NetworkPolicy semantics or Calico's (Felix's)."""

    K8S = "k8s"
    CALICO = "calico"


class DecidedBy(str, Enum):
    """What decided one direction."""

    NOT_JUDGED = "not judged"  # the side is nothing the semantics' policies can select
    NOT_ISOLATED = "not isolated"  # Kubernetes: no policy of the pod's namespace isolates it
    RULE = "rule"  # a rule matched: `policy`, `rule` (and under Calico `tier`, `action`)
    NO_RULE = "no rule"  # Kubernetes: isolated, and no rule of an isolating policy allows
    END_OF_TIER = "end of tier"  # Calico: the tier selected the endpoint and no rule matched
    NO_POLICY = "no policy"  # Calico: no tier selects the endpoint; its profiles decide
    PROFILE = "profile"  # Calico: every tier passed; the endpoint's profiles decide


class Subject(str, Enum):
    """What the judged side is (it changes what "not judged" and profiles mean)."""

    POD = "pod"
    HOST_NETWORK_POD = "host-network pod"
    HOST_ENDPOINT = "host endpoint"
    OUTSIDE = "outside the cluster"


@dataclass(frozen=True)
class TrailStep:
    """A Calico match that did not end the evaluation: a Log rule, a Pass rule, or a tier whose
    defaultAction Pass let the packet go on (`policy` and `rule` are then None)."""

    tier: str
    action: Action
    policy: str | None = None
    rule: int | None = None
    origin: str | None = None


@dataclass(frozen=True)
class K8sRuleMatch:
    """The Kubernetes rule that allowed, and which of its peers and ports matched (None: the rule
    has no peers / no ports, so it matches every one)."""

    rule: NetworkPolicyRule
    peer: int | None
    port: int | None


@dataclass(frozen=True)
class Decision:
    """The verdict of one direction: egress at the source endpoint, ingress at the destination.

    `semantics` says whose rules judged; `subject` names the endpoint judged (as the evaluator
    saw it) and `subject_kind` what it is.
    `policy` is the deciding policy's key (`ns/name` for Kubernetes, the Calico kind/key for
    Calico) and `rule` its rule index in that direction; `tier` and `action` are Calico's.
    `isolating` lists the policies that isolate the pod (Kubernetes) or that the tier selected
    (Calico, end of tier); `profile` is the profile that allowed (None: none did) and `profiles`
    a host endpoint's profiles; `trail` the Log/Pass steps on the way.
    """

    semantics: Semantics
    direction: Direction
    allowed: bool
    decided_by: DecidedBy
    subject: str
    subject_kind: Subject = Subject.POD
    policy: str | None = None
    rule: int | None = None
    tier: str | None = None
    action: Action | None = None
    origin: str | None = None
    k8s_match: K8sRuleMatch | None = None
    isolating: tuple[str, ...] = ()
    profile: str | None = None
    profiles: tuple[str, ...] = ()
    trail: tuple[TrailStep, ...] = ()
    # How a deciding Calico rule with `services` matched (the Service, endpoint and port). Not
    # compared: it explains the decision, the diff compares what decided.
    service: str | None = field(default=None, compare=False)


def ending(decision: Decision) -> tuple[DecidedBy | None, str | None]:
    """What decided a Calico direction when no rule did, told apart as far as outputs tell it
    apart: (END_OF_TIER, None); (NO_POLICY, None) for a pod without policy or an endpoint no
    profile allows; (PROFILE, profile) when a profile allowed after tiers (or a host endpoint's
    without policy); (PROFILE, None) when none did. (None, None) for rules and Kubernetes."""
    decided = decision.decided_by
    if decision.semantics is not Semantics.CALICO or decided in (DecidedBy.RULE, DecidedBy.NOT_JUDGED):
        return None, None
    if decided is DecidedBy.END_OF_TIER:
        return decided, None
    pod_without_policy = decided is DecidedBy.NO_POLICY and decision.subject_kind is Subject.POD
    if decision.profile is not None and not pod_without_policy:
        return DecidedBy.PROFILE, decision.profile
    return decided, None


@dataclass(frozen=True)
class Verdict:
    connection: Connection
    egress: Decision
    ingress: Decision

    @property
    def allowed(self) -> bool:
        return self.egress.allowed and self.ingress.allowed

    @property
    def word(self) -> str:
        return "allow" if self.allowed else "deny"

    def decision(self, direction: Direction) -> Decision:
        return self.egress if direction is Direction.EGRESS else self.ingress
