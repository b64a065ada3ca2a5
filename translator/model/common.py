"""Value types shared by the Kubernetes and Calico models: protocols, directions, ports, IPs, labels."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Labels = Mapping[str, str]

MIN_PORT = 1
MAX_PORT = 65535


class Protocol(str, Enum):
    """The protocols a Kubernetes NetworkPolicy can name (and a connection can use)."""

    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"

    def __str__(self) -> str:
        return self.value

    @property
    def number(self) -> int:
        """The IANA protocol number (what a Calico rule's numeric protocol names)."""
        # `_value_` directly: the `value` enum descriptor costs more than the lookup (hot in evaluators).
        return PROTOCOL_NUMBERS[self._value_]


# The protocol names a Calico rule accepts (numorstring.Protocol), with their IANA numbers.
PROTOCOL_NUMBERS: Mapping[str, int] = {
    "TCP": 6, "UDP": 17, "ICMP": 1, "ICMPv6": 58, "SCTP": 132, "UDPLite": 136,
}
_PROTOCOL_NAMES = {name.upper(): name for name in PROTOCOL_NUMBERS}
_PORTED = {6: Protocol.TCP, 17: Protocol.UDP, 132: Protocol.SCTP}


@dataclass(frozen=True)
class RuleProtocol:
    """A Calico rule's `protocol`/`notProtocol`, normalised once: its IANA number, and its name
    when it was written as one (so it renders back as written).

    Calico reads a quoted number as that number (numorstring.Uint8OrString.UnmarshalJSON), so
    `6`, `"6"` and `TCP` are one protocol: TCP, with ports (Protocol.SupportsPorts). Equality and
    hashing use the number only; names are matched like numorstring.ProtocolFromString (any case)
    and kept in their canonical spelling.
    """

    number: int
    name: str | None = field(default=None, compare=False)

    @classmethod
    def of(cls, value: RuleProtocol | Protocol | int | str) -> RuleProtocol:
        """Raises ValueError for an unknown name or a number outside 1-255."""
        if isinstance(value, RuleProtocol):
            return value
        if isinstance(value, Protocol):
            return cls(value.number, value.value)
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if isinstance(value, int):
            if not 1 <= value <= 255:
                raise ValueError(f"protocol number {value} is invalid: must be between 1 and 255")
            return cls(value)
        name = _PROTOCOL_NAMES.get(value.upper())
        if name is None:
            raise ValueError(f"unknown protocol {value!r}")
        return cls(PROTOCOL_NUMBERS[name], name)

    @property
    def port_protocol(self) -> Protocol | None:
        """TCP, UDP or SCTP: the protocols with ports (and the ones a connection can use)."""
        return _PORTED.get(self.number)

    @property
    def supports_ports(self) -> bool:
        return self.number in _PORTED

    @property
    def written(self) -> int | str:
        """The value as a manifest writes it: the name if it was given by name, else the number."""
        return self.name if self.name is not None else self.number

    def __str__(self) -> str:
        return str(self.written)


class Direction(str, Enum):
    """A policy direction; the values are the Kubernetes/Calico `policyTypes`/`types` spellings."""

    INGRESS = "Ingress"
    EGRESS = "Egress"

    def __str__(self) -> str:
        return self.value


# Kubernetes calls it PolicyType; the values are the same.
PolicyType = Direction


@dataclass(frozen=True, order=True)
class PortRange:
    """An inclusive range of port numbers; a single port is `PortRange(p, p)`."""

    start: int
    end: int

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.start <= port <= self.end

    @classmethod
    def single(cls, port: int) -> PortRange:
        return cls(port, port)

    @property
    def is_single(self) -> bool:
        return self.start == self.end

    def __str__(self) -> str:
        return str(self.start) if self.is_single else f"{self.start}:{self.end}"


ALL_PORTS = PortRange(MIN_PORT, MAX_PORT)


class SelectorOperator(str, Enum):
    """Kubernetes LabelSelector operators."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


@dataclass(frozen=True)
class LabelSelectorRequirement:
    key: str
    operator: SelectorOperator
    values: tuple[str, ...] = ()

    def matches(self, labels: Labels) -> bool:
        # NotIn and DoesNotExist match objects that lack the key (apimachinery labels.Requirement).
        if self.operator is SelectorOperator.IN:
            return self.key in labels and labels[self.key] in self.values
        if self.operator is SelectorOperator.NOT_IN:
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator is SelectorOperator.EXISTS:
            return self.key in labels
        return self.key not in labels


@dataclass(frozen=True)
class LabelSelector:
    """A Kubernetes LabelSelector. The empty selector matches everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[LabelSelectorRequirement, ...] = ()

    @classmethod
    def of(cls, labels: Mapping[str, str] | None = None, *exprs: LabelSelectorRequirement) -> LabelSelector:
        return cls(tuple(sorted((labels or {}).items())), tuple(exprs))

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def matches(self, labels: Labels) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels) and all(
            e.matches(labels) for e in self.match_expressions
        )


def parse_ip(text: str) -> IPAddress:
    return ipaddress.ip_address(text)


def parse_network(text: str) -> IPNetwork:
    """Parse a CIDR, masking host bits (`10.0.0.1/24` means `10.0.0.0/24`)."""
    return ipaddress.ip_network(text, strict=False)


def network_in(ip: IPAddress, net: IPNetwork) -> bool:
    """True when `ip` is in `net`; an IPv4 address never matches an IPv6 network and vice versa."""
    return ip.version == net.version and ip in net
