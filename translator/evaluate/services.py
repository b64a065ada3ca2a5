"""Connections to a Service (`svc/NS/NAME:PORT`), as Calico judges them: after kube-proxy's DNAT.

A client connects to the Service's ClusterIP and port; kube-proxy rewrites the destination to one
endpoint and the target port before the packet reaches the destination's policy (and Calico
applies the source's egress policy after the DNAT too). So a connection to a Service is one
connection per backing endpoint, to its target port:

- with a selector: every pod or workload of the Service's namespace it selects; a named target
  port is looked up per pod (pods without that name are no endpoint of that port, as the
  endpoints controller leaves them out);
- without a selector: the addresses of its EndpointSlices (a pod of the state, or an address
  outside the cluster), on the slice's port of the same name;
- headless (`clusterIP: None`): no DNAT at all, clients reach the selected pods directly; they
  are judged at the target port, the port the Service's endpoints record;
- ExternalName: a DNS alias, refused: the connection goes to whatever the name resolves to.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from translator.errors import InputError, Location
from translator.model.cluster import Cluster, Connection, Endpoint, Pod
from translator.model.common import IPAddress, Protocol
from translator.model.services import Service, ServicePort

SERVICE_PREFIX = "svc/"


@dataclass(frozen=True)
class ServiceTarget:
    """One endpoint a Service connection reaches, the port it reaches it on, and how it got there."""

    endpoint: Endpoint
    port: int
    via: str
    address: IPAddress | None = None  # the endpoint's address an EndpointSlice names


def is_service_ref(text: object) -> bool:
    return isinstance(text, str) and text.strip().startswith(SERVICE_PREFIX)


def parse_service_ref(text: str, location: Location) -> tuple[str, str, str | None]:
    """`svc/NS/NAME[:PORT]` → (namespace, name, port as written or None)."""
    body = text.strip()[len(SERVICE_PREFIX):]
    body, _, port = body.partition(":")
    parts = body.split("/")
    if len(parts) != 2 or not all(parts):
        raise InputError.at(location, f"{text!r} is not a Service: expected svc/NAMESPACE/NAME:PORT")
    if _ and not port:
        raise InputError.at(location, f"{text!r}: the port after ':' is missing")
    return parts[0], parts[1], port or None


def find_service(cluster: Cluster, namespace: str, name: str, location: Location) -> Service:
    service = cluster.service(namespace, name)
    if service is None:
        known = [s.key for s in cluster.services]
        close = difflib.get_close_matches(f"{namespace}/{name}", known, n=3)
        hint = f" (did you mean {', '.join('svc/' + k for k in close)}?)" if close else ""
        raise InputError.at(location, f"no Service {namespace}/{name} in the cluster state{hint}")
    if service.external_name or service.type == "ExternalName":
        raise InputError.at(location, (
            f"{service.label} is an ExternalName Service (a DNS alias of {service.external_name or '?'}): "
            "there is no DNAT to judge; explain the connection to the address the name resolves to"))
    return service


def service_port(
    service: Service, wanted: int | str | None, protocol: Protocol, location: Location
) -> ServicePort:
    """The Service port meant: by number or name; the only one when none is written."""
    if wanted is None:
        if len(service.ports) == 1:
            return service.ports[0]
        raise InputError.at(location, f"{service.label} has {len(service.ports)} ports: "
                                      f"name one ({_ports_text(service)})")
    found = service.port_named(wanted, protocol)
    if found is None:
        raise InputError.at(location, f"{service.label} has no {protocol.value} port {wanted!r} "
                                      f"(it has {_ports_text(service) or 'no ports'})")
    return found


def service_targets(
    service: Service, port: ServicePort, cluster: Cluster, location: Location
) -> list[ServiceTarget]:
    """Every (endpoint, target port) the Service's `port` leads to; none is an error."""
    if service.selector:
        targets = _selected(service, port, cluster, location)
    else:
        targets = _sliced(service, port, cluster)
    if not targets:
        why = ("selects no pod or workload of the cluster state" if service.selector
               else "has no selector and no EndpointSlice in the cluster state for this port")
        raise InputError.at(location, f"{service.label} {why}: no endpoint to judge")
    return targets


def _selected(
    service: Service, port: ServicePort, cluster: Cluster, location: Location
) -> list[ServiceTarget]:
    backing = [p for p in cluster.pods_in(service.namespace) if service.selects(p.labels)]
    targets = []
    for pod in backing:
        number = _target_number(pod, port)
        if number is not None:
            targets.append(ServiceTarget(pod, number, _via(service, port, number)))
    if backing and not targets:
        raise InputError.at(location, (
            f"no pod {service.label} selects declares a {port.protocol.value} container port named "
            f"{port.target_port!r} (its targetPort): the port has no endpoints"))
    return targets


def _target_number(pod: Pod, port: ServicePort) -> int | None:
    if isinstance(port.target_port, int):
        return port.target_port
    return pod.named_port(port.target_port, port.protocol)


def _sliced(service: Service, port: ServicePort, cluster: Cluster) -> list[ServiceTarget]:
    targets = []
    for endpoint_slice in cluster.slices_of(service):
        numbers = [p.port for p in endpoint_slice.ports
                   if p.name == port.name and p.protocol is port.protocol]
        for number in numbers[:1]:
            for address in endpoint_slice.addresses:
                owner = cluster.endpoint_for_ip(address)
                via = _via(service, port, number, endpoint_slice.name)
                targets.append(ServiceTarget(owner, number, via, address if owner != address else None))
    return targets


def _via(service: Service, port: ServicePort, number: int, endpoint_slice: str | None = None) -> str:
    target = f"targetPort {port.target_port}" + (f"={number}" if isinstance(port.target_port, str) else "")
    if endpoint_slice is not None:
        target = f"EndpointSlice {endpoint_slice} port {number}"
    how = "headless, no DNAT" if service.headless else "after DNAT"
    return f"{service.label}:{port.name or port.port} ({target}, {how})"


def _ports_text(service: Service) -> str:
    return ", ".join(f"{p.name + '=' if p.name else ''}{p.port}/{p.protocol.value}" for p in service.ports)


def service_connections(
    source: Endpoint, source_ip: IPAddress | None, text: str, port: int | str | None,
    protocol: Protocol, cluster: Cluster, where: tuple[Location, Location],
) -> list[Connection]:
    """The connections `svc/NS/NAME[:PORT]` stands for, one per endpoint, after DNAT.

    `port` is a port given apart (`--port`); `where` the locations of the Service and that port.
    """
    location, port_location = where
    namespace, name, written = parse_service_ref(text, location)
    if written is not None and port is not None:
        raise InputError.at(port_location, f"the port is given twice: in {text!r} and apart; give it once")
    wanted = port if written is None else (int(written) if written.isdigit() else written)
    service = find_service(cluster, namespace, name, location)
    chosen = service_port(service, wanted, protocol, location)
    return [
        Connection(source, t.endpoint, chosen.protocol, t.port, source_ip=source_ip,
                   destination_ip=t.address, via=t.via)
        for t in service_targets(service, chosen, cluster, location)
    ]
