"""Read the JSON output of `np2calico diff` back into the result objects (for `np2calico report`).

The inverse of the json renderer in `translator.render.diff`: reading a document and rendering it
as JSON again gives the same document. Anything malformed is an `InputError` naming the file and
the field path, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from translator.diff.report import Comparison, DiffContext, DiffReport
from translator.diff.result import (
    Cause,
    Change,
    EndpointKind,
    Endpoints,
    JudgedNamespace,
    Outcome,
    SemanticDiff,
)
from translator.errors import InputError, Location
from translator.evaluate.verdict import DecidedBy
from translator.model.calico import Action
from translator.model.common import MAX_PORT, Direction, PortRange, Protocol

T = TypeVar("T")
E = TypeVar("E", bound=Enum)


def read_diff_json(text: str, source: str) -> DiffReport:
    """The report held by `text`, the JSON output of a semantic `np2calico diff` read from `source`."""
    root = Location(source)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.at(root, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(document, dict):
        raise InputError.at(root, "expected the JSON output of `np2calico diff` (an object)")
    if "changes" not in document and {"created", "updated", "deleted"} & document.keys():
        raise InputError.at(root, "this is a resource diff (`diff --resources`); the report shows "
                                  "a semantic diff (`diff BEFORE AFTER`, `--migrate`, `--symbolic`)")
    diff = SemanticDiff(
        changes=tuple(_list(document, "changes", root, _change)),
        symbolic_changes=tuple(_list(document, "symbolic_changes", root, _change, required=False)),
        notes=tuple(_list(document, "notes", root, _string, required=False)),
        judged=_judged(document.get("summary"), root.child("summary")),
    )
    context = document.get("context")
    return DiffReport(diff, DiffContext() if context is None else _context(context, root.child("context")))


def _judged(value: Any, loc: Location) -> tuple[JudgedNamespace, ...]:
    """`summary.judged` (absent from documents of older versions and of symbolic diffs)."""
    if value is None:
        return ()
    return tuple(_list(_object(value, loc), "judged", loc, _judged_namespace, required=False))


def _judged_namespace(value: Any, loc: Location) -> JudgedNamespace:
    body = _object(value, loc)
    return JudgedNamespace(
        namespace=_required(body, "namespace", loc, _string),
        pods=_required(body, "pods", loc, _count),
        workloads=_required(body, "workloads", loc, _count),
        has_policies=_optional(body, "has_policies", loc, _boolean) or False,
    )


def _count(value: Any, loc: Location) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError.at(loc, f"expected a count (an integer >= 0), not {value!r}")
    return value


def _services(value: Any, loc: Location) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`{name: [service, …]}`: the Services selecting each listed pod or workload."""
    if value is None:
        return ()
    body = _object(value, loc)
    return tuple((str(name), tuple(_list(body, str(name), loc, _string))) for name in sorted(body))


def _context(value: Any, loc: Location) -> DiffContext:
    body = _object(value, loc)
    compared = body.get("compared")
    return DiffContext(
        comparison=None if compared is None else _comparison(compared, loc.child("compared")),
        cluster=_optional(body, "cluster", loc, _string),
        namespaces=tuple(_list(body, "namespaces", loc, _string, required=False)),
        warnings=tuple(_list(body, "warnings", loc, _string, required=False)),
        dropped=tuple(_list(body, "dropped", loc, _string, required=False)),
        symbolic=_optional(body, "symbolic", loc, _boolean) or False,
    )


def _comparison(value: Any, loc: Location) -> Comparison:
    body = _object(value, loc)
    return Comparison(
        mode=_required(body, "mode", loc, _string),
        before=_required(body, "before", loc, _string),
        after=_required(body, "after", loc, _string),
        options=tuple(_list(body, "options", loc, _string, required=False)),
    )


def _change(value: Any, loc: Location) -> Change:
    body = _object(value, loc)
    return Change(
        source=_required(body, "source", loc, _endpoints),
        destination=_required(body, "destination", loc, _endpoints),
        protocol=_required(body, "protocol", loc, lambda v, at: _enum(Protocol, v, at)),
        ports=tuple(_list(body, "ports", loc, _port_range)),
        before=_required(body, "before", loc, _outcome),
        after=_required(body, "after", loc, _outcome),
        family=_optional(body, "family", loc, _family),
    )


def _endpoints(value: Any, loc: Location) -> Endpoints:
    body = _object(value, loc)
    side = Endpoints(
        kind=_required(body, "kind", loc, lambda v, at: _enum(EndpointKind, v, at)),
        namespace=_optional(body, "namespace", loc, _string),
        names=tuple(_list(body, "names", loc, _string, required=False)),
        networks=tuple(_list(body, "networks", loc, _network, required=False)),
        conditions=_optional(body, "conditions", loc, _string) or "",
        services=_services(body.get("services"), loc.child("services")),
        spans=tuple(_list(body, "namespaces", loc, _span, required=False)),
    )
    if side.spans and (side.kind is not EndpointKind.PODS or side.namespace is not None or side.names):
        raise InputError.at(loc.child("namespaces"), "pods of several namespaces are a side of kind "
                                                     "'pods' without a namespace or names of its own")
    return side


def _span(value: Any, loc: Location) -> Endpoints:
    """One namespace's pods within a side of several namespaces (`diff --group-namespaces`)."""
    span = _endpoints(value, loc)
    if span.kind is not EndpointKind.PODS or span.namespace is None or span.spans:
        raise InputError.at(loc, "expected the pods of one namespace (kind 'pods' with a namespace)")
    return span


def _outcome(value: Any, loc: Location) -> Outcome:
    body = _object(value, loc)
    verdict = _required(body, "verdict", loc, _string)
    if verdict not in ("allow", "deny"):
        raise InputError.at(loc.child("verdict"), f"expected 'allow' or 'deny', not {verdict!r}")
    return Outcome(
        allowed=verdict == "allow",
        egress=_required(body, "egress", loc, lambda v, at: _cause(Direction.EGRESS, v, at)),
        ingress=_required(body, "ingress", loc, lambda v, at: _cause(Direction.INGRESS, v, at)),
    )


def _cause(direction: Direction, value: Any, loc: Location) -> Cause:
    body = _object(value, loc)
    allowed = _required(body, "allowed", loc, _boolean)
    decided = _optional(body, "decidedBy", loc, lambda v, at: _enum(DecidedBy, v, at))
    return Cause(
        direction=direction,
        allowed=allowed,
        policy=_optional(body, "policy", loc, _string),
        rule=_optional(body, "rule", loc, _integer),
        tier=_optional(body, "tier", loc, _string),
        action=_optional(body, "action", loc, lambda v, at: _enum(Action, v, at)),
        ending=None if decided is DecidedBy.RULE else decided,
        profile=_profile(decided, allowed, _optional(body, "summary", loc, _string)),
    )


def _profile(decided: DecidedBy | None, allowed: bool, summary: str | None) -> str | None:
    """The profile that decided, which the JSON names only in its summary (`allowed: profile P`)."""
    prefix = f"{'allowed' if allowed else 'denied'}: profile "
    if decided is DecidedBy.PROFILE and summary and summary.startswith(prefix):
        return summary.removeprefix(prefix)
    return None


# --- field readers: each takes the value and its location ---------------------------------------


def _required(body: dict[str, Any], key: str, loc: Location, read: Callable[[Any, Location], T]) -> T:
    if key not in body:
        raise InputError.at(loc.child(key), "required value")
    return read(body[key], loc.child(key))


def _optional(body: dict[str, Any], key: str, loc: Location,
              read: Callable[[Any, Location], T]) -> T | None:
    value = body.get(key)
    return None if value is None else read(value, loc.child(key))


def _list(body: dict[str, Any], key: str, loc: Location, read: Callable[[Any, Location], T],
          required: bool = True) -> list[T]:
    if key not in body and not required:
        return []
    values = _required(body, key, loc, lambda v, at: v)
    if not isinstance(values, list):
        raise InputError.at(loc.child(key), "expected a list")
    return [read(v, loc.child(key).child(i)) for i, v in enumerate(values)]


def _object(value: Any, loc: Location) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError.at(loc, "expected an object")
    return value


def _string(value: Any, loc: Location) -> str:
    if not isinstance(value, str):
        raise InputError.at(loc, "expected a string")
    return value


def _boolean(value: Any, loc: Location) -> bool:
    if not isinstance(value, bool):
        raise InputError.at(loc, "expected true or false")
    return value


def _integer(value: Any, loc: Location) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError.at(loc, "expected an integer")
    return value


def _family(value: Any, loc: Location) -> int:
    if _integer(value, loc) not in (4, 6):
        raise InputError.at(loc, "expected 4 or 6")
    return int(value)


def _enum(kind: type[E], value: Any, loc: Location) -> E:
    try:
        return kind(_string(value, loc))
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise InputError.at(loc, f"expected one of {allowed}, not {value!r}") from None


def _port_range(value: Any, loc: Location) -> PortRange:
    start, _, end = _string(value, loc).partition(":")
    bounds = (start, end or start)
    if not all(b.isascii() and b.isdigit() for b in bounds):
        raise InputError.at(loc, f"expected PORT or START:END, not {value!r}")
    first, last = int(bounds[0]), int(bounds[1])
    if not 1 <= first <= last <= MAX_PORT:
        raise InputError.at(loc, f"port range {value!r} is not within 1:{MAX_PORT}")
    return PortRange(first, last)


def _network(value: Any, loc: Location) -> str:
    import ipaddress

    try:
        return str(ipaddress.ip_network(_string(value, loc)))
    except ValueError:
        raise InputError.at(loc, f"expected a CIDR, not {value!r}") from None
