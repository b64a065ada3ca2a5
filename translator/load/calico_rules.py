"""Calico's validation rules (semantics.md §2.7; libcalico-go/lib/validator/v3/validator.go).

Each function reads one field that already passed the JSON Schema (so its JSON type is right),
reports every problem at the field's own location, and returns the model value (or None).

Version policy: np2calico's output must be valid for Calico v3.31 and v3.32+. A rule that only
v3.31 enforces (the tier-prefix rule for policy names) is reported as a warning "not valid for
Calico v3.31", so `validate` still accepts the v3.32 object and `--strict` can refuse it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from translator.errors import Diagnostics, Location
from translator.load.fields import parse_cidr
from translator.load.names import port_name_errors, qualified_name_errors
from translator.model.calico import DEFAULT_TIER, PolicySpec, PortSpec, Rule, ServiceMatch
from translator.model.common import (
    MAX_PORT,
    MIN_PORT,
    PROTOCOL_NUMBERS,
    Direction,
    IPNetwork,
    PortRange,
    RuleProtocol,
)
from translator.selectors import And, Global, Not, Or, Selector, SelectorSyntaxError, parse_selector

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_POLICY_NAME = re.compile(rf"^{_DNS_LABEL}(\.{_DNS_LABEL})?$")
_TIER_NAME = re.compile(rf"^{_DNS_LABEL}$")
_SUBDOMAIN = re.compile(rf"^{_DNS_LABEL}(\.{_DNS_LABEL})*$")
_INTERFACE_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,15}$")
NAME_MAX = 253
TIER_NAME_MAX = 63
# Names Calico gives to objects it derives itself (Kubernetes policies, Openstack groups).
RESERVED_PREFIXES = ("knp.", "ossg.")
PROTOCOL_NAMES = tuple(PROTOCOL_NUMBERS)
_NUMERIC = re.compile(r"^[0-9]+$")
_RANGE = re.compile(r"^([0-9]+):([0-9]+)$")


# --- names ----------------------------------------------------------------------------------


def check_policy_name(name: str, loc: Location, diags: Diagnostics) -> None:
    """NetworkPolicy/GlobalNetworkPolicy names: DNS labels joined by at most one dot, ≤ 253."""
    if len(name) > NAME_MAX:
        diags.error(loc, f"name is too long by {len(name) - NAME_MAX} characters (at most {NAME_MAX})")
    reserved = next((p for p in RESERVED_PREFIXES if name.startswith(p)), None)
    if reserved:
        diags.error(
            loc,
            f"the prefix {reserved!r} is reserved for policies Calico derives itself "
            "(load the Kubernetes NetworkPolicy instead)",
        )
    elif not _POLICY_NAME.fullmatch(name):
        diags.error(
            loc,
            "name must be lower case alphanumeric characters or '-', in at most two dot-separated "
            f"parts that start and end with an alphanumeric character (regex: {_POLICY_NAME.pattern})",
        )


def check_tier_prefix(name: str, tier: str, loc: Location, diags: Diagnostics) -> None:
    """Calico v3.29-v3.31 need `<tier>.<name>` outside `default`, and `default.` for dotted names."""
    if tier != DEFAULT_TIER and not name.startswith(f"{tier}."):
        diags.warning(
            loc,
            f"not valid for Calico v3.31: a policy in tier {tier!r} must be named '{tier}.<name>' "
            "(v3.32 and later accept it)",
        )
    elif tier == DEFAULT_TIER and "." in name and not name.startswith("default."):
        diags.warning(
            loc,
            "not valid for Calico v3.31: a dotted policy name in tier 'default' must start with "
            "'default.' (v3.32 and later accept it)",
        )


def check_tier_name(name: str, loc: Location, diags: Diagnostics) -> None:
    if len(name) > TIER_NAME_MAX:
        diags.error(loc, f"name is too long by {len(name) - TIER_NAME_MAX} characters (at most 63)")
    if not _TIER_NAME.fullmatch(name):
        diags.error(
            loc,
            "a tier name must be one DNS label: lower case alphanumeric characters or '-', starting "
            f"and ending with an alphanumeric character, no dot (regex: {_TIER_NAME.pattern})",
        )


def check_resource_name(name: str, loc: Location, diags: Diagnostics) -> None:
    """Other Calico resources (HostEndpoint): a DNS-1123 subdomain of at most 253 characters."""
    if len(name) > NAME_MAX or not _SUBDOMAIN.fullmatch(name):
        diags.error(loc, "name must be a lower case RFC 1123 subdomain of at most 253 characters")


def check_annotations(annotations: Mapping[str, str], loc: Location, diags: Diagnostics) -> None:
    # Upstream lower-cases annotation keys before checking them (validateObjectMetaAnnotations).
    for key in annotations:
        for problem in qualified_name_errors(key.lower()):
            diags.error(loc.child(key), f"invalid annotation key: {problem}")


# --- selectors ------------------------------------------------------------------------------


def parse_selector_field(text: str, loc: Location, diags: Diagnostics) -> Selector | None:
    """Parse a selector field; a syntax error is reported at the field with its column."""
    try:
        return parse_selector(text)
    except SelectorSyntaxError as error:
        diags.error(loc, f"invalid selector {text!r}: {error}")
        return None


def uses_global(selector: Selector) -> bool:
    if isinstance(selector, Global):
        return True
    if isinstance(selector, Not):
        return uses_global(selector.operand)
    if isinstance(selector, (And, Or)):
        return any(uses_global(s) for s in selector.operands)
    return False


def check_no_global(selector: Selector | None, loc: Location, diags: Diagnostics) -> None:
    if selector is not None and uses_global(selector):
        diags.error(loc, "global() can only be used in a rule's namespaceSelector")


def check_global_alone(selector: Selector | None, loc: Location, diags: Diagnostics) -> None:
    if selector is not None and not isinstance(selector, Global) and uses_global(selector):
        diags.error(loc, "global() cannot be combined with other selectors")


# --- protocols and ports --------------------------------------------------------------------


def parse_protocol(value: int | str, loc: Location, diags: Diagnostics) -> RuleProtocol | None:
    """A protocol name (case-sensitive, as the validator's regex) or a number 1-255; a quoted
    number is that number (numorstring.Uint8OrString)."""
    if isinstance(value, str) and _NUMERIC.fullmatch(value):
        value = int(value)
    if isinstance(value, int):
        if not 1 <= value <= 255:
            diags.error(loc, f"protocol number {value} is invalid: must be between 1 and 255")
            return None
        return RuleProtocol.of(value)
    if value not in PROTOCOL_NAMES:
        diags.error(loc, f"protocol name {value!r} is invalid: must be one of {', '.join(PROTOCOL_NAMES)}")
        return None
    return RuleProtocol.of(value)


def supports_ports(protocol: RuleProtocol | None) -> bool:
    """numorstring.Protocol.SupportsPorts: TCP (6), UDP (17), SCTP (132), by name or number."""
    return protocol is not None and protocol.supports_ports


def parse_port(value: int | str, loc: Location, diags: Diagnostics) -> PortSpec | None:
    """A port number, an inclusive range "a:b", or a named port (an IANA service name)."""
    if isinstance(value, int) or _NUMERIC.fullmatch(value):
        return _port_range(int(value), int(value), loc, diags)
    match = _RANGE.fullmatch(value)
    if match:
        return _port_range(int(match[1]), int(match[2]), loc, diags)
    problems = port_name_errors(value)
    for problem in problems:
        diags.error(loc, f"invalid port {value!r}: not a number, a range 'a:b' or a port name: {problem}")
    return None if problems else value


def _port_range(start: int, end: int, loc: Location, diags: Diagnostics) -> PortRange | None:
    if not (MIN_PORT <= start <= MAX_PORT and MIN_PORT <= end <= MAX_PORT):
        diags.error(loc, f"port range invalid, port number must be between {MIN_PORT} and {MAX_PORT}")
        return None
    if start > end:
        diags.error(loc, f"port range invalid: {start}:{end} ends before it starts")
        return None
    return PortRange(start, end)


def parse_ports(values: Iterable[int | str], loc: Location, diags: Diagnostics) -> tuple[PortSpec, ...]:
    # Values of another type were reported by the schema check.
    typed = ((i, v) for i, v in enumerate(values) if isinstance(v, (int, str)) and not isinstance(v, bool))
    parsed = (parse_port(v, loc.child(i), diags) for i, v in typed)
    return tuple(p for p in parsed if p is not None)


# --- nets -----------------------------------------------------------------------------------


def parse_nets(values: Iterable[str], loc: Location, diags: Diagnostics) -> tuple[IPNetwork, ...]:
    """CIDRs as Go's ParseCIDR reads them (a prefix length is required); host bits are masked."""
    parsed = (parse_cidr(text, loc.child(i), diags) for i, text in enumerate(values) if isinstance(text, str))
    return tuple(net for net in parsed if net is not None)


def check_not_everything(nets: tuple[IPNetwork, ...], loc: Location, diags: Diagnostics) -> None:
    """`notNets: [0.0.0.0/0]` (or `::/0`) would exclude every address (semantics.md §2.5).

    Felix refuses such a rule (felix/rules/policy.go, projectcalico/calico#10563, backported to
    v3.29 and v3.30); before that fix it broke iptables programming (projectcalico/calico#9211).
    """
    for index, net in enumerate(nets):
        if net.prefixlen == 0:
            diags.error(loc.child(index), f"notNets {net} excludes every address of its family")


def check_ip_families(
    nets_by_field: Mapping[Location, tuple[IPNetwork, ...]],
    ip_version: int | None,
    diags: Diagnostics,
) -> None:
    """One rule uses one IP family: across nets/notNets of source and destination, and ipVersion."""
    seen: set[int] = set()
    for loc, nets in nets_by_field.items():
        versions = {n.version for n in nets}
        if ip_version is not None and versions - {ip_version}:
            diags.error(loc, f"rule ipVersion {ip_version} doesn't match the CIDR version")
        if len(versions) > 1 or (versions and seen and versions != seen):
            diags.error(loc, "rule contains both IPv4 and IPv6 CIDRs")
        seen |= versions


def check_icmp_version(
    protocol: RuleProtocol | None, ip_version: int | None, loc: Location, diags: Diagnostics
) -> None:
    name = protocol.name if protocol is not None else None
    if name == "ICMP" and ip_version not in (None, 4):
        diags.error(loc, "ipVersion must be 4 with protocol ICMP")
    if name == "ICMPv6" and ip_version not in (None, 6):
        diags.error(loc, "ipVersion must be 6 with protocol ICMPv6")


def check_interface_name(name: str, loc: Location, diags: Diagnostics) -> None:
    if name and name != "*" and not _INTERFACE_NAME.fullmatch(name):
        diags.error(loc, "interfaceName must be '*' or 1-15 characters of [a-zA-Z0-9_.-]")


def unsupported(
    body: Mapping[str, Any], reasons: Mapping[str, str], loc: Location, diags: Diagnostics
) -> None:
    """Report each present field np2calico cannot evaluate, with the reason, never skip it."""
    for name, why in reasons.items():
        if name in body:
            diags.error(loc.child(name), f"np2calico cannot evaluate {name!r}: {why}")


# --- services -------------------------------------------------------------------------------

# Fields a rule side must leave empty when it names `services` (v3.32 EntityRule CEL rules).
_SERVICE_CONFLICTS = {
    "selector": "Selector/NotSelector",
    "notSelector": "Selector/NotSelector",
    "namespaceSelector": "NamespaceSelector",
    "serviceAccounts": "ServiceAccounts",
    "nets": "Nets/NotNets",
    "notNets": "Nets/NotNets",
}


def parse_services(body: Mapping[str, Any], loc: Location, diags: Diagnostics) -> ServiceMatch | None:
    """`services: {name, namespace}`, with the fields it excludes on the same side."""
    given = body.get("services")
    if not isinstance(given, Mapping):
        return None  # absent, or a type error the schema reported
    here = loc.child("services")
    for key, words in _SERVICE_CONFLICTS.items():
        value = body.get(key)
        # Present and not empty (a value of the wrong type was reported by the schema check).
        if value is not None and (key == "serviceAccounts" or not isinstance(value, (str, list)) or value):
            diags.error(loc.child(key), f"cannot specify {words} and Services on the same rule")
    name = str(given.get("name") or "")  # a value of another type was reported by the schema
    namespace = str(given.get("namespace") or "")
    if not name:
        diags.error(here.child("name"), "services must specify a service name")
    for key, value in (("name", name), ("namespace", namespace)):
        if value:
            check_resource_name(value, here.child(key), diags)
    return ServiceMatch(name, namespace or None)


def check_service_sides(rule: Rule, direction: Direction, loc: Location, diags: Diagnostics) -> None:
    """Services name the peer: the destination of an egress rule (without ports, which the
    Service's endpoints carry) or the source of an ingress rule (validateNetworkPolicySpec)."""
    if direction is Direction.EGRESS and rule.source.services is not None:
        diags.error(loc.child("source").child("services"), "not allowed in egress rule source")
    if direction is Direction.INGRESS and rule.destination.services is not None:
        diags.error(loc.child("destination").child("services"), "not allowed in ingress rule destination")
    destination = rule.destination
    if destination.services is not None and (destination.ports or destination.not_ports):
        key = "ports" if destination.ports else "notPorts"
        message = "ports and notPorts cannot be specified with services"
        diags.error(loc.child("destination").child(key), message)


def check_service_namespaces(spec: PolicySpec, is_global: bool, loc: Location, diags: Diagnostics) -> None:
    """A global policy must name the Service's namespace (validator.go). A namespaced one may
    omit it, and the API documents "this policy's namespace"; but Felix looks the Service up as
    `/<name>` then (felix/calc/rule_scanner.go: the namespace is never defaulted), which no
    EndpointSlice matches. Neither reading is safe to judge, so np2calico asks for it."""
    for direction in (Direction.INGRESS, Direction.EGRESS):
        for index, rule in enumerate(spec.rules(direction)):
            for side in ("source", "destination"):
                services = getattr(rule, side).services
                if services is None or services.namespace is not None:
                    continue
                where = loc.child(direction.value.lower()).child(index).child(side).child("services")
                if is_global:
                    diags.error(where.child("namespace"), "must specify a namespace")
                else:
                    diags.error(where.child("namespace"), (
                        "np2calico cannot evaluate services without a namespace: the API says "
                        "'this policy's namespace' but Felix matches no Service then; write the namespace"))
