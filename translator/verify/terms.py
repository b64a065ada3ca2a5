"""Boolean terms built fast: Python `True`/`False` stand for constants and are folded away before
z3 sees them, and n-ary nodes are made through z3's C API directly (the Python wrappers' argument
coercion dominated the engine's time on large inputs)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

import z3

Term: TypeAlias = "z3.BoolRef | bool"


def _make(build: object, items: list[z3.BoolRef]) -> z3.BoolRef:
    ctx = items[0].ctx
    array = (z3.Ast * len(items))(*(item.as_ast() for item in items))
    return z3.BoolRef(build(ctx.ref(), len(items), array), ctx)  # type: ignore[operator]


def _fold(terms: Iterable[Term], absorbing: bool, build: object) -> Term:
    """And (absorbing False) or Or (absorbing True) of `terms`, Python constants folded away."""
    items: list[z3.BoolRef] = []
    for term in terms:
        if term is absorbing:
            return absorbing
        if term is not (not absorbing):
            items.append(term)  # type: ignore[arg-type]
    if not items:
        return not absorbing
    return items[0] if len(items) == 1 else _make(build, items)


def conj(terms: Iterable[Term]) -> Term:
    return _fold(terms, False, z3.Z3_mk_and)


def disj(terms: Iterable[Term]) -> Term:
    return _fold(terms, True, z3.Z3_mk_or)


def neg(term: Term) -> Term:
    if isinstance(term, bool):
        return not term
    return z3.BoolRef(z3.Z3_mk_not(term.ctx.ref(), term.as_ast()), term.ctx)


def _z3(term: Term, ctx: z3.Context) -> z3.BoolRef:
    return z3.BoolVal(term, ctx) if isinstance(term, bool) else term


def ite(condition: Term, then: Term, otherwise: Term) -> Term:
    if condition is True:
        return then
    if condition is False:
        return otherwise
    if isinstance(then, bool) and isinstance(otherwise, bool):
        if then == otherwise:
            return then
        return condition if then else neg(condition)
    ctx = condition.ctx  # type: ignore[union-attr]
    made = z3.Z3_mk_ite(ctx.ref(), condition.as_ast(), _z3(then, ctx).as_ast(),  # type: ignore[union-attr]
                        _z3(otherwise, ctx).as_ast())
    return z3.BoolRef(made, ctx)


def differ(first: Term, second: Term) -> Term:
    if isinstance(first, bool) and isinstance(second, bool):
        return first != second
    ctx = (first if not isinstance(first, bool) else second).ctx  # type: ignore[union-attr]
    return _z3(first, ctx) != _z3(second, ctx)


def to_z3(term: Term) -> z3.BoolRef:
    return z3.BoolVal(term) if isinstance(term, bool) else term
