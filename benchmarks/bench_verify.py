"""Benchmark: `np2calico verify` (z3) on the lab and on 10,000 policies over 1,000 namespaces.

Targets (printed, never asserted by a test): the lab < 1 s; the 10,000-policy conversion < 60 s
and < 2 GB peak memory. Times are CPU seconds of this process (the machine may be shared; wall
time is printed too). Also printed, per namespace class (each namespace a namespaced policy lives
in, and "any other namespace"), both directions together: CPU time of its queries, and of that
the time inside the solver (the rest builds the formulas). The large case runs twice: as
`convert --verify` runs it, and with every check sent to z3 (`verify(..., shortcuts=False)`).

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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Timed:
    result: VerifyResult
    cpu: float
    wall: float


def _timed(source: PolicySet, target: str, shortcuts: bool = True) -> Timed:
    output = convert(source.k8s_policies, ConvertOptions(target=Target(target))).policy_set
    wall, cpu = time.perf_counter(), time.process_time()
    # As `convert --verify` does: pods without pcns.* labels of their own (see README).
    result = verify(source, output, question=Question(honest_pods=True), shortcuts=shortcuts)
    return Timed(result, time.process_time() - cpu, time.perf_counter() - wall)


def _per_namespace(result: VerifyResult, solver_only: bool) -> dict[str, float]:
    seconds: dict[str, float] = defaultdict(float)
    for check in result.checks:
        spent = check.solver_seconds if solver_only else check.cpu_seconds
        seconds[check.where.namespace or "(any other)"] += spent
    return seconds


def _distribution(per: dict[str, float]) -> str:
    values = sorted(per.values())
    slowest = max(per, key=lambda k: per[k])
    return (f"median {statistics.median(values) * 1000:.1f} ms, max {values[-1] * 1000:.1f} ms ({slowest}), "
            f"total {sum(values):.2f} s")


def _report(name: str, timed: Timed, target_seconds: float) -> bool:
    result = timed.result
    per = _per_namespace(result, solver_only=False)
    verdict = "equivalent" if result.equivalent else "NOT equivalent (witness found)"
    skipped = sum(c.skipped for c in result.checks)
    print(f"{name}: {verdict}; {timed.cpu:.2f} CPU s, {timed.wall:.2f} s wall "
          f"(target < {target_seconds:.0f} s); {len(result.checks)} checks "
          f"({skipped} settled without the solver) over {len(per)} namespace classes")
    print(f"  CPU per namespace (formulas + solver): {_distribution(per)}")
    print(f"  solver time per namespace (in z3): {_distribution(_per_namespace(result, solver_only=True))}")
    return timed.cpu < target_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=10_000)
    parser.add_argument("--namespaces", type=int, default=1_000)
    parser.add_argument("--target", default="namespaced", choices=("namespaced", "global"))
    args = parser.parse_args()
    ok = True
    lab = load([str(LAB)]).policies
    for target in ("namespaced", "global"):
        ok &= _report(f"lab, target {target}", _timed(lab, target), 1.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "policies.yaml"
        path.write_text(yaml.dump_all(generate(args.policies, args.namespaces), Dumper=DUMPER))
        big = load([str(path)]).policies
    name = f"{args.policies} policies / {args.namespaces} namespaces, target {args.target}"
    ok &= _report(name, _timed(big, args.target), 60.0)
    # The same proof with every check sent to z3 (none settled by comparing policies): what an
    # input whose output the shortcut cannot match costs.
    ok &= _report(f"{name}, every check through z3", _timed(big, args.target, shortcuts=False), 60.0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (whole process, load and convert included): {peak_mb:.0f} MB (target < 2048 MB)")
    return 0 if ok and peak_mb < 2048 else 1


if __name__ == "__main__":
    raise SystemExit(main())
