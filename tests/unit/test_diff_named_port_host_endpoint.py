"""A Kubernetes egress rule on a named port, with no peer, as Calico enforces it against its
conversion: Calico resolves named ports on host endpoints too (HostEndpoint spec.ports), Kubernetes
on pods only, and the conversion follows Kubernetes. The diff reports exactly that connection
(Hypothesis example of `test_diff_against_the_conversion_is_empty`, seed 30490; the property now
drops host endpoints' port names, the only way they matter)."""

from __future__ import annotations

import ipaddress

from translator.convert import convert
from translator.convert.options import ConvertOptions, Target
from translator.diff import diff_policies
from translator.diff.result import EndpointKind
from translator.model.calico import PolicySet
from translator.model.cluster import DEFAULT_ALLOW_PROFILE, Cluster, ContainerPort, HostEndpoint, Pod
from translator.model.common import Direction, LabelSelector, PortRange, Protocol
from translator.model.k8s import NetworkPolicy, NetworkPolicyPort, NetworkPolicyRule, normalise

POD = Pod("alpha", "pod-0", {}, (ipaddress.ip_address("10.0.0.1"),))
HEP = HostEndpoint("node-0-eth0", "node-0", expected_ips=(ipaddress.ip_address("192.168.0.10"),),
                   profiles=(DEFAULT_ALLOW_PROFILE,), ports=(ContainerPort(1, Protocol.TCP, "http"),))
TO_HTTP = NetworkPolicyRule(ports=(NetworkPolicyPort(Protocol.TCP, "http"),))
POLICY = normalise(NetworkPolicy("alpha", "allow", LabelSelector(), (Direction.INGRESS, Direction.EGRESS),
                                 egress=(TO_HTTP,)))


def test_only_the_host_endpoints_named_port_differs_from_calicos_enforcement() -> None:
    output = convert((POLICY,), ConvertOptions(target=Target.NAMESPACED)).policy_set
    diff = diff_policies(PolicySet(k8s_policies=(POLICY,)), output, Cluster.build((), (POD,), (HEP,)))
    [change] = diff.changes
    assert change.source.names == ("pod-0",) and change.destination.kind is EndpointKind.HOST
    assert (change.protocol, change.ports) == (Protocol.TCP, (PortRange(1, 1),))
    assert change.before.allowed and not change.after.allowed
