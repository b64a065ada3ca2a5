"""Parsers of Kubernetes kinds: networking.k8s.io/v1 NetworkPolicy, v1 Namespace and v1 Pod.

Validation follows `pkg/apis/networking/validation/validation.go` and apimachinery's name and
label rules (semantics.md §1.6): the JSON Schema checks structure and types, the code below the
value rules. Every problem is reported at its field path, and a policy with any error is
dropped (the loader then refuses the whole input). Valid policies leave through
`translator.model.k8s.normalise`, the one place Kubernetes defaulting happens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from typing import Any

from translator.errors import Diagnostics, Location
from translator.load import fields
from translator.load.fields import integer, items, mapping, report, text
from translator.load.names import (
    dns1123_label_errors,
    dns1123_subdomain_errors,
    label_value_errors,
    port_name_errors,
    qualified_name_errors,
)
from translator.load.registry import LoadContext, Parser
from translator.load.schema import check_schema, location_at
from translator.model.cluster import NAMESPACE_NAME_LABEL, ContainerPort, Namespace, Pod
from translator.model.common import (
    Direction,
    IPAddress,
    LabelSelector,
    LabelSelectorRequirement,
    Protocol,
    SelectorOperator,
)
from translator.model.k8s import (
    IPBlock,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    normalise,
)

NETWORK_POLICY_SCHEMA = "networkpolicy.schema.json"
NAMESPACE_SCHEMA = "namespace.schema.json"
POD_SCHEMA = "pod.schema.json"

_OPERATORS = {op.value: op for op in SelectorOperator}
_PROTOCOLS = {p.value: p for p in Protocol}
_DIRECTIONS = {d.value: d for d in Direction}
_PEER_FIELDS = ("podSelector", "namespaceSelector", "ipBlock")


# --- NetworkPolicy ----------------------------------------------------------------------------


def parse_network_policy(
    body: Mapping[str, Any], loc: Location, diags: Diagnostics, ctx: LoadContext
) -> NetworkPolicy | None:
    """A normalised NetworkPolicy, or None when the document has any error."""
    mark = len(diags.items)
    check_schema(body, NETWORK_POLICY_SCHEMA, loc, diags)
    meta = mapping(body.get("metadata"))
    name = fields.object_name(meta, loc, diags, dns1123_subdomain_errors)
    namespace = fields.object_namespace(meta, loc, diags, ctx, dns1123_label_errors)
    if meta.get("labels"):
        fields.labels(meta.get("labels"), loc.child("metadata").child("labels"), diags)
    if meta.get("annotations"):
        fields.validate_annotations(meta.get("annotations"), loc, diags)
    policy = network_policy_from_spec(namespace, name or "", body.get("spec"), loc.child("spec"), diags, loc)
    return policy if not diags.errors_since(mark) else None


def network_policy_from_spec(
    namespace: str, name: str, spec: Any, loc: Location, diags: Diagnostics, origin: Location | None = None
) -> NetworkPolicy:
    """Check and build a NetworkPolicy from its `spec` (also used for StagedKubernetesNetworkPolicy).

    Problems go to `diags`; the returned policy is normalised but only meaningful when none was
    an error.
    """
    body = mapping(spec)
    policy = NetworkPolicy(
        namespace=namespace,
        name=name,
        pod_selector=parse_label_selector(body.get("podSelector"), loc.child("podSelector"), diags),
        policy_types=_policy_types(body.get("policyTypes")),
        ingress=_rules(body.get("ingress"), "from", loc.child("ingress"), diags),
        egress=_rules(body.get("egress"), "to", loc.child("egress"), diags),
        origin=origin,
    )
    return normalise(policy)


def _policy_types(value: Any) -> tuple[Direction, ...]:
    # Enum and length are schema checks; upstream accepts a repeated type, which means nothing more.
    known = [_DIRECTIONS[v] for v in items(value) if isinstance(v, str) and v in _DIRECTIONS]
    return tuple(dict.fromkeys(known))


def _rules(value: Any, peers_field: str, loc: Location, diags: Diagnostics) -> tuple[NetworkPolicyRule, ...]:
    return tuple(_rule(rule, peers_field, loc.child(i), diags) for i, rule in enumerate(items(value)))


def _rule(value: Any, peers_field: str, loc: Location, diags: Diagnostics) -> NetworkPolicyRule:
    body = mapping(value)  # `null` decodes to the zero rule, as in Go
    # Locations are built only for fields that are there: loading 10,000 policies makes ~10^5.
    port_values, peer_values = items(body.get("ports")), items(body.get(peers_field))
    ports_loc = loc.child("ports") if port_values else loc
    peers_loc = loc.child(peers_field) if peer_values else loc
    ports = tuple(_port(p, ports_loc.child(i), diags) for i, p in enumerate(port_values))
    peers = tuple(_peer(p, peers_loc.child(i), diags) for i, p in enumerate(peer_values))
    if not port_values and not peer_values:
        # Often a stray `-` or `{}`; Kubernetes reads it as "everything", so say so.
        side = "from every source" if peers_field == "from" else "to every destination"
        diags.warning(loc, f"an empty rule allows all traffic {side} on every port")
    return NetworkPolicyRule(ports=ports, peers=peers)


def _port(value: Any, loc: Location, diags: Diagnostics) -> NetworkPolicyPort:
    body = mapping(value)
    given = body.get("protocol")
    protocol = _PROTOCOLS.get(given) if isinstance(given, str) else None
    end_port = integer(body.get("endPort"))
    raw_port = body.get("port")
    port: int | str | None = text(raw_port) if isinstance(raw_port, str) else integer(raw_port)
    if isinstance(port, str):
        _check_port_name(port, loc.child("port"), diags)
        if end_port is not None:
            diags.error(loc.child("endPort"), "may not be specified when `port` is non-numeric")
    elif port is None and end_port is not None and raw_port is None:
        diags.error(loc.child("endPort"), "may not be specified when `port` is not specified")
    elif port is not None and end_port is not None and end_port < port:
        diags.error(loc.child("endPort"), f"{end_port} must be greater than or equal to `port` ({port})")
    return NetworkPolicyPort(protocol=protocol, port=port, end_port=end_port)


def _check_port_name(name: str, loc: Location, diags: Diagnostics) -> None:
    problems = port_name_errors(name)
    if problems and name.isdigit():
        problems.append(f"write {name} without quotes for a port number")
    report(diags, loc, f"port name {name!r}", problems)


def _peer(value: Any, loc: Location, diags: Diagnostics) -> NetworkPolicyPeer:
    body = mapping(value)
    present = [f for f in _PEER_FIELDS if body.get(f) is not None]
    if not present:
        diags.error(loc, "must specify a peer: podSelector, namespaceSelector or ipBlock")
    elif "ipBlock" in present and len(present) > 1:
        diags.error(loc, "may not specify both ipBlock and another peer")
    ip_block = body.get("ipBlock")
    return NetworkPolicyPeer(
        pod_selector=_optional_selector(body, "podSelector", loc, diags),
        namespace_selector=_optional_selector(body, "namespaceSelector", loc, diags),
        ip_block=None if ip_block is None else _ip_block(ip_block, loc.child("ipBlock"), diags),
    )


def _optional_selector(
    peer: Mapping[str, Any], field: str, loc: Location, diags: Diagnostics
) -> LabelSelector | None:
    value = peer.get(field)
    return None if value is None else parse_label_selector(value, loc.child(field), diags)


def _ip_block(value: Any, loc: Location, diags: Diagnostics) -> IPBlock | None:
    body = mapping(value)
    cidr_text = text(body.get("cidr"))
    if cidr_text is None:
        return None  # a missing or mistyped cidr the schema reported
    cidr = fields.parse_cidr(cidr_text, loc.child("cidr"), diags)
    excepts = []
    except_values = items(body.get("except"))
    except_loc = loc.child("except") if except_values else loc
    for i, entry in enumerate(except_values):
        if not isinstance(entry, str):
            continue
        here = except_loc.child(i)
        excluded = fields.parse_cidr(entry, here, diags)
        if cidr is None or excluded is None:
            continue
        if excluded.version != cidr.version:
            diags.error(here, f"{entry!r} is not of the same IP family as `cidr` {cidr}")
        elif not (excluded.subnet_of(cidr) and excluded.prefixlen > cidr.prefixlen):  # type: ignore[arg-type]
            diags.error(here, f"{entry!r} must be a strict subset of `cidr` {cidr}")
        else:
            excepts.append(excluded)
    return IPBlock(cidr, tuple(excepts)) if cidr is not None else None


# --- label selectors --------------------------------------------------------------------------


def parse_label_selector(value: Any, loc: Location, diags: Diagnostics) -> LabelSelector:
    """A Kubernetes LabelSelector; `None` and `{}` both mean "everything"."""
    body = mapping(value)
    labels_value, expression_values = body.get("matchLabels"), items(body.get("matchExpressions"))
    # An absent or empty field has nothing to report: skip building its location.
    match_labels = fields.labels(labels_value, loc.child("matchLabels"), diags) if labels_value else {}
    expressions_loc = loc.child("matchExpressions") if expression_values else loc
    expressions = [_requirement(e, expressions_loc.child(i), diags) for i, e in enumerate(expression_values)]
    return LabelSelector.of(match_labels, *(e for e in expressions if e is not None))


def _requirement(value: Any, loc: Location, diags: Diagnostics) -> LabelSelectorRequirement | None:
    body = mapping(value)
    key = text(body.get("key"))
    key_problems = qualified_name_errors(key) if key is not None else []
    if key_problems:
        report(diags, loc.child("key"), f"label key {key!r}", key_problems)
    values = [v for v in items(body.get("values")) if isinstance(v, str)]
    for i, v in enumerate(values):
        value_problems = label_value_errors(v)
        if value_problems:
            report(diags, loc.child("values").child(i), f"label value {v!r}", value_problems)
    given = body.get("operator")
    operator = _OPERATORS.get(given) if isinstance(given, str) else None
    if operator in (SelectorOperator.IN, SelectorOperator.NOT_IN) and not values:
        diags.error(loc.child("values"), f"must be specified when `operator` is '{operator.value}'")
    if operator in (SelectorOperator.EXISTS, SelectorOperator.DOES_NOT_EXIST) and body.get("values"):
        diags.error(loc.child("values"), f"may not be specified when `operator` is '{operator.value}'")
    if key is None or operator is None:
        return None
    return LabelSelectorRequirement(key, operator, tuple(values))


# --- Namespace and Pod ------------------------------------------------------------------------


def parse_namespace(
    body: Mapping[str, Any], loc: Location, diags: Diagnostics, ctx: LoadContext
) -> Namespace | None:
    """A Namespace with its labels, plus the `kubernetes.io/metadata.name` label the API server sets."""
    mark = len(diags.items)
    check_schema(body, NAMESPACE_SCHEMA, loc, diags)
    meta = mapping(body.get("metadata"))
    name = fields.object_name(meta, loc, diags, dns1123_label_errors)
    labels = fields.labels(meta.get("labels"), loc.child("metadata").child("labels"), diags)
    if meta.get("annotations"):
        fields.validate_annotations(meta.get("annotations"), loc, diags)
    written = labels.get(NAMESPACE_NAME_LABEL)
    if name and written is not None and written != name:
        diags.warning(
            loc.child("metadata").child("labels").child(NAMESPACE_NAME_LABEL),
            f"the API server sets this label to the namespace name: using {name!r}, not {written!r}",
        )
    if name is None or diags.errors_since(mark):
        return None
    return Namespace.create(name, labels)


def parse_pod(body: Mapping[str, Any], loc: Location, diags: Diagnostics, ctx: LoadContext) -> Pod | None:
    """A Pod: namespace, labels, IPs, host network, service account and container ports.

    A snapshot holds many: locations below the document are built only for a problem."""
    mark = len(diags.items)
    check_schema(body, POD_SCHEMA, loc, diags)
    meta = mapping(body.get("metadata"))
    name = fields.object_name(meta, loc, diags, dns1123_subdomain_errors)
    namespace = fields.object_namespace(meta, loc, diags, ctx, dns1123_label_errors)
    labels = fields.labels(meta.get("labels"), loc, diags, ("metadata", "labels"))
    if meta.get("annotations"):
        fields.validate_annotations(meta.get("annotations"), loc, diags)
    spec = mapping(body.get("spec"))
    pod = Pod(
        namespace=namespace,
        name=name or "",
        labels=labels,
        ips=_pod_ips(mapping(body.get("status")), loc, diags),
        ports=container_ports(spec, loc, diags, "spec"),
        service_account=text(spec.get("serviceAccountName")) or text(spec.get("serviceAccount")) or "default",
        host_network=spec.get("hostNetwork") is True,
    )
    return pod if name and not diags.errors_since(mark) else None


def _pod_ips(status: Mapping[str, Any], loc: Location, diags: Diagnostics) -> tuple[IPAddress, ...]:
    """`status.podIPs` (dual stack), and `status.podIP` for older servers that print only that."""
    found: dict[IPAddress, None] = {}
    for i, entry in enumerate(items(status.get("podIPs"))):
        value = text(mapping(entry).get("ip"))
        if value:
            _add_ip(found, value, partial(_status_location, loc, "podIPs", i, "ip"), diags)
    single = text(status.get("podIP"))
    if single:
        _add_ip(found, single, partial(_status_location, loc, "podIP"), diags)
    return tuple(found)


def _status_location(document: Location, *steps: str | int) -> Location:
    return location_at(document.child("status"), steps)


def _add_ip(
    found: dict[IPAddress, None], value: str, where: Callable[[], Location], diags: Diagnostics
) -> None:
    """Add the address `value`; the location is built only for an error (most pods have none)."""
    ip = fields.ip_or_none(value)
    if ip is None:
        fields.parse_ip(value, where(), diags)
    else:
        found[ip] = None


def container_ports(
    spec: Mapping[str, Any], loc: Location, diags: Diagnostics, under: str | None = None
) -> tuple[ContainerPort, ...]:
    """Ports of every container, and of sidecars (init containers with `restartPolicy: Always`);
    `spec` is at `loc` (or at its field `under`)."""
    ports: list[ContainerPort] = []
    for group in ("containers", "initContainers"):
        for i, container in enumerate(items(spec.get(group))):
            body = mapping(container)
            if group == "initContainers" and body.get("restartPolicy") != "Always":
                continue  # a plain init container has exited before any traffic to the pod
            for j, port in enumerate(items(body.get("ports"))):
                where = partial(_port_location, loc, under, group, i, j)
                parsed = _container_port(mapping(port), where, diags)
                if parsed is not None:
                    ports.append(parsed)
    return tuple(ports)


def _port_location(loc: Location, under: str | None, group: str, container: int, port: int) -> Location:
    steps = (group, container, "ports", port) if under is None else (under, group, container, "ports", port)
    return location_at(loc, steps)


def _container_port(
    body: Mapping[str, Any], where: Callable[[], Location], diags: Diagnostics
) -> ContainerPort | None:
    number = integer(body.get("containerPort"))
    name = text(body.get("name")) or None
    if name is not None:
        problems = _port_name_problems(name)
        if problems:
            report(diags, where().child("name"), f"port name {name!r}", list(problems))
    raw_protocol = body.get("protocol") or "TCP"
    protocol = _PROTOCOLS.get(raw_protocol) if isinstance(raw_protocol, str) else None
    if number is None or protocol is None:
        return None
    return ContainerPort(port=number, protocol=protocol, name=name)


@lru_cache(maxsize=4096)
def _port_name_problems(name: str) -> tuple[str, ...]:
    """Port names repeat on every pod of a workload: each is checked once."""
    return tuple(port_name_errors(name))


PARSERS: dict[tuple[str, str], Parser] = {
    ("networking.k8s.io/v1", "NetworkPolicy"): parse_network_policy,
    ("v1", "Namespace"): parse_namespace,
    ("v1", "Pod"): parse_pod,
}
