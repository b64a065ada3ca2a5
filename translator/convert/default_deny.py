"""`--default-deny global`: one GlobalNetworkPolicy that isolates every pod of the covered namespaces.

Intended meaning: a pod of a covered namespace is denied everything, in both directions, except
what its namespace's Kubernetes policies allow and the exceptions written here (DNS to the
cluster DNS pods, UDP and TCP 53; optional NodeLocal DNSCache addresses; optional API server,
by Service default/kubernetes or by its endpoint addresses).
Pods of excluded namespaces keep exactly their Kubernetes semantics.

Its scope is written in `spec.selector` on labels Calico writes onto every workload endpoint after
copying the pod's own (`projectcalico.org/orchestrator == 'k8s' && has(projectcalico.org/namespace)
&& projectcalico.org/namespace not in {…}`), never as a namespaceSelector: Felix evaluates a
namespaceSelector on inherited `pcns.` labels, which a pod's own labels override, so a pod in `dev`
labelled `pcns.projectcalico.org/name: kube-system` would leave a namespaceSelector-scoped default
deny (see `rules.in_namespaces`). The `has(…)` term keeps it positive: made only of `not in`, it
would also select host endpoints and lock nodes out (semantics.md §2.4). The DNS exception names
the DNS namespace the same way.
Its exceptions are Allow rules before its Deny rules, in the same policy; covered namespaces get
no per-namespace explicit deny, so nothing can deny DNS before the exception is reached.
"""

from __future__ import annotations

from collections.abc import Sequence

from translator.convert import naming
from translator.convert.options import (
    APISERVER_SERVICE_NAME,
    APISERVER_SERVICE_NAMESPACE,
    DNS_PORT,
    ApiServerAccess,
    ConvertOptions,
    DefaultDenyOptions,
)
from translator.convert.ordering import DEFAULT_DENY_ORDER
from translator.convert.policies import governed, metadata, staged_action
from translator.convert.rules import K8S_PODS, in_namespaces
from translator.errors import Diagnostics, Location, UsageError
from translator.model.calico import Action, EntityRule, GlobalNetworkPolicy, PolicySpec, Rule, ServiceMatch
from translator.model.cluster import NAMESPACE_NAME_LABEL as K8S_NAMESPACE_LABEL
from translator.model.common import Direction, IPNetwork, PortRange, Protocol, RuleProtocol
from translator.model.k8s import NetworkPolicy as K8sPolicy
from translator.model.k8s import NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule
from translator.selectors import (
    ENDPOINT_NAMESPACE_LABEL,
    And,
    Equals,
    Has,
    In,
    Not,
    NotEquals,
    NotIn,
    Selector,
    and_,
    parse,
)

DEFAULT_DENY_SOURCE = "np2calico --default-deny global"
DNS_PROTOCOLS = (Protocol.UDP, Protocol.TCP)
DNS_PORTS = (PortRange.single(DNS_PORT),)


def dns_selector(options: DefaultDenyOptions) -> Selector:
    try:
        return parse(options.dns_selector)
    except ValueError as exc:
        raise UsageError(f"--dns-selector {options.dns_selector!r}: {exc}") from None


def scope_selector(options: DefaultDenyOptions) -> Selector:
    """Pods of every namespace but the excluded ones, never an entity without a namespace."""
    covered = [K8S_PODS, Has(ENDPOINT_NAMESPACE_LABEL)]
    if not options.exclude_namespaces:
        return and_(covered)
    return and_([*covered, _negate(in_namespaces(options.exclude_namespaces))])


def _negate(selector: Selector) -> Selector:
    if isinstance(selector, Equals):
        return NotEquals(selector.label, selector.value)
    if isinstance(selector, In):
        return NotIn(selector.label, selector.values)
    return Not(selector)


def _by_family(nets: Sequence[IPNetwork]) -> list[tuple[IPNetwork, ...]]:
    """One rule must not mix IPv4 and IPv6 CIDRs (semantics.md §2.5)."""
    families = (tuple(n for n in nets if n.version == v) for v in (4, 6))
    return [f for f in families if f]


def exception_rules(options: DefaultDenyOptions) -> tuple[Rule, ...]:
    """The egress Allow rules placed before the Deny: DNS over UDP and TCP, then the API server."""
    dns_pods = EntityRule(
        selector=and_([K8S_PODS, in_namespaces([options.dns_namespace]), dns_selector(options)]),
        ports=DNS_PORTS,
    )
    rules = [Rule(Action.ALLOW, protocol=RuleProtocol.of(p), destination=dns_pods) for p in DNS_PROTOCOLS]
    for nets in _by_family(options.dns_ips):
        to_cache = EntityRule(nets=nets, ports=DNS_PORTS)
        rules.extend(
            Rule(Action.ALLOW, protocol=RuleProtocol.of(p), destination=to_cache) for p in DNS_PROTOCOLS
        )
    rules.extend(_apiserver_rule(access) for access in options.allow_apiserver)
    return tuple(rules)


def _apiserver_rule(access: ApiServerAccess) -> Rule:
    """Egress to the API server as Calico judges it, after kube-proxy's DNAT: to the endpoints of
    Service default/kubernetes (Felix matches each endpoint address on its own port and protocol,
    so the rule has no ports, which Calico forbids next to `services`), or to the addresses given."""
    if access.net is None:
        service = ServiceMatch(APISERVER_SERVICE_NAME, APISERVER_SERVICE_NAMESPACE)
        return Rule(Action.ALLOW, destination=EntityRule(services=service))
    to_api = EntityRule(nets=(access.net,), ports=access.ports)
    return Rule(Action.ALLOW, protocol=RuleProtocol.of(Protocol.TCP), destination=to_api)


def default_deny_policy(options: ConvertOptions) -> GlobalNetworkPolicy:
    assert options.default_deny is not None
    deny = Rule(Action.DENY)
    spec = PolicySpec(
        tier=options.tier_name,
        order=DEFAULT_DENY_ORDER,
        selector=scope_selector(options.default_deny),
        types=(Direction.INGRESS, Direction.EGRESS),
        ingress=(deny,),
        egress=(*exception_rules(options.default_deny), deny),
    )
    return GlobalNetworkPolicy(
        metadata=metadata(naming.default_deny_name(options.tier), [DEFAULT_DENY_SOURCE]),
        spec=spec,
        staged_action=staged_action(options),
    )


def warn_included_system_namespaces(options: DefaultDenyOptions, diags: Diagnostics) -> None:
    """Lock-out guard: covering a system namespace happens only when asked by name, with a warning."""
    for namespace in options.included_system_namespaces:
        diags.warning(
            Location(file="--include-namespace"),
            f"the global default deny covers system namespace {namespace!r} as asked: its pods lose "
            "every connection no policy allows (the control plane may break)",
        )


# --- redundancy: proven only, never guessed ------------------------------------------------------


def redundancy(policy: K8sPolicy, options: DefaultDenyOptions) -> str | None:
    """Why the default deny makes this (covered) policy redundant, or None when not proven."""
    rules = [(d, r) for d in governed(policy) for r in policy.rules(d)]
    if not rules:
        return "a default deny with no rules; the global default deny isolates these pods already"
    required = _required_labels(dns_selector(options))
    if required is None:
        return None
    if all(d is Direction.EGRESS and _dns_only(r, required, options) for d, r in rules):
        return "allows only DNS to the cluster DNS pods, which the global default deny's DNS exception allows"
    return None


def _required_labels(selector: Selector) -> set[tuple[str, str]] | None:
    """The label pairs a selector of `==` terms requires; None for any other shape."""
    terms = selector.operands if isinstance(selector, And) else (selector,)
    if not all(isinstance(t, Equals) for t in terms):
        return None
    return {(t.label, t.value) for t in terms if isinstance(t, Equals)}


def _dns_only(rule: NetworkPolicyRule, required: set[tuple[str, str]], options: DefaultDenyOptions) -> bool:
    return (
        bool(rule.peers)
        and bool(rule.ports)
        and all(_dns_port(p) for p in rule.ports)
        and all(_dns_peer(p, required, options.dns_namespace) for p in rule.peers)
    )


def _dns_port(port: NetworkPolicyPort) -> bool:
    return port.protocol in DNS_PROTOCOLS and port.port == DNS_PORT and port.end_port in (None, DNS_PORT)


def _dns_peer(peer: NetworkPolicyPeer, required: set[tuple[str, str]], dns_namespace: str) -> bool:
    """Only DNS pods: the namespace is pinned by name and the pod selector requires the DNS labels.

    `kubernetes.io/metadata.name` is set by the API server to the namespace's name (immutable), so
    `matchLabels` on it pins the namespace exactly as the exception's `projectcalico.org/name` does.
    """
    if peer.ip_block is not None or peer.namespace_selector is None or peer.pod_selector is None:
        return False
    pins_namespace = (K8S_NAMESPACE_LABEL, dns_namespace) in peer.namespace_selector.match_labels
    return pins_namespace and required <= set(peer.pod_selector.match_labels)
