"""The atoms a Calico `services` rule adds: what tells an endpoint of the Service from others.

A rule naming a Service matches its endpoints (`evaluate.service_members`): by address and port
when EndpointSlices list them, by "selected pod of the Service's namespace" and target port when
its selector does. So the diff must not put an endpoint and a non-endpoint in one cell:

- endpoint addresses become CIDRs (a /32 or /128 each), so address cells split at them;
- endpoint ports become port boundaries, per protocol;
- a selector becomes leaves: its `key == value` terms read on the pod's own labels, and the
  namespace read on the label Calico writes itself; a named targetPort becomes a named port, so
  pods resolving it to other numbers are told apart.

Services whose endpoints the state cannot tell add nothing: the evaluator refuses a rule on them
whenever it would decide.
"""

from __future__ import annotations

import ipaddress

from translator.diff.atoms import PROTOCOLS, Atoms
from translator.evaluate.service_members import ServiceIndex
from translator.model.cluster import Cluster
from translator.selectors import ENDPOINT_NAMESPACE_LABEL, Equals


def with_services(atoms: Atoms, cluster: Cluster, index: ServiceIndex) -> Atoms:
    """`atoms` plus the atoms of the endpoints of every Service its rules name (in place)."""
    for namespace, name in sorted(atoms.services):
        endpoints = index.endpoints(namespace, name)
        if not endpoints.known:
            continue
        atoms.cidrs.update(ipaddress.ip_network(address) for address in endpoints.addresses)
        for owner, port, protocol in endpoints.members:
            atoms.add_range((protocol,), port, port)
            if not isinstance(owner, str):
                atoms.cidrs.add(ipaddress.ip_network(owner))
        service = cluster.service(namespace, name)
        if endpoints.pods and service is not None and service.selector:
            leaves = [Equals(k, v) for k, v in sorted(service.selector.items())]
            atoms.add_peer([*leaves, Equals(ENDPOINT_NAMESPACE_LABEL, namespace)], own_namespace=False)
            for service_port in service.ports:
                target = service_port.target_port
                if isinstance(target, str) and service_port.protocol in PROTOCOLS:
                    atoms.named_ports.add((target, service_port.protocol))
                    atoms.peer_named_ports.add((target, service_port.protocol))
    return atoms
