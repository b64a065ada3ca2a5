"""The Services of a witness: for each Service a rule of either side names, a selector-less
Service and one EndpointSlice whose endpoints are what the model says.

verify judges `services` rules for every possible endpoint set (`symbols.Packet.in_service`); the
witness writes down one set that makes its connection differ: the destination's (address, port,
protocol) when the model makes it an endpoint, the source's address when the model makes it one,
and otherwise an address of neither end (TEST-NET-1), so that the Service's endpoints are known
and `explain --cluster WITNESS` replays the verdicts instead of refusing them.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import z3

from translator.model import calico
from translator.model.common import IPAddress, Protocol
from translator.model.services import EndpointPort, EndpointSlice, Service
from translator.verify.symbols import Packet

PLACEHOLDERS = (ipaddress.ip_address("192.0.2.1"), ipaddress.ip_address("192.0.2.2"),
                ipaddress.ip_address("192.0.2.3"))
SLICE_SUFFIX = "-witness"


def named_services(*sides: calico.PolicySet) -> set[str]:
    """"namespace/name" of every Service a Calico rule of `sides` names (a namespaced policy's
    namespace when the rule leaves it out)."""
    found = set()
    for side in sides:
        for policy in side.calico_policies:
            own = policy.metadata.namespace or ""
            for rule in (*policy.spec.ingress, *policy.spec.egress):
                for named in (rule.source.services, rule.destination.services):
                    if named is not None:
                        found.add(f"{named.namespace or own}/{named.name}")
    return found


def _member(model: z3.ModelRef, packet: Packet, tag: str, key: str) -> bool:
    term = packet.services.get((tag, key))
    return term is not None and z3.is_true(model.eval(term, model_completion=True))


Objects = tuple[list[Service], list[EndpointSlice]]


def witness_services(model: z3.ModelRef, packet: Packet, keys: set[str], ends: dict[str, IPAddress],
                     protocol: Protocol | None, port: int | None) -> Objects:
    """One Service and one EndpointSlice per key in `keys` and in the model (module docstring)."""
    keys = keys | {key for _tag, key in packet.services}
    placeholder = next(a for a in PLACEHOLDERS if a not in ends.values())
    services, slices = [], []
    for key in sorted(keys):
        namespace, name = key.split("/", 1)
        members = [ends[t] for t in ("src", "dst") if t in ends and _member(model, packet, t, key)]
        slice_port = EndpointPort(port or 1, protocol or Protocol.TCP)
        services.append(Service(namespace, name))
        slices.append(EndpointSlice(namespace, name + SLICE_SUFFIX, name, tuple(members) or (placeholder,),
                                    (slice_port,)))
    return services, slices


def service_manifests(services: list[Service], slices: list[EndpointSlice]) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for service, endpoint_slice in zip(services, slices, strict=True):
        port = endpoint_slice.ports[0]
        objects.append({"apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": service.name, "namespace": service.namespace},
                        "spec": {"ports": [{"port": port.port, "protocol": port.protocol.value}]}})
        family = "IPv6" if endpoint_slice.addresses[0].version == 6 else "IPv4"
        objects.append({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": endpoint_slice.name, "namespace": endpoint_slice.namespace,
                         "labels": {"kubernetes.io/service-name": endpoint_slice.service}},
            "addressType": family,
            "endpoints": [{"addresses": [str(a)]} for a in endpoint_slice.addresses],
            "ports": [{"port": port.port, "protocol": port.protocol.value}],
        })
    return objects
