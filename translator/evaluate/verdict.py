"""Verdicts that explain themselves: which policy, rule, direction and tier decided, and why."""

from __future__ import annotations

from dataclasses import dataclass

from translator.model.cluster import Connection
from translator.model.common import Direction


@dataclass(frozen=True)
class Decision:
    """The verdict of one direction: egress at the source endpoint, ingress at the destination.

    `policy` is the deciding policy's key (`ns/name` for Kubernetes, the Calico kind/key for
    Calico); `rule` its rule index in that direction; `reasons` the human-readable explanation,
    most important first (e.g. which policies isolate the pod, which peer and port matched).
    """

    direction: Direction
    allowed: bool
    reasons: tuple[str, ...]
    policy: str | None = None
    rule: int | None = None
    tier: str | None = None
    action: str | None = None

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else ""


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
