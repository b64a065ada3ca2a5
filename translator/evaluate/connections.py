"""Connections as users write them: `NS/POD`, an IP literal or `hep:NAME`, a port number or name.

Pure functions over already-parsed data (the CLI reads the file): every problem is reported with
its location (`file:1:[3].port`), all of them at once.

An IP literal owned by a pod or host endpoint of the cluster state denotes that endpoint, reached
at that address (recorded as the connection's `source_ip`/`destination_ip`, which matters for a
dual-stack pod); any other IP is outside the cluster. `NS/POD` and `hep:NAME` use the endpoint's
address of the connection's family (its primary IP unless the other side fixes the family).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from translator.errors import Diagnostics, InputError, Location
from translator.evaluate.services import is_service_ref, service_connections
from translator.model.cluster import WORKLOAD_KINDS, Cluster, Connection, Endpoint, HostEndpoint, Pod
from translator.model.common import MAX_PORT, MIN_PORT, IPAddress, Protocol

HEP_PREFIX = "hep:"
# IANA service name, as Kubernetes validates named ports: 1-15 lower-case alphanumerics and '-',
# at least one letter, no leading, trailing or double '-'.
_PORT_NAME = re.compile(r"(?=.*[a-z])(?!-)(?!.*--)[a-z0-9-]{1,15}(?<!-)")
_SPACE = re.compile(r"\s")  # the characters str.isspace() accepts
_PROTOCOLS = {**{p.value: p for p in Protocol}, **{p.value.lower(): p for p in Protocol}}
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also takes other scripts' digits
# Keys a batch item may hold: the connection, plus an expected verdict (samples/lab/expected.yaml).
# Anything else is refused, so that a typo such as `prot: UDP` cannot silently mean TCP.
_ITEM_KEYS = frozenset({"from", "to", "port", "protocol", "verdict"})


@dataclass(frozen=True)
class EndpointRef:
    """A resolved endpoint and, when it was written as an IP literal, the address used."""

    endpoint: Endpoint
    address: IPAddress | None = None


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=3)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def _resolve_pod(text: str, cluster: Cluster, location: Location) -> EndpointRef:
    pod = cluster.pod(text)
    if pod is None:
        known = [p.key for p in cluster.pods]
        hint = _suggest(text, known)
        what = "workload" if text.count("/") == 2 else "pod"
        raise InputError.at(location, f"no {what} {text} in the cluster state{hint}")
    return EndpointRef(pod)


def _resolve_hep(name: str, cluster: Cluster, location: Location) -> EndpointRef:
    hep = cluster.host_endpoint(name)
    if hep is None:
        hint = _suggest(name, [h.name for h in cluster.host_endpoints])
        raise InputError.at(location, f"no host endpoint {name} in the cluster state{hint}")
    return EndpointRef(hep)


def _ip_or_none(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def resolve_endpoint(text: object, cluster: Cluster, location: Location) -> EndpointRef:
    """Resolve `NS/POD`, `hep:NAME` or an IP literal against the cluster state."""
    if not isinstance(text, str) or not text.strip():
        raise InputError.at(location, "expected an endpoint: NS/POD, an IP address or hep:NAME")
    text = text.strip()
    if text.startswith(HEP_PREFIX):
        return _resolve_hep(text[len(HEP_PREFIX) :], cluster, location)
    ip = _ip_or_none(text) if "/" not in text else None  # an IP literal never holds a '/'
    if ip is not None:
        return EndpointRef(cluster.endpoint_for_ip(ip), ip)
    if text.count("/") == 1 and all(text.split("/")) and not _SPACE.search(text):
        return _resolve_pod(text, cluster, location)
    workload = " ".join(text.split()).replace(" ", "/", 1)  # `deployment ns/name`, as reports write it
    kind, _, rest = workload.partition("/")
    if kind.lower() in WORKLOAD_KINDS and rest.count("/") == 1 and all(rest.split("/")):
        return _resolve_pod(f"{kind.lower()}/{rest}", cluster, location)
    raise InputError.at(location, f"{text!r} is not an endpoint: expected NS/POD, KIND/NS/NAME of a "
                                  "workload, an IP address or hep:NAME")


def parse_protocol(value: object, location: Location) -> Protocol:
    """TCP, UDP or SCTP; a connection (unlike a policy) may spell it in any case."""
    if isinstance(value, str) and value.upper() in Protocol.__members__:
        return Protocol[value.upper()]
    shown = repr(value) if isinstance(value, (str, int, float)) else type(value).__name__
    raise InputError.at(location, f"protocol {shown} is not one of TCP, UDP, SCTP")


def parse_port(value: object, location: Location) -> int | str:
    """A port number 1-65535 (also written as a string of digits) or an IANA port name."""
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        if MIN_PORT <= value <= MAX_PORT:
            return value
        raise InputError.at(location, f"port {value} is out of range {MIN_PORT}-{MAX_PORT}")
    if isinstance(value, str) and _PORT_NAME.fullmatch(value):
        return value
    shown = repr(value) if isinstance(value, (str, float)) else type(value).__name__
    raise InputError.at(location, f"port {shown} is neither a number 1-65535 nor a port name")


def _declared_ports(endpoint: Pod | HostEndpoint) -> str:
    named = [f"{p.name} ({p.protocol.value}/{p.port})" for p in endpoint.ports if p.name]
    return ", ".join(named) if named else "no named ports"


def check_named_port(destination: Endpoint, name: str, protocol: Protocol, location: Location) -> None:
    """A connection's named port must resolve on its destination, for its protocol."""
    if not isinstance(destination, (Pod, HostEndpoint)):
        raise InputError.at(
            location, f"named port {name!r} needs a pod or host endpoint destination, not {destination}"
        )
    if destination.named_port(name, protocol) is None:
        raise InputError.at(
            location,
            f"{destination} declares no {protocol.value} port named {name!r} "
            f"(it declares {_declared_ports(destination)})",
        )


def make_connection(
    source: EndpointRef, destination: EndpointRef, port: int | str, protocol: Protocol, location: Location
) -> Connection:
    """A Connection from resolved parts; a named port is checked against the destination."""
    if isinstance(port, str):
        check_named_port(destination.endpoint, port, protocol, location)
    return Connection(
        source.endpoint,
        destination.endpoint,
        protocol,
        port,
        source_ip=source.address,
        destination_ip=destination.address,
    )


def _field(item: Mapping[str, Any], key: str, location: Location) -> Any:
    if key not in item or item[key] is None:
        raise InputError.at(location.child(key), f"missing field {key!r}")
    return item[key]


def connection_from_item(item: object, cluster: Cluster, location: Location) -> Connection:
    """One `{from, to, port, protocol}` item; an expected `verdict` may stand beside them."""
    if not isinstance(item, Mapping):
        raise InputError.at(location, "expected a mapping with from, to, port and protocol")
    unknown = sorted(str(k) for k in item if k not in _ITEM_KEYS)
    if unknown:
        raise InputError.at(
            location.child(unknown[0]),
            f"unknown field {unknown[0]!r} (a connection has from, to, port, protocol and maybe verdict)",
        )
    source = resolve_endpoint(_field(item, "from", location), cluster, location.child("from"))
    destination = resolve_endpoint(_field(item, "to", location), cluster, location.child("to"))
    port = parse_port(_field(item, "port", location), location.child("port"))
    protocol = parse_protocol(item.get("protocol", "TCP"), location.child("protocol"))
    return make_connection(source, destination, port, protocol, location.child("port"))


def _plain_connection(item: object, cluster: Cluster) -> Connection | None:
    """The commonest item, `{from, to, port: NUMBER, protocol}` with each side a pod of the cluster
    (`NS/POD`) or an IP literal, built without the locations only an error needs; None for anything
    else, which `connection_from_item` then reads (and words its problems) the careful way."""
    if type(item) is not dict or not item.keys() <= _ITEM_KEYS:
        return None
    source = _plain_endpoint(item.get("from"), cluster)
    destination = _plain_endpoint(item.get("to"), cluster)
    port, protocol = item.get("port"), item.get("protocol", "TCP")
    if source is None or destination is None or type(port) is not int or not MIN_PORT <= port <= MAX_PORT:
        return None
    known = _PROTOCOLS.get(protocol) if isinstance(protocol, str) else None
    if known is None:
        return None
    return Connection(source.endpoint, destination.endpoint, known, port,
                      source_ip=source.address, destination_ip=destination.address)


def _plain_endpoint(text: object, cluster: Cluster) -> EndpointRef | None:
    if type(text) is not str or _SPACE.search(text) or is_service_ref(text) or text.startswith(HEP_PREFIX):
        return None
    if "/" not in text:
        ip = _ip_or_none(text)
        return None if ip is None else EndpointRef(cluster.endpoint_for_ip(ip), ip)
    pod = cluster.pod(text) if text.count("/") == 1 else None
    return None if pod is None else EndpointRef(pod)


def connections_from_item(item: object, cluster: Cluster, location: Location) -> list[Connection]:
    """One item; `to: svc/NS/NAME[:PORT]` stands for one connection per endpoint of the Service."""
    if not (isinstance(item, Mapping) and is_service_ref(item.get("to"))):
        return [connection_from_item(item, cluster, location)]
    unknown = sorted(str(k) for k in item if k not in _ITEM_KEYS)
    if unknown:
        raise InputError.at(location.child(unknown[0]), f"unknown field {unknown[0]!r}")
    source = resolve_endpoint(_field(item, "from", location), cluster, location.child("from"))
    port = parse_port(item["port"], location.child("port")) if item.get("port") is not None else None
    protocol = parse_protocol(item.get("protocol", "TCP"), location.child("protocol"))
    return service_connections(source.endpoint, source.address, str(item["to"]), port, protocol, cluster,
                               (location.child("to"), location.child("port")))


def parse_connections(
    data: object, cluster: Cluster, where: Location | str = "<connections>"
) -> list[Connection]:
    """A batch: a list of connection items. Reports every bad item, not only the first.

    `where` is the batch's location (a file name stands for its first document).
    """
    top = Location(where, 1) if isinstance(where, str) else where
    if not isinstance(data, list):
        raise InputError.at(top, "expected a list of {from, to, port, protocol} items")
    diagnostics = Diagnostics()
    connections: list[Connection] = []
    for index, item in enumerate(data):
        plain = _plain_connection(item, cluster)
        if plain is not None:
            connections.append(plain)
            continue
        try:
            connections.extend(connections_from_item(item, cluster, top.child(index)))
        except InputError as exc:
            diagnostics.items.extend(exc.diagnostics)
    diagnostics.raise_if_errors()
    return connections
