"""A satisfying model turned into a concrete, reproducible witness.

The witness is a small cluster state (Namespace and Pod objects, as the loader reads them) and
one connection. Its verdicts are not taken from the solver: both policy sets are evaluated on it
by the Calico evaluator, which is what `np2calico explain --semantics calico` runs, so the
deciding policy and rule are the evaluator's. If the two evaluations do not differ, the engine
and the evaluator disagree: that is an internal error, never a silent "equivalent".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import z3

from translator.errors import NP2CalicoError
from translator.evaluate.calico import CalicoEvaluator
from translator.evaluate.verdict import Verdict
from translator.model.calico import PolicySet, TieBreak
from translator.model.cluster import (
    Cluster,
    Connection,
    ContainerPort,
    HostEndpoint,
    Namespace,
    NetworkSet,
    Pod,
    endpoint_label,
)
from translator.model.common import PROTOCOL_NUMBERS, IPAddress, Protocol
from translator.selectors import ENDPOINT_NAMESPACE_LABEL, SERVICE_ACCOUNT_LABEL
from translator.verify import invariants as inv
from translator.verify.engine import Difference
from translator.verify.network_sets import network_set_manifest, network_set_namespaces
from translator.verify.service_witness import named_services, service_manifests, witness_services
from translator.verify.symbols import Endpoint
from translator.verify.terms import Term

POD_NAMES = {"src": "witness-source", "dst": "witness-destination"}
PROTOCOL_NAMES = {number: name for name, number in PROTOCOL_NUMBERS.items()}


@dataclass(frozen=True)
class Witness:
    """A connection whose verdict differs, on a cluster state that makes it happen."""

    cluster: Cluster
    objects: tuple[dict[str, Any], ...]
    source: str
    destination: str
    protocol: str
    port: int | None
    verdict_a: Verdict | None
    verdict_b: Verdict | None
    allowed_a: bool
    allowed_b: bool

    @property
    def reproducible(self) -> bool:
        """Whether `explain` can replay it: explain takes TCP, UDP and SCTP connections only."""
        return self.verdict_a is not None


def _true(model: z3.ModelRef, term: Term) -> bool:
    if isinstance(term, bool):
        return term
    return z3.is_true(model.eval(term, model_completion=True))


def endpoint_labels(endpoint: Endpoint, model: z3.ModelRef) -> dict[str, str]:
    """The endpoint labels the model gives, for the keys the selectors read (present ones only)."""
    return {key: endpoint.text(key, value, model) for key, (present, value) in sorted(endpoint.labels.items())
            if _true(model, present)}


@dataclass
class _PodPlan:
    endpoint: Endpoint
    namespace: str
    labels: dict[str, str]  # the endpoint labels the model requires


def _namespace_labels(plans: list[_PodPlan], name: str) -> dict[str, str]:
    """A namespace label K=v when every witness pod of the namespace needs `pcns.K`=v; otherwise
    the pods that need `pcns.K` carry it themselves (a pod's own label wins)."""
    members = [p for p in plans if p.namespace == name]
    keys = {k for p in members for k in p.labels if k.startswith(inv.NAMESPACE_PREFIX)}
    labels: dict[str, str] = {}
    for key in sorted(keys - set(inv.ALWAYS_INHERITED)):
        values = {p.labels.get(key) for p in members}
        plain = key[len(inv.NAMESPACE_PREFIX):]
        value = values.pop() if len(values) == 1 else None
        if value is not None and inv.namespace_can_carry(plain):
            labels[plain] = value
    return labels


def _pod_labels(plan: _PodPlan, namespace_labels: Mapping[str, str]) -> dict[str, str]:
    own = {}
    for key, value in plan.labels.items():
        if key in inv.CALICO_WRITTEN:
            continue
        if key.startswith(inv.NAMESPACE_PREFIX):
            inherited = namespace_labels.get(key[len(inv.NAMESPACE_PREFIX):])
            if key in inv.ALWAYS_INHERITED:
                inherited = plan.namespace
            if inherited == value:
                continue
        own[key] = value
    return own


def _ports(endpoint: Endpoint, model: z3.ModelRef, protocol: Protocol | None,
           port: int | None) -> tuple[ContainerPort, ...]:
    if protocol is None or port is None:
        return ()
    declared = sorted(name for name, term in endpoint.named_ports.items() if _true(model, term))
    return tuple(ContainerPort(port, protocol, name) for name in declared)


def _pod(plan: _PodPlan, model: z3.ModelRef, namespace_labels: Mapping[str, str], address: IPAddress,
         ports: tuple[ContainerPort, ...]) -> Pod:
    account = plan.labels.get(SERVICE_ACCOUNT_LABEL, "default")
    return Pod(plan.namespace, POD_NAMES[plan.endpoint.tag], _pod_labels(plan, namespace_labels),
               (address,), ports, account)


def _host_manifest(host: HostEndpoint) -> dict[str, Any]:
    """The host endpoint as the inputs defined it (the witness replays against the same one)."""
    spec: dict[str, Any] = {"node": host.node}
    if host.interface:
        spec["interfaceName"] = host.interface
    if host.expected_ips:
        spec["expectedIPs"] = [str(ip) for ip in host.expected_ips]
    if host.profiles:
        spec["profiles"] = list(host.profiles)
    if host.ports:
        spec["ports"] = [{"name": p.name, "port": p.port, "protocol": p.protocol.value} for p in host.ports]
    metadata: dict[str, Any] = {"name": host.name}
    if host.labels:
        metadata["labels"] = dict(sorted(host.labels.items()))
    return {"apiVersion": "projectcalico.org/v3", "kind": "HostEndpoint", "metadata": metadata, "spec": spec}


def _host_address(endpoint: Endpoint, model: z3.ModelRef) -> IPAddress | None:
    """The expected IP the host endpoint uses (None: it has none of the connection's family)."""
    version = 6 if z3.is_true(model.eval(endpoint.v6, model_completion=True)) else 4
    return endpoint.ip(model) if endpoint.host_ips(version) else None


def _manifests(namespaces: list[Namespace], pods: list[Pod],
               network_sets: list[NetworkSet]) -> tuple[dict[str, Any], ...]:
    objects: list[dict[str, Any]] = []
    for namespace in namespaces:
        labels = dict(sorted(namespace.labels.items()))
        objects.append({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": namespace.name, "labels": labels}})
    objects += [network_set_manifest(s) for s in network_sets]
    for pod in pods:
        containers: list[dict[str, Any]] = [{"name": "main", "image": "registry.k8s.io/pause:3.10"}]
        for i, port in enumerate(pod.ports):
            # One container per name: a container may not declare a name twice.
            entry = {"name": port.name, "containerPort": port.port, "protocol": port.protocol.value}
            if i == 0:
                containers[0]["ports"] = [entry]
            else:
                containers.append({"name": f"port-{i}", "image": "registry.k8s.io/pause:3.10",
                                   "ports": [entry]})
        metadata: dict[str, Any] = {"name": pod.name, "namespace": pod.namespace}
        if pod.labels:
            metadata["labels"] = dict(sorted(pod.labels.items()))
        ip = str(pod.ips[0])
        objects.append({"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
                        "spec": {"serviceAccountName": pod.service_account, "containers": containers},
                        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}})
    return tuple(objects)


def _network_sets(difference: Difference) -> tuple[list[NetworkSet], dict[str, dict[str, str | None]]]:
    """The network sets holding the connection's addresses (those its verdicts read), and the
    labels the model gives the namespaces of network sets (None: the namespace lacks the key)."""
    sets = difference.packet.network_sets
    if sets is None:
        return [], {}
    ends = (difference.packet.source, difference.packet.destination)
    model = difference.model
    return sets.holding(e.ip(model) for e in ends), sets.namespaces.present_labels(model)


def _inheriting(labels: dict[str, str], inherited: Mapping[str, str | None]) -> dict[str, str]:
    """The namespace's labels, as network sets of it must inherit them (the pods that differ carry
    their own `pcns.*` label, see `_pod_labels`)."""
    found = {k: v for k, v in labels.items() if k not in inherited}
    found.update({k: v for k, v in inherited.items() if v is not None})
    return found


def build_witness(difference: Difference, a: PolicySet, b: PolicySet, tie_break: TieBreak | str) -> Witness:
    model, packet = difference.model, difference.packet
    number = model.eval(packet.protocol, model_completion=True).as_long()  # type: ignore[attr-defined]
    name = PROTOCOL_NAMES.get(number, str(number))
    protocol = Protocol(name) if name in inv.PORTED_PROTOCOLS else None
    port = model.eval(packet.port, model_completion=True).as_long() if protocol else None  # type: ignore[attr-defined]
    sides = (packet.source, packet.destination)
    namespace = ENDPOINT_NAMESPACE_LABEL
    plans = [_PodPlan(e, e.text(namespace, e.namespace, model), endpoint_labels(e, model))
             for e in sides if _true(model, e.is_pod)]
    sets, inherited = _network_sets(difference)
    names = sorted({p.namespace for p in plans} | network_set_namespaces(sets))
    ns_labels = {n: _inheriting(_namespace_labels(plans, n), inherited.get(n, {})) for n in names}
    namespaces = [Namespace.create(n, ns_labels[n]) for n in names]
    endpoints: dict[str, Pod | HostEndpoint | IPAddress] = {e.tag: e.ip(model) for e in sides}
    hosts = {e.where.host.name: e.where.host for e in sides if e.where.host is not None}
    # A host endpoint is named by the expected IP it uses (explain resolves the address to it);
    # without one of the connection's family, by `hep:NAME`, and then the pods by their address,
    # so that the connection's family stays the one the solver chose.
    addressless = False
    for end in sides:
        if end.where.host is not None:
            address = _host_address(end, model)
            endpoints[end.tag] = address if address is not None else end.where.host
            addressless = addressless or address is None
    pods = []
    for plan in plans:
        ports = _ports(plan.endpoint, model, protocol, port) if plan.endpoint.tag == "dst" else ()
        pod = _pod(plan, model, ns_labels[plan.namespace], plan.endpoint.ip(model), ports)
        pods.append(pod)
        endpoints[plan.endpoint.tag] = pod.ips[0] if addressless else pod
    host_list = tuple(hosts[n] for n in sorted(hosts))
    addresses = {e.tag: e.ip(model) for e in sides if _true(model, e.addressed())}
    services, slices = witness_services(model, packet, named_services(a, b), addresses, protocol, port)
    cluster = Cluster.build(namespaces, pods, host_list, services, slices, network_sets=sets)
    verdicts: list[Verdict | None] = [None, None]
    if protocol is not None and port is not None:
        connection = Connection(endpoints["src"], endpoints["dst"], protocol, port)
        verdicts = [CalicoEvaluator(side, cluster, tie_break=tie_break).evaluate(connection)
                    for side in (a, b)]
        found = tuple(v.allowed for v in verdicts if v is not None)
        if found != (difference.allowed_a, difference.allowed_b):
            raise NP2CalicoError(
                f"verify engine and Calico evaluator disagree on {connection}: engine says "
                f"{difference.allowed_a}/{difference.allowed_b}, evaluator {found} (please report)")
    objects = (*_manifests(namespaces, pods, sets), *(_host_manifest(h) for h in host_list),
               *service_manifests(services, slices))
    return Witness(cluster, objects, endpoint_label(endpoints["src"]),
                   endpoint_label(endpoints["dst"]), name, port, verdicts[0], verdicts[1],
                   difference.allowed_a, difference.allowed_b)
