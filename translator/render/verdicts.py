"""Verdicts as text (for people) and JSON (for tools). Deterministic: same verdicts, same bytes.

JSON is an ExplainResult (schemas/np2calico-explainresult.schema.json): `apiVersion`, `kind`,
`summary` (connections, allowed, denied) and `verdicts`, one object per connection (one per line):

- `from`, `to`: the endpoint as written (`ns/pod`, `hep:name`, or the IP address used);
- `port` (number or name, as given), `protocol` (`TCP`/`UDP`/`SCTP`);
- `verdict`: `allow` or `deny` (both directions must allow);
- `egress` (judged at the source), `ingress` (judged at the destination): objects with
  `allowed` (bool), `policy` (deciding policy key or null), `rule` (its rule index in that
  direction or null), `tier` and `action` (the rule's Allow/Deny/Pass/Log under Calico semantics,
  else null), `decidedBy` (what decided: rule, no rule, not isolated, end of tier, no policy,
  profile, not judged), `semantics` (k8s or calico) and `reasons` (strings, most important first);
- `reasons`: the first reason of each direction, prefixed `egress: ` / `ingress: `;
- `via` (only when the destination was named as a Service, `svc/NS/NAME:PORT`): the Service and
  target port the connection went through; `to` and `port` are then the endpoint and the target
  port after kube-proxy's DNAT, which is what Calico judges.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from translator.evaluate.verdict import DecidedBy, Decision, Semantics, Subject, TrailStep, Verdict, ending
from translator.model.calico import Action
from translator.model.cluster import DEFAULT_ALLOW_PROFILE, Connection, Endpoint, endpoint_label
from translator.model.common import Direction, IPAddress, LabelSelector
from translator.model.k8s import NetworkPolicyPeer, NetworkPolicyPort
from translator.render.envelope import envelope


def _as_written(endpoint: Endpoint, address: IPAddress | None) -> str:
    """The IP when the endpoint was named by one of its addresses, else its label."""
    return str(address) if address is not None else endpoint_label(endpoint)


def _with_owner(endpoint: Endpoint, address: IPAddress | None) -> str:
    """For text: `10.244.0.12 (default/color-api)` when an address names a cluster endpoint."""
    written = _as_written(endpoint, address)
    owner = endpoint_label(endpoint)
    return written if written == owner else f"{written} ({owner})"


def decision_to_dict(decision: Decision, conn: Connection) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "policy": decision.policy,
        "rule": decision.rule,
        "tier": decision.tier,
        "action": decision.action.value if decision.action is not None else None,
        "decidedBy": decision.decided_by.value,
        "semantics": decision.semantics.value,
        "reasons": list(decision_reasons(decision, conn)),
    }


def verdict_to_dict(verdict: Verdict) -> dict[str, Any]:
    conn = verdict.connection
    egress = decision_to_dict(verdict.egress, conn)
    ingress = decision_to_dict(verdict.ingress, conn)
    found: dict[str, Any] = {
        "from": _as_written(conn.source, conn.source_ip),
        "to": _as_written(conn.destination, conn.destination_ip),
        "port": conn.port,
        "protocol": conn.protocol.value,
        "verdict": verdict.word,
        "egress": egress,
        "ingress": ingress,
        "reasons": [f"egress: {egress['reasons'][0]}", f"ingress: {ingress['reasons'][0]}"],
    }
    if conn.via is not None:  # only for a Service destination: other verdicts keep their shape
        found["via"] = conn.via
    return found


def render_json(verdicts: Sequence[Verdict]) -> str:
    """An ExplainResult (schemas/np2calico-explainresult.schema.json) with one connection per line:
    greppable, diffable, and fast to write (the C encoder does not indent), which matters for
    batches of thousands."""
    allowed = sum(1 for v in verdicts if v.allowed)
    summary = {"connections": len(verdicts), "allowed": allowed, "denied": len(verdicts) - allowed}
    head = json.dumps(envelope("ExplainResult", {"summary": summary}))[:-1]
    encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for every line
    lines = (encode(verdict_to_dict(v)) for v in verdicts)
    body = ",\n".join(lines)
    return head + ', "verdicts": [\n' + body + ("\n" if body else "") + "]}\n"


def _port_text(verdict: Verdict) -> str:
    conn = verdict.connection
    number = conn.port_number()
    if isinstance(conn.port, str) and number is not None:
        return f"{conn.protocol.value}/{conn.port} ({number})"
    return f"{conn.protocol.value}/{conn.port}"


def _decision_lines(decision: Decision, conn: Connection) -> list[str]:
    word = "allow" if decision.allowed else "deny"
    head = f"  {decision.direction.value.lower():<8}{word:<7}"
    reasons = list(decision_reasons(decision, conn))
    indent = " " * len(head)
    return [head + reasons[0]] + [indent + r for r in reasons[1:]]


def verdict_text(verdict: Verdict) -> str:
    conn = verdict.connection
    source = _with_owner(conn.source, conn.source_ip)
    destination = _with_owner(conn.destination, conn.destination_ip)
    if verdict.connection.via is not None:
        destination = f"{verdict.connection.via} -> {destination}"
    lines = [f"{verdict.word.upper()}  {source} -> {destination} {_port_text(verdict)}"]
    lines += _decision_lines(verdict.egress, conn)
    lines += _decision_lines(verdict.ingress, conn)
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


# --- decisions in words ---------------------------------------------------------------------------


def action_text(decision: Decision) -> str | None:
    """The `action` of JSON outputs: the rule's action, or what decided without a rule (Calico);
    None under Kubernetes semantics and for a side Calico does not judge."""
    decided, profile = ending(decision)
    return ending_text(decision.action, decided, decision.tier, profile)


def ending_text(
    action: Action | None, decided_by: DecidedBy | None, tier: str | None, profile: str | None
) -> str | None:
    if action is not None:
        return action.value
    if decided_by is DecidedBy.END_OF_TIER:
        return f"end of tier {tier}"
    if decided_by is DecidedBy.NO_POLICY:
        return "no policy applies"
    if decided_by is DecidedBy.PROFILE:
        return f"profile {profile}" if profile else "no profile allows"
    return None


def decision_reasons(decision: Decision, conn: Connection) -> tuple[str, ...]:
    """The explanation of one direction, most important first."""
    if decision.semantics is Semantics.K8S:
        return _k8s_reasons(decision, conn)
    return (_calico_reason(decision), *(_trail_text(step, decision.direction) for step in decision.trail))


_WORDS = {direction: direction.value.lower() for direction in Direction}


def _word(direction: Direction) -> str:
    return _WORDS[direction]


_K8S_NOT_JUDGED = {
    Subject.HOST_ENDPOINT: "is a host endpoint; Kubernetes NetworkPolicies never select host endpoints",
    Subject.HOST_NETWORK_POD: (
        "uses the host network; Kubernetes NetworkPolicies do not select host-network pods"
    ),
    Subject.OUTSIDE: "is outside the cluster; Kubernetes policies judge only the pod side",
}


def _k8s_reasons(decision: Decision, conn: Connection) -> tuple[str, ...]:
    direction, pod = decision.direction, decision.subject
    if decision.decided_by is DecidedBy.NOT_JUDGED:
        return (f"{_word(direction)} not judged: {pod} {_K8S_NOT_JUDGED[decision.subject_kind]}",)
    if decision.decided_by is DecidedBy.NOT_ISOLATED:
        namespace = pod.partition("/")[0]  # a pod key is `namespace/name`
        return (
            f"{pod} is not isolated for {_word(direction)}: no NetworkPolicy of namespace "
            f"{namespace} selects it with policyType {direction.value}",
        )
    isolated = f"{pod} is isolated for {_word(direction)} by {', '.join(decision.isolating)}"
    if decision.decided_by is DecidedBy.NO_RULE:
        return (f"{isolated}; no rule allows {_traffic(conn, direction)}",)
    return (_k8s_rule_text(decision, conn), isolated)


def _k8s_rule_text(decision: Decision, conn: Connection) -> str:
    found = decision.k8s_match
    assert found is not None, "a Kubernetes rule decision records its match"
    peer = "every peer"
    if found.peer is not None:
        peer = f"peer {found.peer} ({describe_peer(found.rule.peers[found.peer])})"
    port = "every port"
    if found.port is not None:
        port = f"port {found.port} ({describe_port(found.rule.ports[found.port])})"
    direction = decision.direction
    return (
        f"allowed by {decision.policy} {_word(direction)} rule {decision.rule}: {peer}, {port} "
        f"match {_traffic(conn, direction)}"
    )


def _traffic(conn: Connection, direction: Direction) -> str:
    number = conn.port_number()
    port = f"{conn.port} ({number})" if isinstance(conn.port, str) and number else f"{conn.port}"
    if direction is Direction.EGRESS:
        return f"{conn.protocol.value}/{port} to {endpoint_label(conn.destination)}"
    return f"{conn.protocol.value}/{port} from {endpoint_label(conn.source)}"


def _rule_text(policy: str | None, index: int | None, origin: str | None, direction: Direction) -> str:
    text = f"{policy} {_word(direction)} rule {index}"
    plain = f"{_word(direction)}[{index}]"
    return text if origin == plain else f"{text} (from {origin})"


def _trail_text(step: TrailStep, direction: Direction) -> str:
    if step.policy is None:
        return f"tier {step.tier}: no rule matched; defaultAction Pass goes on to the next tier"
    rule = _rule_text(step.policy, step.rule, step.origin, direction)
    if step.action is Action.LOG:
        return f"tier {step.tier}: {rule} logs and goes on"
    return f"tier {step.tier}: {rule} passes to the next tier"


def _calico_reason(decision: Decision) -> str:
    direction, view, decided = _word(decision.direction), decision.subject, decision.decided_by
    if decided is DecidedBy.NOT_JUDGED:
        return (
            f"{direction} not judged: {view} is {Subject.OUTSIDE.value}; "
            "Calico policy applies only at pods and host endpoints"
        )
    if decided is DecidedBy.RULE:
        assert decision.action is not None, "a Calico rule decision records its action"
        verb = "allowed" if decision.allowed else "denied"
        rule = _rule_text(decision.policy, decision.rule, decision.origin, decision.direction)
        matched = f"; {decision.service}" if decision.service else ""
        action = decision.action.value
        return f"{direction} of {view} {verb} by {rule}: {action} (tier {decision.tier}){matched}"
    if decided is DecidedBy.END_OF_TIER:
        return (
            f"{direction} of {view} denied at the end of tier {decision.tier}: selected for "
            f"{direction} by {', '.join(decision.isolating)}, and no rule matched"
        )
    return _profile_reason(decision)


def _profile_reason(decision: Decision) -> str:
    direction, view = _word(decision.direction), decision.subject
    if decision.subject_kind is Subject.POD and decision.decided_by is DecidedBy.NO_POLICY:
        return f"no policy applies to {view} for {direction}: profile {decision.profile} allows"
    if decision.profile is not None:
        return f"{direction} of {view} allowed by profile {decision.profile}: no tier decided"
    listed = ", ".join(decision.profiles) or "none"
    return (
        f"{direction} of host endpoint {view} denied: no tier decided and no profile allows "
        f"(profiles: {listed}; only {DEFAULT_ALLOW_PROFILE} is known to allow)"
    )


def describe_selector(selector: LabelSelector) -> str:
    """A kubectl-style rendering: `app=curl,tier in (a,b),!debug`; `{}` for the empty selector."""
    if selector.is_empty:
        return "{}"
    terms = [f"{k}={v}" for k, v in selector.match_labels]
    for req in selector.match_expressions:
        values = ",".join(req.values)
        terms.append(
            {
                "In": f"{req.key} in ({values})",
                "NotIn": f"{req.key} notin ({values})",
                "Exists": req.key,
                "DoesNotExist": f"!{req.key}",
            }[req.operator.value]
        )
    return ",".join(terms)


def describe_peer(peer: NetworkPolicyPeer) -> str:
    if peer.ip_block is not None:
        excluded = "".join(f" except {net}" for net in peer.ip_block.except_)
        return f"ipBlock {peer.ip_block.cidr}{excluded}"
    parts = []
    if peer.namespace_selector is not None:
        parts.append(f"namespaceSelector {describe_selector(peer.namespace_selector)}")
    if peer.pod_selector is not None:
        parts.append(f"podSelector {describe_selector(peer.pod_selector)}")
    return " and ".join(parts)


def describe_port(entry: NetworkPolicyPort) -> str:
    protocol = entry.protocol.value if entry.protocol is not None else "TCP"
    if entry.port is None:
        return f"{protocol}/any"
    if entry.end_port is not None:
        return f"{protocol}/{entry.port}-{entry.end_port}"
    return f"{protocol}/{entry.port}"


RENDERERS: dict[str, Callable[[Sequence[Verdict]], str]] = {"text": render_text, "json": render_json}
