"""`np2calico verify` results as text (for people) and JSON (for tools).

JSON: `{"equivalent": bool, "covered": {...}, "witness": null | {"objects": [...],
"connection": {"from", "to", "port", "protocol"}, "verdicts": {"a": ..., "b": ...},
"reproduce": [...]}}`; each verdict is `explain -o json`'s object for that connection.
"""

from __future__ import annotations

import json
import shlex
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from translator.evaluate.verdict import Verdict
from translator.render.envelope import envelope
from translator.render.verdicts import verdict_text, verdict_to_dict
from translator.verify import VerifyResult, Witness

FORMATS = ("text", "json")


@dataclass(frozen=True)
class Invocation:
    """How the user named the two sides, for the replay commands."""

    a: Sequence[str]
    b: Sequence[str]
    witness_file: str | None = None
    extra: Sequence[str] = ()
    honest_pods: bool = False
    # A read with namespace names as Kubernetes means them (translator.verify.intent).
    kubernetes_names: bool = False


def _pods(honest: bool) -> str:
    labels = "no pcns.* label of their own" if honest else "pcns.* overrides included"
    return f"any labels ({labels}), service account, IPv4/IPv6 address and named ports"


_KUBERNETES_NAMES = ("; in A, a namespaceSelector's kubernetes.io/metadata.name terms name the pod's real "
                     "namespace (as Kubernetes means them)")


def _hosts(result: VerifyResult) -> str:
    if not result.host_endpoints:
        return "none (the inputs hold no HostEndpoint; any other host endpoint is not judged)"
    return (", ".join(result.host_endpoints) + " (from the inputs: their labels, expected IPs, named ports "
            "and profiles; failsafe ports not modelled)")


def assumptions(result: VerifyResult) -> list[str]:
    """What the proof takes as given (translator/verify/invariants.py states them in full)."""
    return [
        "every namespace carries kubernetes.io/metadata.name = its name; endpoint labels as Felix "
        "builds them (pcns.* inherited, the pod's own, then projectcalico.org/* written by Calico)",
        "label keys and values, namespace and service-account names are valid Kubernetes names",
        "staged policies are not enforced",
        f"host endpoints: {_hosts(result)}",
        f"network sets: {result.network_set_assumption} (those of --cluster; refused in A and B)",
        "a host-network pod's traffic is the node's: the host endpoint owning its address, else an "
        "address outside the cluster",
        "the two ends of a connection have different addresses; any source port",
        f"Service endpoints: {result.service_assumption} (never those of --cluster: an endpoint is "
        "any (address, port, protocol) for destination.services, any address for source.services)",
    ]


def covered(result: VerifyResult, how: Invocation) -> dict[str, Any]:
    named = list(result.namespaces)
    return {
        "namespaces": {"named": named, "any_other": True},
        "pods": _pods(how.honest_pods) + "; also addresses outside the cluster (and host-network "
                "pods' node traffic)",
        "host_endpoints": list(result.host_endpoints),
        "protocols": "TCP, UDP and SCTP on every port 1-65535, and every other IP protocol",
        "semantics": "as Calico enforces both sides: tiers, order, Pass, end of tier, profiles; "
                     "staged policies not enforced" + (_KUBERNETES_NAMES if how.kubernetes_names else ""),
        "network_sets": {"assumed": result.network_set_assumption,
                         "global": sorted(s.name for s in result.network_sets if s.namespace is None),
                         "namespaced": sorted(f"{s.namespace}/{s.name}" for s in result.network_sets
                                              if s.namespace is not None)},
        "services": {"assumed": result.service_assumption, "names": list(result.services)},
        "assumptions": assumptions(result),
        "queries": len(result.checks),
        "seconds": round(result.seconds, 3),
    }


def witness_yaml(witness: Witness) -> str:
    return yaml.safe_dump_all(list(witness.objects), sort_keys=False, default_flow_style=False)


def reproduce(witness: Witness, how: Invocation) -> list[str]:
    if not witness.reproducible:
        return []
    where = how.witness_file or "WITNESS.yaml"
    commands = []
    for paths in (how.a, how.b):
        words = ["np2calico", "explain", *paths, "--cluster", where, "--from", witness.source,
                 "--to", witness.destination, "--port", str(witness.port), "--protocol",
                 witness.protocol, "--semantics", "calico", *how.extra]
        commands.append(shlex.join(words))
    return commands


def _verdict_dict(verdict: Verdict | None, allowed: bool) -> dict[str, Any]:
    if verdict is None:
        return {"verdict": "allow" if allowed else "deny"}
    return verdict_to_dict(verdict)


def to_dict(result: VerifyResult, how: Invocation) -> dict[str, Any]:
    witness = result.witness
    body: dict[str, Any] = envelope(
        "VerifyResult", {"equivalent": result.equivalent, "covered": covered(result, how), "witness": None}
    )
    if witness is not None:
        body["witness"] = {
            "objects": list(witness.objects),
            "connection": {"from": witness.source, "to": witness.destination, "port": witness.port,
                           "protocol": witness.protocol},
            "verdicts": {"a": _verdict_dict(witness.verdict_a, witness.allowed_a),
                         "b": _verdict_dict(witness.verdict_b, witness.allowed_b)},
            "reproduce": reproduce(witness, how),
        }
    return body


def render_json(result: VerifyResult, how: Invocation) -> str:
    return json.dumps(to_dict(result, how), indent=2, ensure_ascii=False) + "\n"


def _item(line: str) -> str:
    return textwrap.fill(line, 100, initial_indent="  - ", subsequent_indent="    ") + "\n"


def _equivalent_text(result: VerifyResult, how: Invocation) -> str:
    named = ", ".join(result.namespaces) or "none"
    hosts = f"; the host endpoints {', '.join(result.host_endpoints)}" if result.host_endpoints else ""
    return (
        "Equivalent for every possible pod: A and B give every connection the same verdict.\n"
        f"Covered: pods in every namespace (named by the policies: {named}; and any other), with\n"
        f"  {_pods(how.honest_pods)};\n"
        f"  addresses outside the cluster{hosts};\n"
        "  TCP, UDP and SCTP on every port, and every other protocol.\n"
        + textwrap.fill("Semantics: both sides as Calico enforces them (tiers, order, Pass, end of tier, "
                        "profiles)" + (_KUBERNETES_NAMES if how.kubernetes_names else "") + ".",
                        100, subsequent_indent="  ") + "\n"
        "Assumed:\n" + "".join(_item(line) for line in assumptions(result))
        + f"{_network_sets_text(result)}"
        + f"Proof: {len(result.checks)} solver queries, {result.seconds:.2f} s.\n"
    )


def _network_sets_text(result: VerifyResult) -> str:
    """The one assumption about the cluster: which network sets rule selectors see."""
    if not result.network_sets:
        return ("Cluster state: no network sets (an address outside every pod matches no rule "
                "selector).\n")
    return (f"Cluster state: {result.network_set_assumption} (rule selectors match their nets; "
            "their namespaces' labels are any).\n")


def _side_text(label: str, verdict: Verdict | None, allowed: bool) -> str:
    if verdict is None:
        return f"{label}: {'allow' if allowed else 'deny'}\n"
    lines = verdict_text(verdict).rstrip("\n").splitlines()
    return f"{label}: " + "\n   ".join(lines) + "\n"


def render_text(result: VerifyResult, how: Invocation) -> str:
    witness = result.witness
    if witness is None:
        return _equivalent_text(result, how)
    port = f"/{witness.port}" if witness.port is not None else ""
    text = (
        "Not equivalent: this connection gets different verdicts.\n"
        f"Connection: {witness.source} -> {witness.destination} {witness.protocol}{port}\n"
        + _side_text("A", witness.verdict_a, witness.allowed_a)
        + _side_text("B", witness.verdict_b, witness.allowed_b)
        + _network_sets_text(result)
    )
    saved = f" (saved to {how.witness_file})" if how.witness_file else " (save it as WITNESS.yaml)"
    text += f"Witness cluster state{saved}:\n---\n" + witness_yaml(witness).replace("\n...\n", "\n")
    commands = reproduce(witness, how)
    if commands:
        text += "Reproduce:\n" + "".join(f"  {c}\n" for c in commands)
    else:
        text += (f"(explain takes TCP, UDP and SCTP connections only: protocol {witness.protocol} "
                 "cannot be replayed)\n")
    return text


RENDERERS = {"text": render_text, "json": render_json}
