"""Calico projectcalico.org/v3 policy resources, in their own terms.

Selectors are parsed ASTs (`translator.selectors`); the renderer prints their canonical form.
Staged kinds are the same classes with `staged_action` set, so an evaluator can treat a staged
policy "as if enforced" by ignoring that one field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from translator.errors import Location
from translator.model import k8s
from translator.model.common import Direction, IPNetwork, PortRange, RuleProtocol
from translator.selectors import Selector

DEFAULT_TIER = "default"
# A Tier without `order` is stored with this order (libcalico-go/lib/resources/tier.go),
# the same as the built-in `default` tier.
DEFAULT_TIER_ORDER = 1_000_000.0
# Where Calico enforces Kubernetes NetworkPolicies within the default tier.
K8S_POLICY_ORDER = 1000.0


class Action(str, Enum):
    ALLOW = "Allow"
    DENY = "Deny"
    PASS = "Pass"
    LOG = "Log"


class TieBreak(str, Enum):
    """Whose key breaks a tie between policies of equal order: Calico v3.32+'s or v3.31's."""

    V3_32 = "v3.32"
    V3_31 = "v3.31"


class StagedAction(str, Enum):
    SET = "Set"
    DELETE = "Delete"


# A rule port: a numeric range (a single port is a one-port range) or a named port.
PortSpec = PortRange | str


@dataclass(frozen=True)
class ServiceMatch:
    """`services`: the endpoints of one Kubernetes Service (what its EndpointSlices list).

    As a destination (egress rules only) it matches each endpoint address on the endpoint's own
    ports and protocols; as a source (ingress rules only) the endpoint addresses on any port
    (felix/calc/rule_scanner.go, felix/serviceindex). `namespace` None: not written, which only a
    namespaced policy allows.
    """

    name: str
    namespace: str | None = None

    @property
    def key(self) -> str:
        return f"{self.namespace or ''}/{self.name}"


@dataclass(frozen=True)
class EntityRule:
    """A rule's source or destination; every present field must match (AND)."""

    selector: Selector | None = None
    not_selector: Selector | None = None
    namespace_selector: Selector | None = None
    nets: tuple[IPNetwork, ...] = ()
    not_nets: tuple[IPNetwork, ...] = ()
    ports: tuple[PortSpec, ...] = ()
    not_ports: tuple[PortSpec, ...] = ()
    services: ServiceMatch | None = None

    @property
    def has_endpoint_constraint(self) -> bool:
        """True when the rule can only match traffic to/from Calico endpoints (pods, HEPs, sets)."""
        return any(s is not None for s in (self.selector, self.not_selector, self.namespace_selector))


@dataclass(frozen=True)
class Rule:
    action: Action
    protocol: RuleProtocol | None = None
    not_protocol: RuleProtocol | None = None
    ip_version: int | None = None
    source: EntityRule = EntityRule()
    destination: EntityRule = EntityRule()

    def __post_init__(self) -> None:
        # Normalised once, here: a protocol given as a name or number (a quoted one included)
        # becomes the RuleProtocol every reader uses.
        for name in ("protocol", "not_protocol"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, RuleProtocol):
                object.__setattr__(self, name, RuleProtocol.of(value))


@dataclass(frozen=True)
class PolicySpec:
    """The fields NetworkPolicy and GlobalNetworkPolicy share."""

    tier: str = DEFAULT_TIER
    order: float | None = None
    selector: Selector | None = None
    types: tuple[Direction, ...] = ()
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()

    def rules(self, direction: Direction) -> tuple[Rule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress


def default_types(spec: PolicySpec) -> PolicySpec:
    """Calico's defaulting of an absent `types` (semantics.md §2.3), done once by the loader.

    As libcalico-go's clientv3 does on create: no egress rules -> [Ingress] (also when there are
    no rules at all); egress rules only -> [Egress]; both -> [Ingress, Egress]. Explicit `types`
    are kept as written.
    """
    if spec.types:
        return spec
    if not spec.egress:
        types: tuple[Direction, ...] = (Direction.INGRESS,)
    elif not spec.ingress:
        types = (Direction.EGRESS,)
    else:
        types = (Direction.INGRESS, Direction.EGRESS)
    return replace(spec, types=types)


@dataclass(frozen=True)
class Metadata:
    name: str
    namespace: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class NetworkPolicy:
    """A namespaced Calico NetworkPolicy (or StagedNetworkPolicy when `staged_action` is set)."""

    metadata: Metadata
    spec: PolicySpec
    staged_action: StagedAction | None = None
    origin: Location | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def namespace(self) -> str:
        assert self.metadata.namespace is not None
        return self.metadata.namespace

    @property
    def kind(self) -> str:
        return "StagedNetworkPolicy" if self.staged_action else "NetworkPolicy"

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"


@dataclass(frozen=True)
class GlobalNetworkPolicy:
    """A GlobalNetworkPolicy (or StagedGlobalNetworkPolicy when `staged_action` is set)."""

    metadata: Metadata
    spec: PolicySpec
    namespace_selector: Selector | None = None
    staged_action: StagedAction | None = None
    origin: Location | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def kind(self) -> str:
        return "StagedGlobalNetworkPolicy" if self.staged_action else "GlobalNetworkPolicy"

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class StagedKubernetesNetworkPolicy:
    """A Kubernetes NetworkPolicy spec that Calico previews but does not enforce."""

    policy: k8s.NetworkPolicy
    staged_action: StagedAction = StagedAction.SET
    origin: Location | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def kind(self) -> str:
        return "StagedKubernetesNetworkPolicy"

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.policy.namespace}/{self.policy.name}"


@dataclass(frozen=True)
class Tier:
    name: str
    order: float | None = None
    default_action: Action = Action.DENY

    @property
    def effective_order(self) -> float:
        return DEFAULT_TIER_ORDER if self.order is None else self.order


CalicoPolicy = NetworkPolicy | GlobalNetworkPolicy
StagedPolicy = NetworkPolicy | GlobalNetworkPolicy | StagedKubernetesNetworkPolicy


@dataclass(frozen=True)
class PolicySet:
    """Everything a cluster enforces (or previews): what an evaluator or a diff side takes.

    `k8s_policies` are Kubernetes NetworkPolicies, enforced by Calico in tier `default` at order
    1000. `calico_policies` may include staged ones (`staged_action` set).
    """

    k8s_policies: tuple[k8s.NetworkPolicy, ...] = ()
    calico_policies: tuple[CalicoPolicy, ...] = ()
    staged_k8s_policies: tuple[StagedKubernetesNetworkPolicy, ...] = ()
    tiers: tuple[Tier, ...] = ()

    @property
    def is_k8s_only(self) -> bool:
        return not (self.calico_policies or self.staged_k8s_policies or self.tiers)

    def merged(self, other: PolicySet) -> PolicySet:
        return PolicySet(
            self.k8s_policies + other.k8s_policies,
            self.calico_policies + other.calico_policies,
            self.staged_k8s_policies + other.staged_k8s_policies,
            self.tiers + other.tiers,
        )
