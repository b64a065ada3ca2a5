"""Benchmark: `np2calico convert` on 10,000 policies over 1,000 namespaces, against the I/O floor.

The floor is what any tool reading and writing these YAML streams must pay: PyYAML's C loader
parsing the input and its C dumper writing the output. Target: the whole command (a subprocess,
interpreter start-up included) within 3x the floor.

    python benchmarks/bench_convert.py [--policies 10000] [--namespaces 1000] [--target namespaced]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout: `python benchmarks/bench_convert.py`
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
TARGET_RATIO = 3.0


def _rule(index: int) -> dict[str, Any]:
    """Rules of the shapes real policy sets use, cycling through them."""
    shapes: list[dict[str, Any]] = [
        {
            "from": [{"podSelector": {"matchLabels": {"app": f"client-{index % 7}"}}}],
            "ports": [{"protocol": "TCP", "port": 8080}, {"port": 8081}],
        },
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"team": f"t{index % 5}"}},
                    "podSelector": {
                        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]
                    },
                }
            ]
        },
        {
            "from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
            "ports": [{"protocol": "UDP", "port": 53}, {"port": "http"}, {"port": 9000, "endPort": 9100}],
        },
    ]
    return shapes[index % len(shapes)]


def policy(index: int, namespace: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "podSelector": {"matchLabels": {"app": f"app-{index % 10}"}} if index % 4 else {},
        "ingress": [_rule(index), _rule(index + 1)],
    }
    if index % 3 == 0:
        spec["egress"] = [{"to": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": 443}]}]
        spec["policyTypes"] = ["Ingress", "Egress"]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"policy-{index}", "namespace": namespace},
        "spec": spec,
    }


def generate(policies: int, namespaces: int) -> list[dict[str, Any]]:
    return [policy(i, f"ns-{i % namespaces}") for i in range(policies)]


def floor_seconds(input_text: str, output_text: str) -> float:
    """Parse the input and write the output with the C loader and dumper: the I/O floor."""
    documents = list(yaml.load_all(output_text, Loader=LOADER))  # set-up for the dump, not timed
    start = time.perf_counter()
    list(yaml.load_all(input_text, Loader=LOADER))
    yaml.dump_all(documents, Dumper=DUMPER, sort_keys=True, default_flow_style=False)
    return time.perf_counter() - start


def phases(input_file: Path, target: str) -> dict[str, float]:
    """The same work in-process, phase by phase, to see where the time goes."""
    from translator.convert import ConvertOptions, Target, convert
    from translator.load import load
    from translator.render.calico import manifests, render_yaml

    times: dict[str, float] = {}
    start = time.perf_counter()
    loaded = load([str(input_file)])
    times["load (read, validate, parse, normalise)"] = time.perf_counter() - start
    start = time.perf_counter()
    result = convert(loaded.policies.k8s_policies, ConvertOptions(target=Target(target)))
    times["convert"] = time.perf_counter() - start
    start = time.perf_counter()
    render_yaml(manifests(result.tiers, result.policies))
    times["render (model to YAML)"] = time.perf_counter() - start
    return times


def run_command(input_file: Path, output_file: Path, extra: list[str]) -> float:
    command = [
        sys.executable,
        "-m",
        "translator",
        "convert",
        str(input_file),
        "--output-file",
        str(output_file),
        *extra,
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=10_000)
    parser.add_argument("--namespaces", type=int, default=1_000)
    parser.add_argument("--target", default="namespaced", choices=("namespaced", "global"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        input_file, output_file = Path(tmp) / "policies.yaml", Path(tmp) / "calico.yaml"
        input_text = yaml.dump_all(generate(args.policies, args.namespaces), Dumper=DUMPER, sort_keys=False)
        input_file.write_text(input_text)
        command = run_command(input_file, output_file, ["--target", args.target])
        floor = floor_seconds(input_text, output_file.read_text())
        breakdown = phases(input_file, args.target)
    ratio = command / floor
    print(f"policies={args.policies} namespaces={args.namespaces} target={args.target}")
    print(f"np2calico convert: {command:.2f} s")
    print(f"I/O floor (C loader + C dumper): {floor:.2f} s")
    print(f"ratio: {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x)")
    for phase, seconds in breakdown.items():
        print(f"  in-process {phase}: {seconds:.2f} s")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
