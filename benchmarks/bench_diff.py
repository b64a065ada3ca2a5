"""Benchmark of `np2calico diff --migrate --default-deny global` on generated clusters.

Targets (issue 5): 5,000 pods in 500 namespaces with 2,000 policies under 30 s and 2 GB;
200 pods with 220 policies under 1 s. Run from the repository root:

    python benchmarks/bench_diff.py            # both sizes
    python benchmarks/bench_diff.py --small    # the small one only

The cluster looks like a real one: every namespace has a team and an env label, pods come from a
few apps and tiers; most namespaces carry a default deny (ingress and egress), DNS egress, an
allow from the frontend to the api on a port range, an allow into the web pods from namespaces
of the same team (and egress to an external CIDR); one namespace in ten has no policy at all, so
the migration really changes something. Time covers the conversion and the diff (not loading),
peak RSS is the whole process's.
"""

from __future__ import annotations

import argparse
import ipaddress
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from translator.convert import convert
from translator.convert.options import ConvertOptions, DefaultDenyOptions
from translator.diff import diff_policies
from translator.model.calico import PolicySet
from translator.model.cluster import Cluster, ContainerPort, Namespace, Pod
from translator.model.common import Direction, LabelSelector, Protocol, parse_network
from translator.model.k8s import (
    IPBlock,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
    normalise,
)

APPS = ("web", "api", "db", "cache", "worker")
TIERS = ("frontend", "backend")
DNS = LabelSelector.of({"k8s-app": "kube-dns"})
KUBE_SYSTEM = LabelSelector.of({"kubernetes.io/metadata.name": "kube-system"})


def _namespace(index: int) -> Namespace:
    return Namespace.create(f"ns-{index}", {"team": f"t{index % 10}",
                                            "env": "prod" if index % 3 else "dev"})


def _pods(namespace: str, ns_index: int, count: int, first_ip: int) -> list[Pod]:
    pods = []
    for i in range(count):
        app = APPS[(i + ns_index) % len(APPS)]
        labels = {"app": app, "tier": TIERS[i % 2]}
        ports = (ContainerPort(8080, Protocol.TCP, "http"),) if app in ("web", "api") else ()
        ip = ipaddress.IPv4Address(first_ip + i)
        pods.append(Pod(namespace, f"{app}-{i}", labels, (ip,), ports))
    return pods


def _policies(namespace: str, ns_index: int, count: int) -> list[NetworkPolicy]:
    """`count` policies for one namespace, from a realistic repertoire."""
    team = LabelSelector.of({"team": f"t{ns_index % 10}"})
    every = (Direction.INGRESS, Direction.EGRESS)
    repertoire = [
        NetworkPolicy(namespace, "default-deny", LabelSelector(), every),
        NetworkPolicy(namespace, "allow-dns", LabelSelector(), (Direction.EGRESS,), egress=(
            NetworkPolicyRule((NetworkPolicyPort(Protocol.UDP, 53), NetworkPolicyPort(Protocol.TCP, 53)),
                              (NetworkPolicyPeer(DNS, KUBE_SYSTEM),)),)),
        NetworkPolicy(namespace, "frontend-to-api", LabelSelector.of({"app": "api"}), (Direction.INGRESS,),
                      (NetworkPolicyRule((NetworkPolicyPort(Protocol.TCP, 8000, 8100),),
                                         (NetworkPolicyPeer(LabelSelector.of({"tier": "frontend"})),)),)),
        NetworkPolicy(namespace, "team-to-web", LabelSelector.of({"app": "web"}), (Direction.INGRESS,),
                      (NetworkPolicyRule((NetworkPolicyPort(Protocol.TCP, "http"),),
                                         (NetworkPolicyPeer(namespace_selector=team),)),)),
        NetworkPolicy(namespace, "egress-partner", LabelSelector.of({"tier": "backend"}), (Direction.EGRESS,),
                      egress=(NetworkPolicyRule((NetworkPolicyPort(Protocol.TCP, 443),), (NetworkPolicyPeer(
                          ip_block=IPBlock(parse_network(f"203.0.{ns_index % 200}.0/24"))),)),)),
    ]
    for k in range(len(repertoire), count):  # more allows, each on its own port
        app = APPS[k % len(APPS)]
        repertoire.append(NetworkPolicy(
            namespace, f"allow-{app}-{k}", LabelSelector.of({"app": app}), (Direction.INGRESS,),
            (NetworkPolicyRule((NetworkPolicyPort(Protocol.TCP, 9000 + k),),
                               (NetworkPolicyPeer(LabelSelector.of({"tier": TIERS[k % 2]})),)),)))
    return [normalise(p) for p in repertoire[:count]]


def generate(pods: int, namespaces: int, policies: int) -> tuple[PolicySet, Cluster]:
    per_namespace = pods // namespaces
    governed = [i for i in range(namespaces) if i % 10 != 9]  # one namespace in ten: no policy
    per_policy_ns, extra = divmod(policies, len(governed))
    all_pods, all_policies = [], []
    for i in range(namespaces):
        all_pods += _pods(f"ns-{i}", i, per_namespace, int(ipaddress.IPv4Address("10.1.0.0")) + i * 256)
    for rank, i in enumerate(governed):
        all_policies += _policies(f"ns-{i}", i, per_policy_ns + (1 if rank < extra else 0))
    coredns = Pod("kube-system", "coredns", {"k8s-app": "kube-dns"}, (ipaddress.IPv4Address("10.0.0.10"),),
                  (ContainerPort(53, Protocol.UDP, "dns"), ContainerPort(53, Protocol.TCP, "dns-tcp")))
    namespaces_ = [_namespace(i) for i in range(namespaces)] + [Namespace.create("kube-system")]
    return PolicySet(k8s_policies=tuple(all_policies)), Cluster.build(namespaces_, [*all_pods, coredns])


def run(pods: int, namespaces: int, policies: int, target_seconds: float) -> bool:
    before, cluster = generate(pods, namespaces, policies)
    start = time.perf_counter()
    after = convert(before.k8s_policies, ConvertOptions(default_deny=DefaultDenyOptions())).policy_set
    diff = diff_policies(before, after, cluster)
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ok = elapsed < target_seconds and peak_mb < 2048
    print(f"{len(cluster.pods)} pods, {len(cluster.namespaces)} namespaces, "
          f"{len(before.k8s_policies)} policies: {elapsed:.2f} s (target {target_seconds:g} s), "
          f"peak RSS {peak_mb:.0f} MB (target 2048 MB), {len(diff.changes)} changes, "
          f"{diff.evaluated} representative evaluations per side — {'ok' if ok else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="only the 200-pod case")
    args = parser.parse_args()
    ok = run(200, 20, 220, 1.0)
    if not args.small:
        ok = run(5000, 500, 2000, 30.0) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
