"""Benchmark: z3 against BDDs (`dd`, CUDD) on the verify engine's own queries.

Issue 10 asks to measure both solvers on the verify benchmark and to say why one was chosen.
This script takes the per-(namespace class, direction) queries that `np2calico verify` sends to
z3 for the 10,000-policy / 1,000-namespace conversion of `bench_verify.py` (and the lab), and
decides each one twice:

- z3: exactly as the engine does (QF_BV solver when no label strings are needed);
- dd: the same formula as a BDD (CUDD through `dd.cudd`): every Boolean atom a BDD variable,
  every bit-vector (addresses, port, protocol, enumerated label values) bit-blasted onto BDD
  variables, bits of same-width vectors interleaved (so `src.address != dst.address` and
  "this label is the pod's namespace" stay linear), static order, no reordering.

Both answers must agree (the script fails otherwise). Reported: CPU seconds per backend, the
time to build the formulas in Python (shared: a native BDD encoder would build the same
structure), and memory (z3's estimated allocation; CUDD's own memory and peak node count).

What BDDs cannot express: `contains`, `starts with` and `ends with` over label values of any
length (the engine's z3 string theory). A BDD needs a finite domain; such queries are counted
and reported as not expressible, never silently dropped.

`dd` is an optional benchmark dependency (`pip install '.[bench]'`); without it the z3 half runs
and the dd half says it was skipped.

    python benchmarks/bench_solver_choice.py [--policies 10000] [--namespaces 1000] [--reorder]
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
import z3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout: `python benchmarks/bench_solver_choice.py`
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_convert import generate  # noqa: E402

from translator.convert import ConvertOptions, Target, convert  # noqa: E402
from translator.load import load  # noqa: E402
from translator.model import calico  # noqa: E402
from translator.model.calico import PolicySet  # noqa: E402
from translator.verify.engine import DEFAULT_TIMEOUT_MS, DIRECTIONS, Engine, Question, Sides, _solve  # noqa: E402

LAB = ROOT / "samples" / "lab" / "policies"
# A change only z3 can decide: label values as strings of any length.
STRINGS_A = """apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: web}
spec:
  selector: all()
  types: [Ingress]
  ingress: [{action: Allow, source: {selector: "app starts with 'web'"}}]
"""
STRINGS_B = STRINGS_A.replace("app starts with 'web'", "app == 'web'")
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# z3 declaration kinds the engine's bit-vector queries are made of.
K = z3
BOOLEAN_OPS = {K.Z3_OP_AND: "and", K.Z3_OP_OR: "or", K.Z3_OP_NOT: "not", K.Z3_OP_IMPLIES: "implies",
               K.Z3_OP_XOR: "xor"}
COMPARISONS = {K.Z3_OP_ULEQ: "ule", K.Z3_OP_UGEQ: "uge", K.Z3_OP_ULT: "ult", K.Z3_OP_UGT: "ugt"}


class NotExpressible(Exception):
    """A query using something a BDD over finite domains cannot hold (label strings)."""


# ---------------------------------------------------------------------------------------------
# The query as a plain DAG (node table), read once from z3's terms.


@dataclass
class Dag:
    """Nodes in dependency order: (op, args, extra); args index earlier nodes."""

    nodes: list[tuple[str, tuple[int, ...], Any]] = field(default_factory=list)
    roots: list[int] = field(default_factory=list)
    booleans: set[str] = field(default_factory=set)
    vectors: dict[str, int] = field(default_factory=dict)


def export(query: list[z3.BoolRef]) -> Dag:
    """Walks z3's terms through its C API (raw AST handles, kept alive by `query`): the Python
    wrappers would cost more than either solver."""
    dag = Dag()
    ctx = query[0].ctx.ref() if query else None
    seen: dict[int, int] = {}

    def visit(root: Any) -> int:
        # Iterative post-order: formulas nest deeper than Python's recursion limit allows.
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            ast, expanded = stack.pop()
            key = z3.Z3_get_ast_id(ctx, ast)
            if key in seen:
                continue
            is_app = z3.Z3_get_ast_kind(ctx, ast) in (z3.Z3_APP_AST, z3.Z3_NUMERAL_AST)
            count = z3.Z3_get_app_num_args(ctx, ast) if is_app else 0
            children = [z3.Z3_get_app_arg(ctx, ast, i) for i in range(count)]
            if not expanded:
                stack.append((ast, True))
                stack.extend((c, False) for c in children if z3.Z3_get_ast_id(ctx, c) not in seen)
                continue
            args = tuple(seen[z3.Z3_get_ast_id(ctx, c)] for c in children)
            seen[key] = len(dag.nodes)
            dag.nodes.append(_node(ctx, ast, args, dag))
        return seen[z3.Z3_get_ast_id(ctx, root)]

    dag.roots = [visit(q.as_ast()) for q in query]
    return dag


def _node(ctx: Any, ast: Any, args: tuple[int, ...], dag: Dag) -> tuple[str, tuple[int, ...], Any]:
    sort = z3.Z3_get_sort(ctx, ast)
    sort_kind = z3.Z3_get_sort_kind(ctx, sort)
    if sort_kind not in (z3.Z3_BOOL_SORT, z3.Z3_BV_SORT):
        raise NotExpressible("a label string")
    if z3.Z3_get_ast_kind(ctx, ast) == z3.Z3_NUMERAL_AST:
        value = int(z3.Z3_get_numeral_string(ctx, ast))
        return ("bvconst", (), (value, z3.Z3_get_bv_sort_size(ctx, sort)))
    decl = z3.Z3_get_app_decl(ctx, ast)
    kind = z3.Z3_get_decl_kind(ctx, decl)
    if kind == z3.Z3_OP_TRUE:
        return ("const", (), True)
    if kind == z3.Z3_OP_FALSE:
        return ("const", (), False)
    if kind == z3.Z3_OP_UNINTERPRETED and not args:
        name = z3.Z3_get_symbol_string(ctx, z3.Z3_get_decl_name(ctx, decl))
        if sort_kind == z3.Z3_BOOL_SORT:
            dag.booleans.add(name)
            return ("bool", (), name)
        dag.vectors[name] = z3.Z3_get_bv_sort_size(ctx, sort)
        return ("bv", (), name)
    if kind in BOOLEAN_OPS:
        return (BOOLEAN_OPS[kind], args, None)
    if kind in COMPARISONS:
        return (COMPARISONS[kind], args, None)
    if kind == z3.Z3_OP_EQ:
        return ("eq", args, None)
    if kind == z3.Z3_OP_DISTINCT:
        if len(args) != 2:
            raise NotExpressible("distinct of more than two")
        return ("ne", args, None)
    if kind == z3.Z3_OP_ITE:
        return ("ite", args, None)
    if kind == z3.Z3_OP_EXTRACT:
        high, low = (z3.Z3_get_decl_int_parameter(ctx, decl, i) for i in range(2))
        return ("extract", args, (high, low))
    raise NotExpressible(f"operator kind {kind}")


# ---------------------------------------------------------------------------------------------
# The DAG as BDDs.


class BddBuilder:
    """Builds a DAG's roots in one CUDD manager whose variable order is planned up front."""

    def __init__(self, bdd: Any) -> None:
        self.bdd = bdd

    @staticmethod
    def plan(dags: list[Dag]) -> list[str]:
        """Booleans first, then bits of every vector: same-width vectors interleaved bit by bit,
        most significant first (prefix tests on addresses and equalities stay small)."""
        booleans = sorted({b for d in dags for b in d.booleans})
        widths: dict[str, int] = {}
        for dag in dags:
            widths.update(dag.vectors)
        bits = [(width, -i, name) for name, width in widths.items() for i in range(width)]
        return [*booleans, *(f"{name}#{-i}" for width, i, name in sorted(bits))]

    def bits(self, name: str, width: int) -> list[Any]:
        """Least significant first."""
        return [self.bdd.var(f"{name}#{i}") for i in range(width)]

    def build(self, dag: Dag) -> Any:
        bdd = self.bdd
        values: list[Any] = []
        for op, args, extra in dag.nodes:
            values.append(self._one(op, [values[a] for a in args], extra, dag))
        result = bdd.true
        for root in dag.roots:
            result &= values[root]
            if result == bdd.false:
                break
        return result

    def _one(self, op: str, args: list[Any], extra: Any, dag: Dag) -> Any:
        bdd = self.bdd
        if op == "const":
            return bdd.true if extra else bdd.false
        if op == "bool":
            return bdd.var(extra)
        if op == "bv":
            return self.bits(extra, dag.vectors[extra])
        if op == "bvconst":
            value, width = extra
            return [bdd.true if value >> i & 1 else bdd.false for i in range(width)]
        if op == "extract":
            high, low = extra
            return args[0][low:high + 1]
        if op == "and":
            return _fold(args, bdd.true, lambda x, y: x & y)
        if op == "or":
            return _fold(args, bdd.false, lambda x, y: x | y)
        if op == "not":
            return ~args[0]
        if op == "implies":
            return ~args[0] | args[1]
        if op == "xor":
            return bdd.apply("xor", args[0], args[1])
        if op == "ite":
            return bdd.ite(args[0], args[1], args[2])
        if op in ("eq", "ne"):
            same = self._equal(args[0], args[1])
            return same if op == "eq" else ~same
        return self._compare(op, args[0], args[1])

    def _equal(self, first: Any, second: Any) -> Any:
        if not isinstance(first, list):
            return self.bdd.apply("equiv", first, second)
        result = self.bdd.true
        for x, y in zip(reversed(first), reversed(second), strict=True):
            result &= self.bdd.apply("equiv", x, y)
        return result

    def _compare(self, op: str, first: list[Any], second: list[Any]) -> Any:
        if op in ("uge", "ugt"):
            first, second = second, first
        strict = op in ("ult", "ugt")
        # first < second (or <=), from the least significant bit up.
        result = self.bdd.false if strict else self.bdd.true
        for x, y in zip(first, second, strict=True):
            result = (~x & y) | (self.bdd.apply("equiv", x, y) & result)
        return result


def _fold(items: list[Any], unit: Any, combine: Callable[[Any, Any], Any]) -> Any:
    result = unit
    for item in items:
        result = combine(result, item)
    return result


# ---------------------------------------------------------------------------------------------
# The queries and the measurement.


@dataclass
class Query:
    label: str
    constraints: list[z3.BoolRef]
    strings: bool


@dataclass
class Tally:
    queries: int = 0
    sat: int = 0
    z3_cpu: float = 0.0
    dd_cpu: float = 0.0
    build_cpu: float = 0.0
    export_cpu: float = 0.0
    not_expressible: int = 0
    z3_memory: float = 0.0
    dd_memory: float = 0.0
    dd_peak_nodes: int = 0
    slowest_z3: tuple[float, str] = (0.0, "")
    slowest_dd: tuple[float, str] = (0.0, "")


def queries(engine: Engine, tally: Tally) -> Iterator[Query]:
    """The engine's per-(class, direction) queries, built as `np2calico verify` builds them."""
    strings = bool(engine.sides.domains.strings)
    for where in engine.sides.classes():
        for direction in DIRECTIONS:
            started = time.process_time()
            constraints = engine.direction_query(where, direction)
            tally.build_cpu += time.process_time() - started
            if constraints is not None:
                yield Query(f"{where} {direction.value}", constraints, strings)


def converted(source: PolicySet, target: str, mutate_every: int = 0) -> PolicySet:
    """The conversion; with `mutate_every`, every n-th output policy's first ingress rule denies
    instead of allowing (so that some queries are satisfiable and both backends must also
    produce a model)."""
    output = convert(source.k8s_policies, ConvertOptions(target=Target(target))).policy_set
    if not mutate_every:
        return output
    policies = list(output.calico_policies)
    for index in range(0, len(policies), mutate_every):
        spec = policies[index].spec
        if spec.ingress:
            denied = replace(spec.ingress[0], action=calico.Action.DENY)
            spec = replace(spec, ingress=(denied, *spec.ingress[1:]))
            policies[index] = replace(policies[index], spec=spec)
    return replace(output, calico_policies=tuple(policies))


def measure(source: PolicySet, output: PolicySet, use_dd: bool, reorder: bool) -> Tally:
    # Every check goes to the solvers, none settled by comparing policies (`decision_shape`).
    engine = Engine(Sides.of(source, output), Question(honest_pods=True), shortcuts=False)
    tally = Tally()
    pending: list[tuple[Query, bool, Dag | None]] = []
    for query in queries(engine, tally):
        tally.queries += 1
        started = time.process_time()
        answer = _solve(query.constraints, DEFAULT_TIMEOUT_MS, query.strings) is not None
        spent = time.process_time() - started
        tally.z3_cpu += spent
        tally.slowest_z3 = max(tally.slowest_z3, (spent, query.label))
        tally.z3_memory = max(tally.z3_memory, z3.Z3_get_estimated_alloc_size() / 2**20)
        tally.sat += answer
        if not use_dd:
            continue
        started = time.process_time()
        try:
            dag: Dag | None = export(query.constraints)
        except NotExpressible:
            dag = None
            tally.not_expressible += 1
        tally.export_cpu += time.process_time() - started
        pending.append((query, answer, dag))
    if use_dd:
        _decide_with_dd(pending, tally, reorder)
    return tally


def _decide_with_dd(pending: list[tuple[Query, bool, Dag | None]], tally: Tally, reorder: bool) -> None:
    from dd.cudd import BDD

    dags = [d for _, _, d in pending if d is not None]
    bdd = BDD()
    bdd.configure(reordering=reorder)
    bdd.declare(*BddBuilder.plan(dags))
    builder = BddBuilder(bdd)
    for query, answer, dag in pending:
        if dag is None:
            continue
        started = time.process_time()
        result = builder.build(dag)
        satisfiable = result != bdd.false
        if satisfiable:
            bdd.pick(result)  # a model, as z3 gives one for a satisfiable query
        spent = time.process_time() - started
        del result
        tally.dd_cpu += spent
        tally.slowest_dd = max(tally.slowest_dd, (spent, query.label))
        with warnings.catch_warnings():  # dd notes that "mem" is in bytes since 0.5.7
            warnings.simplefilter("ignore")
            stats = bdd.statistics()
        tally.dd_memory = max(tally.dd_memory, stats["mem"] / 2**20)
        tally.dd_peak_nodes = max(tally.dd_peak_nodes, int(stats["peak_nodes"]))
        if satisfiable != answer:
            raise SystemExit(f"z3 and dd disagree on {query.label}: z3 {answer}, dd {satisfiable}")


def report(name: str, tally: Tally, use_dd: bool) -> None:
    print(f"{name}: {tally.queries} queries ({tally.sat} satisfiable); building the formulas "
          f"in Python {tally.build_cpu:.2f} CPU s")
    print(f"  z3 : {tally.z3_cpu:.2f} CPU s, slowest {tally.slowest_z3[0] * 1000:.1f} ms "
          f"({tally.slowest_z3[1]}), memory (z3's estimate, max) {tally.z3_memory:.0f} MB")
    if not use_dd:
        print("  dd : skipped (dd is not installed: pip install '.[bench]')")
        return
    expressible = tally.queries - tally.not_expressible
    print(f"  dd : {tally.dd_cpu:.2f} CPU s on the {expressible} queries BDDs can express "
          f"({tally.not_expressible} use label strings), slowest {tally.slowest_dd[0] * 1000:.1f} ms "
          f"({tally.slowest_dd[1]}), CUDD memory {tally.dd_memory:.0f} MB, peak {tally.dd_peak_nodes} nodes; "
          f"reading z3's terms into the BDD builder (not counted) {tally.export_cpu:.2f} CPU s")


def _has_dd() -> bool:
    try:
        import dd.cudd  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=10_000)
    parser.add_argument("--namespaces", type=int, default=1_000)
    parser.add_argument("--target", default="namespaced", choices=("namespaced", "global"))
    parser.add_argument("--mutate-every", type=int, default=10)
    parser.add_argument("--reorder", action="store_true", help="let CUDD reorder variables dynamically")
    args = parser.parse_args()
    use_dd = _has_dd()
    if not use_dd:
        print("dd (with CUDD) is not installed: only z3 is measured. pip install '.[bench]' for both.")
    lab = load([str(LAB)]).policies
    for target in ("namespaced", "global"):
        report(f"lab, target {target}", measure(lab, converted(lab, target), use_dd, args.reorder), use_dd)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "a.yaml").write_text(STRINGS_A)
        (folder / "b.yaml").write_text(STRINGS_B)
        a, b = (load([str(folder / f"{n}.yaml")]).policies for n in "ab")
        report("`starts with` made `==`", measure(a, b, use_dd, args.reorder), use_dd)
        generated = generate(args.policies, args.namespaces)
        (folder / "big.yaml").write_text(yaml.dump_all(generated, Dumper=DUMPER))
        big = load([str(folder / "big.yaml")]).policies
    gc.collect()
    name = f"{args.policies} policies / {args.namespaces} namespaces, target {args.target}"
    report(name, measure(big, converted(big, args.target), use_dd, args.reorder), use_dd)
    every = args.mutate_every
    mutated = converted(big, args.target, every)
    report(f"{name}, every {every}th output policy's first rule Allow -> Deny",
           measure(big, mutated, use_dd, args.reorder), use_dd)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (whole process, both backends): {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
