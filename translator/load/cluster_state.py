"""The cluster state from what was read: pods, workloads (one endpoint each), Services.

Objects the cluster would create twice count once. A workload owned by another one of the state
(a ReplicaSet of a Deployment, a Job of a CronJob) is represented by its owner; a workload whose
pods are in the state is represented by those pods, which have real addresses. Ownership is read
from `metadata.ownerReferences`; manifests rendered by `helm template` or printed without them
are matched the way controllers name what they make: the owned object's name is the owner's name
and a suffix, and the owner's selector picks its labels.

Template pods have no address. Each remaining workload gets one, per pod CIDR, from the top of the
CIDR down (skipping addresses pods of the state hold), so that ipBlocks are judged on an address
a pod of that cluster could have; `ip_block_notes` says where the verdict depends on which.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace

from translator.errors import Diagnostic, Level, Location
from translator.load.workloads import OwnerRef, Workload
from translator.model.cluster import Cluster, HostEndpoint, Namespace, NetworkSet, Pod
from translator.model.common import IPAddress, IPNetwork, LabelSelector
from translator.model.services import EndpointSlice, Service

DEFAULT_POD_CIDRS: tuple[IPNetwork, ...] = (ipaddress.ip_network("10.244.0.0/16"),)

Identity = tuple[str, str, str]  # (kind, namespace, name)


def build_cluster(
    namespaces: Sequence[Namespace],
    pods: Sequence[Pod],
    pod_owners: Mapping[str, tuple[OwnerRef, ...]],
    workloads: Sequence[Workload],
    extra: tuple[Sequence[HostEndpoint], Sequence[Service], Sequence[EndpointSlice]] = ((), (), ()),
    pod_cidrs: Sequence[IPNetwork] = DEFAULT_POD_CIDRS,
    network_sets: Sequence[NetworkSet] = (),
) -> tuple[Cluster, list[Diagnostic]]:
    """The cluster, and notes on how workloads were counted and addressed."""
    host_endpoints, services, slices = extra
    notes: list[Diagnostic] = []
    roots = _roots(workloads, pods, pod_owners, _Workloads(workloads), notes)
    kept = [w for w in roots.values() if w is not None]
    placed = [p for p in pods if p.ips or p.host_network]
    unplaced = [p for p in pods if not (p.ips or p.host_network)]  # manifests, not yet scheduled
    addressed = {p.key: p for p in _addressed([*unplaced, *(w.template for w in kept)], placed, pod_cidrs)}
    every = [*(addressed.get(p.key, p) for p in pods), *(addressed[w.template.key] for w in kept)]
    cluster = Cluster.build(namespaces, every, host_endpoints, services, slices, network_sets)
    notes += service_notes(cluster)
    return cluster, notes


class _Workloads:
    """The workloads of the state, found by identity and by the names a child's name starts with
    (a scan of every workload per pod would be quadratic in a snapshot)."""

    def __init__(self, workloads: Sequence[Workload]) -> None:
        self.by_identity = {w.identity: w for w in workloads}
        self.by_name: dict[tuple[str, str], list[Workload]] = {}
        for workload in self.by_identity.values():
            self.by_name.setdefault((workload.namespace, workload.name), []).append(workload)

    def prefixes_of(self, namespace: str, name: str) -> Iterator[Workload]:
        """Workloads of `namespace` whose name followed by `-` starts `name`."""
        for position, character in enumerate(name):
            if character == "-":
                yield from self.by_name.get((namespace, name[:position]), ())


def _roots(
    workloads: Sequence[Workload],
    pods: Sequence[Pod],
    pod_owners: Mapping[str, tuple[OwnerRef, ...]],
    known: _Workloads,
    notes: list[Diagnostic],
) -> dict[Identity, Workload | None]:
    """Each top-level workload, None when its pods of the state stand for it."""
    roots: dict[Identity, Workload | None] = {}
    for workload in workloads:
        root = _root(workload, known)
        if root is workload:
            roots.setdefault(workload.identity, workload)
        else:
            notes.append(_info(workload.location, f"{_label(workload)} is counted as {_label(root)}, "
                                                  "which owns it"))
    pods_of: dict[Identity, int] = {}
    for pod in pods:
        owner = _parent(pod.namespace, pod.name, pod.labels, pod_owners.get(pod.key, ()), known, None)
        if owner is not None:
            top = _root(owner, known)
            pods_of[top.identity] = pods_of.get(top.identity, 0) + 1
    for identity, count in sorted(pods_of.items()):
        counted = roots.get(identity)
        if counted is not None:
            notes.append(_info(counted.location, f"{_label(counted)} is judged by its {count} pod(s) "
                                                 "of the cluster state"))
            roots[identity] = None
    return roots


def _root(workload: Workload, known: _Workloads) -> Workload:
    seen = {workload.identity}
    current = workload
    while True:
        parent = _parent(current.namespace, current.name, current.template.labels, current.owners,
                         known, current)
        if parent is None or parent.identity in seen:
            return current
        seen.add(parent.identity)
        current = parent


def _parent(
    namespace: str, name: str, labels: Mapping[str, str], owners: tuple[OwnerRef, ...],
    known: _Workloads, itself: Workload | None,
) -> Workload | None:
    """The workload of the state that made this object: named by an owner reference, else (no
    references at all) the one whose name prefixes this name and whose selector picks its labels."""
    if owners:
        named = ((kind, namespace, owner) for kind, owner in owners)
        return next((known.by_identity[i] for i in named if i in known.by_identity), None)
    candidates = [
        w for w in known.prefixes_of(namespace, name)
        if w is not itself and _selector(w).matches(labels)
    ]
    return max(candidates, key=lambda w: (len(w.name), w.kind), default=None)


def _selector(workload: Workload) -> LabelSelector:
    if workload.selector is not None and not workload.selector.is_empty:
        return workload.selector
    return LabelSelector.of(workload.template.labels)  # a CronJob has no selector of its own


def _addressed(templates: Sequence[Pod], pods: Sequence[Pod], pod_cidrs: Sequence[IPNetwork]) -> list[Pod]:
    """Template pods with an address per pod CIDR; host-network ones are judged as their node."""
    used = {ip for pod in pods for ip in pod.ips}
    free = [_free_addresses(cidr, used) for cidr in pod_cidrs]
    result = []
    for template in sorted(templates, key=lambda p: p.key):
        if template.host_network:
            result.append(template)
            continue
        ips = tuple(ip for ip in (next(addresses, None) for addresses in free) if ip is not None)
        result.append(replace(template, ips=ips))
    return result


def _free_addresses(cidr: IPNetwork, used: set[IPAddress]) -> Iterator[IPAddress]:
    """Addresses of `cidr` from the top down (not the broadcast address), skipping used ones."""
    last = int(cidr.broadcast_address) - (1 if cidr.version == 4 else 0)
    first = int(cidr.network_address) + 1
    build = type(cidr.network_address)
    for number in range(last, first - 1, -1):
        ip = build(number)
        if ip not in used:
            yield ip


def unaddressed(pods: Sequence[Pod], workloads: Sequence[Workload]) -> bool:
    """Whether some pod of the state (a workload's, or a manifest's) was given an address."""
    return bool(workloads) or any(not (p.ips or p.host_network) for p in pods)


def ip_block_notes(cidrs: Iterable[IPNetwork], pod_cidrs: Sequence[IPNetwork]) -> list[str]:
    """How ipBlocks that could hold pod addresses were judged for pods without an address of their
    own: an ipBlock holding the whole pod CIDR matches them, one holding part of it depends on the
    address the pod gets."""
    notes = []
    for cidr in sorted(set(cidrs), key=lambda c: (c.version, str(c))):
        for pod_cidr in (p for p in pod_cidrs if p.version == cidr.version and p.overlaps(cidr)):  # type: ignore[arg-type]
            if pod_cidr.subnet_of(cidr):  # type: ignore[arg-type]
                notes.append(f"ipBlock {cidr} holds the whole pod CIDR {pod_cidr}: workloads are "
                             "judged inside it")
            else:
                notes.append(f"ipBlock {cidr} holds part of the pod CIDR {pod_cidr}: its verdict for a "
                             "workload depends on the pod's address (judged with the one it was given)")
    if notes:
        shown = ", ".join(str(c) for c in pod_cidrs)
        notes.insert(0, f"workloads and pods without an address were each given one from the pod "
                        f"CIDR {shown} (--pod-cidr)")
    return notes


def service_notes(cluster: Cluster) -> list[Diagnostic]:
    """Warnings for Services the state cannot back: no pod selected, a target port name no
    selected pod declares (the endpoints controller then leaves those pods out of that port)."""
    notes: list[Diagnostic] = []
    for service in cluster.services:
        where = service.origin or Location(f"Service {service.key}")
        if not service.selector:
            continue
        backing = [p for p in cluster.pods_in(service.namespace) if service.selects(p.labels)]
        if not backing:
            notes.append(Diagnostic(where.child("spec").child("selector"), Level.WARNING,
                                    f"{service.label} selects no pod or workload of the cluster state"))
            continue
        for index, port in enumerate(service.ports):
            if isinstance(port.target_port, str) and not any(
                    p.named_port(port.target_port, port.protocol) for p in backing):
                here = where.child("spec").child("ports").child(index).child("targetPort")
                notes.append(Diagnostic(here, Level.WARNING, (
                    f"no pod {service.label} selects declares a {port.protocol.value} container port "
                    f"named {port.target_port!r}: the port has no endpoints")))
    return notes


def _label(workload: Workload) -> str:
    return workload.template.label


def _info(location: Location, message: str) -> Diagnostic:
    return Diagnostic(location, Level.INFO, message)
