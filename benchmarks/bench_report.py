"""Benchmark of the HTML report (`np2calico diff -o html`, `np2calico report`) on the 5,000-pod case.

Targets (issue 14): the 5,000-pod, 500-namespace migration report stays under 10 MB, and a browser
draws its matrix in under 2 s. Run from the repository root:

    python benchmarks/bench_report.py               # render, size, and load in headless Chromium
    python benchmarks/bench_report.py --no-browser  # render and size only
    python benchmarks/bench_report.py --group-namespaces  # the same diff, grouped across namespaces

The diff is the one of benchmarks/bench_diff.py (generated cluster, `--migrate --default-deny
global`); its time is not counted here. Printed: the time to render the page from the result
objects and from the stored JSON output, the page's size, and in Chromium the time from opening
the file to a drawn matrix (and the script's own share of it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_diff import generate  # noqa: E402

from translator.convert import convert  # noqa: E402
from translator.convert.options import ConvertOptions, DefaultDenyOptions  # noqa: E402
from translator.diff import diff_policies  # noqa: E402
from translator.diff.report import Comparison, DiffContext, DiffReport  # noqa: E402
from translator.render.diff import render_semantic_diff  # noqa: E402
from translator.render.diff_json import read_diff_json  # noqa: E402
from translator.render.html import render_html_report  # noqa: E402

T = TypeVar("T")
MAX_BYTES = 10 * 1024 * 1024
MAX_LOAD_SECONDS = 2.0


def migration_report(pods: int, namespaces: int, policies: int, grouped: bool = False) -> DiffReport:
    before, cluster = generate(pods, namespaces, policies)
    after = convert(before.k8s_policies, ConvertOptions(default_deny=DefaultDenyOptions())).policy_set
    diff = diff_policies(before, after, cluster, group_namespaces=grouped)
    context = DiffContext(Comparison("migrate", "generated policies", "their conversion",
                                     ("--default-deny global",)),
                          cluster="generated cluster", namespaces=tuple(cluster.namespaces))
    return DiffReport(diff, context)


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def browser_load(page: Path) -> tuple[float, float]:
    """Seconds from the start of the navigation to a drawn matrix (the browser's own clock), and
    the script's share in milliseconds."""
    from tests.browser import chromium, missing_browser, open_report

    why = missing_browser()
    if why is not None:
        raise SystemExit(f"no browser: {why} (or run with --no-browser)")
    with chromium() as driver:
        open_report(driver, page)  # a first load warms the browser up
        open_report(driver, page)
        ready_ms, script_ms = driver.execute_script(
            "const d = document.documentElement.dataset; return [d.readyMs, d.renderMs];")
    return float(ready_ms) / 1000, float(script_ms)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true", help="skip the load in headless Chromium")
    parser.add_argument("--group-namespaces", action="store_true",
                        help="the diff with changes alike across namespaces grouped (a change in many cells)")
    args = parser.parse_args()
    report, diff_seconds = timed(lambda: migration_report(5000, 500, 2000, args.group_namespaces))
    page, render_seconds = timed(lambda: render_html_report(report))
    stored = render_semantic_diff(report.diff, "json", context=report.context)
    again, from_json_seconds = timed(lambda: render_html_report(read_diff_json(stored, "diff.json")))
    assert again == page, "the page from the JSON output differs from the page of the diff"
    size = len(page.encode("utf-8"))
    ok = size < MAX_BYTES
    print(f"5000 pods, {len(report.context.namespaces)} namespaces, {len(report.diff.changes)} changes "
          f"(diff {diff_seconds:.1f} s, not counted)")
    print(f"render: {render_seconds:.2f} s from the result, {from_json_seconds:.2f} s from the JSON output "
          f"({len(stored) / 1e6:.1f} MB)")
    print(f"page: {size / 1e6:.2f} MB (target < {MAX_BYTES / 1e6:.1f} MB) — {'ok' if ok else 'MISSED'}")
    if not args.no_browser:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "report.html"
            path.write_text(page, encoding="utf-8")
            seconds, script_ms = browser_load(path)
        fast = seconds < MAX_LOAD_SECONDS
        print(f"browser: matrix drawn {seconds:.2f} s after opening the file (script {script_ms:.0f} ms; "
              f"target < {MAX_LOAD_SECONDS:g} s) — {'ok' if fast else 'MISSED'}")
        ok = ok and fast
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
