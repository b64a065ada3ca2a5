"""The traffic space, partitioned into cells no policy can tell apart.

- **Endpoints** (pods, host endpoints) get a *signature*: the truth value of every selector leaf
  on each label set a selector can read (the pod's own labels, its Calico label set with the
  inherited `pcns.` namespace labels and implicit labels, its namespace's labels), the cell of
  each of its addresses, the number each mentioned named port resolves to, and its kind.
  Endpoints with the same namespace and signature are one *class*.
- Seen from one scope (the policies that can apply to an endpoint of one namespace), a class is
  *viewed* through the atoms of that scope only, plus "is it in this namespace": most classes of
  other namespaces then look alike, which is what keeps the diff far from pods².
- **Ports**: per protocol, cells start at every boundary a scope's rules mention (and at the
  named-port numbers of the destination); one port per cell is evaluated.
- **Addresses**: per IP family, cells start at every CIDR boundary (first address, and one past
  the last) of the scope's nets/notNets/ipBlocks; one address per cell that no endpoint owns.
"""

from __future__ import annotations

import heapq
import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from translator.diff.atoms import Leaf
from translator.evaluate.calico_scope import NAMESPACE_LABEL_PREFIX
from translator.evaluate.verdict import Subject
from translator.model.cluster import Cluster, HostEndpoint, Pod
from translator.model.common import (
    MAX_PORT,
    IPAddress,
    IPNetwork,
    LabelSelectorRequirement,
    Protocol,
    SelectorOperator,
)
from translator.selectors import NAMESPACE_NAME_LABEL, Equals, In, NotEquals, NotIn

FAMILIES = (4, 6)
_FAMILY_SIZE = {4: 2**32, 6: 2**128}
NamedPort = tuple[str, Protocol]
AddressRange = tuple[int, int]  # inclusive integer bounds of one family


def calico_pod_labels(pod: Pod, namespace_labels: Mapping[str, str]) -> dict[str, str]:
    """The label set Calico selectors see on a pod (the evaluator's own function when present)."""
    from translator.evaluate.calico_scope import pod_labels

    return pod_labels(pod, namespace_labels)


def namespace_label_set(cluster: Cluster, name: str) -> dict[str, str]:
    """A namespace's labels as a namespaceSelector sees them (Calico adds projectcalico.org/name)."""
    return {**cluster.namespace(name).labels, NAMESPACE_NAME_LABEL: name}


class AtomVector(NamedTuple):
    """What every atom says about one endpoint, sparse where it can be.

    `dense` holds the header (kind, identity, address families), one entry per CIDR (does an
    address of the endpoint lie in it) and one per named port (the numbers it resolves to).
    Selector leaves are many (one selector per app gives thousands) and each label set makes
    only a few of them differ from their usual value: `flipped` holds the leaf positions
    (`3 * leaf + label set`) whose value is not the leaf's default (`LeafVector`). A dense
    tuple of every leaf made memory and hashing grow with endpoints × leaves.
    """

    dense: tuple[Any, ...]
    flipped: frozenset[int]


class Positions(NamedTuple):
    """The atoms one view reads: indices into `AtomVector.dense` and leaf positions."""

    dense: tuple[int, ...]
    leaves: frozenset[int]

    def union(self, *others: Positions) -> Positions:
        """Every position any of them reads (one view telling apart what each of them does)."""
        dense = set(self.dense).union(*(o.dense for o in others))
        return Positions(tuple(sorted(dense)), self.leaves.union(*(o.leaves for o in others)))


@dataclass(frozen=True)
class EndpointInfo:
    """One endpoint with what policies can test about it: `bits`, its atom vector."""

    endpoint: Pod | HostEndpoint
    kind: Subject  # a pod, a host-network pod or a host endpoint
    scope: str | None  # the namespace whose policies apply; None: global policies only
    identity: str | None  # set for endpoints that are their own class (host side)
    addresses: Mapping[int, IPAddress]
    bits: AtomVector

    @property
    def namespace(self) -> str | None:
        return self.endpoint.namespace if isinstance(self.endpoint, Pod) else None

    def families_with(self, other: EndpointInfo) -> tuple[int | None, ...]:
        """The IP families a connection between the two can use; (None,) when one has no address."""
        if not self.addresses or not other.addresses:
            return (None,)
        return tuple(f for f in FAMILIES if f in self.addresses and f in other.addresses)


HEADER = 3  # kind, identity, address families: the first entries of every dense vector
HEADER_POSITIONS = Positions(tuple(range(HEADER)), frozenset())  # what every view reads
# A leaf is read on the own labels, the Calico labels, the namespace labels and the namespace
# labels as Calico's namespaceSelectors see them on the endpoint: its `pcns.` labels, where the
# pod's own `pcns.` labels beat the inherited ones (a pod can pass for one of another namespace).
LABEL_SETS = 4


class LeafVector:
    """The truth value of every leaf on one label set, in time that grows with the labels.

    Most leaves compare one label with values (`==`, `!=`, `in`, `not in`, Kubernetes `In` and
    `NotIn`): such a leaf has its default value (false for a positive test, true for a negative
    one) on every label set without that (label, value) pair, so a label set only visits the
    leaves its own pairs name. With one selector per app, testing every leaf on every label set
    made the diff quadratic in apps. Other leaves (default false) are tested.
    """

    def __init__(self, leaves: Sequence[Leaf]) -> None:
        self.defaults: list[bool] = []
        self._by_pair: dict[tuple[str, str], list[int]] = {}
        self._tested: list[tuple[int, Leaf]] = []
        for position, leaf in enumerate(leaves):
            found = _value_test(leaf)
            if found is None:
                self.defaults.append(False)
                self._tested.append((position, leaf))
                continue
            label, values, positive = found
            self.defaults.append(not positive)
            for value in values:
                self._by_pair.setdefault((label, value), []).append(position)

    def flipped(self, labels: Mapping[str, str]) -> set[int]:
        """The positions of the leaves whose value on `labels` is not their default."""
        found: set[int] = set()
        for pair in labels.items():
            found.update(self._by_pair.get(pair, ()))
        found.update(position for position, leaf in self._tested if leaf.matches(labels))
        return found

    def __call__(self, labels: Mapping[str, str]) -> list[bool]:
        bits = list(self.defaults)
        for position in self.flipped(labels):
            bits[position] = not bits[position]
        return bits


def _value_test(leaf: Leaf) -> tuple[str, tuple[str, ...], bool] | None:
    """(label, values, positive) when `leaf` holds exactly when the label has one of the values
    (positive) or exactly when it has none of them, absent included (negative)."""
    if isinstance(leaf, Equals):
        return leaf.label, (leaf.value,), True
    if isinstance(leaf, NotEquals):
        return leaf.label, (leaf.value,), False
    if isinstance(leaf, In):
        return leaf.label, leaf.values, True
    if isinstance(leaf, NotIn):
        return leaf.label, leaf.values, False
    if isinstance(leaf, LabelSelectorRequirement):
        if leaf.operator is SelectorOperator.IN:
            return leaf.key, leaf.values, True
        if leaf.operator is SelectorOperator.NOT_IN:
            return leaf.key, leaf.values, False
    return None


class AtomIndex:
    """Where every atom sits in an `AtomVector`.

    Dense: the header (kind, identity, families), one entry per CIDR, one per named port.
    Leaves: `LABEL_SETS * leaf + k` for label set k (own labels, Calico labels, namespace labels,
    namespace labels as `pcns.` ones show them).
    """

    def __init__(self, leaves: Iterable[Leaf], cidrs: Iterable[IPNetwork],
                 named_ports: Iterable[NamedPort]) -> None:
        self.leaves: list[Leaf] = sorted(set(leaves), key=repr)
        self.cidrs: list[IPNetwork] = sorted(set(cidrs), key=lambda n: (n.version, n))
        self.named_ports: list[NamedPort] = sorted(set(named_ports))
        self._leaf_at = {leaf: i for i, leaf in enumerate(self.leaves)}
        self._cidr_at = {net: i for i, net in enumerate(self.cidrs)}
        self._name_at = {name: i for i, name in enumerate(self.named_ports)}
        self.leaf_vector = LeafVector(self.leaves)
        # (family, first, last) of each CIDR as integers: membership without ipaddress objects.
        self.cidr_bounds = [(n.version, int(n.network_address), int(n.broadcast_address))
                            for n in self.cidrs]

    def positions(self, leaves: Iterable[Leaf], cidrs: Iterable[IPNetwork],
                  named_ports: Iterable[NamedPort]) -> Positions:
        """The positions of the header and of the given atoms."""
        base_name = HEADER + len(self.cidrs)
        dense = {HEADER + self._cidr_at[net] for net in cidrs}
        dense |= {base_name + self._name_at[name] for name in named_ports}
        found = frozenset(LABEL_SETS * self._leaf_at[leaf] + k for leaf in leaves
                          for k in range(LABEL_SETS))
        return Positions((*range(HEADER), *sorted(dense)), found)


class EndpointCatalog:
    """Every endpoint of the cluster with its atom vector, computed once per distinct label set."""

    def __init__(self, cluster: Cluster, index: AtomIndex) -> None:
        self._cluster = cluster
        self._index = index
        self._label_bits: dict[tuple[object, ...], frozenset[int]] = {}
        pods = [self._pod_info(p) for p in cluster.pods]
        heps = [self._hep_info(h) for h in cluster.host_endpoints]
        self.infos: tuple[EndpointInfo, ...] = (*pods, *heps)
        owned = (ip for info in self.infos for ip in info.addresses.values())
        self.owned_addresses: frozenset[IPAddress] = frozenset(
            ip for p in cluster.pods for ip in p.ips
        ) | frozenset(owned)

    def _leaf_bits(self, own: Mapping[str, str], full: Mapping[str, str],
                   namespace: Mapping[str, str]) -> frozenset[int]:
        vector = self._index.leaf_vector
        seen = {k[len(NAMESPACE_LABEL_PREFIX):]: v for k, v in full.items()
                if k.startswith(NAMESPACE_LABEL_PREFIX)}
        return frozenset(LABEL_SETS * leaf + k for k, labels in enumerate((own, full, namespace, seen))
                         for leaf in vector.flipped(labels))

    def _cached_leaf_bits(
        self,
        key: tuple[object, ...],
        own: Mapping[str, str],
        full: Callable[[], Mapping[str, str]],
        namespace: Mapping[str, str],
    ) -> frozenset[int]:
        found = self._label_bits.get(key)
        if found is None:
            found = self._label_bits[key] = self._leaf_bits(own, full(), namespace)
        return found

    def _address_bits(self, addresses: Iterable[IPAddress]) -> list[bool]:
        """Per CIDR of the index: does one of the addresses lie in it (same family only)."""
        bounds = self._index.cidr_bounds
        found = [False] * len(bounds)
        for ip in addresses:
            value, version = int(ip), ip.version
            for at, (family, first, last) in enumerate(bounds):
                if family == version and first <= value <= last:
                    found[at] = True
        return found

    def _port_bits(self, endpoint: Pod | HostEndpoint) -> list[tuple[int, ...]]:
        return [endpoint.named_ports(name, protocol) for name, protocol in self._index.named_ports]

    def _pod_info(self, pod: Pod) -> EndpointInfo:
        ns_labels = namespace_label_set(self._cluster, pod.namespace)
        key = (pod.namespace, tuple(sorted(pod.labels.items())), pod.service_account)
        own = dict(pod.labels)
        leaf_bits = self._cached_leaf_bits(
            key, own, lambda: calico_pod_labels(pod, self._cluster.namespace(pod.namespace).labels),
            ns_labels,
        )
        addresses = _first_by_family(pod.ips)
        rest = (*self._address_bits(addresses.values()), *self._port_bits(pod))
        if pod.host_network:
            # Calico sees its traffic as the node's: it is its own class, named in reports.
            kind, identity, scope = Subject.HOST_NETWORK_POD, pod.key, None
        else:
            kind, identity, scope = Subject.POD, None, pod.namespace
        vector = AtomVector((kind, identity, tuple(sorted(addresses)), *rest), leaf_bits)
        return EndpointInfo(pod, kind, scope, identity, addresses, vector)

    def _hep_info(self, hep: HostEndpoint) -> EndpointInfo:
        labels = dict(hep.labels)
        # A host endpoint has no namespace: namespace leaves read an empty label set.
        leaf_bits = self._leaf_bits(labels, labels, {})
        addresses = _first_by_family(hep.expected_ips)
        rest = (*self._address_bits(addresses.values()), *self._port_bits(hep))
        vector = AtomVector((Subject.HOST_ENDPOINT, hep.key, tuple(sorted(addresses)), *rest),
                            leaf_bits)
        return EndpointInfo(hep, Subject.HOST_ENDPOINT, None, hep.key, addresses, vector)


def _first_by_family(ips: Sequence[IPAddress]) -> dict[int, IPAddress]:
    found: dict[int, IPAddress] = {}
    for ip in ips:
        found.setdefault(ip.version, ip)
    return found


def projector(positions: Positions) -> Callable[[AtomVector], tuple[Any, ...]]:
    """A fast function reading `positions` of an atom vector: equal results exactly when the
    two vectors agree on every position read."""
    dense = positions.dense
    leaves = positions.leaves
    pick: Callable[[tuple[Any, ...]], Any] = (
        (lambda values: ()) if not dense else itemgetter(*dense))
    if not leaves:
        return lambda vector: pick(vector.dense)
    return lambda vector: (pick(vector.dense), vector.flipped & leaves)


# --- ports ---------------------------------------------------------------------------------------


def port_cells(starts: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Inclusive (first, last) port cells beginning at each start, covering 1..65535."""
    ordered = sorted(s for s in set(starts) if 1 <= s <= MAX_PORT)
    ends = [s - 1 for s in ordered[1:]] + [MAX_PORT]
    return tuple(zip(ordered, ends, strict=False))


def destination_port_starts(starts: set[int], named_ports: Iterable[NamedPort],
                            destination: Pod | HostEndpoint, protocol: Protocol) -> set[int]:
    """Port boundaries plus the destination's numbers for the named ports mentioned."""
    starts = set(starts)
    for name, named_protocol in named_ports:
        if named_protocol is protocol:
            for number in destination.named_ports(name, protocol):
                starts.update((number, number + 1))
    return starts


# --- addresses -----------------------------------------------------------------------------------


def address_cells(cidrs: Iterable[IPNetwork], family: int) -> tuple[AddressRange, ...]:
    """Integer address cells of one family, split at every CIDR boundary."""
    size = _FAMILY_SIZE[family]
    starts = {0}
    for net in cidrs:
        if net.version == family:
            starts.add(int(net.network_address))
            starts.add(int(net.broadcast_address) + 1)
    ordered = sorted(s for s in starts if s < size)
    ends = [s - 1 for s in ordered[1:]] + [size - 1]
    return tuple(zip(ordered, ends, strict=False))


def held_address_cells(cidrs: Iterable[IPNetwork],
                       family: int) -> list[tuple[AddressRange, frozenset[AddressRange]]]:
    """`address_cells`, each with the CIDRs (as ranges) that hold it. Rules see an address only
    through the CIDRs holding it, so cells held by the same CIDRs are alike wherever they lie: the
    gaps between 638 ipBlocks are one kind of address, not 639."""
    nets = tuple(n for n in cidrs if n.version == family)
    ranges = sorted({(int(n.network_address), int(n.broadcast_address)) for n in nets})
    holding: list[tuple[int, int]] = []  # a heap of (last, first): the CIDRs open at a cell's start
    found = []
    opened = 0
    for cell in address_cells(nets, family):
        while opened < len(ranges) and ranges[opened][0] <= cell[0]:
            heapq.heappush(holding, (ranges[opened][1], ranges[opened][0]))
            opened += 1
        while holding and holding[0][0] < cell[0]:
            heapq.heappop(holding)
        found.append((cell, frozenset((first, last) for last, first in holding)))
    return found


def representative_address(cell: AddressRange, family: int,
                           owned: frozenset[IPAddress]) -> IPAddress | None:
    """The first address of the cell that no endpoint of the cluster owns (None if all are)."""
    build = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
    start, end = cell
    candidate = start
    while candidate <= end and candidate - start < len(owned) + 1:
        address = build(candidate)
        if address not in owned:
            return address
        candidate += 1
    return None


def range_networks(cell: AddressRange, family: int) -> list[IPNetwork]:
    """The fewest CIDRs covering an inclusive integer range."""
    build = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
    return list(ipaddress.summarize_address_range(build(cell[0]), build(cell[1])))
