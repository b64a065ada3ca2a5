"""Who a Calico selector can see: endpoint label sets and the effective selectors of §2.4.

Felix never evaluates the v3 selectors as written. The syncer's update processors
(libcalico-go/lib/backend/syncersv1/updateprocessors: networkpolicyprocessor.go,
globalnetworkpolicyprocessor.go, rules.go) rewrite them into one selector over endpoint labels:

- a NetworkPolicy's `spec.selector` gains `&& projectcalico.org/namespace == '<ns>'`;
- a namespaceSelector has every label prefixed with `pcns.` (a pod inherits its namespace's
  labels that way, through the `kns.<ns>` profile), then `all()` becomes
  `has(projectcalico.org/namespace)` and, in rules, `global()` becomes its negation;
- a GlobalNetworkPolicy with `spec.namespaceSelector` has `all()` replaced in the *whole*
  combined selector (its own `spec.selector` included);
- in a rule, `selector`/`notSelector`/`namespaceSelector` of a namespaced policy without a
  namespaceSelector are confined to the policy's namespace; in a global policy they are not.

We apply the same rewrites on the AST, so `!=`, `not in` and `!has()` keep their upstream
missing-label meaning (true for a host endpoint, which has no `pcns.` labels at all).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum

from translator.model import calico
from translator.model.cluster import Cluster, HostEndpoint, NetworkSet, Pod
from translator.model.common import Direction, IPAddress, Protocol
from translator.model.intervals import AddressSet
from translator.selectors import (
    ENDPOINT_NAMESPACE_LABEL,
    NAMESPACE_NAME_LABEL,
    ORCHESTRATOR_LABEL,
    SERVICE_ACCOUNT_LABEL,
    All,
    And,
    Global,
    Not,
    Or,
    Selector,
)
from translator.selectors import Equals as EqualsSelector
from translator.selectors import Has as HasSelector

# Prefix of the namespace labels a workload endpoint inherits (conversion.NamespaceLabelPrefix).
NAMESPACE_LABEL_PREFIX = "pcns."
ORCHESTRATOR_K8S = "k8s"
NAMESPACE_PROFILE_PREFIX = "kns."

_IS_NAMESPACED = HasSelector(ENDPOINT_NAMESPACE_LABEL)
_IS_GLOBAL = Not(HasSelector(ENDPOINT_NAMESPACE_LABEL))


class EndpointKind(str, Enum):
    POD = "pod"
    HOST = "host endpoint"
    OUTSIDE = "outside the cluster"


@dataclass(frozen=True)
class EndpointView:
    """One side of a connection as Felix sees it.

    `labels` is what selectors match (None for an address outside the cluster, which selectors
    match only through the network sets holding it, `network_sets`). A host-network pod is not a
    workload endpoint: it is seen as the host endpoint owning its IP, else as a plain address (its
    traffic is the node's).
    """

    key: str
    kind: EndpointKind
    labels: Mapping[str, str] | None = None
    namespace: str | None = None
    endpoint: Pod | HostEndpoint | None = None
    # The network sets whose nets hold the address in use (seen as label sets of their own): Felix
    # puts their nets into the IP set of every selector matching their labels.
    network_sets: tuple[EndpointView, ...] = ()

    @property
    def is_judged(self) -> bool:
        """Whether Calico policy applies at this endpoint (pods and host endpoints only)."""
        return self.kind is not EndpointKind.OUTSIDE

    def named_port(self, name: str, protocol: Protocol) -> int | None:
        return self.endpoint.named_port(name, protocol) if self.endpoint is not None else None

    def named_ports(self, name: str, protocol: Protocol) -> tuple[int, ...]:
        """Every number the endpoint declares as `name`: Felix's named-port IP set holds them all."""
        return self.endpoint.named_ports(name, protocol) if self.endpoint is not None else ()

    def __str__(self) -> str:
        return self.key


def pod_labels(pod: Pod, namespace_labels: Mapping[str, str]) -> dict[str, str]:
    """A workload endpoint's labels: inherited namespace labels (`pcns.`), the pod's own, then the
    implicit ones, each later group winning a clash (endpoint labels beat profile labels)."""
    inherited = {NAMESPACE_LABEL_PREFIX + k: v for k, v in namespace_labels.items()}
    inherited[NAMESPACE_LABEL_PREFIX + NAMESPACE_NAME_LABEL] = pod.namespace
    implicit = {
        ENDPOINT_NAMESPACE_LABEL: pod.namespace,
        ORCHESTRATOR_LABEL: ORCHESTRATOR_K8S,
        SERVICE_ACCOUNT_LABEL: pod.service_account,
    }
    return {**inherited, **pod.labels, **implicit}


def network_set_labels(network_set: NetworkSet, namespace_labels: Mapping[str, str]) -> dict[str, str]:
    """What selectors see of a network set (libcalico-go networkset update processor): a global one
    its own labels; a namespaced one also `projectcalico.org/namespace` (which it cannot override)
    and, through the `kns.<ns>` profile, its namespace's labels as `pcns.` ones (its own win)."""
    if network_set.namespace is None:
        return dict(network_set.labels)
    inherited = {NAMESPACE_LABEL_PREFIX + k: v for k, v in namespace_labels.items()}
    inherited[NAMESPACE_LABEL_PREFIX + NAMESPACE_NAME_LABEL] = network_set.namespace
    return {**inherited, **network_set.labels, ENDPOINT_NAMESPACE_LABEL: network_set.namespace}


class _NetworkSetIndex:
    """The network sets holding an address: Felix matches a selector's IP set as the union of every
    matching set's nets (no longest-prefix choice between overlapping sets in policy)."""

    def __init__(self, cluster: Cluster) -> None:
        self._sets = tuple(
            (
                EndpointView(
                    network_set.key,
                    EndpointKind.OUTSIDE,
                    network_set_labels(network_set, cluster.namespace(network_set.namespace).labels
                                       if network_set.namespace is not None else {}),
                    network_set.namespace,
                ),
                AddressSet(network_set.nets),
            )
            for network_set in cluster.network_sets
        )

    def holding(self, address: IPAddress) -> tuple[EndpointView, ...]:
        return tuple(view for view, nets in self._sets if address in nets)


class EndpointViews:
    """Builds (and caches) the view of each endpoint: label sets are computed once per endpoint."""

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._views: dict[object, EndpointView] = {}
        self._network_sets = _NetworkSetIndex(cluster) if cluster.network_sets else None

    def of(self, endpoint: Pod | HostEndpoint | IPAddress, address: IPAddress | None) -> EndpointView:
        if self._network_sets is None and type(endpoint) is Pod and not endpoint.host_network:
            # The common case first (a pod seen by its key alone), for the diff's many packets.
            found = self._views.get(endpoint.key)
            if found is not None:
                return found
        cache_key: object = endpoint.key if isinstance(endpoint, (Pod, HostEndpoint)) else endpoint
        if (isinstance(endpoint, Pod) and endpoint.host_network) or self._network_sets is not None:
            # Seen through the address it uses: each of its IPs may belong to another owner, and
            # to other network sets.
            cache_key = (cache_key, address)
        view = self._views.get(cache_key)
        if view is None:
            view = self._views[cache_key] = self._with_network_sets(self._build(endpoint, address), address)
        return view

    def _with_network_sets(self, view: EndpointView, address: IPAddress | None) -> EndpointView:
        if self._network_sets is None or address is None:
            return view
        holding = self._network_sets.holding(address)
        return replace(view, network_sets=holding) if holding else view

    def _build(self, endpoint: Pod | HostEndpoint | IPAddress, address: IPAddress | None) -> EndpointView:
        if isinstance(endpoint, Pod) and endpoint.host_network:
            return self._by_address(address, f"{endpoint.label} (host network)")
        if isinstance(endpoint, Pod):
            labels = pod_labels(endpoint, self._cluster.namespace(endpoint.namespace).labels)
            return EndpointView(endpoint.label, EndpointKind.POD, labels, endpoint.namespace, endpoint)
        if isinstance(endpoint, HostEndpoint):
            return EndpointView(endpoint.key, EndpointKind.HOST, dict(endpoint.labels), None, endpoint)
        return self._by_address(endpoint, str(endpoint))

    def _by_address(self, address: IPAddress | None, key: str) -> EndpointView:
        """An address is the pod or host endpoint owning it in the state, else outside."""
        owner = self._cluster.endpoint_for_ip(address) if address is not None else None
        if isinstance(owner, (Pod, HostEndpoint)):
            return self._build(owner, address)
        return EndpointView(key, EndpointKind.OUTSIDE)


# --- selector rewrites (AST versions of the update processors' string rewrites) ---------------


def _map_selector(selector: Selector, leaf: object) -> Selector:
    """Rebuild `selector` bottom-up, passing every non-boolean node through `leaf`."""
    if isinstance(selector, Not):
        return Not(_map_selector(selector.operand, leaf))
    if isinstance(selector, (And, Or)):
        return type(selector)(tuple(_map_selector(o, leaf) for o in selector.operands))
    return leaf(selector)  # type: ignore[operator, no-any-return]


def prefix_labels(selector: Selector, prefix: str) -> Selector:
    """Every label name prefixed (upstream parser.PrefixVisitor)."""

    def leaf(node: Selector) -> Selector:
        label = getattr(node, "label", None)
        return replace(node, label=prefix + label) if label is not None else node  # type: ignore[type-var]

    return _map_selector(selector, leaf)


def replace_all(selector: Selector) -> Selector:
    """`all()` → `has(projectcalico.org/namespace)`: "every namespace" means workloads only."""
    return _map_selector(selector, lambda n: _IS_NAMESPACED if isinstance(n, All) else n)


def replace_global(selector: Selector) -> Selector:
    """`global()` → `!has(projectcalico.org/namespace)`: non-namespaced entities only."""
    return _map_selector(selector, lambda n: _IS_GLOBAL if isinstance(n, Global) else n)


def _conjunction(parts: list[Selector]) -> Selector:
    # Not `selectors.and_`: that drops `all()` terms, which a later `replace_all` must still see.
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def namespace_selector_on_endpoints(namespace_selector: Selector) -> Selector:
    """A rule namespaceSelector as a selector over endpoint labels (updateprocessors/rules.go)."""
    return replace_global(replace_all(prefix_labels(namespace_selector, NAMESPACE_LABEL_PREFIX)))


def in_namespace(namespace: str) -> Selector:
    return EqualsSelector(ENDPOINT_NAMESPACE_LABEL, namespace)


def namespaced_policy_selector(selector: Selector | None, namespace: str) -> Selector:
    """A NetworkPolicy selects only workload endpoints of its own namespace."""
    return _conjunction([*([selector] if selector is not None else []), in_namespace(namespace)])


def global_policy_selector(selector: Selector | None, namespace_selector: Selector | None) -> Selector:
    """A GlobalNetworkPolicy's `spec.selector` combined with its `spec.namespaceSelector`.

    Without a namespaceSelector the selector is used as written: `all()` (or empty) then selects
    every pod and every host endpoint.
    """
    if namespace_selector is None:
        return selector if selector is not None else All()
    parts = [*([selector] if selector is not None else [])]
    parts.append(prefix_labels(namespace_selector, NAMESPACE_LABEL_PREFIX))
    return replace_all(_conjunction(parts))


@dataclass(frozen=True)
class EntitySelectors:
    """The endpoint constraint of one rule side: `positive` must match, `negative` must not."""

    positive: Selector | None
    negative: Selector | None


def entity_selectors(entity: calico.EntityRule, policy_namespace: str | None) -> EntitySelectors:
    """updateprocessors/rules.go getEndpointSelector: the rule side's selectors as Felix sees them.

    A namespaced policy confines the positive selector to its namespace as soon as any selector
    field is used (a `notSelector` alone included); a global policy without namespaceSelector
    does not confine it at all (pods of every namespace, host endpoints and network sets).
    """
    if entity.namespace_selector is not None:
        scope: Selector | None = namespace_selector_on_endpoints(entity.namespace_selector)
    elif policy_namespace is not None:
        scope = in_namespace(policy_namespace)
    else:
        scope = None
    positive = entity.selector
    if scope is not None and entity.has_endpoint_constraint:
        positive = scope if positive is None else And((scope, positive))
    return EntitySelectors(positive, entity.not_selector)


def effective_types(spec: calico.PolicySpec) -> frozenset[Direction]:
    """The directions a policy governs. An absent `types` gets Calico's create-time defaulting
    through `calico.default_types`, the one defaulting function (a no-op on loaded policies)."""
    return frozenset(calico.default_types(spec).types)
