"""Command-line values turned into Python values without building a pydantic validator per option.

Typer (>= 0.2x) coerces every option that is not a plain flag through a pydantic `TypeAdapter`:
importing pydantic and building one adapter per option costs about a tenth of a second at every
start, more than some commands' work. The values np2calico's options take (strings, paths, enum
choices and lists of them, plain numbers) are converted here with typer's own helpers for choices
and paths, so a command runs exactly as before. Anything else, and any value that does not convert
(a bad choice, a bad number), goes to typer's own coercion, so its errors stay typer's, word for word.
On a typer without this machinery (older releases use click types) nothing is changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

try:  # typer's coercion layer (typer >= 0.2x); private, hence the guard
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer._param_types import coerce_cli_choice, coerce_cli_path
except ImportError:  # pragma: no cover - an older typer parses with click types, without pydantic
    RuntimeParam = None  # type: ignore[assignment,misc]

_DIGITS = re.compile(r"[0-9]{1,18}")


class _Slow(Exception):
    """The value is not one the quick path converts: typer's coercion decides."""


def _leaf(annotation: Any, info: Any, value: Any, param: Any, ctx: Any) -> Any:
    """`value` as `annotation` (not a list), exactly as typer's pydantic adapter makes it."""
    if info.parser is not None:
        raise _Slow
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        try:
            return coerce_cli_choice(value, choices=tuple(annotation), case_sensitive=info.case_sensitive,
                                     ctx=ctx)
        except ValueError:
            raise _Slow from None
    if (annotation is str and type(value) is str) or (annotation is bool and type(value) is bool):
        return value
    if annotation is int and not _ranged(info) and (type(value) is int or (
            type(value) is str and _DIGITS.fullmatch(value))):
        return int(value)
    if annotation is float and not _ranged(info) and type(value) is float:
        return value
    if isinstance(annotation, type) and issubclass(annotation, Path) and info.path_type is None:
        return _path(annotation, info, value, param, ctx)
    raise _Slow


def _ranged(info: Any) -> bool:
    return info.min is not None or info.max is not None or bool(info.clamp)


def _path(annotation: type[Path], info: Any, value: Any, param: Any, ctx: Any) -> Any:
    """A path option: typer turns a string into the Path type first (through pydantic, which for a
    non-empty string is the type's constructor), then checks it."""
    if type(value) is str and value:
        value = annotation(value)
    if not isinstance(value, annotation):
        raise _Slow
    return coerce_cli_path(value, info, path_type=annotation, param=param, ctx=ctx)


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class QuickParam(RuntimeParam):
        """Typer's runtime coercion of one parameter, without pydantic for the common values."""

        descriptor: TypeDescriptor

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                if get_origin(self.annotation) is list:
                    (item,) = get_args(self.annotation)
                    items = value if isinstance(value, (list, tuple)) else [value]
                    return [_leaf(item, self.parameter_info, v, param, ctx) for v in items]
                return _leaf(self.annotation, self.parameter_info, value, param, ctx)
            except _Slow:
                typer_own = build_runtime_param(self.descriptor)
                return typer_own._coerce_value(value, param=param, ctx=ctx)


def use_quick_coercion(params: list[Any]) -> list[Any]:
    """`params` (a command's), each given the quick coercion unless typer has built its own."""
    if RuntimeParam is None:
        return params
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", False) is not None:
            continue
        if descriptor.file_annotation is not None:
            continue  # typer opens files itself, without pydantic
        param._runtime_param = QuickParam(annotation=descriptor.annotation,
                                          parameter_info=descriptor.parameter_info, descriptor=descriptor)
    return params
