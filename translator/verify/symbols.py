"""The symbolic connection: two endpoints and a packet, as z3 terms constrained by the invariants.

An endpoint is created for one *class* (a pod of a named namespace, a pod of any other namespace,
an address outside the cluster, or either); its labels are created lazily, one (present, value)
pair per label key a selector reads, with the constraints of `invariants` attached as they are
created. `constraints()` returns everything the solver must assume.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import z3

from translator.load.names import port_name_errors
from translator.model.cluster import HostEndpoint
from translator.model.common import PROTOCOL_NUMBERS, IPAddress, IPNetwork
from translator.selectors import ENDPOINT_NAMESPACE_LABEL, ORCHESTRATOR_LABEL, SERVICE_ACCOUNT_LABEL
from translator.verify import invariants as inv
from translator.verify.domains import (
    Domains,
    EnumValue,
    FixedValue,
    StringValue,
    Value,
    alnum,
    label_value_re,
    same,
    value_text,
)
from translator.verify.terms import Term

if TYPE_CHECKING:
    from translator.verify.network_sets import NetworkSetTerms

ADDRESS_BITS = 128


@cache
def _dns_label_re() -> z3.ReRef:
    edge = alnum(True)
    return z3.Union(edge, z3.Concat(edge, z3.Star(z3.Union(edge, z3.Re("-"))), edge))


@cache
def _subdomain_re() -> z3.ReRef:
    label = _dns_label_re()
    return z3.Concat(label, z3.Star(z3.Concat(z3.Re("."), label)))


@dataclass(frozen=True)
class EndpointClass:
    """Where an endpoint may be: `namespace` set: a pod of that namespace; `outside`: an address
    outside the cluster; `host`: that host endpoint of the inputs; none of them: a pod of a
    namespace not in `excluded` (or, with `may_be_outside`, also an outside address)."""

    namespace: str | None = None
    outside: bool = False
    excluded: frozenset[str] = frozenset()
    may_be_outside: bool = False
    host: HostEndpoint | None = None

    @property
    def always_pod(self) -> bool:
        return not self.outside and not self.may_be_outside and self.host is None

    def __str__(self) -> str:
        if self.host is not None:
            return f"host endpoint {self.host.name}"
        if self.outside:
            return "outside the cluster"
        where = f"namespace {self.namespace}" if self.namespace else "any other namespace"
        return f"pod in {where}" + (" or outside the cluster" if self.may_be_outside else "")


OUTSIDE = EndpointClass(outside=True)


@dataclass
class Endpoint:
    """One side of the symbolic connection."""

    tag: str
    where: EndpointClass
    v6: z3.BoolRef
    domains: Domains
    is_pod: Term = field(init=False)
    namespace: Value = field(init=False)
    address: z3.BitVecRef = field(init=False)
    labels: dict[str, tuple[Term, Value]] = field(default_factory=dict)
    selector_cache: dict[object, Term] = field(default_factory=dict)
    network_cache: dict[IPNetwork, z3.BoolRef] = field(default_factory=dict)
    named_ports: dict[str, Term] = field(default_factory=dict)
    # Addresses of the inputs' host endpoints: an address among them is that host endpoint's.
    reserved: tuple[IPAddress, ...] = ()
    _constraints: list[z3.BoolRef] = field(default_factory=list)

    def __post_init__(self) -> None:
        where, tag = self.where, self.tag
        self.address = z3.BitVec(f"{tag}.address", ADDRESS_BITS)
        if where.host is not None:
            self._host_endpoint(where.host)
            return
        if where.outside:
            self.is_pod = False
        elif where.may_be_outside:
            self.is_pod = z3.Bool(f"{tag}.is_pod")
        else:
            self.is_pod = True
        if where.namespace is not None:
            self.namespace = FixedValue(where.namespace)
        else:
            self.namespace = self._value(ENDPOINT_NAMESPACE_LABEL, _dns_label_re(), inv.DNS_LABEL_MAX)
            self._require(*(z3.Not(self.namespace.equals(n)) for n in sorted(where.excluded)))
        self._constraints.append(z3.Implies(z3.Not(self.v6), z3.Extract(127, 32, self.address) == 0))
        self._constraints.extend(z3.Not(self.is_address(ip)) for ip in self.reserved)

    def _host_endpoint(self, host: HostEndpoint) -> None:
        """A host endpoint: its own labels only, judged by policy (`is_pod` false: no profile
        `kns.*`, no pod-only invariants); its address one of its expected IPs of the packet's
        family, or unknown when it has none of that family (then no CIDR matches it)."""
        self.is_pod = False
        self.namespace = FixedValue("")
        for version in (4, 6):
            ips = self.host_ips(version)
            family = self.v6 if version == 6 else z3.Not(self.v6)
            if ips:
                self._constraints.append(z3.Implies(family, z3.Or(*(self.is_address(ip) for ip in ips))))

    def host_ips(self, version: int) -> tuple[IPAddress, ...]:
        host = self.where.host
        return tuple(ip for ip in host.expected_ips if ip.version == version) if host is not None else ()

    def addressed(self) -> z3.BoolRef:
        """The endpoint has an address of the connection's family (only a host endpoint may lack one)."""
        families = [self.v6 if v == 6 else z3.Not(self.v6) for v in (4, 6) if self.host_ips(v)]
        return z3.Or(False, *families) if self.where.host is not None else z3.BoolVal(True)

    def is_address(self, ip: IPAddress) -> z3.BoolRef:
        family = self.v6 if ip.version == 6 else z3.Not(self.v6)
        return z3.And(family, self.address == int(ip))

    def _require(self, *terms: z3.BoolRef) -> None:
        if terms:
            self._constraints.append(z3.Implies(self.is_pod, z3.And(*terms)))

    def _value(self, key: str, valid: z3.ReRef, longest: int) -> Value:
        name = f"{self.tag}.value[{key}]"
        if key in self.domains.strings:
            term = z3.String(name)
            self._require(z3.InRe(term, valid), z3.Length(term) <= longest)
            return StringValue(term)
        constants = self.domains.enumerated(key)
        value = EnumValue(z3.BitVec(name, EnumValue.width(constants)), constants, key,
                          self.domains.positions(key))
        self._constraints.extend(value.constraints(self.domains.invalid_indices(key)))
        return value

    def constraints(self) -> list[z3.BoolRef]:
        return list(self._constraints)

    def label(self, key: str) -> tuple[Term, Value]:
        """(present, value) of the endpoint label `key`, for a pod endpoint."""
        found = self.labels.get(key)
        if found is None:
            found = self.labels[key] = self._new_label(key)
        return found

    def _new_label(self, key: str) -> tuple[Term, Value]:
        host = self.where.host
        if host is not None:
            return key in host.labels, FixedValue(host.labels.get(key, ""))
        if key == ENDPOINT_NAMESPACE_LABEL:
            return True, self.namespace
        if key == ORCHESTRATOR_LABEL:
            return True, FixedValue(inv.ORCHESTRATOR_VALUE)
        if key == SERVICE_ACCOUNT_LABEL:
            return True, self._value(key, _subdomain_re(), inv.SUBDOMAIN_MAX)
        if not inv.endpoint_can_carry(key):
            return False, FixedValue("")
        value = self._value(key, label_value_re(), inv.LABEL_VALUE_MAX)
        if key in inv.ALWAYS_INHERITED:
            return True, value
        return z3.Bool(f"{self.tag}.has[{key}]"), value

    def text(self, key: str, value: Value, model: z3.ModelRef) -> str:
        """The concrete value the model gives (a fresh valid one for "any other value")."""
        return value_text(value, model)

    def in_network(self, net: IPNetwork) -> z3.BoolRef:
        found = self.network_cache.get(net)
        if found is None:
            found = self.network_cache[net] = self._in_network(net)
        return found

    def _in_network(self, net: IPNetwork) -> z3.BoolRef:
        family = self.v6 if net.version == 6 else z3.Not(self.v6)
        if self.where.host is not None:
            # Only its expected IPs (an unknown address is in no network).
            return z3.And(family, z3.Or(False, *(self.address == int(ip) for ip in self.host_ips(net.version)
                                               if ip in net)))
        if net.prefixlen == 0:
            return family
        base = int(net.network_address)
        width = 32 if net.version == 4 else 128
        high, low = width - 1, width - net.prefixlen
        bits = z3.Extract(high, low, self.address) == z3.BitVecVal(base >> low, high - low + 1)
        return z3.And(family, bits)

    def ip(self, model: z3.ModelRef) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        value = model.eval(self.address, model_completion=True).as_long()  # type: ignore[attr-defined]
        if z3.is_true(model.eval(self.v6, model_completion=True)):
            return ipaddress.IPv6Address(value)
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)


@dataclass
class Packet:
    """The first packet of the connection: both endpoints, protocol number, destination port."""

    source: Endpoint
    destination: Endpoint
    v6: z3.BoolRef
    # Bit-vectors, like every term but label strings: the queries stay in QF_BV, which z3 bit-blasts.
    protocol: z3.BitVecRef
    port: z3.BitVecRef
    # Only pods that carry no `pcns.*` label of their own: every inherited label is their namespace's.
    honest: bool = False

    @classmethod
    def create(cls, source: EndpointClass, destination: EndpointClass, domains: Domains,
               honest: bool = False, reserved: tuple[IPAddress, ...] = ()) -> Packet:
        v6 = z3.Bool("v6")
        return cls(Endpoint("src", source, v6, domains, reserved=reserved),
                   Endpoint("dst", destination, v6, domains, reserved=reserved), v6,
                   z3.BitVec("protocol", 8), z3.BitVec("port", 16), honest)

    port_cache: dict[object, Term] = field(default_factory=dict)
    # The given network sets, as the selectors of this packet see them (`network_sets`).
    network_sets: NetworkSetTerms | None = None
    _protocols: dict[int, z3.BoolRef] = field(default_factory=dict)
    # Service endpoint membership, per (end tag, "namespace/name"): see `in_service`.
    services: dict[tuple[str, str], z3.BoolRef] = field(default_factory=dict)

    def in_service(self, tag: str, key: str) -> z3.BoolRef:
        """Whether the connection's end `tag` is an endpoint of Service `key`: for "dst", its
        (address, port, protocol) is one of the Service's endpoints (`destination.services`); for
        "src", its address is an endpoint address, on any port (`source.services`).

        One free boolean per end and Service: the endpoint sets are cluster state, and verify judges
        every possible one. That is exact: the two ends have different addresses, so the source's
        and the destination's membership are independent, as are different Services' endpoints;
        every combination is some set of EndpointSlices (the witness writes it down)."""
        found = self.services.get((tag, key))
        if found is None:
            found = self.services[(tag, key)] = z3.Bool(f"{tag}.in_svc[{key}]")
        return found

    def _service_constraints(self) -> list[z3.BoolRef]:
        """An endpoint is an (address, numbered port, TCP/UDP/SCTP) triple; an end without an
        address (a host endpoint without an expected IP of the family) is no endpoint."""
        found = []
        for (tag, _key), member in sorted(self.services.items(), key=lambda item: item[0]):
            end = self.source if tag == "src" else self.destination
            if tag == "dst":
                found.append(z3.Implies(member, self.ported))
            if end.where.host is not None:
                found.append(z3.Implies(member, end.addressed()))
        return found

    def protocol_is(self, number: int) -> z3.BoolRef:
        found = self._protocols.get(number)
        if found is None:
            found = self._protocols[number] = self.protocol == number
        return found

    @property
    def ported(self) -> z3.BoolRef:
        return z3.Or(*(self.protocol_is(n) for n in inv.PORTED_PROTOCOLS.values()))

    def named_port(self, name: str) -> Term:
        """The destination declares the packet's (port, protocol) under `name`."""
        found = self.destination.named_ports.get(name)
        if found is None:
            host = self.destination.where.host
            if host is not None:
                # A host endpoint declares its named ports in its spec.
                found = z3.Or(False, *(z3.And(self.protocol_is(PROTOCOL_NUMBERS[p.protocol.value]),
                                              self.port == p.port) for p in host.ports if p.name == name))
            else:
                # A name no container can declare never matches.
                found = False if port_name_errors(name) else z3.Bool(f"dst.port[{name}]")
            self.destination.named_ports[name] = found
        return found

    def _host_family(self) -> list[z3.BoolRef]:
        """Between two host endpoints, the family is one in which one of them has an address (the
        evaluator takes the source's first IP's; IPv4 when neither has any)."""
        src, dst = self.source, self.destination
        if src.where.host is None or dst.where.host is None:
            return []
        families = [v for v in (4, 6) if src.host_ips(v) or dst.host_ips(v)]
        if not families:
            return [z3.Not(self.v6)]
        return [z3.Or(*((self.v6 if v == 6 else z3.Not(self.v6)) for v in families))]

    def honest_constraints(self) -> list[z3.BoolRef]:
        """Inherited labels are the namespace's: the name labels hold the namespace name, and two
        pods of one namespace inherit the same labels."""
        ends = (self.source, self.destination)
        found = []
        for end in ends:
            for key in inv.ALWAYS_INHERITED:
                found.append(z3.Implies(end.is_pod, same(end.label(key)[1], end.namespace)))
        keys = sorted({k for end in ends for k in end.labels if k.startswith(inv.NAMESPACE_PREFIX)}
                      - set(inv.ALWAYS_INHERITED))
        together = z3.And(self.source.is_pod, self.destination.is_pod,
                          same(self.source.namespace, self.destination.namespace))
        for key in keys:
            (has_src, value_src), (has_dst, value_dst) = self.source.label(key), self.destination.label(key)
            alike = z3.And(has_src == has_dst, z3.Implies(has_src, same(value_src, value_dst)))
            found.append(z3.Implies(together, alike))
        return found

    def constraints(self) -> list[z3.BoolRef]:
        # First: the namespace labels network sets inherit may create pod labels they constrain.
        sets = [] if self.network_sets is None else \
            self.network_sets.namespaces.constraints((self.source, self.destination), self.honest)
        honest = self.honest_constraints() if self.honest else []
        low, high = inv.PROTOCOL_RANGE
        first, last = inv.PORT_RANGE
        named = [z3.Implies(b, z3.And(self.destination.is_pod, self.ported))
                 for b in self.destination.named_ports.values()
                 if not isinstance(b, bool) and self.destination.where.host is None]
        return [
            *self.source.constraints(),
            *self.destination.constraints(),
            z3.UGE(self.protocol, low), z3.ULE(self.protocol, high),
            z3.If(self.ported, z3.And(z3.UGE(self.port, first), z3.ULE(self.port, last)), self.port == 0),
            self.source.address != self.destination.address,
            *named,
            *honest,
            *sets,
            *self._host_family(),
            *self._service_constraints(),
        ]
