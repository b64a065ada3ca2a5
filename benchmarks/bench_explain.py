"""How fast is `np2calico explain --connections`? A script, not a test: it prints figures.

    python benchmarks/bench_explain.py [--count 10000] [--semantics k8s]

It builds COUNT connections over the lab cluster (every pod and a few outside addresses as
sources and destinations, several ports and protocols, some named ports), then times:
1. the evaluator alone on the loaded lab policies (parsing of the batch included, loading not);
2. the whole command, `python -m translator explain ... --connections FILE -o json`, in a new
   process (interpreter start, loading, parsing, evaluating and rendering JSON).
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "samples" / "lab"
sys.path.insert(0, str(ROOT))

from translator.evaluate.connections import parse_connections  # noqa: E402
from translator.evaluate.k8s import K8sEvaluator  # noqa: E402
from translator.load import load  # noqa: E402
from translator.model.cluster import Cluster  # noqa: E402

OUTSIDE = ["203.0.113.10", "198.51.100.7", "8.8.8.8"]
TRAFFIC: list[tuple[int | str, str]] = [(80, "TCP"), (443, "TCP"), (53, "UDP"), (53, "TCP"), (9153, "TCP")]


def build_connections(cluster: Cluster, count: int) -> list[dict[str, Any]]:
    """`count` connection items cycling over every (source, destination, port) of the lab."""
    pods = [p.key for p in cluster.pods]
    pod_ips = [str(p.ips[0]) for p in cluster.pods if p.ips]
    sources = pods + pod_ips + OUTSIDE
    destinations = pods + pod_ips + OUTSIDE
    combos = itertools.product(sources, destinations, TRAFFIC)
    items = [
        {"from": src, "to": dst, "port": port, "protocol": protocol}
        for src, dst, (port, protocol) in combos
        if src != dst
    ]
    # A named port that resolves on CoreDNS, so name resolution is timed too.
    dns = next(p.key for p in cluster.pods if p.labels.get("k8s-app") == "kube-dns")
    items += [{"from": src, "to": dns, "port": "dns", "protocol": "UDP"} for src in pods + OUTSIDE]
    return list(itertools.islice(itertools.cycle(items), count))


def time_evaluator(items: list[dict[str, Any]], cluster: Cluster) -> tuple[float, float, int]:
    policies = load([str(LAB / "policies")]).policies.k8s_policies
    started = time.perf_counter()
    connections = parse_connections(items, cluster, "bench")
    parsed = time.perf_counter()
    evaluator = K8sEvaluator(policies, cluster)
    allowed = sum(evaluator.evaluate(c).allowed for c in connections)
    return parsed - started, time.perf_counter() - parsed, allowed


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(batch: Path, semantics: str) -> tuple[float, float, int]:
    """Wall-clock and CPU seconds of one `explain` process, and the size of its output."""
    command = [
        sys.executable, "-m", "translator", "explain", str(LAB / "policies"),
        "--cluster", str(LAB / "cluster.yaml"), "--connections", str(batch),
        "-o", "json", "--semantics", semantics,
    ]  # fmt: skip
    cpu_before, started = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    if done.returncode != 0:
        sys.exit(f"explain failed with exit {done.returncode}:\n{done.stderr}")
    return elapsed, cpu, len(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--semantics", choices=["k8s", "calico"], default="k8s")
    args = parser.parse_args()
    cluster = load([str(LAB / "cluster.yaml")]).cluster()
    items = build_connections(cluster, args.count)
    parse_s, eval_s, allowed = time_evaluator(items, cluster)
    print(f"connections: {len(items)} ({allowed} allowed under k8s semantics)")
    print(f"parse batch items:  {parse_s:7.3f} s  ({len(items) / parse_s:,.0f}/s)")
    print(f"evaluate (k8s):     {eval_s:7.3f} s  ({len(items) / eval_s:,.0f}/s)")
    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / "connections.yaml"
        batch.write_text(yaml.safe_dump(items, sort_keys=False), encoding="utf-8")
        total, cpu, size = time_command(batch, args.semantics)
    print(
        f"explain command ({args.semantics}, -o json, new process): {total:.3f} s wall, {cpu:.3f} s CPU "
        f"for {len(items)} connections ({len(items) / total:,.0f}/s wall), {size / 1e6:.1f} MB of JSON"
    )
    # On a shared machine wall-clock time includes waiting for a CPU: the CPU figure is the cost.
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
