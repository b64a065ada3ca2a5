"""Calico model → projectcalico.org/v3 manifests (dicts, YAML, JSON), canonical and deterministic.

Only fields that are set are written; mapping keys are sorted (their order means nothing), list
order is kept (rules run in order; the stream is in apply order). Selectors are printed in their
canonical form, orders as integers when they are whole, ports as numbers, `"a:b"` or names.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Union

from translator.model.calico import (
    CalicoPolicy,
    EntityRule,
    GlobalNetworkPolicy,
    Metadata,
    PolicySpec,
    PortSpec,
    Rule,
    Tier,
)
from translator.model.common import PortRange
from translator.selectors import Selector

API_VERSION = "projectcalico.org/v3"
Resource = Union[Tier, CalicoPolicy]  # noqa: UP007 - a runtime alias, kept for Python 3.10 tools
Manifest = dict[str, Any]

def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


@lru_cache(maxsize=65536)
def _port(port: PortSpec) -> int | str:
    if isinstance(port, PortRange):
        return port.start if port.is_single else str(port)
    return port


def _selector(selector: Selector | None) -> str | None:
    return None if selector is None else _rendered(selector)


@lru_cache(maxsize=65536)
def _rendered(selector: Selector) -> str:
    """Selectors recur across a policy set (every pod selector starts the same way): render once."""
    return selector.render()


# (manifest key, model attribute, how to print one item); absent or empty fields are left out.
_ENTITY_SELECTORS = (
    ("selector", "selector"),
    ("notSelector", "not_selector"),
    ("namespaceSelector", "namespace_selector"),
)
_ENTITY_LISTS: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("nets", "nets", str),
    ("notNets", "not_nets", str),
    ("ports", "ports", lambda p: _port(p)),
    ("notPorts", "not_ports", lambda p: _port(p)),
)


def entity_manifest(entity: EntityRule) -> Manifest:
    fields: Manifest = {}
    for key, attribute in _ENTITY_SELECTORS:
        selector = getattr(entity, attribute)
        if selector is not None:
            fields[key] = _rendered(selector)
    for key, attribute, show in _ENTITY_LISTS:
        items = getattr(entity, attribute)
        if items:
            fields[key] = [show(i) for i in items]
    if entity.services is not None:
        fields["services"] = _present({"name": entity.services.name, "namespace": entity.services.namespace})
    return fields


def rule_manifest(rule: Rule) -> Manifest:
    fields: Manifest = {
        "action": rule.action.value,
        "protocol": rule.protocol.written if rule.protocol is not None else None,
        "notProtocol": rule.not_protocol.written if rule.not_protocol is not None else None,
        "ipVersion": rule.ip_version,
        "source": entity_manifest(rule.source),
        "destination": entity_manifest(rule.destination),
    }
    return _present(fields)


def _present(fields: Mapping[str, Any]) -> Manifest:
    """Drop absent values (None, empty lists and mappings): Calico reads them as unset."""
    return {k: v for k, v in fields.items() if v is not None and (v or not isinstance(v, (list, dict)))}


def metadata_manifest(metadata: Metadata) -> Manifest:
    return _present(
        {
            "name": metadata.name,
            "namespace": metadata.namespace,
            "labels": dict(metadata.labels),
            "annotations": dict(metadata.annotations),
        }
    )


def spec_manifest(spec: PolicySpec) -> Manifest:
    return _present(
        {
            "tier": spec.tier,
            "order": None if spec.order is None else _number(spec.order),
            "selector": None if spec.selector is None else spec.selector.render(),
            "types": [t.value for t in spec.types],
            "ingress": [rule_manifest(r) for r in spec.ingress],
            "egress": [rule_manifest(r) for r in spec.egress],
        }
    )


def policy_manifest(policy: CalicoPolicy) -> Manifest:
    spec = spec_manifest(policy.spec)
    if isinstance(policy, GlobalNetworkPolicy) and policy.namespace_selector is not None:
        spec["namespaceSelector"] = policy.namespace_selector.render()
    if policy.staged_action is not None:
        spec["stagedAction"] = policy.staged_action.value
    return {
        "apiVersion": API_VERSION,
        "kind": policy.kind,
        "metadata": metadata_manifest(policy.metadata),
        "spec": spec,
    }


def tier_manifest(tier: Tier) -> Manifest:
    order = None if tier.order is None else _number(tier.order)
    spec = _present({"order": order, "defaultAction": tier.default_action.value})
    return {"apiVersion": API_VERSION, "kind": "Tier", "metadata": {"name": tier.name}, "spec": spec}


def manifest(resource: Resource) -> Manifest:
    return tier_manifest(resource) if isinstance(resource, Tier) else policy_manifest(resource)


def manifests(tiers: Sequence[Tier], policies: Sequence[CalicoPolicy]) -> list[Manifest]:
    """The whole stream in apply order: Tier(s) first, then the policies as given."""
    return [manifest(r) for r in (*tiers, *policies)]


def render_yaml(documents: Iterable[Manifest]) -> str:
    """A multi-document YAML stream, `---` before each document, ready for `calicoctl apply -f`.

    Written by a small block-style emitter (`_emit`) rather than PyYAML's representer: manifests
    hold only mappings, lists, strings and numbers, and the emitter is several times faster on
    large policy sets. Strings that could be read back as anything but themselves are written
    as JSON strings, which are valid YAML double-quoted scalars; the tests read every output back.
    """
    lines: list[str] = []
    for document in documents:
        lines.append("---")
        _emit_mapping(document, "", lines)
    return "\n".join(lines) + "\n" if lines else ""


# A plain scalar is used only for text that cannot mean anything else to a YAML 1.1/1.2 reader:
# a letter first, then letters, digits and `_./-`; never a word a resolver turns into a bool/null.
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*")
_RESERVED_WORDS = frozenset(("y", "n", "yes", "no", "on", "off", "true", "false", "null"))


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED_WORDS:
        return text
    return json.dumps(text)


def _float(value: float) -> str:
    """A float YAML 1.1 readers also see as one: always with a dot, never in exponent form."""
    if not math.isfinite(value):
        raise ValueError(f"{value} has no place in a Calico manifest")
    text = repr(value)
    if "e" in text:  # exponent, inf or nan: spell the digits out
        text = f"{value:.20f}".rstrip("0")
    return text if "." in text else f"{text}.0"


def _emit_mapping(
    mapping: Mapping[str, Any], indent: str, lines: list[str], first: str | None = None
) -> None:
    """Keys sorted; `first` is the prefix of the first line (`- ` for a mapping in a list)."""
    prefix = indent if first is None else first
    for key in sorted(mapping):
        _emit_entry(_scalar(key), mapping[key], prefix, indent, lines)
        prefix = indent


def _emit_entry(key: str, value: Any, prefix: str, indent: str, lines: list[str]) -> None:
    if isinstance(value, Mapping) and value:
        lines.append(f"{prefix}{key}:")
        _emit_mapping(value, indent + "  ", lines)
    elif isinstance(value, list) and value:
        lines.append(f"{prefix}{key}:")
        _emit_list(value, indent, lines)
    elif isinstance(value, (Mapping, list)):
        lines.append(f"{prefix}{key}: {'{}' if isinstance(value, Mapping) else '[]'}")
    else:
        lines.append(f"{prefix}{key}: {_scalar(value)}")


def _emit_list(items: list[Any], indent: str, lines: list[str]) -> None:
    """Items at the key's indentation (`- `), as kubectl and PyYAML print them."""
    for item in items:
        if isinstance(item, Mapping) and item:
            _emit_mapping(item, indent + "  ", lines, first=f"{indent}- ")
        elif isinstance(item, (Mapping, list)):
            raise ValueError("nested empty or list-in-list values are not part of a Calico manifest")
        else:
            lines.append(f"{indent}- {_scalar(item)}")


def render_json(documents: Iterable[Manifest]) -> str:
    """One `kind: List` object (what `kubectl apply -f` takes), keys sorted, two-space indent."""
    wrapper = {"apiVersion": "v1", "kind": "List", "items": list(documents)}
    return json.dumps(wrapper, indent=2, sort_keys=True) + "\n"


RENDERERS: dict[str, Callable[[Iterable[Manifest]], str]] = {"yaml": render_yaml, "json": render_json}
