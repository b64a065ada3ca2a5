"""Seeded, deterministic generators of the benchmark shapes (issue 15), as Kubernetes manifests.

Every generator returns plain dicts as `kubectl get -o yaml` prints them, so the benchmarks run
the real command lines (loading included). The same arguments always give the same documents.

- `migration`: namespaces with a team and an env label; pods of a few apps and tiers; per
  governed namespace a default deny, DNS egress, frontend→api on a port range, team→web on a
  named port, egress to a partner CIDR, then one more allow per policy on its own port; one
  namespace in ten has no policy at all.
- `label_rich`: every app its own selector (one app per five pods), policies that combine
  `In`, `NotIn`, `Exists` and `DoesNotExist`, each on its own port.
- `ip_blocks`: a few pods and one policy with many ipBlocks (with excepts).
- `connections`: an `explain --connections` batch over a cluster's pods and outside addresses.
"""

from __future__ import annotations

import ipaddress
import random
from typing import Any

Doc = dict[str, Any]
APPS = ("web", "api", "db", "cache", "worker")
TIERS = ("frontend", "backend")
POD_BASE = int(ipaddress.IPv4Address("10.64.0.0"))


def namespace(name: str, labels: dict[str, str] | None = None) -> Doc:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}}}


def pod(ns: str, name: str, labels: dict[str, str], ip: int, ports: list[Doc]) -> Doc:
    """A pod with the fields a real snapshot carries (containers, resources, status), ~500 bytes."""
    address = str(ipaddress.IPv4Address(ip))
    container: Doc = {
        "name": "main", "image": f"registry.example.com/{labels.get('app', 'app')}:1.4.2",
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "env": [{"name": "LOG_LEVEL", "value": "info"}],
    }
    if ports:
        container["ports"] = ports
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels,
                     "annotations": {"example.com/owner": "platform"}},
        "spec": {"containers": [container], "nodeName": f"node-{ip % 97}",
                 "serviceAccountName": "default"},
        "status": {"phase": "Running", "hostIP": f"192.168.{ip % 97 // 256}.{ip % 97}",
                   "podIP": address, "podIPs": [{"ip": address}]},
    }


def coredns() -> list[Doc]:
    ports = [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
             {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"}]
    return [namespace("kube-system"),
            pod("kube-system", "coredns-0", {"k8s-app": "kube-dns"}, POD_BASE - 10, ports)]


def policy(ns: str, name: str, spec: Doc) -> Doc:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


# --- migration shape -----------------------------------------------------------------------------


def migration_cluster(pods: int, namespaces: int) -> list[Doc]:
    docs = coredns()
    per_namespace = pods // namespaces
    for n in range(namespaces):
        ns = f"ns-{n}"
        docs.append(namespace(ns, {"team": f"t{n % 10}", "env": "prod" if n % 3 else "dev"}))
        for i in range(per_namespace):
            app = APPS[(i + n) % len(APPS)]
            http = [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
            ports = http if app in ("web", "api") else []
            docs.append(pod(ns, f"{app}-{i}", {"app": app, "tier": TIERS[i % 2]},
                            POD_BASE + n * 256 + i, ports))
    return docs


def _repertoire(ns: str, n: int) -> list[Doc]:
    dns_peer = {"podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}
    return [
        policy(ns, "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        policy(ns, "allow-dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
            {"to": [dns_peer],
             "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]}),
        policy(ns, "frontend-to-api", {"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [
            {"from": [{"podSelector": {"matchLabels": {"tier": "frontend"}}}],
             "ports": [{"protocol": "TCP", "port": 8000, "endPort": 8100}]}]}),
        policy(ns, "team-to-web", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
            {"from": [{"namespaceSelector": {"matchLabels": {"team": f"t{n % 10}"}}}],
             "ports": [{"protocol": "TCP", "port": "http"}]}]}),
        policy(ns, "egress-partner", {"podSelector": {"matchLabels": {"tier": "backend"}},
                                      "policyTypes": ["Egress"], "egress": [
            {"to": [{"ipBlock": {"cidr": f"203.0.{n % 200}.0/24"}}],
             "ports": [{"protocol": "TCP", "port": 443}]}]}),
    ]


def migration_policies(namespaces: int, policies: int, ungoverned_every: int = 10) -> list[Doc]:
    """Policies of the governed namespaces: all but one in `ungoverned_every` (0: every one)."""
    governed = [n for n in range(namespaces)
                if not ungoverned_every or n % ungoverned_every != ungoverned_every - 1]
    per_namespace, extra = divmod(policies, len(governed))
    docs: list[Doc] = []
    for rank, n in enumerate(governed):
        ns = f"ns-{n}"
        count = per_namespace + (1 if rank < extra else 0)
        found = _repertoire(ns, n)
        for k in range(len(found), count):
            app = APPS[k % len(APPS)]
            found.append(policy(ns, f"allow-{app}-{k}", {
                "podSelector": {"matchLabels": {"app": app}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"tier": TIERS[k % 2]}}}],
                             "ports": [{"protocol": "TCP", "port": 9000 + k}]}]}))
        docs += found[:count]
    return docs


def owned_cluster(pods: int) -> list[Doc]:
    """`kubectl get all -A -o yaml`: per ten pods a Deployment, its ReplicaSet (owned by it) and
    the pods (owned by the ReplicaSet), as the API prints them."""
    docs = coredns()
    for d in range(pods // 10):
        ns, app = f"ns-{d % 100}", f"app-{d}"
        template = {"metadata": {"labels": {"app": app}},
                    "spec": {"containers": [{"name": "main", "image": "registry.example.com/app:1",
                                             "ports": [{"name": "http", "containerPort": 8080}]}]}}
        spec = {"selector": {"matchLabels": {"app": app}}, "template": template}
        owner = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": app, "controller": True}]
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": app, "namespace": ns}, "spec": spec})
        docs.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                     "metadata": {"name": f"{app}-5d8f", "namespace": ns, "ownerReferences": owner},
                     "spec": spec})
        for i in range(10):
            made = pod(ns, f"{app}-5d8f-{i}", {"app": app}, POD_BASE + d * 10 + i, [])
            made["metadata"]["ownerReferences"] = [{**owner[0], "kind": "ReplicaSet", "name": f"{app}-5d8f"}]
            docs.append(made)
    return docs


# --- label-rich shape ----------------------------------------------------------------------------


def label_rich(pods: int, seed: int = 15) -> tuple[list[Doc], list[Doc]]:
    """Cluster and policies: one app per five pods, one policy per app, 100 pods per namespace."""
    rng = random.Random(seed)
    apps = max(1, pods // 5)
    namespaces = max(1, pods // 100)
    cluster = coredns()
    for n in range(namespaces):
        cluster.append(namespace(f"team-{n}", {"team": f"t{n % 7}"}))
    for i in range(pods):
        app = i // 5 % apps
        labels = {"app": f"app-{app}", "tier": TIERS[rng.randrange(2)]}
        if rng.random() < 0.2:
            labels["canary"] = "true"
        if rng.random() < 0.1:
            labels["quarantine"] = "yes"
        ports = [{"name": "http", "containerPort": 8000 + app % 50, "protocol": "TCP"}]
        cluster.append(pod(f"team-{i // 100 % namespaces}", f"app-{app}-{i % 5}", labels,
                           POD_BASE + i, ports))
    policies = []
    for app in range(apps):
        ns = f"team-{app * 5 // 100 % namespaces}"
        neighbours = sorted({f"app-{rng.randrange(apps)}" for _ in range(3)})
        peers: list[Doc] = [
            {"podSelector": {"matchExpressions": [
                {"key": "app", "operator": "In", "values": neighbours},
                {"key": "quarantine", "operator": "DoesNotExist"}]}},
            {"podSelector": {"matchExpressions": [
                {"key": "app", "operator": "NotIn", "values": [f"app-{app}"]},
                {"key": "canary", "operator": "Exists"}]},
             "namespaceSelector": {"matchLabels": {"team": f"t{app % 7}"}}},
        ]
        ports = [{"protocol": "TCP", "port": 8000 + app % 50}, {"protocol": "TCP", "port": "http"}]
        policies.append(policy(ns, f"app-{app}", {
            "podSelector": {"matchLabels": {"app": f"app-{app}"}},
            "ingress": [{"from": peers, "ports": ports}]}))
    return cluster, policies


# --- ipBlock shape -------------------------------------------------------------------------------


def ip_blocks(pods: int = 30, blocks: int = 638, seed: int = 638) -> tuple[list[Doc], list[Doc]]:
    rng = random.Random(seed)
    cluster = [*coredns(), namespace("edge")]
    cluster += [pod("edge", f"gw-{i}", {"app": "gw"}, POD_BASE + i, []) for i in range(pods)]
    peers = []
    for _ in range(blocks):
        base = rng.randrange(1, 223) << 24 | rng.randrange(256) << 16
        prefix = rng.choice((16, 20, 24))
        net = ipaddress.IPv4Network((base, prefix), strict=False)
        block: Doc = {"cidr": str(net)}
        if prefix == 16 and rng.random() < 0.3:
            block["except"] = [str(next(net.subnets(new_prefix=24)))]
        peers.append({"ipBlock": block})
    spec = {"podSelector": {"matchLabels": {"app": "gw"}}, "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": peers, "ports": [{"protocol": "TCP", "port": 443}]}],
            "egress": [{"to": peers}]}
    return cluster, [policy("edge", "partners", spec)]


# --- explain batches -----------------------------------------------------------------------------


def connections(cluster: list[Doc], count: int, seed: int = 7) -> list[Doc]:
    rng = random.Random(seed)
    pods = [f"{d['metadata']['namespace']}/{d['metadata']['name']}" for d in cluster if d["kind"] == "Pod"]
    named = {f"{d['metadata']['namespace']}/{d['metadata']['name']}" for d in cluster if d["kind"] == "Pod"
             and any(p.get("name") == "http" for c in d["spec"]["containers"] for p in c.get("ports", []))}
    outside = ["203.0.113.10", "198.51.100.7", "8.8.8.8"]
    traffic = [(80, "TCP"), (443, "TCP"), (53, "UDP"), (8080, "TCP"), (9005, "TCP"), ("http", "TCP")]
    items = []
    for _ in range(count):
        source = rng.choice(pods) if rng.random() < 0.95 else rng.choice(outside)
        destination = rng.choice(pods) if rng.random() < 0.95 else rng.choice(outside)
        port, protocol = rng.choice(traffic)
        if isinstance(port, str) and destination not in named:
            port = 8080  # a port name needs a pod that declares it
        items.append({"from": source, "to": destination, "port": port, "protocol": protocol})
    return items
