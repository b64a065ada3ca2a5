"""Benchmark: `np2calico verify` (z3) on the lab and on 10,000 policies over 1,000 namespaces.

Targets (printed, never asserted by a test): the lab < 1 s; the 10,000-policy conversion < 60 s
and < 2 GB peak memory. Also printed: solver time per namespace class (each namespace a
namespaced policy lives in, and "any other namespace"), both directions together.

    python benchmarks/bench_verify.py [--policies 10000] [--namespaces 1000] [--target namespaced]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout: `python benchmarks/bench_verify.py`
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_convert import generate  # noqa: E402

from translator.convert import ConvertOptions, Target, convert  # noqa: E402
from translator.load import load  # noqa: E402
from translator.model.calico import PolicySet  # noqa: E402
from translator.verify import Question, VerifyResult, verify  # noqa: E402

LAB = ROOT / "samples" / "lab" / "policies"
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _timed(source: PolicySet, target: str) -> tuple[VerifyResult, float]:
    output = convert(source.k8s_policies, ConvertOptions(target=Target(target))).policy_set
    start = time.perf_counter()
    # As `convert --verify` does: pods without pcns.* labels of their own (see README).
    result = verify(source, output, question=Question(honest_pods=True))
    return result, time.perf_counter() - start


def _per_namespace(result: VerifyResult) -> dict[str, float]:
    seconds: dict[str, float] = defaultdict(float)
    for check in result.checks:
        seconds[check.where.namespace or "(any other)"] += check.seconds
    return seconds


def _report(name: str, result: VerifyResult, seconds: float, target_seconds: float) -> bool:
    per = _per_namespace(result)
    values = sorted(per.values())
    slowest = max(per, key=lambda k: per[k])
    verdict = "equivalent" if result.equivalent else "NOT equivalent (witness found)"
    print(f"{name}: {verdict}; {seconds:.2f} s (target < {target_seconds:.0f} s); "
          f"{len(result.checks)} queries over {len(per)} namespace classes")
    print(f"  solver time per namespace: median {statistics.median(values) * 1000:.1f} ms, "
          f"max {values[-1] * 1000:.1f} ms ({slowest}), total {sum(values):.2f} s")
    return seconds < target_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=10_000)
    parser.add_argument("--namespaces", type=int, default=1_000)
    parser.add_argument("--target", default="namespaced", choices=("namespaced", "global"))
    args = parser.parse_args()
    ok = True
    lab = load([str(LAB)]).policies
    for target in ("namespaced", "global"):
        result, seconds = _timed(lab, target)
        ok &= _report(f"lab, target {target}", result, seconds, 1.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "policies.yaml"
        path.write_text(yaml.dump_all(generate(args.policies, args.namespaces), Dumper=DUMPER))
        big = load([str(path)]).policies
    result, seconds = _timed(big, args.target)
    name = f"{args.policies} policies / {args.namespaces} namespaces, target {args.target}"
    ok &= _report(name, result, seconds, 60.0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (whole process, load and convert included): {peak_mb:.0f} MB (target < 2048 MB)")
    return 0 if ok and peak_mb < 2048 else 1


if __name__ == "__main__":
    raise SystemExit(main())
