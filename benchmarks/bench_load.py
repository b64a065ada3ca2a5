"""Benchmark: `translator.load.load` on N NetworkPolicies, against a bare C parse of the same text.

The bare parse (PyYAML's C loader, nothing checked) is what reading the file costs at least.
`load()` adds the safety guard, schema validation and model parsing; the split shows where:

    python benchmarks/bench_load.py [--policies 10000] [--namespaces 1000] [--repeat 3]

Each figure is CPU time (`time.process_time`), the best of `--repeat` runs, so other work on a
busy machine disturbs it less.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout: `python benchmarks/bench_load.py`
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_convert import DUMPER, LOADER, generate  # noqa: E402 (needs the path above)

from translator.errors import Diagnostics, Location  # noqa: E402
from translator.load import load, parse_documents  # noqa: E402
from translator.load.documents import parse_text  # noqa: E402
from translator.load.k8s import NETWORK_POLICY_SCHEMA  # noqa: E402
from translator.load.schema import check_schema  # noqa: E402

# `load()` within this multiple of the bare C parse is the aim.
TARGET_RATIO = 1.5


def best_of(repeat: int, action: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        result = action()
        times.append(time.process_time() - start)
        del result  # freeing millions of objects is not part of the work measured
    return min(times)


def validate_all(bodies: list[Any]) -> Diagnostics:
    diags = Diagnostics()
    for body in bodies:
        check_schema(body, NETWORK_POLICY_SCHEMA, Location("bench"), diags)
    return diags


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=10_000)
    parser.add_argument("--namespaces", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    text = yaml.dump_all(generate(args.policies, args.namespaces), Dumper=DUMPER, sort_keys=False)
    with tempfile.TemporaryDirectory() as tmp:
        input_file = Path(tmp) / "policies.yaml"
        input_file.write_text(text)
        documents = parse_text(str(input_file), text)
        bodies = [d.body for d in documents]
        figures = {
            "bare C parse (yaml.load_all, CSafeLoader)": lambda: list(yaml.load_all(text, Loader=LOADER)),
            "load() total": lambda: load([str(input_file)]),
            "  read: text to documents (guard, parse)": lambda: parse_text(str(input_file), text),
            "  parse_documents (schema + model)": lambda: parse_documents(documents),
            "    of which schema validation": lambda: validate_all(bodies),
        }
        seconds = {name: best_of(args.repeat, action) for name, action in figures.items()}
    bare = seconds["bare C parse (yaml.load_all, CSafeLoader)"]
    ratio = seconds["load() total"] / bare
    print(f"policies={args.policies} namespaces={args.namespaces} bytes={len(text)}")
    for name, value in seconds.items():
        print(f"{name}: {value:.2f} s")
    print(f"ratio load()/bare parse: {ratio:.2f}x (aim <= {TARGET_RATIO}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
