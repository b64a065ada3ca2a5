"""Small helpers the kind parsers share: tolerant field access, name checks, CIDRs and IPs.

Parsers run after the JSON Schema check, which already reported every wrong type. So the getters
here quietly treat a wrongly typed value as absent instead of reporting it a second time, and
the parser goes on to find the remaining (value-level) problems of the same document.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from translator.errors import Diagnostics, Location
from translator.load.names import label_value_errors, qualified_name_errors
from translator.load.registry import LoadContext
from translator.model.common import IPAddress, IPNetwork

# Go's ParseCIDR wants `address/prefix-length`; Python would also take a bare address or a netmask.
_CIDR_SHAPE = re.compile(r"^[0-9A-Fa-f:.]+/[0-9]{1,3}$")
# Kubernetes' legacy parser reads `010.0.0.0` as decimal, other tools as octal: refuse to guess.
_IPV4_LEADING_ZERO = re.compile(r"(^|[.:])0[0-9]+(\.|/)")
_LEADING_ZEROS = "an IPv4 address with leading zeros is ambiguous (decimal or octal?); remove them"


def mapping(value: Any) -> Mapping[str, Any]:
    if type(value) is dict:  # the usual case, without the slower abstract-class check
        return value
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def integer(value: Any) -> int | None:
    """An integer, also from an integral float (`80.0`); booleans are not numbers here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def report(diags: Diagnostics, location: Location, what: str, problems: list[str]) -> None:
    """One diagnostic per invalid value, listing every reason, like `invalid name 'X': a; b`."""
    if problems:
        diags.error(location, f"invalid {what}: {'; '.join(problems)}")


NameRule = Callable[[str], list[str]]


def object_name(
    meta: Mapping[str, Any], location: Location, diags: Diagnostics, rule: NameRule
) -> str | None:
    """`metadata.name` checked with `rule`; None when absent or mistyped (the schema said so)."""
    name = meta.get("name")
    if isinstance(name, str) and name and not rule(name):
        return name  # valid: no need to build the location of an error
    return check_name(meta.get("name"), location.child("metadata").child("name"), diags, rule)


def check_name(value: Any, location: Location, diags: Diagnostics, rule: NameRule) -> str | None:
    """A required name checked with `rule`; None when absent or mistyped."""
    name = text(value)
    if name is None:
        return None
    if not name:
        diags.error(location, "required value")
        return None
    report(diags, location, f"name {name!r}", rule(name))
    return name


def object_namespace(
    meta: Mapping[str, Any], location: Location, diags: Diagnostics, ctx: LoadContext, rule: NameRule
) -> str:
    """`metadata.namespace`, or the context's default namespace with an info saying so."""
    namespace = text(meta.get("namespace"))
    if namespace:
        problems = rule(namespace)
        if problems:
            report(diags, location.child("metadata").child("namespace"), f"namespace {namespace!r}", problems)
        return namespace
    if meta.get("namespace") in (None, ""):  # a mistyped one is a schema error, not "not set"
        here = location.child("metadata").child("namespace")
        diags.info(here, f"not set: using namespace {ctx.default_namespace!r}")
    return ctx.default_namespace


def labels(value: Any, location: Location, diags: Diagnostics, under: tuple[str, ...] = ()) -> dict[str, str]:
    """A label map (metadata.labels or matchLabels) with every key and value checked; problems
    are reported at `location` and the fields `under` it (built only for a problem)."""
    result: dict[str, str] = {}
    for key, label_value in mapping(value).items():
        key_problems = [] if _valid_key(key) else qualified_name_errors(key)
        value_ok = not isinstance(label_value, str) or _valid_label_value(label_value)
        value_problems = [] if value_ok else label_value_errors(label_value)
        if key_problems or value_problems:  # the location only when there is something to report
            for step in under:
                location = location.child(step)
            under = ()
            here = location.child(key)
            report(diags, here, f"label key {key!r}", key_problems)
            report(diags, here, f"label value {label_value!r}", value_problems)
        if isinstance(label_value, str):
            result[key] = label_value
    return result


# Snapshots repeat the same few label keys (and many values) on every pod: check each once.
@lru_cache(maxsize=65536)
def _valid_key(key: str) -> bool:
    return not qualified_name_errors(key)


@lru_cache(maxsize=65536)
def _valid_label_value(value: str) -> bool:
    return not label_value_errors(value)


ANNOTATIONS_MAX_BYTES = 256 * 1024


def validate_annotations(value: Any, location: Location, diags: Diagnostics) -> None:
    """metadata.annotations as the API server checks them (apimachinery ValidateAnnotations): keys
    are qualified names in any letter case, and keys plus values take at most 256 KiB. `location`
    is the object's: the annotations' own is built only for a problem (pods hold many)."""
    size = 0
    for key, annotation in mapping(value).items():
        if not isinstance(key, str):
            continue
        if not _valid_key(key.lower()):
            where = _annotations_at(location).child(key)
            report(diags, where, f"annotation key {key!r}", qualified_name_errors(key.lower()))
        size += len(key.encode()) + (len(annotation.encode()) if isinstance(annotation, str) else 0)
    if size > ANNOTATIONS_MAX_BYTES:
        diags.error(_annotations_at(location),
                    f"may not be more than {ANNOTATIONS_MAX_BYTES} bytes (keys and values: {size})")


def _annotations_at(location: Location) -> Location:
    return location.child("metadata").child("annotations")


def parse_cidr(value: str, location: Location, diags: Diagnostics) -> IPNetwork | None:
    """A CIDR as Kubernetes reads it; host bits are masked with a warning (`10.0.0.1/24`)."""
    if not value:
        diags.error(location, "required value")
        return None
    if not _CIDR_SHAPE.fullmatch(value):
        diags.error(location, f"invalid CIDR {value!r}: must be an address/prefix length, e.g. 10.0.0.0/16")
        return None
    written = value
    canonical = _without_leading_zeros(value) if _IPV4_LEADING_ZERO.search(value) else None
    if canonical is not None:
        # Kubernetes parses ipBlock CIDRs with ParseCIDRSloppy (k8s.io/utils/net, Go 1.16's parser):
        # leading zeros read as decimal. Stored policies may hold them, so they must stay convertible.
        diags.warning(location, f"CIDR {value!r} has leading zeros: the API server reads them as decimal, "
                      f"{canonical} (API servers with StrictIPCIDRValidation refuse it)")
        value = canonical
    try:
        network, address = _network_and_address(value)
    except ValueError as exc:
        reason = _LEADING_ZEROS if _IPV4_LEADING_ZERO.search(value) else str(exc)
        diags.error(location, f"invalid CIDR {written!r}: {reason}")
        return None
    if network.network_address != address:
        # Legacy validation accepts this; API servers with StrictIPCIDRValidation refuse it.
        diags.warning(location, f"CIDR {value!r} has host bits set: it means {network}")
    return network


def _without_leading_zeros(value: str) -> str | None:
    """`010.001.0.0/16` as Go 1.16's parser reads it (`10.1.0.0/16`); None when it is no dotted IPv4
    address whose octets, read as decimal, fit a byte."""
    address, _, prefix = value.partition("/")
    octets = address.split(".")
    if len(octets) != 4 or not all(o.isdigit() and o.isascii() and int(o) <= 255 for o in octets):
        return None
    return ".".join(str(int(o)) for o in octets) + "/" + prefix


@lru_cache(maxsize=4096)
def _network_and_address(value: str) -> tuple[IPNetwork, IPAddress]:
    """The network and the written address of a CIDR. Policy sets repeat the same few CIDRs,
    and ipaddress parses slowly; the results are immutable, so sharing them is safe."""
    return ipaddress.ip_network(value, strict=False), ipaddress.ip_address(value.split("/")[0])


def parse_ip(value: str, location: Location, diags: Diagnostics) -> IPAddress | None:
    found = ip_or_none(value)
    if found is None:
        diags.error(location, f"invalid IP address {value!r}")
    return found


def ip_or_none(value: str) -> IPAddress | None:
    """An IP address as `ipaddress.ip_address` reads it; None when it is none."""
    try:
        # inet_pton takes exactly the dotted quads ipaddress takes (four decimal octets up to
        # 255, no leading zeros), in C: a snapshot holds one or two addresses per pod.
        return ipaddress.IPv4Address(socket.inet_pton(socket.AF_INET, value))
    except (OSError, ValueError):  # ValueError: a NUL character
        pass
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None
