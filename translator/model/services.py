"""Kubernetes Services and EndpointSlices, as far as they decide where a connection really goes.

Calico judges a pod's traffic after kube-proxy's DNAT: a connection to a Service's ClusterIP
and port is judged as a connection to one of its endpoints (a pod) on the *target* port. So a
Service is kept only for what maps it to endpoints: its selector (or, without one, the
EndpointSlices that name it), its ports and their target ports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from translator.errors import Location
from translator.model.common import IPAddress, Labels, Protocol

SERVICE_NAME_LABEL = "kubernetes.io/service-name"  # how an EndpointSlice names its Service


@dataclass(frozen=True)
class ServicePort:
    """`port` is what clients connect to; `target_port` a number or a container port name."""

    port: int
    target_port: int | str
    protocol: Protocol = Protocol.TCP
    name: str | None = None


@dataclass(frozen=True)
class Service:
    namespace: str
    name: str
    # None: a Service without selector, whose endpoints are listed by EndpointSlices.
    selector: Labels | None = field(default=None, hash=False)
    ports: tuple[ServicePort, ...] = ()
    type: str = "ClusterIP"
    headless: bool = False
    external_name: str | None = None
    cluster_ips: tuple[IPAddress, ...] = ()
    origin: Location | None = field(default=None, compare=False, hash=False)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def label(self) -> str:
        return f"svc {self.key}"

    def selects(self, labels: Labels) -> bool:
        """Whether the Service's selector picks a pod with `labels` (an empty selector picks none,
        as the endpoints controller treats a Service without selector)."""
        if not self.selector:
            return False
        return all(labels.get(k) == v for k, v in self.selector.items())

    def port_named(self, wanted: int | str, protocol: Protocol | None) -> ServicePort | None:
        """The Service port a client means by number or by name (and protocol, when given)."""
        for candidate in self.ports:
            if protocol is not None and candidate.protocol is not protocol:
                continue
            if (candidate.name == wanted) if isinstance(wanted, str) else (candidate.port == wanted):
                return candidate
        return None


@dataclass(frozen=True)
class EndpointPort:
    port: int
    protocol: Protocol = Protocol.TCP
    name: str | None = None


@dataclass(frozen=True)
class EndpointSlice:
    """The endpoints of a Service (`service` is its name, in the slice's namespace)."""

    namespace: str
    name: str
    service: str
    addresses: tuple[IPAddress, ...] = ()
    ports: tuple[EndpointPort, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"
