"""The whole performance table of issue 15, one job per line: wall and CPU seconds, peak memory.

    python benchmarks/bench_all.py            # every shape (the big ones take minutes)
    python benchmarks/bench_all.py --quick    # the small shapes only
    python benchmarks/bench_all.py --only diff-5k --only explain-k8s --timeout 120

Inputs are written by `yaml_text.py` (block YAML as kubectl prints it), not by PyYAML's emitter,
so the 150,000-pod jobs start in seconds.

Each job is the real command line (`python -m translator ...`, loading included) in its own
process, so peak RSS is that job's (from `wait4`). CPU is the child's user+system seconds: on a
shared machine wall time includes waiting for a core, CPU does not, so compare CPU first. The
load average is printed with the table. Inputs come from the seeded generators in `shapes.py`
and are written to a temporary folder (`--keep DIR` keeps them). The package is byte-compiled
before the jobs run, as an installed one is.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import shapes  # noqa: E402 (needs the path above)
import yaml_text  # noqa: E402

PY = sys.executable
NOTE_LIMIT = 4 * 2**20  # bytes of a job's output read for its note


def write_list(path: Path, docs: list[dict[str, Any]]) -> Path:
    """One `kind: List` document, as `kubectl get -o yaml` writes a snapshot (`items` first)."""
    with path.open("w", encoding="utf-8") as out:
        out.writelines(yaml_text.list_text(docs))
    return path


def write_stream(path: Path, docs: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.writelines(yaml_text.stream_text(docs))
    return path


@dataclass(frozen=True)
class Job:
    name: str
    what: str
    target: str
    build: Callable[[Path], list[str]]  # writes inputs under the folder, returns the command
    quick: bool = False


def _migration(pods: int, namespaces: int, policies: int, ungoverned_every: int = 10,
               grouped: bool = False) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        cluster = write_list(folder / "cluster.yaml", shapes.migration_cluster(pods, namespaces))
        found = write_stream(folder / "policies.yaml",
                             shapes.migration_policies(namespaces, policies, ungoverned_every))
        extra = ["--group-namespaces"] if grouped else []
        return [PY, "-m", "translator", "diff", "--migrate", str(found), "--cluster", str(cluster),
                "--default-deny", "global", "-o", "json", *extra]
    return build


def _selecting_services(pods: int, services: int) -> list[dict[str, Any]]:
    """Services selecting each namespace's web pods by their named port (one namespace per 10 pods)."""
    namespaces = pods // 10
    return [{"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": f"svc-{i}", "namespace": f"ns-{i % namespaces}"},
             "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]}}
            for i in range(services)]


def _migration_services(pods: int, policies: int, services: int) -> Callable[[Path], list[str]]:
    """The governed migration shape with Services: the report names each pod group's Services."""
    def build(folder: Path) -> list[str]:
        namespaces = pods // 10
        cluster = write_list(folder / "cluster.yaml", shapes.migration_cluster(pods, namespaces)
                             + _selecting_services(pods, services))
        found = write_stream(folder / "policies.yaml",
                             shapes.migration_policies(namespaces, policies, ungoverned_every=0))
        return [PY, "-m", "translator", "diff", "--migrate", str(found), "--cluster", str(cluster),
                "--default-deny", "global", "-o", "json"]
    return build


def _label_rich(pods: int) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        cluster, policies = shapes.label_rich(pods)
        return [PY, "-m", "translator", "diff", "--migrate",
                str(write_stream(folder / "policies.yaml", policies)),
                "--cluster", str(write_list(folder / "cluster.yaml", cluster)), "-o", "json"]
    return build


def _ip_blocks(default_deny: bool) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        cluster, policies = shapes.ip_blocks()
        extra = ["--default-deny", "global"] if default_deny else []
        return [PY, "-m", "translator", "diff", "--migrate",
                str(write_stream(folder / "policies.yaml", policies)),
                "--cluster", str(write_list(folder / "cluster.yaml", cluster)), "-o", "json", *extra]
    return build


def _explain(semantics: str, pods: int, count: int) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        namespaces = pods // 10
        docs = shapes.migration_cluster(pods, namespaces)
        cluster = write_list(folder / "cluster.yaml", docs)
        found = write_stream(folder / "policies.yaml", shapes.migration_policies(namespaces, pods * 2 // 5))
        batch = write_stream(folder / "connections.yaml", [shapes.connections(docs, count)])
        return [PY, "-m", "translator", "explain", str(found), "--cluster", str(cluster),
                "--connections", str(batch), "--semantics", semantics, "-o", "json"]
    return build


def _load(pods: int, suffix: str = "yaml") -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        docs = shapes.migration_cluster(pods, pods // 10)
        if suffix == "json":  # `kubectl get -o json`, without its indentation (json.dump is fast so)
            cluster = folder / "cluster.json"
            cluster.write_text(json.dumps({"apiVersion": "v1", "items": docs, "kind": "List"}))
        else:
            cluster = write_list(folder / "cluster.yaml", docs)
        size = cluster.stat().st_size / 2**20
        code = ("import sys; from translator.load import load; from translator.errors import InputError\n"
                "try: c = load([sys.argv[1]]).cluster()\n"
                "except InputError as e: sys.exit(f'refused: {e}'[:150])\n"
                f"print(len(c.pods), 'pods,', {size:.0f}, 'MiB')")
        return [PY, "-c", code, str(cluster)]
    return build


def _load_mixed(pods: int, others: int) -> Callable[[Path], list[str]]:
    """A snapshot of every kind (`kubectl get all,configmaps -A -o yaml`): kinds np2calico skips
    with a note each, among the pods."""
    def build(folder: Path) -> list[str]:
        config_maps = [{"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": f"config-{i}", "namespace": f"ns-{i % 100}"},
                        "data": {"setting": "value"}} for i in range(others)]
        docs = config_maps + shapes.migration_cluster(pods, pods // 10)
        cluster = write_list(folder / "cluster.yaml", docs)
        code = ("import sys; from translator.load import load\n"
                "print(len(load([sys.argv[1]]).cluster().pods), 'pods')")
        return [PY, "-c", code, str(cluster)]
    return build


def _load_owned(pods: int) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        cluster = write_list(folder / "cluster.yaml", shapes.owned_cluster(pods))
        code = ("import sys; from translator.load import load\n"
                "print(len(load([sys.argv[1]]).cluster().pods), 'endpoints')")
        return [PY, "-c", code, str(cluster)]
    return build


def _load_services(pods: int, services: int) -> Callable[[Path], list[str]]:
    """Pods and Services that select them (by a named target port): the cluster state's notes
    on Services without endpoints."""
    def build(folder: Path) -> list[str]:
        namespaces = pods // 10
        cluster = write_list(folder / "cluster.yaml", shapes.migration_cluster(pods, namespaces)
                             + _selecting_services(pods, services))
        code = ("import sys; from translator.load import load\n"
                "c, notes = load([sys.argv[1]]).cluster_with_notes(); print(len(c.services), 'services')")
        return [PY, "-c", code, str(cluster)]
    return build


def _convert(policies: int) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        found = write_stream(folder / "policies.yaml", shapes.migration_policies(policies // 10, policies))
        return [PY, "-m", "translator", "convert", str(found), "--output-file", str(folder / "out.yaml")]
    return build


def _yaml_floor(policies: int) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        found = write_stream(folder / "policies.yaml", shapes.migration_policies(policies // 10, policies))
        code = ("import sys, yaml; list(yaml.load_all(open(sys.argv[1]), Loader=yaml.CSafeLoader))")
        return [PY, "-c", code, str(found)]
    return build


def _read_guarded(policies: int) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        found = write_stream(folder / "policies.yaml", shapes.migration_policies(policies // 10, policies))
        code = ("import sys; from translator.load.documents import read_documents; "
                "print(sum(1 for _ in read_documents([sys.argv[1]])), 'documents')")
        return [PY, "-c", code, str(found)]
    return build


def _startup(folder: Path) -> list[str]:
    return [PY, "-m", "translator", "--help"]


JOBS = [
    Job("startup", "np2calico --help", "fast, no kubernetes import", _startup, quick=True),
    Job("diff-200", "migration diff, 200 pods / 220 policies", "< 0.5 s wall",
        _migration(200, 20, 220), True),
    Job("diff-500", "migration diff, 500 pods / 550 policies", "-", _migration(500, 50, 550), True),
    Job("diff-5k", "migration diff, 5,000 pods / 2,000 policies", "< 5 s", _migration(5000, 500, 2000)),
    Job("diff-20k", "migration diff, 20,000 pods / 8,000 policies", "< 15 s", _migration(20000, 2000, 8000)),
    Job("diff-50k", "migration diff, 50,000 pods / 20,000 policies", "< 30 s",
        _migration(50000, 5000, 20000)),
    # As diff-150k-governed below: the same clusters with policies in every namespace, so the
    # figure is the engine's, not the size of an answer quadratic in the ungoverned namespaces.
    Job("diff-20k-governed", "diff-20k, every namespace with policies", "< 15 s",
        _migration(20000, 2000, 8000, ungoverned_every=0)),
    Job("diff-50k-governed", "diff-50k, every namespace with policies", "< 30 s",
        _migration(50000, 5000, 20000, ungoverned_every=0)),
    Job("diff-150k", "migration diff, 150,000 pods / 27,000 policies", "< 90 s, < 4 GB",
        _migration(150000, 15000, 27000)),
    # The shape above leaves 1,500 namespaces without policies: the exact answer is every pair
    # of them (~6.75 M changes, ~15 GB of JSON), so that job measures the output's size. Here
    # every namespace has policies: the same cluster, and the engine's cost at that scale.
    Job("diff-150k-governed", "the same, every namespace with policies", "< 90 s, < 4 GB",
        _migration(150000, 15000, 27000, ungoverned_every=0)),
    # The same ungoverned shapes with --group-namespaces: changes alike in many namespaces are
    # one change, so the answer grows with the pods, not with pairs of namespaces.
    Job("diff-20k-grouped", "diff-20k with --group-namespaces", "< 15 s",
        _migration(20000, 2000, 8000, grouped=True)),
    Job("diff-50k-grouped", "diff-50k with --group-namespaces", "< 30 s",
        _migration(50000, 5000, 20000, grouped=True)),
    Job("diff-150k-grouped", "diff-150k with --group-namespaces", "< 90 s, < 4 GB",
        _migration(150000, 15000, 27000, grouped=True)),
    Job("diff-20k-services", "diff-20k-governed with 4,000 Services", "~ diff-20k-governed",
        _migration_services(20000, 8000, 4000)),
    Job("label-1k", "label-rich, 1,000 pods / 200 apps", "-", _label_rich(1000), True),
    Job("label-2k", "label-rich, 2,000 pods / 400 apps", "-", _label_rich(2000)),
    Job("label-5k", "label-rich, 5,000 pods / 1,000 apps", "< 10 s, ~n log n", _label_rich(5000)),
    Job("ipblocks", "30 pods, one policy with 638 ipBlocks", "< 1 s", _ip_blocks(False), True),
    Job("ipblocks-dd", "same, with the default deny", "< 1 s", _ip_blocks(True), True),
    Job("explain-k8s", "explain 100,000 connections, 5,000 pods (k8s)", "< 10 s, < 1 GB",
        _explain("k8s", 5000, 100_000)),
    Job("explain-calico", "explain 100,000 connections, 5,000 pods (calico)", "< 10 s, < 1 GB",
        _explain("calico", 5000, 100_000)),
    Job("explain-quick", "explain 10,000 connections, 1,000 pods (calico)", "-",
        _explain("calico", 1000, 10_000), True),
    Job("load-150k", "load a 150,000-pod snapshot (kind: List)", "seconds", _load(150_000)),
    Job("load-150k-json", "the same snapshot as JSON", "seconds", _load(150_000, "json")),
    Job("load-20k", "load a 20,000-pod snapshot", "-", _load(20_000), True),
    Job("load-owned", "load 20,000 pods with their ReplicaSets and Deployments", "~ load-20k",
        _load_owned(20_000)),
    Job("load-services", "load 20,000 pods and 4,000 Services", "~ load-20k", _load_services(20_000, 4_000)),
    Job("load-mixed", "load 20,000 pods among 20,000 ConfigMaps", "~ load-20k", _load_mixed(20_000, 20_000)),
    Job("read-10k", "read 10,000 policies (yaml guard + C parse)", "~ YAML floor",
        _read_guarded(10_000), True),
    Job("yaml-10k", "YAML floor: C parse of the same 10,000 policies", "-", _yaml_floor(10_000), True),
    Job("convert-10k", "convert 10,000 policies", "~ YAML floor", _convert(10_000), True),
]


@dataclass(frozen=True)
class Figures:
    wall: float
    cpu: float
    peak_mib: float
    status: str
    note: str


def run(command: list[str], timeout: float) -> Figures:
    """Run one job; wall, CPU and peak RSS of that process alone (`wait4`)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err)
        status = "ok"
        while True:
            pid, code, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout:
                child.kill()
                pid, code, usage = os.wait4(child.pid, 0)
                status = f"timeout > {timeout:.0f} s"
                break
            time.sleep(0.02)
        child.returncode = os.waitstatus_to_exitcode(code)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        # A big output is not parsed here: the runner would grow, and a child forked from it
        # would count the runner's memory in its own peak RSS.
        text = out.read(NOTE_LIMIT).decode(errors="replace")
        if status == "ok" and child.returncode not in (0, 1):
            status = f"exit {child.returncode}"
        note = _note(text) if status == "ok" else err.read().decode(errors="replace").strip()[-200:]
    return Figures(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, status, note)


def _note(stdout: str) -> str:
    """A short summary of the output: the number of changes of a diff, else the last line."""
    if len(stdout) >= NOTE_LIMIT:
        return "large output"
    if stdout.lstrip().startswith("{"):
        data = json.loads(stdout)
        if isinstance(data, dict) and "changes" in data:
            return f"{len(data['changes'])} changes"
        if isinstance(data, dict) and "results" in data:
            return f"{len(data['results'])} results"
        return ""
    if stdout.lstrip().startswith("["):
        return ""
    lines = stdout.strip().splitlines()
    return lines[-1][:60] if lines and not lines[0].startswith("Usage") else ""


def generate(job: Job, folder: Path) -> list[str]:
    """Write the job's inputs in a child process and return its command line. A child forked
    from a runner that built 150,000 pods would count the runner's memory in its own peak RSS."""
    done = subprocess.run([PY, __file__, "--generate", job.name, str(folder)], check=True,
                          capture_output=True, text=True)
    command: list[str] = json.loads(done.stdout)
    return command


def compile_package() -> None:
    """Byte-compile the package first, as `pip install` does: with PYTHONDONTWRITEBYTECODE set
    (as in some sandboxes) every job would otherwise compile all of `translator/` again (~0.08 s)."""
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "translator")], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small shapes only")
    parser.add_argument("--only", action="append", default=[], help="job name (repeatable)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per job")
    parser.add_argument("--keep", type=Path, help="keep the generated inputs in this folder")
    parser.add_argument("--generate", nargs=2, metavar=("JOB", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:  # in a child process, so the runner stays small (see `generate`)
        name, place = args.generate
        print(json.dumps(next(j for j in JOBS if j.name == name).build(Path(place))))
        return 0
    jobs = [j for j in JOBS if (not args.only or j.name in args.only) and (not args.quick or j.quick)]
    compile_package()
    folder = Path(tempfile.mkdtemp(prefix="np2calico-bench-")) if args.keep is None else args.keep
    print("| job | what | wall s | CPU s | peak MiB | target | result |")
    print("|---|---|---|---|---|---|---|")
    try:
        for job in jobs:
            place = folder / job.name
            place.mkdir(parents=True, exist_ok=True)
            figures = run(generate(job, place), args.timeout)
            # A failed job says why: the last line of its stderr (e.g. `MemoryError`).
            why = figures.note.splitlines()[-1][-120:] if figures.note else ""
            result = figures.note if figures.status == "ok" else f"{figures.status}: {why}".rstrip(": ")
            print(f"| {job.name} | {job.what} | {figures.wall:.2f} | {figures.cpu:.2f} | "
                  f"{figures.peak_mib:.0f} | {job.target} | {result} |", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average {load} on {os.cpu_count()} CPUs (wall includes waiting for a CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
