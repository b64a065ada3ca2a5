"""Parsers of v1 Service and discovery.k8s.io/v1 EndpointSlice: what maps a Service to endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translator.errors import Diagnostics, Location
from translator.load import fields
from translator.load.fields import integer, items, mapping, text
from translator.load.names import dns1123_label_errors, dns1123_subdomain_errors, port_name_errors
from translator.load.registry import LoadContext, Parser
from translator.load.schema import check_schema
from translator.model.common import IPAddress, Protocol
from translator.model.services import (
    SERVICE_NAME_LABEL,
    EndpointPort,
    EndpointSlice,
    Service,
    ServicePort,
)

SERVICE_SCHEMA = "service.schema.json"
ENDPOINT_SLICE_SCHEMA = "endpointslice.schema.json"
_PROTOCOLS = {p.value: p for p in Protocol}


def parse_service(
    body: Mapping[str, Any], loc: Location, diags: Diagnostics, ctx: LoadContext
) -> Service | None:
    mark = len(diags.items)
    check_schema(body, SERVICE_SCHEMA, loc, diags)
    meta = mapping(body.get("metadata"))
    name = fields.object_name(meta, loc, diags, dns1123_label_errors)
    namespace = fields.object_namespace(meta, loc, diags, ctx, dns1123_label_errors)
    spec = mapping(body.get("spec"))
    spec_loc = loc.child("spec")
    selector_value = spec.get("selector")
    selector = fields.labels(selector_value, spec_loc.child("selector"), diags) if selector_value else None
    ports = tuple(_service_port(mapping(p), spec_loc.child("ports").child(i), diags)
                  for i, p in enumerate(items(spec.get("ports"))))
    cluster_ip = text(spec.get("clusterIP"))
    service = Service(
        namespace=namespace,
        name=name or "",
        selector=selector,
        ports=tuple(p for p in ports if p is not None),
        type=text(spec.get("type")) or "ClusterIP",
        headless=cluster_ip == "None",
        external_name=text(spec.get("externalName")),
        cluster_ips=_cluster_ips(spec, spec_loc, diags),
        origin=loc,
    )
    return service if name and not diags.errors_since(mark) else None


def _service_port(body: Mapping[str, Any], loc: Location, diags: Diagnostics) -> ServicePort | None:
    number = integer(body.get("port"))
    protocol = _PROTOCOLS.get(str(body.get("protocol") or "TCP"))
    name = text(body.get("name")) or None
    raw_target = body.get("targetPort")
    target: int | str | None = number if raw_target in (None, 0, "") else (
        text(raw_target) if isinstance(raw_target, str) else integer(raw_target))
    if isinstance(target, str) and target.isdigit():
        target = int(target)  # an IntOrString written as a string of digits means the number
    if isinstance(target, str):
        fields.report(diags, loc.child("targetPort"), f"port name {target!r}", port_name_errors(target))
    elif isinstance(target, int) and not 1 <= target <= 65535:
        diags.error(loc.child("targetPort"), f"port {target} is out of range 1-65535")
        return None
    if number is None or protocol is None or target is None:
        return None
    return ServicePort(port=number, target_port=target, protocol=protocol, name=name)


def _cluster_ips(spec: Mapping[str, Any], loc: Location, diags: Diagnostics) -> tuple[IPAddress, ...]:
    found: list[IPAddress] = []
    values = [text(v) for v in items(spec.get("clusterIPs"))] or [text(spec.get("clusterIP"))]
    for value in values:
        if value and value != "None":
            ip = fields.parse_ip(value, loc.child("clusterIP"), diags)
            if ip is not None:
                found.append(ip)
    return tuple(dict.fromkeys(found))


def parse_endpoint_slice(
    body: Mapping[str, Any], loc: Location, diags: Diagnostics, ctx: LoadContext
) -> EndpointSlice | None:
    mark = len(diags.items)
    check_schema(body, ENDPOINT_SLICE_SCHEMA, loc, diags)
    meta = mapping(body.get("metadata"))
    name = fields.object_name(meta, loc, diags, dns1123_subdomain_errors)
    namespace = fields.object_namespace(meta, loc, diags, ctx, dns1123_label_errors)
    service = text(mapping(meta.get("labels")).get(SERVICE_NAME_LABEL))
    if not service:
        diags.info(loc.child("metadata").child("labels"),
                   f"no {SERVICE_NAME_LABEL} label: this EndpointSlice belongs to no Service and is not used")
    addresses: list[IPAddress] = []
    if body.get("addressType") != "FQDN":
        for i, endpoint in enumerate(items(body.get("endpoints"))):
            here = loc.child("endpoints").child(i).child("addresses")
            for j, value in enumerate(items(mapping(endpoint).get("addresses"))):
                ip = fields.parse_ip(value, here.child(j), diags) if isinstance(value, str) else None
                if ip is not None:
                    addresses.append(ip)
    ports = tuple(
        EndpointPort(number, _PROTOCOLS.get(str(p.get("protocol") or "TCP"), Protocol.TCP),
                     text(p.get("name")) or None)
        for p in map(mapping, items(body.get("ports")))
        if (number := integer(p.get("port"))) is not None
    )
    if not name or not service or diags.errors_since(mark):
        return None
    return EndpointSlice(namespace, name, service, tuple(dict.fromkeys(addresses)), ports)


PARSERS: dict[tuple[str, str], Parser] = {
    ("v1", "Service"): parse_service,
    ("discovery.k8s.io/v1", "EndpointSlice"): parse_endpoint_slice,
}
