"""The cluster a verdict is computed on: namespaces, pods, host endpoints, and connections."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from translator.errors import Location
from translator.model.common import IPAddress, IPNetwork, Labels, Protocol
from translator.model.services import EndpointSlice, Service

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def _grouped(items: Iterable[T], key: Callable[[T], K]) -> dict[K, tuple[T, ...]]:
    """`items` by `key`, each group in the items' order."""
    found: dict[K, list[T]] = {}
    for item in items:
        found.setdefault(key(item), []).append(item)
    return {k: tuple(members) for k, members in found.items()}

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
DEFAULT_ALLOW_PROFILE = "projectcalico-default-allow"
# The kinds whose pod template is read as one endpoint, as `Pod.workload` names them.
WORKLOAD_KINDS = ("deployment", "replicaset", "statefulset", "daemonset", "job", "cronjob",
                  "replicationcontroller")


@dataclass(frozen=True)
class Namespace:
    name: str
    labels: Labels = field(default_factory=dict, hash=False)

    @classmethod
    def create(cls, name: str, labels: Mapping[str, str] | None = None) -> Namespace:
        """A namespace with the label the API server sets on every namespace since 1.21."""
        return cls(name, {**(labels or {}), NAMESPACE_NAME_LABEL: name})


@dataclass(frozen=True)
class ContainerPort:
    port: int
    protocol: Protocol = Protocol.TCP
    name: str | None = None


def _all_named(ports: tuple[ContainerPort, ...], name: str, protocol: Protocol) -> tuple[int, ...]:
    return tuple(dict.fromkeys(p.port for p in ports if p.name == name and p.protocol is protocol))


def _first_named(ports: tuple[ContainerPort, ...], name: str, protocol: Protocol) -> int | None:
    found = _all_named(ports, name, protocol)
    return found[0] if found else None


@dataclass(frozen=True)
class Pod:
    """A pod, or the pods of one workload (`workload` is its kind in lower case, e.g. `deployment`).

    A workload's pods all share its template: they are judged as one endpoint, named
    `deployment default/color-api`; traffic between two of its replicas is the workload to itself.
    Template pods have no address of their own: the loader gives them one from the pod CIDR.
    """

    namespace: str
    name: str
    labels: Labels = field(default_factory=dict, hash=False)
    ips: tuple[IPAddress, ...] = ()
    ports: tuple[ContainerPort, ...] = ()
    service_account: str = "default"
    host_network: bool = False
    workload: str | None = None

    @cached_property  # asked for on every connection an evaluator judges
    def key(self) -> str:
        """Unique in a cluster: `ns/pod`, or `kind/ns/name` for a workload."""
        if self.workload is not None:
            return f"{self.workload}/{self.namespace}/{self.name}"
        return f"{self.namespace}/{self.name}"

    @property
    def label(self) -> str:
        """How reports name it: `ns/pod`, or `deployment ns/name` for a workload."""
        if self.workload is not None:
            return f"{self.workload} {self.namespace}/{self.name}"
        return self.key

    @property
    def short_label(self) -> str:
        """Within its namespace: the pod's name, or `deployment ns/name` (a workload keeps its kind)."""
        return self.name if self.workload is None else self.label

    def named_port(self, name: str, protocol: Protocol) -> int | None:
        """The number a connection to the named port uses: the first declared (as a Service's
        named targetPort resolves), if any."""
        return _first_named(self.ports, name, protocol)

    def named_ports(self, name: str, protocol: Protocol) -> tuple[int, ...]:
        """Every number declared as `name` for `protocol`: containers may repeat a name (Kubernetes
        only warns), and a rule's named port matches each of them."""
        return _all_named(self.ports, name, protocol)

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class HostEndpoint:
    """A Calico HostEndpoint (projectcalico.org/v3) from the cluster state."""

    name: str
    node: str = ""
    interface: str | None = None
    labels: Labels = field(default_factory=dict, hash=False)
    expected_ips: tuple[IPAddress, ...] = ()
    profiles: tuple[str, ...] = ()
    ports: tuple[ContainerPort, ...] = ()

    @property
    def key(self) -> str:
        return f"hep:{self.name}"

    @property
    def ips(self) -> tuple[IPAddress, ...]:
        return self.expected_ips

    def named_port(self, name: str, protocol: Protocol) -> int | None:
        return _first_named(self.ports, name, protocol)

    def named_ports(self, name: str, protocol: Protocol) -> tuple[int, ...]:
        return _all_named(self.ports, name, protocol)

    def __str__(self) -> str:
        return self.key


# An IP address not owned by any pod or host endpoint of the state: outside the cluster.
Endpoint = Pod | HostEndpoint | IPAddress


def endpoint_label(endpoint: Endpoint) -> str:
    """How an endpoint is named in reports: `ns/pod`, `deployment ns/name`, `hep:name` or an IP."""
    if isinstance(endpoint, Pod):
        return endpoint.label
    return endpoint.key if isinstance(endpoint, HostEndpoint) else str(endpoint)


@dataclass(frozen=True)
class Connection:
    """A connection attempt: `port` is a number, or a name resolved on the destination endpoint."""

    source: Endpoint
    destination: Endpoint
    protocol: Protocol
    port: int | str
    # The address actually used on each side, when the endpoint was named by one of its several IPs
    # (dual-stack pods). None: the endpoint's address of the connection's family (see `addresses`).
    source_ip: IPAddress | None = None
    destination_ip: IPAddress | None = None
    # The client's (ephemeral) source port, when known. None: any source port. Kubernetes policies
    # never look at it; a Calico rule with source `ports`/`notPorts` does (evaluate/calico_match).
    source_port: int | None = None
    # How the destination was reached when it was named as a Service (`svc ns/name:80 (…)`):
    # the connection itself is the one after kube-proxy's DNAT, to the endpoint and target port.
    via: str | None = None

    def addresses(self) -> tuple[IPAddress | None, IPAddress | None]:
        """The (source, destination) addresses this connection uses, for ipBlock/nets matching.

        The family is that of the first address known for sure: an explicit `source_ip` /
        `destination_ip`, an IP endpoint, else the source's (then the destination's) first IP,
        i.e. its primary `status.podIP`. Each side then uses its first address of that family;
        None when it has none (then no CIDR can match that side).
        """
        family = _connection_family(self)
        return (
            _address_of(self.source, self.source_ip, family),
            _address_of(self.destination, self.destination_ip, family),
        )

    def port_number(self) -> int | None:
        """The numeric destination port; a named port resolves on the destination pod (or HEP)."""
        if isinstance(self.port, int):
            return self.port
        if isinstance(self.destination, (Pod, HostEndpoint)):
            return self.destination.named_port(self.port, self.protocol)
        return None

    def __str__(self) -> str:
        return (
            f"{endpoint_label(self.source)} -> {endpoint_label(self.destination)} "
            f"{self.protocol.value}/{self.port}"
        )


def _connection_family(conn: Connection) -> int | None:
    """The family of the first address known: explicit ones, IP endpoints, then primary IPs."""
    for explicit in (conn.source_ip, conn.destination_ip):
        if explicit is not None:
            return explicit.version
    owners: list[Pod | HostEndpoint] = []
    for side in (conn.source, conn.destination):
        if not isinstance(side, (Pod, HostEndpoint)):
            return side.version
        owners.append(side)
    for owner in owners:
        if owner.ips:
            return owner.ips[0].version
    return None


def _address_of(
    endpoint: Endpoint, explicit: IPAddress | None, family: int | None
) -> IPAddress | None:
    if explicit is not None:
        return explicit
    if not isinstance(endpoint, (Pod, HostEndpoint)):
        return endpoint
    for ip in endpoint.ips:
        if ip.version == family:
            return ip
    return None


@dataclass(frozen=True)
class NetworkSet:
    """A Calico GlobalNetworkSet (`namespace` None) or namespaced NetworkSet: labelled CIDRs.

    Felix puts the `nets` of every network set a rule selector matches into that selector's IP set,
    so an address inside them matches the selector like an endpoint carrying the set's labels.
    """

    name: str
    namespace: str | None = None
    labels: Labels = field(default_factory=dict, hash=False)
    nets: tuple[IPNetwork, ...] = ()
    origin: Location | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def key(self) -> str:
        if self.namespace is None:
            return f"GlobalNetworkSet {self.name}"
        return f"NetworkSet {self.namespace}/{self.name}"


@dataclass(frozen=True)
class Cluster:
    namespaces: Mapping[str, Namespace] = field(default_factory=dict, hash=False)
    pods: tuple[Pod, ...] = ()
    host_endpoints: tuple[HostEndpoint, ...] = ()
    services: tuple[Service, ...] = ()
    endpoint_slices: tuple[EndpointSlice, ...] = ()
    network_sets: tuple[NetworkSet, ...] = ()

    @classmethod
    def build(
        cls,
        namespaces: Iterable[Namespace] = (),
        pods: Iterable[Pod] = (),
        host_endpoints: Iterable[HostEndpoint] = (),
        services: Iterable[Service] = (),
        endpoint_slices: Iterable[EndpointSlice] = (),
        network_sets: Iterable[NetworkSet] = (),
    ) -> Cluster:
        """A cluster in which every namespace a pod uses exists (with its automatic label)."""
        by_name = {ns.name: ns for ns in namespaces}
        pods = tuple(pods)
        for pod in pods:
            by_name.setdefault(pod.namespace, Namespace.create(pod.namespace))
        return cls(dict(sorted(by_name.items())), pods, tuple(host_endpoints), tuple(services),
                   tuple(endpoint_slices), tuple(network_sets))

    def service(self, namespace: str, name: str) -> Service | None:
        return self._services_by_key.get((namespace, name))

    def slices_of(self, service: Service) -> tuple[EndpointSlice, ...]:
        return self.slices_of_service(service.namespace, service.name)

    def slices_of_service(self, namespace: str, name: str) -> tuple[EndpointSlice, ...]:
        """The EndpointSlices of Service `namespace/name` (whether the state holds it or not)."""
        return self._slices_by_service.get((namespace, name), ())

    def services_selecting(self, pod: Pod) -> tuple[Service, ...]:
        """The Services whose selector picks `pod` (same namespace)."""
        return tuple(s for s in self._services_by_namespace.get(pod.namespace, ()) if s.selects(pod.labels))

    def pods_in(self, namespace: str) -> tuple[Pod, ...]:
        """The pods of `namespace`, in the state's order."""
        return self._pods_by_namespace.get(namespace, ())

    # Indexes, built on first use: a scan of every Service or slice per pod or per Service was
    # quadratic (150,000 pods and 15,000 Services: 2.25 G selector tests to name pods' Services).
    @cached_property
    def _pods_by_namespace(self) -> dict[str, tuple[Pod, ...]]:
        return _grouped(self.pods, lambda pod: pod.namespace)

    @cached_property
    def _services_by_key(self) -> dict[tuple[str, str], Service]:
        found: dict[tuple[str, str], Service] = {}
        for service in self.services:
            found.setdefault((service.namespace, service.name), service)  # the first, as listed
        return found

    @cached_property
    def _services_by_namespace(self) -> dict[str, tuple[Service, ...]]:
        return _grouped(self.services, lambda service: service.namespace)

    @cached_property
    def _slices_by_service(self) -> dict[tuple[str, str], tuple[EndpointSlice, ...]]:
        return _grouped(self.endpoint_slices, lambda found: (found.namespace, found.service))

    def namespace(self, name: str) -> Namespace:
        """The namespace called `name`; one absent from the state has only its automatic label."""
        return self.namespaces.get(name) or Namespace.create(name)

    @cached_property
    def _pods_by_key(self) -> dict[str, Pod]:
        return {p.key: p for p in self.pods}

    @cached_property
    def _heps_by_name(self) -> dict[str, HostEndpoint]:
        return {h.name: h for h in self.host_endpoints}

    @cached_property
    def _endpoints_by_ip(self) -> dict[IPAddress, Pod | HostEndpoint]:
        owners: dict[IPAddress, Pod | HostEndpoint] = {}
        for hep in self.host_endpoints:
            for ip in hep.expected_ips:
                owners.setdefault(ip, hep)
        for pod in self.pods:
            if not pod.host_network:
                for ip in pod.ips:
                    owners[ip] = pod
        return owners

    def pod(self, key: str) -> Pod | None:
        return self._pods_by_key.get(key)

    def host_endpoint(self, name: str) -> HostEndpoint | None:
        return self._heps_by_name.get(name)

    def endpoint_for_ip(self, ip: IPAddress) -> Endpoint:
        """The pod or host endpoint owning `ip`, or the IP itself when it is outside the cluster."""
        return self._endpoints_by_ip.get(ip, ip)
