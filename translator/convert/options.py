"""What `convert` can be asked to do: target, tier, staging, and the global default deny.

The defaults are chosen so that the output can be applied next to the original Kubernetes policies
and keep its meaning wherever it lands (see README, "Orders and tiers").
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import Enum

from translator.errors import UsageError
from translator.model.calico import DEFAULT_TIER, Action
from translator.model.cluster_dns import DEFAULT_DNS_NAMESPACE as DEFAULT_DNS_NAMESPACE
from translator.model.cluster_dns import DEFAULT_DNS_SELECTOR as DEFAULT_DNS_SELECTOR
from translator.model.common import IPNetwork, PortRange, parse_network

# A Tier np2calico creates sits after Calico's admin tier (`kube-admin` / `adminnetworkpolicy`,
# order 1000), so cluster-admin policies keep precedence, and well before `default` (1,000,000),
# so it is evaluated before the original Kubernetes policies; the gaps on both sides leave room
# for the user's own tiers (security tiers usually sit in the hundreds).
DEFAULT_TIER_ORDER = 100_000.0
# Pass: traffic the tier does not decide goes on to the next tier (the originals during a
# migration). np2calico writes isolation out as explicit Deny rules, so Pass loses nothing.
DEFAULT_TIER_ACTION = Action.PASS

# Namespaces the global default deny never covers unless the user names them (lock-out guard).
SYSTEM_NAMESPACES = ("calico-apiserver", "calico-system", "kube-system", "tigera-operator")
DNS_PORT = 53
# `--allow-apiserver CIDR` without a port: the two ports API servers listen on in practice.
DEFAULT_APISERVER_PORTS = (PortRange.single(443), PortRange.single(6443))
# `--allow-apiserver` without a value: the Service every cluster has for its API server.
APISERVER_SERVICE = "service"
APISERVER_SERVICE_NAMESPACE = "default"
APISERVER_SERVICE_NAME = "kubernetes"

_TIER_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
# Prefixes Calico reserves for the policies it generates itself (semantics.md §2.7).
RESERVED_TIER_NAMES = ("knp", "ossg")
# Tiers Calico (or its operator) creates itself: emitting one would redefine its order and action.
BUILT_IN_TIERS = (
    "adminnetworkpolicy",
    "baselineadminnetworkpolicy",
    "calico-system",
    "kube-admin",
    "kube-baseline",
)


class Target(str, Enum):
    NAMESPACED = "namespaced"
    GLOBAL = "global"


@dataclass(frozen=True)
class ApiServerAccess:
    """`--allow-apiserver CIDR[:PORT]`: egress to the API server's endpoint addresses, TCP.

    `net` None: `--allow-apiserver` alone, egress to the endpoints of Service default/kubernetes
    (Calico's `destination.services`, which carries the endpoints' own ports).
    """

    net: IPNetwork | None
    ports: tuple[PortRange, ...] = DEFAULT_APISERVER_PORTS

    @property
    def flag(self) -> str:
        """The command-line option that asks for it."""
        if self.net is None:
            return "--allow-apiserver"
        return f"--allow-apiserver {self.net}:{','.join(str(p) for p in self.ports)}"


@dataclass(frozen=True)
class DefaultDenyOptions:
    """`--default-deny global` and the options that shape it."""

    exclude_namespaces: tuple[str, ...] = SYSTEM_NAMESPACES
    dns_selector: str = DEFAULT_DNS_SELECTOR
    dns_namespace: str = DEFAULT_DNS_NAMESPACE
    dns_ips: tuple[IPNetwork, ...] = ()
    allow_apiserver: tuple[ApiServerAccess, ...] = ()
    # System namespaces the user asked, by name, to bring under the default deny.
    included_system_namespaces: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        exclude: tuple[str, ...] = (),
        include: tuple[str, ...] = (),
        **kwargs: object,
    ) -> DefaultDenyOptions:
        """The default exclusions, plus `exclude`, minus `include`."""
        excluded = (set(SYSTEM_NAMESPACES) | set(exclude)) - set(include)
        included_system = tuple(sorted(set(include) & set(SYSTEM_NAMESPACES)))
        return cls(
            exclude_namespaces=tuple(sorted(excluded)),
            included_system_namespaces=included_system,
            **kwargs,  # type: ignore[arg-type]
        )

    def covers(self, namespace: str) -> bool:
        return namespace not in self.exclude_namespaces


@dataclass(frozen=True)
class ConvertOptions:
    target: Target = Target.NAMESPACED
    # None: Calico's `default` tier, and no Tier object is emitted.
    tier: str | None = None
    tier_order: float = DEFAULT_TIER_ORDER
    tier_default_action: Action = DEFAULT_TIER_ACTION
    staged: bool = False
    default_deny: DefaultDenyOptions | None = None

    def __post_init__(self) -> None:
        if self.tier == DEFAULT_TIER:
            # `--tier default` is Calico's default tier: no Tier object, no name prefix.
            object.__setattr__(self, "tier", None)
        if self.tier is not None:
            check_tier_name(self.tier)
        if self.tier_default_action not in (Action.PASS, Action.DENY):
            raise UsageError("the tier default action must be Pass or Deny")

    @property
    def tier_name(self) -> str:
        return self.tier or DEFAULT_TIER



def check_tier_name(name: str) -> None:
    """A tier name is one DNS label, at most 63 characters, and not a reserved prefix."""
    if len(name) > 63 or not _TIER_NAME.fullmatch(name):
        raise UsageError(f"invalid tier name {name!r}: one lower-case DNS label, at most 63 characters")
    if name in RESERVED_TIER_NAMES:
        raise UsageError(f"invalid tier name {name!r}: Calico reserves the '{name}.' prefix")
    if name in BUILT_IN_TIERS:
        raise UsageError(f"tier {name!r} is built into Calico; choose a tier of your own")


def parse_apiserver(text: str) -> ApiServerAccess:
    """`service` (what `--allow-apiserver` alone means), `CIDR[:PORT]` or `IP[:PORT]`; an IPv6
    address with a port needs the `/prefix` form."""
    if text == APISERVER_SERVICE:
        return ApiServerAccess(None, ())
    match = re.fullmatch(r"(?P<net>[^/]+/\d+)(?::(?P<port>\d+))?", text)
    if match is None:
        match = re.fullmatch(r"(?P<net>[0-9.]+)(?::(?P<port>\d+))?", text) or re.fullmatch(
            r"(?P<net>[0-9A-Fa-f:]+)()", text
        )
    if match is None:
        raise UsageError(
            f"--allow-apiserver {text!r}: expected CIDR[:PORT] or no value (the kubernetes Service); "
            "alone before a FILE argument, write it after the files or as --allow-apiserver=service"
        )
    net = _network(match.group("net"), "--allow-apiserver")
    port = match.groupdict().get("port")
    if not port:
        return ApiServerAccess(net)
    number = int(port)
    if not 1 <= number <= 65535:
        raise UsageError(f"--allow-apiserver {text!r}: port must be 1-65535")
    return ApiServerAccess(net, (PortRange.single(number),))


def parse_dns_ip(text: str) -> IPNetwork:
    return _network(text, "--dns-ip")


def _network(text: str, option: str) -> IPNetwork:
    try:
        if "/" not in text:
            return ipaddress.ip_network(ipaddress.ip_address(text))
        return parse_network(text)
    except ValueError as exc:
        raise UsageError(f"{option} {text!r}: {exc}") from None
