"""Parsers of Calico kinds (projectcalico.org/v3 as calicoctl prints them, crd.projectcalico.org/v1).

Each document is checked against `schemas/calico-<kind>.schema.json` (structure and types)
and against Calico's own rules
(`translator.load.calico_rules`). A policy with any error is dropped and the loader refuses the
input. Fields np2calico cannot evaluate (application-layer `http`, `serviceAccounts`, ICMP type
matches, untracked/pre-DNAT/forwarded policies) are errors that
name the field: never silently skipped. Rule `metadata` (annotations) and `performanceHints`
change no verdict and are ignored.

Absent `types` are defaulted once, by `translator.model.calico.default_types`. A staged policy
with `stagedAction: Delete` keeps only its tier and is not defaulted (it is never evaluated).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from typing import Any

from translator.errors import Diagnostics, Location
from translator.load import calico_rules as rules
from translator.load import fields
from translator.load.names import dns1123_label_errors, dns1123_subdomain_errors, port_name_errors
from translator.load.registry import LoadContext, Parser
from translator.model import calico
from translator.model.calico import Action, EntityRule, Metadata, PolicySpec, Rule, StagedAction
from translator.model.cluster import ContainerPort, HostEndpoint, NetworkSet
from translator.model.common import Direction, IPNetwork
from translator.selectors import Selector

API_VERSIONS = ("projectcalico.org/v3", "crd.projectcalico.org/v1")
NAMESPACED_POLICY_KINDS = ("NetworkPolicy", "StagedNetworkPolicy")
GLOBAL_POLICY_KINDS = ("GlobalNetworkPolicy", "StagedGlobalNetworkPolicy")

_SPEC_UNSUPPORTED = {
    "serviceAccountSelector": "selecting endpoints by service account is not modelled",
}
_GLOBAL_SPEC_FLAGS = {
    "doNotTrack": "untracked policies run before connection tracking and are not modelled",
    "preDNAT": "pre-DNAT policies are not modelled",
    "applyOnForward": "forwarded traffic through host endpoints is not modelled",
}
_RULE_UNSUPPORTED = {
    "http": "application-layer (HTTP) matches are not modelled",
    "icmp": "ICMP type/code matches are not modelled",
    "notICMP": "ICMP type/code matches are not modelled",
}
_ENTITY_UNSUPPORTED = {
    "serviceAccounts": "service account matches are not modelled",
}
_DELETE_KEEPS = ("tier", "stagedAction")


def schema_file(kind: str) -> str:
    return f"calico-{kind.lower()}.schema.json"


def _check_schema(body: Mapping[str, Any], loc: Location, diags: Diagnostics) -> None:
    """Structure and types. The parse goes on after a failure (reading wrongly typed values as
    absent), so one run reports the value-level problems of the same document too."""
    from translator.load.schema import check_schema

    check_schema(body, schema_file(str(body.get("kind"))), loc, diags)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _order(spec: Mapping[str, Any], loc: Location, diags: Diagnostics) -> float | None:
    """`spec.order`; YAML's .nan and .inf are numbers to the schema, but no JSON number and no
    order (a NaN compares false with everything, so the policy order would be meaningless)."""
    order = _number(spec.get("order"))
    if order is not None and not math.isfinite(order):
        diags.error(loc.child("order"), f"must be a finite number, not {order}")
        return None
    return order


def _int_or_text(value: Any) -> int | str | None:
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


def _enum_value(enum: Any, value: Any, default: Any) -> Any:
    return enum(value) if isinstance(value, str) and value in {e.value for e in enum} else default


def _loaded(diags: Diagnostics, mark: int) -> bool:
    return not diags.errors_since(mark)


# --- metadata -------------------------------------------------------------------------------


def _metadata(
    body: Mapping[str, Any], loc: Location, diags: Diagnostics, ctx: LoadContext, namespaced: bool
) -> Metadata:
    meta = fields.mapping(body.get("metadata"))
    here = loc.child("metadata")
    name = fields.text(meta.get("name")) or ""
    namespace = None
    if namespaced:
        namespace = fields.object_namespace(meta, loc, diags, ctx, dns1123_label_errors)
    labels = fields.labels(meta.get("labels"), here.child("labels"), diags)
    given = fields.mapping(meta.get("annotations"))
    annotations = {str(k): v for k, v in given.items() if isinstance(v, str)}
    rules.check_annotations(annotations, here.child("annotations"), diags)
    return Metadata(name, namespace, tuple(sorted(labels.items())), tuple(sorted(annotations.items())))


# --- policies -------------------------------------------------------------------------------


def parse_policy(
    body: Mapping[str, Any], loc: Location, diags: Diagnostics, ctx: LoadContext
) -> calico.NetworkPolicy | calico.GlobalNetworkPolicy | None:
    """NetworkPolicy, GlobalNetworkPolicy and their Staged kinds."""
    mark = len(diags.items)
    _check_schema(body, loc, diags)
    kind = str(body["kind"])
    is_global = kind in GLOBAL_POLICY_KINDS
    metadata = _metadata(body, loc, diags, ctx, namespaced=not is_global)
    spec_body = fields.mapping(body.get("spec"))
    spec_loc = loc.child("spec")
    staged_action = _staged_action(kind, spec_body, spec_loc, diags)
    if staged_action is StagedAction.DELETE:
        spec = _deleted_spec(spec_body, spec_loc, diags)
    else:
        spec = calico.default_types(_policy_spec(spec_body, spec_loc, diags))
    _check_policy_name(metadata.name, spec.tier, loc.child("metadata").child("name"), diags)
    namespace_selector = _global_namespace_selector(spec_body, spec_loc, diags) if is_global else None
    rules.check_service_namespaces(spec, is_global, spec_loc, diags)
    if not _loaded(diags, mark):
        return None
    if is_global:
        return calico.GlobalNetworkPolicy(metadata, spec, namespace_selector, staged_action, origin=loc)
    return calico.NetworkPolicy(metadata, spec, staged_action, origin=loc)


def _check_policy_name(name: str, tier: str, loc: Location, diags: Diagnostics) -> None:
    if not name:
        return  # the schema reported the missing name
    rules.check_policy_name(name, loc, diags)
    rules.check_tier_prefix(name, tier, loc, diags)


def _staged_action(
    kind: str, spec: Mapping[str, Any], loc: Location, diags: Diagnostics
) -> StagedAction | None:
    if not kind.startswith("Staged"):
        return None
    value = spec.get("stagedAction", StagedAction.SET.value)  # the CRD's default
    if not isinstance(value, str):
        return StagedAction.SET  # the schema reported the type
    if value not in (StagedAction.SET.value, StagedAction.DELETE.value):
        message = f"np2calico cannot evaluate stagedAction {value!r}: only Set and Delete"
        diags.error(loc.child("stagedAction"), message)
        return StagedAction.SET
    return StagedAction(value)


def _deleted_spec(spec: Mapping[str, Any], loc: Location, diags: Diagnostics) -> PolicySpec:
    """A staged Delete names the policy to delete: nothing but `tier` may be set (validator.go)."""
    for key, value in spec.items():
        if key not in _DELETE_KEEPS and value not in (None, "", [], {}, False):
            diags.error(loc.child(key), "must not be set when stagedAction is Delete (only tier may be)")
    tier = fields.text(spec.get("tier")) or calico.DEFAULT_TIER
    rules.check_tier_name(tier, loc.child("tier"), diags)
    return PolicySpec(tier=tier)


def _policy_spec(spec: Mapping[str, Any], loc: Location, diags: Diagnostics) -> PolicySpec:
    if spec.get("serviceAccountSelector"):
        rules.unsupported(spec, _SPEC_UNSUPPORTED, loc, diags)
    for flag, why in _GLOBAL_SPEC_FLAGS.items():
        if spec.get(flag):
            diags.error(loc.child(flag), f"np2calico cannot evaluate {flag}: true: {why}")
    tier = fields.text(spec.get("tier")) or calico.DEFAULT_TIER
    rules.check_tier_name(tier, loc.child("tier"), diags)
    selector = _selector(spec, "selector", loc, diags)
    rules.check_no_global(selector, loc.child("selector"), diags)
    types = (_enum_value(Direction, t, None) for t in fields.items(spec.get("types")))
    return PolicySpec(
        tier=tier,
        order=_order(spec, loc, diags),
        selector=selector,
        types=tuple(t for t in types if t is not None),
        ingress=_rules(spec.get("ingress"), Direction.INGRESS, loc, diags),
        egress=_rules(spec.get("egress"), Direction.EGRESS, loc, diags),
    )


def _global_namespace_selector(
    spec: Mapping[str, Any], loc: Location, diags: Diagnostics
) -> Selector | None:
    selector = _selector(spec, "namespaceSelector", loc, diags)
    rules.check_no_global(selector, loc.child("namespaceSelector"), diags)
    return selector


def _selector(body: Mapping[str, Any], key: str, loc: Location, diags: Diagnostics) -> Selector | None:
    """A selector field; absent or empty is None (no constraint), as Calico reads it."""
    text = fields.text(body.get(key)) or ""
    return rules.parse_selector_field(text, loc.child(key), diags) if text else None


# --- rules ----------------------------------------------------------------------------------


def _rules(values: Any, direction: Direction, spec_loc: Location, diags: Diagnostics) -> tuple[Rule, ...]:
    loc = spec_loc.child(direction.value.lower())
    parsed = tuple(_rule(fields.mapping(v), loc.child(i), diags) for i, v in enumerate(fields.items(values)))
    for index, rule in enumerate(parsed):
        rules.check_service_sides(rule, direction, loc.child(index), diags)
    return parsed


def _rule(body: Mapping[str, Any], loc: Location, diags: Diagnostics) -> Rule:
    rules.unsupported(body, _RULE_UNSUPPORTED, loc, diags)
    protocol = _protocol(body, "protocol", loc, diags)
    not_protocol = _protocol(body, "notProtocol", loc, diags)
    ip_version = body.get("ipVersion") if body.get("ipVersion") in (4, 6) else None
    source, source_nets = _entity(fields.mapping(body.get("source")), loc.child("source"), diags)
    destination, destination_nets = _entity(
        fields.mapping(body.get("destination")), loc.child("destination"), diags
    )
    _check_ports_need_protocol(body, protocol, loc, diags)
    rules.check_ip_families({**source_nets, **destination_nets}, ip_version, diags)
    rules.check_icmp_version(protocol, ip_version, loc.child("ipVersion"), diags)
    rules.check_icmp_version(not_protocol, ip_version, loc.child("ipVersion"), diags)
    # An invalid or missing action was reported by the schema; the rule is then never used.
    action = _enum_value(Action, body.get("action"), Action.DENY)
    return Rule(action, protocol, not_protocol, ip_version, source, destination)


def _protocol(body: Mapping[str, Any], key: str, loc: Location, diags: Diagnostics) -> Any:
    value = _int_or_text(body.get(key))
    return rules.parse_protocol(value, loc.child(key), diags) if value is not None else None


def _check_ports_need_protocol(
    body: Mapping[str, Any], protocol: Any, loc: Location, diags: Diagnostics
) -> None:
    """Ports need a protocol with ports (libcalico-go validator.go `validateRule`).

    Without any protocol, v3.32 accepts named ports (they match the named port of whatever
    protocol the endpoint declares it for) and refuses only numbers and ranges; v3.31 refused
    every port, so named ones get a version warning. A protocol without ports (ICMP…) refuses all.
    """
    if rules.supports_ports(protocol):
        return
    for side in ("source", "destination"):
        entity = fields.mapping(body.get(side))
        for key in ("ports", "notPorts"):
            items = fields.items(entity.get(key))
            if items:
                _check_port_list_protocol(items, protocol is None, loc.child(side).child(key), diags)


def _is_port_name(item: Any) -> bool:
    return isinstance(item, str) and not re.fullmatch(r"\s*\d+\s*(:\s*\d+\s*)?", item)


def _check_port_list_protocol(items: list[Any], no_protocol: bool, loc: Location, diags: Diagnostics) -> None:
    if not no_protocol:
        diags.error(loc, "rules that specify ports must set protocol to TCP, UDP or SCTP")
    elif not all(_is_port_name(i) for i in items):
        diags.error(loc, "rules with numeric port or port range must set protocol to TCP, UDP or SCTP")
    else:
        diags.warning(
            loc,
            "not valid for Calico v3.31: named ports without a protocol (v3.32 and later accept them; "
            "they match the name for any protocol the endpoint declares it with)",
        )


def _entity(
    body: Mapping[str, Any], loc: Location, diags: Diagnostics
) -> tuple[EntityRule, dict[Location, tuple[IPNetwork, ...]]]:
    """A rule side, and its nets by field (for the one-IP-family check of the whole rule)."""
    rules.unsupported(body, _ENTITY_UNSUPPORTED, loc, diags)
    selector = _selector(body, "selector", loc, diags)
    rules.check_no_global(selector, loc.child("selector"), diags)
    namespace_selector = _selector(body, "namespaceSelector", loc, diags)
    rules.check_global_alone(namespace_selector, loc.child("namespaceSelector"), diags)
    nets = rules.parse_nets(fields.items(body.get("nets")), loc.child("nets"), diags)
    not_nets = rules.parse_nets(fields.items(body.get("notNets")), loc.child("notNets"), diags)
    rules.check_not_everything(not_nets, loc.child("notNets"), diags)
    entity = EntityRule(
        selector=selector,
        not_selector=_selector(body, "notSelector", loc, diags),
        namespace_selector=namespace_selector,
        nets=nets,
        not_nets=not_nets,
        ports=rules.parse_ports(fields.items(body.get("ports")), loc.child("ports"), diags),
        not_ports=rules.parse_ports(fields.items(body.get("notPorts")), loc.child("notPorts"), diags),
        services=rules.parse_services(body, loc, diags),
    )
    return entity, {loc.child("nets"): nets, loc.child("notNets"): not_nets}


# --- tiers ----------------------------------------------------------------------------------

# Built-in tiers whose settings Calico enforces (v3.32.1 CRD CEL rules and validateTier).
_BUILT_IN_TIERS: dict[str, tuple[Action, float | None]] = {
    "default": (Action.DENY, calico.DEFAULT_TIER_ORDER),
    "kube-admin": (Action.PASS, None),
    "kube-baseline": (Action.PASS, None),
}


def parse_tier(
    body: Mapping[str, Any], loc: Location, diags: Diagnostics, ctx: LoadContext
) -> calico.Tier | None:
    mark = len(diags.items)
    _check_schema(body, loc, diags)
    metadata = _metadata(body, loc, diags, ctx, namespaced=False)
    if metadata.name:  # a missing name is a schema error
        rules.check_tier_name(metadata.name, loc.child("metadata").child("name"), diags)
    spec = fields.mapping(body.get("spec"))
    order = _order(spec, loc.child("spec"), diags)
    action = _enum_value(Action, spec.get("defaultAction", Action.DENY.value), Action.DENY)
    _check_built_in_tier(metadata.name, action, order, loc.child("spec"), diags)
    if not _loaded(diags, mark):
        return None
    return calico.Tier(metadata.name, order, action)


def _check_built_in_tier(
    name: str, action: Action, order: float | None, loc: Location, diags: Diagnostics
) -> None:
    if name not in _BUILT_IN_TIERS:
        return
    required_action, required_order = _BUILT_IN_TIERS[name]
    if action is not required_action:
        message = f"the {name!r} tier must have default action {required_action.value!r}"
        diags.error(loc.child("defaultAction"), message)
    if required_order is not None and order is not None and order != required_order:
        diags.error(loc.child("order"), f"the {name!r} tier order must be {int(required_order)}")


# --- StagedKubernetesNetworkPolicy ----------------------------------------------------------


def parse_staged_kubernetes_policy(
    body: Mapping[str, Any], loc: Location, diags: Diagnostics, ctx: LoadContext
) -> calico.StagedKubernetesNetworkPolicy | None:
    """A Kubernetes NetworkPolicy spec plus `stagedAction`, read by the Kubernetes spec parser."""
    from translator.load.k8s import network_policy_from_spec

    mark = len(diags.items)
    _check_schema(body, loc, diags)
    metadata = _metadata(body, loc, diags, ctx, namespaced=True)
    name_loc = loc.child("metadata").child("name")
    if metadata.name:  # a missing name is a schema error
        fields.report(diags, name_loc, f"name {metadata.name!r}", dns1123_subdomain_errors(metadata.name))
    spec = fields.mapping(body.get("spec"))
    spec_loc = loc.child("spec")
    action = _staged_action("StagedKubernetesNetworkPolicy", spec, spec_loc, diags) or StagedAction.SET
    if action is StagedAction.DELETE:
        for key in spec:
            if key != "stagedAction" and spec[key] not in (None, [], {}):
                diags.error(spec_loc.child(key), "must not be set when stagedAction is Delete")
    assert metadata.namespace is not None
    policy = network_policy_from_spec(metadata.namespace, metadata.name, spec, spec_loc, diags, loc)
    if not _loaded(diags, mark):
        return None
    return calico.StagedKubernetesNetworkPolicy(policy, action, origin=loc)


# --- HostEndpoint ---------------------------------------------------------------------------


def parse_host_endpoint(
    body: Mapping[str, Any], loc: Location, diags: Diagnostics, ctx: LoadContext
) -> HostEndpoint | None:
    mark = len(diags.items)
    _check_schema(body, loc, diags)
    metadata = _metadata(body, loc, diags, ctx, namespaced=False)
    if metadata.name:  # a missing name is a schema error
        rules.check_resource_name(metadata.name, loc.child("metadata").child("name"), diags)
    spec = fields.mapping(body.get("spec"))
    here = loc.child("spec")
    interface = fields.text(spec.get("interfaceName")) or None
    if interface:
        rules.check_interface_name(interface, here.child("interfaceName"), diags)
    elif not fields.items(spec.get("expectedIPs")):
        diags.error(here, "at least one of interfaceName or expectedIPs must be specified")
    ip_loc, port_loc = here.child("expectedIPs"), here.child("ports")
    ips = [
        fields.parse_ip(ip, ip_loc.child(i), diags)
        for i, ip in enumerate(fields.items(spec.get("expectedIPs")))
        if isinstance(ip, str)
    ]
    ports = [
        _endpoint_port(fields.mapping(p), port_loc.child(i), diags)
        for i, p in enumerate(fields.items(spec.get("ports")))
    ]
    for i, profile in enumerate(fields.items(spec.get("profiles"))):
        if isinstance(profile, str) and dns1123_subdomain_errors(profile):
            # Profile names are resource names (`knp.default.x`, `kns.dev`): lower-case DNS subdomains.
            problems = dns1123_subdomain_errors(profile)
            fields.report(diags, here.child("profiles").child(i), f"profile name {profile!r}", problems)
    if not _loaded(diags, mark):
        return None
    return HostEndpoint(
        name=metadata.name,
        node=str(spec.get("node", "")),
        interface=interface,
        labels=dict(metadata.labels),
        expected_ips=tuple(ip for ip in ips if ip is not None),
        profiles=tuple(p for p in fields.items(spec.get("profiles")) if isinstance(p, str)),
        ports=tuple(p for p in ports if p is not None),
    )


# --- GlobalNetworkSet, NetworkSet ------------------------------------------------------------


NETWORK_SET_RESERVED_LABEL = "projectcalico.org/namespace"


def parse_network_set(
    body: Mapping[str, Any], loc: Location, diags: Diagnostics, ctx: LoadContext
) -> NetworkSet | None:
    """A GlobalNetworkSet or a namespaced NetworkSet (cluster state: labelled `spec.nets`)."""
    mark = len(diags.items)
    _check_schema(body, loc, diags)
    namespaced = body.get("kind") == "NetworkSet"
    metadata = _metadata(body, loc, diags, ctx, namespaced=namespaced)
    if metadata.name:  # a missing name is a schema error
        rules.check_resource_name(metadata.name, loc.child("metadata").child("name"), diags)
    spec = fields.mapping(body.get("spec"))
    if fields.items(spec.get("allowedEgressDomains")):
        # Domain-name members need DNS answers np2calico does not have: refuse, never ignore.
        diags.error(loc.child("spec").child("allowedEgressDomains"), "domain-name members are not modelled")
    if NETWORK_SET_RESERVED_LABEL in dict(metadata.labels):
        # Calico writes it (the set's namespace); its validator refuses it on every network set.
        diags.error(loc.child("metadata").child("labels").child(NETWORK_SET_RESERVED_LABEL),
                    "reserved: Calico writes it (a NetworkSet's namespace) and refuses it on network sets")
    nets_loc = loc.child("spec").child("nets")
    nets = [
        _network_set_net(text, nets_loc.child(i), diags)
        for i, text in enumerate(fields.items(spec.get("nets")))
        if isinstance(text, str)
    ]
    if not _loaded(diags, mark):
        return None
    return NetworkSet(
        name=metadata.name,
        namespace=metadata.namespace,
        labels=dict(metadata.labels),
        nets=tuple(dict.fromkeys(n for n in nets if n is not None)),
        origin=loc,
    )


def _network_set_net(text: str, loc: Location, diags: Diagnostics) -> IPNetwork | None:
    """A CIDR, or a bare IP (Calico's validator reads nets with ParseCIDROrIP: a /32 or /128)."""
    if "/" not in text and text:
        address = fields.parse_ip(text, loc, diags)
        return ipaddress.ip_network(address) if address is not None else None
    return fields.parse_cidr(text, loc, diags)


def _endpoint_port(body: Mapping[str, Any], loc: Location, diags: Diagnostics) -> ContainerPort | None:
    name, number = fields.text(body.get("name")), fields.integer(body.get("port"))
    if name is not None:
        fields.report(diags, loc.child("name"), f"port name {name!r}", port_name_errors(name))
    value = _int_or_text(body.get("protocol"))
    protocol = rules.parse_protocol(value, loc.child("protocol"), diags) if value is not None else None
    if protocol is None or name is None or number is None:
        return None
    # A named port needs a protocol with ports (validateEndpointPort): TCP/6, UDP/17, SCTP/132.
    if protocol.port_protocol is None:
        diags.error(loc.child("protocol"), "a named port needs protocol TCP, UDP or SCTP")
        return None
    return ContainerPort(port=number, protocol=protocol.port_protocol, name=name)


def _parsers() -> dict[tuple[str, str], Parser]:
    by_kind: dict[str, Parser] = {
        "NetworkPolicy": parse_policy,
        "GlobalNetworkPolicy": parse_policy,
        "StagedNetworkPolicy": parse_policy,
        "StagedGlobalNetworkPolicy": parse_policy,
        "StagedKubernetesNetworkPolicy": parse_staged_kubernetes_policy,
        "Tier": parse_tier,
        "HostEndpoint": parse_host_endpoint,
        "GlobalNetworkSet": parse_network_set,
        "NetworkSet": parse_network_set,
    }
    return {(api, kind): parser for api in API_VERSIONS for kind, parser in by_kind.items()}


PARSERS: dict[tuple[str, str], Parser] = _parsers()
