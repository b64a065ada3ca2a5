"""The endpoints of a Service as a Calico rule's `services` matches them (semantics.md §2.5).

Felix builds one IP set per Service a rule names, from the Service's EndpointSlices only
(felix/serviceindex/serviceindex.go, felix/calc/rule_scanner.go):

- `destination.services` (egress rules): every (endpoint address, port, protocol) of the slices,
  for each slice port with a number (protocol TCP when the slice leaves it out); the rule has no
  ports of its own, the endpoints' ports are the match;
- `source.services` (ingress rules): every endpoint address, on any port.

Endpoint conditions (ready, serving) are not looked at. So the endpoints are, for a Service of the
cluster state:

- its EndpointSlices when the state holds any (a snapshot does);
- else, with a selector, what the EndpointSlice controller would list: the selected pods (and
  workloads) of its namespace, each port's targetPort resolved per pod (a pod without the named
  port is no endpoint of that port); a host-network pod by its (node's) address;
- else (no selector, no slice, e.g. `default/kubernetes` in plain manifests; or no such Service)
  *unknown*: np2calico does not guess; a rule that would decide on them is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from translator.errors import UsageError
from translator.model.cluster import Cluster, HostEndpoint, Pod
from translator.model.common import IPAddress, Protocol
from translator.model.services import EndpointSlice, Service, ServicePort

# A member of the destination set: an address or a pod key, with a port and protocol.
Member = tuple[IPAddress | str, int, Protocol]


class ServiceEndpointsUnknown(UsageError):
    """A `services` rule would decide, and the cluster state does not say who the endpoints are."""


@dataclass(frozen=True)
class ServiceEndpoints:
    """One Service's endpoint sets; `known` False when the cluster state cannot tell them."""

    key: str  # namespace/name
    known: bool
    how: str  # where the endpoints come from, or why they are unknown
    addresses: frozenset[IPAddress] = frozenset()
    pods: frozenset[str] = frozenset()  # keys of selected pods matched as endpoints (not by address)
    members: frozenset[Member] = field(default_factory=frozenset)

    def holds_source(self, owner: Pod | HostEndpoint | None, address: IPAddress | None) -> bool:
        """Is the source an endpoint (any port)? The pod itself, or its address."""
        if isinstance(owner, Pod) and owner.key in self.pods:
            return True
        return address is not None and address in self.addresses

    def holds_destination(self, owner: Pod | HostEndpoint | None, address: IPAddress | None,
                          port: int | None, protocol: Protocol) -> bool:
        """Is (destination, port, protocol) one of the endpoints' (address, port, protocol)?"""
        if port is None:
            return False
        if isinstance(owner, Pod) and (owner.key, port, protocol) in self.members:
            return True
        return address is not None and (address, port, protocol) in self.members

    def unknown(self, rule: str) -> ServiceEndpointsUnknown:
        return ServiceEndpointsUnknown(
            f"{rule} matches the endpoints of svc {self.key}, and the cluster state {self.how}: "
            "whether this connection goes to one of them is unknown. Add the Service's "
            f"EndpointSlices to --cluster (kubectl get endpointslices -n {self.key.split('/')[0]} "
            f"-l kubernetes.io/service-name={self.key.split('/')[1]} -o yaml)"
        )


class ServiceIndex:
    """The endpoints of each Service a rule names, computed once per Service."""

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._found: dict[tuple[str, str], ServiceEndpoints] = {}

    def endpoints(self, namespace: str, name: str) -> ServiceEndpoints:
        key = (namespace, name)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = service_endpoints(self._cluster, namespace, name)
        return found


def service_endpoints(cluster: Cluster, namespace: str, name: str) -> ServiceEndpoints:
    key = f"{namespace}/{name}"
    service = cluster.service(namespace, name)
    slices = cluster.slices_of_service(namespace, name)
    if slices:
        return _from_slices(key, slices)
    if service is None:
        return ServiceEndpoints(key, False, f"holds no Service {key} and no EndpointSlice of it")
    if service.external_name or service.type == "ExternalName":
        return ServiceEndpoints(key, True, "an ExternalName Service: no endpoints")
    if service.selector:
        return _from_selector(key, service, cluster.pods_in(namespace))
    return ServiceEndpoints(key, False, f"holds no EndpointSlice of svc {key}, which has no selector")


def _from_slices(key: str, slices: Iterable[EndpointSlice]) -> ServiceEndpoints:
    addresses: set[IPAddress] = set()
    members: set[Member] = set()
    names = []
    for endpoint_slice in slices:
        names.append(endpoint_slice.name)
        addresses.update(endpoint_slice.addresses)
        members.update(
            (a, p.port, p.protocol) for p in endpoint_slice.ports for a in endpoint_slice.addresses)
    how = f"EndpointSlice{'s' if len(names) > 1 else ''} {', '.join(sorted(names))}"
    return ServiceEndpoints(key, True, how, frozenset(addresses), frozenset(), frozenset(members))


def _from_selector(key: str, service: Service, pods: Iterable[Pod]) -> ServiceEndpoints:
    addresses: set[IPAddress] = set()
    keys: set[str] = set()
    members: set[Member] = set()
    for pod in pods:
        if pod.namespace != service.namespace or not service.selects(pod.labels):
            continue
        # A host-network pod's traffic is its node's: Felix sees its (node) address, not a pod.
        owners: list[IPAddress | str] = list(pod.ips) if pod.host_network else [pod.key]
        addresses.update(pod.ips)
        if not pod.host_network:
            keys.add(pod.key)
        for port in service.ports:
            number = _target(pod, port)
            if number is not None:
                members.update((owner, number, port.protocol) for owner in owners)
    how = "the pods its selector picks (no EndpointSlice in the cluster state)"
    return ServiceEndpoints(key, True, how, frozenset(addresses), frozenset(keys), frozenset(members))


def _target(pod: Pod, port: ServicePort) -> int | None:
    if isinstance(port.target_port, int):
        return port.target_port
    return pod.named_port(port.target_port, port.protocol)
