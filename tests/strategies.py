"""Hypothesis strategies for clusters, Kubernetes NetworkPolicies and connections.

Domains are tiny on purpose, so that random selectors, CIDRs and ports really match the generated
pods and connections: two label keys with two values, three namespaces (one of them `kube-system`,
which the global default deny excludes), pod IPs from a few addresses that the generated ipBlocks
and their `except`s cover, boundary ports (1, 65535, each side of an endPort), named ports of every
protocol (one name sometimes declared twice), host endpoints with and without the default-allow
profile, host-network pods and pods without an address.

Pods also carry the labels a pod may set to impersonate another namespace (issue 9): the `pcns.`
labels Felix evaluates a namespaceSelector on (a pod's own labels override the ones it inherits
from its namespace profile, felix/labelindex/label_inheritance_index.go), and the
`projectcalico.org/*` labels Calico overwrites on the endpoint (libcalico-go conversion
workload_endpoint_default.go). `pcns.` labels are drawn only for the namespace's *name*
(`projectcalico.org/name`, `kubernetes.io/metadata.name`): the output names namespaces on
`projectcalico.org/namespace`, so these must change nothing. A `pcns.` copy of another namespace
label (`pcns.team`) is left out on purpose: a Kubernetes namespaceSelector on such a label stays a
Calico namespaceSelector, exactly as spoofable as Calico's own enforcement of it (docs/semantics.md);
`tests/unit/test_namespace_spoofing.py` pins that. A spoofing DNS look-alike (a `k8s-app: kube-dns`
pod of another namespace claiming `kube-system`) is drawn too, against the DNS exception.

Some pods stand for a workload (a Deployment's or StatefulSet's template, judged as one endpoint,
`deployment alpha/app-1`), and Services select pods and workloads with numeric or named
targetPorts (resolved per pod); a quarter of the connections go to a Service, judged as Calico
sees them after DNAT (one backing endpoint, on its target port). Every cluster has the API server's
Service `default/kubernetes` with its EndpointSlice (an address outside the pods, TCP 443), which
the default deny's `--allow-apiserver` exception names.

Policies are built as raw model objects (absent `policyTypes`, ports without protocol) and passed
through `translator.model.k8s.normalise`, the one defaulting function, like the loader does.
Examples stay cheap: a few pods, a few policies, a few connections.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TypeVar

from hypothesis import strategies as st

from translator.errors import InputError, Location
from translator.evaluate.services import service_connections
from translator.model.cluster import (
    DEFAULT_ALLOW_PROFILE,
    Cluster,
    Connection,
    ContainerPort,
    Endpoint,
    HostEndpoint,
    Namespace,
    NetworkSet,
    Pod,
)
from translator.model.common import (
    Direction,
    IPAddress,
    LabelSelector,
    LabelSelectorRequirement,
    Protocol,
    SelectorOperator,
    parse_network,
)
from translator.model.k8s import (
    IPBlock,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    normalise,
)
from translator.model.services import EndpointPort, EndpointSlice, Service, ServicePort

T = TypeVar("T")

# --- label domains --------------------------------------------------------------------------------

POD_LABEL_KEYS = ("app", "tier")
POD_LABEL_VALUES = ("a", "b")
NAMESPACE_LABEL_KEYS = ("team",)
NAMESPACE_LABEL_VALUES = ("x", "y")
NAMESPACES = ("alpha", "beta", "kube-system")
DNS_LABELS = {"k8s-app": "kube-dns"}
# Labels a pod may set to claim another namespace or identity: none of them may change a verdict.
SPOOFING_LABELS: dict[str, tuple[str, ...]] = {
    "pcns.projectcalico.org/name": NAMESPACES,
    "pcns.kubernetes.io/metadata.name": NAMESPACES,
    "projectcalico.org/namespace": NAMESPACES,
    "projectcalico.org/orchestrator": ("k8s", "cni"),
    "projectcalico.org/serviceaccount": ("default", "admin"),
}

PROTOCOLS = (Protocol.TCP, Protocol.UDP, Protocol.SCTP)
PORT_NAMES = ("http", "dns", "metrics")
# Boundary ports: the extremes, and each side of the endPort ranges below.
PORT_NUMBERS = (1, 53, 80, 81, 443, 65535)
END_PORTS = (80, 443, 65535)

POD_IPV4 = tuple(ipaddress.ip_address(f"10.0.0.{i}") for i in range(1, 7))
POD_IPV6 = tuple(ipaddress.ip_address(f"fd00::{i}") for i in range(1, 7))
HEP_IPS = (ipaddress.ip_address("192.168.0.10"), ipaddress.ip_address("192.168.0.11"))
EXTERNAL_IPS = tuple(
    ipaddress.ip_address(a) for a in ("203.0.113.5", "10.0.0.200", "2001:db8::1", "169.254.20.10")
)

# CIDRs with their possible `except`s (strict subsets), chosen to cover pod IPs and externals.
CIDRS: dict[str, tuple[str, ...]] = {
    "10.0.0.0/24": ("10.0.0.0/30", "10.0.0.2/32", "10.0.0.4/31"),
    "10.0.0.0/29": ("10.0.0.1/32", "10.0.0.4/30"),
    "0.0.0.0/0": ("10.0.0.0/8", "203.0.113.0/24"),
    "203.0.113.0/24": ("203.0.113.4/30",),
    "192.168.0.0/24": ("192.168.0.11/32",),
    "fd00::/64": ("fd00::/126", "fd00::2/128"),
    "::/0": ("fd00::/16",),
}


def label_sets(keys: tuple[str, ...], values: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(keys), st.sampled_from(values), max_size=len(keys))


def requirements(
    keys: tuple[str, ...], values: tuple[str, ...]
) -> st.SearchStrategy[LabelSelectorRequirement]:
    """Every operator; In/NotIn with one or more values, Exists/DoesNotExist with none."""
    with_values = st.builds(
        LabelSelectorRequirement,
        st.sampled_from(keys),
        st.sampled_from((SelectorOperator.IN, SelectorOperator.NOT_IN)),
        st.lists(st.sampled_from(values), min_size=1, max_size=2).map(tuple),
    )
    without = st.builds(
        LabelSelectorRequirement,
        st.sampled_from(keys),
        st.sampled_from((SelectorOperator.EXISTS, SelectorOperator.DOES_NOT_EXIST)),
    )
    return st.one_of(with_values, without)


def label_selectors(
    keys: tuple[str, ...] = POD_LABEL_KEYS, values: tuple[str, ...] = POD_LABEL_VALUES
) -> st.SearchStrategy[LabelSelector]:
    """matchLabels and/or matchExpressions; `{}` (matches everything) is frequent."""
    general = st.builds(
        lambda labels, exprs: LabelSelector(tuple(sorted(labels.items())), tuple(exprs)),
        st.dictionaries(st.sampled_from(keys), st.sampled_from(values), max_size=1),
        st.lists(requirements(keys, values), max_size=2),
    )
    return st.one_of(st.just(LabelSelector()), general)


namespace_selectors = label_selectors(
    (*NAMESPACE_LABEL_KEYS, "kubernetes.io/metadata.name"), (*NAMESPACE_LABEL_VALUES, *NAMESPACES)
)

# --- clusters --------------------------------------------------------------------------------------
# Every strategy is built once, at import: building strategies inside draws costs more than the
# example itself (Hypothesis validates each new strategy).

container_ports = st.builds(
    ContainerPort,
    st.sampled_from(PORT_NUMBERS),
    st.sampled_from(PROTOCOLS),
    st.one_of(st.none(), st.sampled_from(PORT_NAMES)),
)
_booleans = st.booleans()
_port_names = st.sampled_from(PORT_NAMES)
_pod_labels = label_sets(POD_LABEL_KEYS, POD_LABEL_VALUES)
_spoofing_labels = st.fixed_dictionaries(
    {}, optional={k: st.sampled_from(v) for k, v in SPOOFING_LABELS.items()}
)
# Most pods are honest; the others carry any mix of the spoofing labels.
_workload_labels = st.one_of(
    _pod_labels, st.tuples(_pod_labels, _spoofing_labels).map(lambda t: {**t[0], **t[1]})
)
_namespace_labels = label_sets(NAMESPACE_LABEL_KEYS, NAMESPACE_LABEL_VALUES)
# Two containers may declare one name with different numbers (Kubernetes only warns): a rule's
# named port then matches each of them.
_pod_specs = st.tuples(
    st.sampled_from(("v4", "v4", "v4", "v6", "dual", "dual", "host", "none")),
    st.lists(container_ports, max_size=3, unique_by=lambda p: (p.name, p.protocol, p.port)),
    st.sampled_from(NAMESPACES),
    _workload_labels,
    st.sampled_from((None, None, None, "deployment", "statefulset")),
)
_hep_specs = st.tuples(
    _pod_labels,
    st.sampled_from(((), (DEFAULT_ALLOW_PROFILE,))),
    st.lists(container_ports, max_size=1),
)


def pod(index: int, family: str, ports: list[ContainerPort], namespace: str, labels: dict[str, str],
        kind: str | None = None) -> Pod:
    """Pod `index`: IPv4, IPv6 or dual-stack addresses of its own; or on the host network (the
    first node's address, owned by a host endpoint when the cluster has one); or not yet given
    an address. With `kind`, the pods of a workload `app-<index>` (one endpoint, addressed from
    the pod CIDR as the loader does)."""
    name = f"pod-{index}" if kind is None else f"app-{index}"
    if family == "host":
        return Pod(namespace, name, labels, (HEP_IPS[0],), tuple(ports), host_network=True, workload=kind)
    ips = {
        "v4": (POD_IPV4[index],),
        "v6": (POD_IPV6[index],),
        "dual": (POD_IPV4[index], POD_IPV6[index]),
        "none": (),
    }
    return Pod(namespace, name, labels, ips[family], tuple(ports), workload=kind)


# --- Services ---------------------------------------------------------------------------------------

# The API server as every cluster publishes it: no selector, an EndpointSlice the API server keeps.
APISERVER_ADDRESS = ipaddress.ip_address("203.0.113.5")
APISERVER_SERVICE = Service("default", "kubernetes", None, (ServicePort(443, 443, Protocol.TCP, "https"),))
APISERVER_SLICE = EndpointSlice("default", "kubernetes", "kubernetes", (APISERVER_ADDRESS,),
                                (EndpointPort(443, Protocol.TCP, "https"),))

# (port, targetPort: a number or a container port name, protocol)
_service_ports = st.lists(
    st.tuples(st.sampled_from((80, 443, 8080)), st.one_of(st.sampled_from(PORT_NUMBERS), _port_names),
              st.sampled_from(PROTOCOLS)),
    min_size=1, max_size=2, unique_by=lambda t: (t[0], t[2]),
)
# A Service backs the pod or workload drawn (by index) with its own labels when it has some.
_service_specs = st.tuples(
    st.integers(0, 7),
    st.fixed_dictionaries({"app": st.sampled_from(POD_LABEL_VALUES)},
                          optional={"tier": st.sampled_from(POD_LABEL_VALUES)}),
    _service_ports,
)


def service(index: int, backed: Pod, selector: dict[str, str], ports: list[tuple]) -> Service:
    """Service `svc-<index>` in the namespace of `backed`, selecting it by its own labels (else
    by `selector`), with numeric or named targetPorts."""
    own = {k: v for k, v in backed.labels.items() if k in POD_LABEL_KEYS}
    made = tuple(ServicePort(port, target, protocol, f"p{i}")
                 for i, (port, target, protocol) in enumerate(ports))
    return Service(backed.namespace, f"svc-{index}", own or selector, made)


def dns_pod(index: int) -> Pod:
    """A CoreDNS-like pod in kube-system, serving DNS on UDP and TCP 53."""
    return Pod(
        namespace="kube-system",
        name=f"coredns-{index}",
        labels=dict(DNS_LABELS),
        ips=(POD_IPV4[index],),
        ports=(ContainerPort(53, Protocol.UDP, "dns"), ContainerPort(53, Protocol.TCP, "dns-tcp")),
    )


def fake_dns_pod(index: int, namespace: str) -> Pod:
    """A pod of another namespace dressed as a DNS pod of kube-system: the DNS exception of the
    default deny must not reach it."""
    labels = {**DNS_LABELS, "pcns.projectcalico.org/name": "kube-system"}
    labels["pcns.kubernetes.io/metadata.name"] = "kube-system"
    ports = (ContainerPort(53, Protocol.UDP, "dns"), ContainerPort(53, Protocol.TCP, "dns-tcp"))
    return Pod(namespace, f"fake-dns-{index}", labels, (POD_IPV4[index],), ports)


def host_endpoint(index: int, labels: dict[str, str], profiles: tuple[str, ...], ports: list) -> HostEndpoint:
    """A host endpoint, sometimes with pod-like labels and named ports (which pod peers must ignore)."""
    return HostEndpoint(
        name=f"node-{index}-eth0",
        node=f"node-{index}",
        labels=labels,
        expected_ips=(HEP_IPS[index],),
        profiles=profiles,
        ports=tuple(ports),
    )


_hep_lists = st.lists(_hep_specs, max_size=1)
# Network sets: global or namespaced, labelled like pods, over CIDRs holding pods and externals.
_network_set_specs = st.tuples(
    st.one_of(st.none(), st.sampled_from(NAMESPACES)),
    _pod_labels,
    st.lists(st.sampled_from(sorted({c for cidr, subsets in CIDRS.items() for c in (cidr, *subsets)})),
             min_size=1, max_size=2, unique=True),
)
_network_set_lists = st.lists(_network_set_specs, max_size=2)
_covered_namespaces = st.sampled_from([n for n in NAMESPACES if n != "kube-system"])
_quarter = st.integers(0, 3).map(lambda n: n == 0)
_all_namespace_labels = st.tuples(*(_namespace_labels for _ in NAMESPACES))


@cache
def _pod_spec_lists(max_pods: int) -> st.SearchStrategy[list[tuple]]:
    return st.lists(_pod_specs, min_size=1, max_size=max_pods)


@st.composite
def clusters(draw: st.DrawFn, max_pods: int = 4, with_dns: bool | None = None) -> Cluster:
    specs = draw(_pod_spec_lists(max_pods))
    members = [pod(i, *spec) for i, spec in enumerate(specs)]
    if with_dns if with_dns is not None else draw(_booleans):
        members.append(dns_pod(len(specs)))
    if draw(_quarter):
        members.append(fake_dns_pod(len(members), draw(_covered_namespaces)))
    heps = [host_endpoint(i, *spec) for i, spec in enumerate(draw(_hep_lists))]
    labels = draw(_all_namespace_labels)
    namespaces = [Namespace.create(name, extra) for name, extra in zip(NAMESPACES, labels, strict=True)]
    network_sets = [
        NetworkSet(f"set-{i}", namespace, set_labels, tuple(ipaddress.ip_network(n) for n in nets))
        for i, (namespace, set_labels, nets) in enumerate(draw(_network_set_lists))
    ]
    services = [service(i, members[at % len(members)], selector, ports)
                for i, (at, selector, ports) in enumerate(draw(_service_lists))]
    return Cluster.build(namespaces, members, heps, (APISERVER_SERVICE, *services), (APISERVER_SLICE,),
                         network_sets)


_service_lists = st.lists(_service_specs, max_size=2)


# --- policies --------------------------------------------------------------------------------------

_EXCEPTS = {
    cidr: st.lists(st.sampled_from(subsets), max_size=2, unique=True) for cidr, subsets in CIDRS.items()
}
_CIDR_NAMES = st.sampled_from(sorted(CIDRS))


@st.composite
def ip_blocks(draw: st.DrawFn) -> IPBlock:
    cidr = draw(_CIDR_NAMES)
    excepts = draw(_EXCEPTS[cidr])
    return IPBlock(parse_network(cidr), tuple(parse_network(e) for e in excepts))


_pod_selectors = label_selectors()
peers = st.one_of(
    st.builds(NetworkPolicyPeer, pod_selector=_pod_selectors),
    st.builds(NetworkPolicyPeer, namespace_selector=namespace_selectors),
    st.builds(NetworkPolicyPeer, pod_selector=_pod_selectors, namespace_selector=namespace_selectors),
    st.builds(NetworkPolicyPeer, ip_block=ip_blocks()),
)

_protocols = st.one_of(st.none(), st.sampled_from(PROTOCOLS))
_port_kinds = st.sampled_from(("none", "none", "number", "range", "name"))
_port_numbers = st.sampled_from(PORT_NUMBERS)
_END_PORTS = {p: st.sampled_from([e for e in END_PORTS if e >= p] or [p]) for p in PORT_NUMBERS}


@st.composite
def policy_ports(draw: st.DrawFn) -> NetworkPolicyPort:
    """A port entry: protocol absent (TCP by default) or explicit; a number, a range, a name or none."""
    protocol = draw(_protocols)
    kind = draw(_port_kinds)
    if kind == "none":
        return NetworkPolicyPort(protocol)
    if kind == "name":
        return NetworkPolicyPort(protocol, draw(_port_names))
    port = draw(_port_numbers)
    if kind == "number":
        return NetworkPolicyPort(protocol, port)
    return NetworkPolicyPort(protocol, port, draw(_END_PORTS[port]))


rules = st.builds(
    NetworkPolicyRule,
    ports=st.lists(policy_ports(), max_size=2).map(tuple),
    peers=st.lists(peers, max_size=2).map(tuple),
)

POLICY_TYPES = (
    None,  # absent: Ingress, plus Egress iff there are egress rules
    (Direction.INGRESS,),
    (Direction.EGRESS,),
    (Direction.INGRESS, Direction.EGRESS),
)
POLICY_NAMES = ("allow", "deny-all", "web.v1.policy")

_policy_bodies = st.tuples(
    _pod_selectors,
    st.sampled_from(POLICY_TYPES),
    st.lists(rules, max_size=2).map(tuple),
    st.lists(rules, max_size=2).map(tuple),
)
_policy_keys = st.tuples(st.sampled_from(NAMESPACES), st.sampled_from(POLICY_NAMES))


def raw_policy(namespace: str, name: str, body: tuple) -> NetworkPolicy:
    """A policy as written in a file: not normalised."""
    pod_selector, policy_types, ingress, egress = body
    return NetworkPolicy(namespace, name, pod_selector, policy_types, ingress, egress)


@cache
def _policy_key_lists(max_policies: int) -> st.SearchStrategy[list[tuple[str, str]]]:
    return st.lists(_policy_keys, min_size=1, max_size=max_policies, unique=True)


def raw_policies(namespace: str, name: str) -> st.SearchStrategy[NetworkPolicy]:
    """Raw (not normalised) policies called `namespace/name`, as a file would hold them."""
    return _policy_bodies.map(lambda body: raw_policy(namespace, name, body))


@st.composite
def policy_sets(draw: st.DrawFn, max_policies: int = 3) -> tuple[NetworkPolicy, ...]:
    """Normalised policies with distinct (namespace, name); sometimes a copy in another namespace."""
    keys = draw(_policy_key_lists(max_policies))
    policies = [raw_policy(ns, name, draw(_policy_bodies)) for ns, name in keys]
    copy = _copy_elsewhere(policies[0], keys)
    if copy is not None and draw(_booleans):
        policies.append(copy)
    return tuple(normalise(p) for p in policies)


def _copy_elsewhere(policy: NetworkPolicy, taken: list[tuple[str, str]]) -> NetworkPolicy | None:
    """The same policy in another namespace (what the global target may merge), if one is free."""
    free = [ns for ns in NAMESPACES if (ns, policy.name) not in taken]
    return replace(policy, namespace=free[0]) if free else None


# --- connections -----------------------------------------------------------------------------------


def endpoints(cluster: Cluster) -> list[Endpoint]:
    return [*cluster.pods, *cluster.host_endpoints, *EXTERNAL_IPS]


@st.composite
def connections(draw: st.DrawFn, cluster: Cluster) -> Connection:
    """A connection with at least one pod side: pod↔pod, pod↔IP, pod↔host endpoint.

    When the cluster runs DNS pods, a quarter of the connections are DNS queries to them (UDP or
    TCP 53), the traffic a default deny's DNS exception is about.
    """
    dns_pods = [p for p in cluster.pods if DNS_LABELS.items() <= p.labels.items()]
    if dns_pods and draw(_quarter):
        return _dns_query(draw, cluster, dns_pods)
    to_service = _service_connection(draw, cluster) if draw(_quarter) else None
    if to_service is not None:
        return to_service
    if draw(_eighth):  # to the API server's endpoint (what `--allow-apiserver` is about)
        return Connection(_pick(draw, cluster.pods), APISERVER_ADDRESS, draw(_apiserver_protocols),
                          draw(_apiserver_ports))
    everything = endpoints(cluster)
    source = _pick(draw, everything)
    destination = _pick(draw, everything if isinstance(source, Pod) else cluster.pods)
    port = draw(_connection_ports)
    protocol = draw(_connection_protocols)
    return Connection(source, destination, protocol, port, *_addresses(draw, source, destination),
                      source_port=draw(_source_ports))


# Connections also probe one past each edge of the policies' ports and ranges.
CONNECTION_PORTS = tuple(sorted({*PORT_NUMBERS, 52, 54, 79, 82, 442, 444, 65534}))
_connection_ports = st.one_of(st.sampled_from(CONNECTION_PORTS), st.sampled_from(PORT_NAMES))
_connection_protocols = st.sampled_from(PROTOCOLS)
# The client's source port: mostly any (None), sometimes a known one (issue 9 item 4: Calico
# judges source ports; Kubernetes never looks at them, so neither may the output).
_source_ports = st.one_of(st.none(), st.none(), st.sampled_from((1, 1024, 32768, 65535)))
_dns_protocols = st.sampled_from((Protocol.UDP, Protocol.TCP))
_apiserver_ports = st.sampled_from((443, 443, 444))
_apiserver_protocols = st.sampled_from((Protocol.TCP, Protocol.TCP, Protocol.UDP))
_eighth = st.integers(0, 7).map(lambda n: n == 0)


def _pick(draw: st.DrawFn, items: Sequence[T]) -> T:
    """One of `items`; drawing an index reuses Hypothesis' cached integer strategy."""
    return items[draw(st.integers(0, len(items) - 1))]


def _service_connection(draw: st.DrawFn, cluster: Cluster) -> Connection | None:
    """A pod's connection to a Service, after DNAT: one of its endpoints on the target port
    (None when the Service chosen has no endpoint for the port: nothing to judge)."""
    selecting = [s for s in cluster.services if s.selector]
    if not selecting:
        return None
    chosen = _pick(draw, selecting)
    port = _pick(draw, chosen.ports)
    where = (Location("strategies"), Location("strategies"))
    try:
        found = service_connections(_pick(draw, cluster.pods), None, f"svc/{chosen.key}:{port.port}", None,
                                    port.protocol, cluster, where)
    except InputError:
        return None
    return _pick(draw, found)


def _dns_query(draw: st.DrawFn, cluster: Cluster, dns_pods: list[Pod]) -> Connection:
    source = _pick(draw, cluster.pods)
    return Connection(source, _pick(draw, dns_pods), draw(_dns_protocols), 53)


def _addresses(
    draw: st.DrawFn, source: Endpoint, destination: Endpoint
) -> tuple[IPAddress | None, IPAddress | None]:
    """Sometimes pick the IPv6 address of a dual-stack side explicitly (both sides, same family)."""
    if not draw(_booleans):
        return (None, None)
    sides = [_v6(e) for e in (source, destination)]
    if any(s is None for s in sides):
        return (None, None)
    return (sides[0], sides[1])


def _v6(endpoint: Endpoint) -> IPAddress | None:
    ips = endpoint.ips if isinstance(endpoint, (Pod, HostEndpoint)) else (endpoint,)
    return next((ip for ip in ips if ip.version == 6), None)


@dataclass(frozen=True)
class Scenario:
    """One example: a cluster, its policies, and the connections to judge on it."""

    cluster: Cluster
    policies: tuple[NetworkPolicy, ...]
    connections: tuple[Connection, ...]


@st.composite
def scenarios(
    draw: st.DrawFn, max_pods: int = 4, max_connections: int = 4, with_dns: bool | None = None
) -> Scenario:
    cluster = draw(clusters(max_pods, with_dns))
    policies = draw(policy_sets())
    conns = draw(st.lists(connections(cluster), min_size=1, max_size=max_connections))
    return Scenario(cluster, policies, tuple(conns))
