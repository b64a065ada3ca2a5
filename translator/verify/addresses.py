"""Realistic witness addresses: pods in the pod CIDR, outside addresses from documentation ranges.

The solver is free to pick any address the query allows, and often picks 255.255.255.255 or
0.0.0.1. Once a differing connection is found, every other value of its model (labels, namespace,
protocol, port, named ports, family) is kept and the addresses alone are chosen again by z3's
Optimize, with soft preferences: a pod inside the pod CIDR (default 10.244.0.0/16, `--pod-cidr`),
an address outside the cluster in TEST-NET-2/3 (198.51.100.0/24 for a source, 203.0.113.0/24 for a
destination; 2001:db8::/32 for IPv6), neither a network nor a broadcast-looking address. What a
policy forces (an ipBlock, a notNets) wins over every preference; the witness is still a model of
the same query, so it differs exactly as before and `explain` replays it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import z3

from translator.model.common import IPNetwork
from translator.verify.symbols import Endpoint, Packet

DOCUMENTATION: dict[int, dict[str, IPNetwork]] = {
    4: {"src": ipaddress.ip_network("198.51.100.0/24"), "dst": ipaddress.ip_network("203.0.113.0/24")},
    6: {"src": ipaddress.ip_network("2001:db8:1::/48"), "dst": ipaddress.ip_network("2001:db8:2::/48")},
}
# Used when --pod-cidr names no network of the family (the IPv6 documentation range stands in).
FALLBACK_POD_CIDR: dict[int, IPNetwork] = {
    4: ipaddress.ip_network("10.244.0.0/16"), 6: ipaddress.ip_network("2001:db8:244::/64"),
}
TIMEOUT_MS = 10_000

# Soft-constraint weights: the range first, then its first /24 (short addresses), then a host
# number that looks like one.
IN_RANGE, FIRST_BLOCK, PLAIN_HOST = 8, 2, 1


def _preferred(endpoint: Endpoint, model: z3.ModelRef, version: int,
               pod_cidrs: Sequence[IPNetwork]) -> IPNetwork:
    is_pod = endpoint.is_pod
    if is_pod if isinstance(is_pod, bool) else z3.is_true(model.eval(is_pod, model_completion=True)):
        return next((n for n in pod_cidrs if n.version == version), FALLBACK_POD_CIDR[version])
    return DOCUMENTATION[version][endpoint.tag]


def _plain_host(endpoint: Endpoint) -> z3.BoolRef:
    """The last byte is neither 0 nor 255 (no `.0`, no `.255` look-alike)."""
    low = z3.Extract(7, 0, endpoint.address)
    return z3.And(low != 0, low != 255)


def _fixed(model: z3.ModelRef, free: set[str]) -> list[z3.BoolRef]:
    """Every constant of the model but the addresses, held at its value."""
    held = []
    for declaration in model.decls():
        if declaration.arity() == 0 and declaration.name() not in free:
            held.append(declaration() == model[declaration])
    return held


def nicer_addresses(packet: Packet, query: Sequence[z3.BoolRef], model: z3.ModelRef,
                    pod_cidrs: Sequence[IPNetwork]) -> z3.ModelRef:
    """A model of `query` equal to `model` but for the endpoint addresses, chosen as described above.
    `model` itself when the optimiser cannot improve on it in time."""
    ends = (packet.source, packet.destination)
    version = 6 if z3.is_true(model.eval(packet.v6, model_completion=True)) else 4
    optimizer = z3.Optimize()
    optimizer.set("timeout", TIMEOUT_MS)
    optimizer.add(*query, *_fixed(model, {str(e.address) for e in ends}))
    for end in ends:
        preferred = _preferred(end, model, version, pod_cidrs)
        optimizer.add_soft(end.in_network(preferred), IN_RANGE)
        block = max(preferred.prefixlen, preferred.max_prefixlen - 8)
        first = ipaddress.ip_network(f"{preferred.network_address}/{block}")
        optimizer.add_soft(end.in_network(first), FIRST_BLOCK)
        optimizer.add_soft(_plain_host(end), PLAIN_HOST)
    if optimizer.check() != z3.sat:
        return model
    return optimizer.model()
