"""Verdicts as text (for people) and JSON (for tools). Deterministic: same verdicts, same bytes.

JSON is a list with one object per connection (one per line), keys in this order:

- `from`, `to`: the endpoint as written (`ns/pod`, `hep:name`, or the IP address used);
- `port` (number or name, as given), `protocol` (`TCP`/`UDP`/`SCTP`);
- `verdict`: `allow` or `deny` (both directions must allow);
- `egress` (judged at the source), `ingress` (judged at the destination): objects with
  `allowed` (bool), `policy` (deciding policy key or null), `rule` (its rule index in that
  direction or null), `tier` and `action` (Calico semantics; null under Kubernetes semantics) and
  `reasons` (list of strings, most important first);
- `reasons`: the first reason of each direction, prefixed `egress: ` / `ingress: `.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from translator.evaluate.verdict import Decision, Verdict
from translator.model.cluster import Endpoint, endpoint_label
from translator.model.common import IPAddress


def _as_written(endpoint: Endpoint, address: IPAddress | None) -> str:
    """The IP when the endpoint was named by one of its addresses, else its label."""
    return str(address) if address is not None else endpoint_label(endpoint)


def _with_owner(endpoint: Endpoint, address: IPAddress | None) -> str:
    """For text: `10.244.0.12 (default/color-api)` when an address names a cluster endpoint."""
    written = _as_written(endpoint, address)
    owner = endpoint_label(endpoint)
    return written if written == owner else f"{written} ({owner})"


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "policy": decision.policy,
        "rule": decision.rule,
        "tier": decision.tier,
        "action": decision.action,
        "reasons": list(decision.reasons),
    }


def verdict_to_dict(verdict: Verdict) -> dict[str, Any]:
    conn = verdict.connection
    return {
        "from": _as_written(conn.source, conn.source_ip),
        "to": _as_written(conn.destination, conn.destination_ip),
        "port": conn.port,
        "protocol": conn.protocol.value,
        "verdict": verdict.word,
        "egress": decision_to_dict(verdict.egress),
        "ingress": decision_to_dict(verdict.ingress),
        "reasons": [f"egress: {verdict.egress.reason}", f"ingress: {verdict.ingress.reason}"],
    }


def render_json(verdicts: Sequence[Verdict]) -> str:
    """A JSON list with one connection per line: greppable, diffable, and fast to write (the C
    encoder does not indent), which matters for batches of thousands."""
    if not verdicts:
        return "[]\n"
    lines = (json.dumps(verdict_to_dict(v), ensure_ascii=False) for v in verdicts)
    return "[\n" + ",\n".join(lines) + "\n]\n"


def _port_text(verdict: Verdict) -> str:
    conn = verdict.connection
    number = conn.port_number()
    if isinstance(conn.port, str) and number is not None:
        return f"{conn.protocol.value}/{conn.port} ({number})"
    return f"{conn.protocol.value}/{conn.port}"


def _decision_lines(decision: Decision) -> list[str]:
    word = "allow" if decision.allowed else "deny"
    head = f"  {decision.direction.value.lower():<8}{word:<7}"
    reasons = list(decision.reasons) or [""]
    indent = " " * len(head)
    return [head + reasons[0]] + [indent + r for r in reasons[1:]]


def verdict_text(verdict: Verdict) -> str:
    conn = verdict.connection
    source = _with_owner(conn.source, conn.source_ip)
    destination = _with_owner(conn.destination, conn.destination_ip)
    lines = [f"{verdict.word.upper()}  {source} -> {destination} {_port_text(verdict)}"]
    lines += _decision_lines(verdict.egress)
    lines += _decision_lines(verdict.ingress)
    return "\n".join(lines) + "\n"


def render_text(verdicts: Sequence[Verdict]) -> str:
    """One block per connection (verdict line, then egress and ingress with reasons), then a
    summary line when there are several."""
    blocks = [verdict_text(v) for v in verdicts]
    text = "\n".join(blocks)
    if len(verdicts) > 1:
        allowed = sum(1 for v in verdicts if v.allowed)
        text += f"\n{len(verdicts)} connections: {allowed} allowed, {len(verdicts) - allowed} denied\n"
    return text


RENDERERS: dict[str, Callable[[Sequence[Verdict]], str]] = {"text": render_text, "json": render_json}
