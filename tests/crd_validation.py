"""Validate an object against the upstream Calico CRD schemas, as an API server would.

The CRDs are the verbatim copies in `schemas/upstream/` (see its SOURCE.md):
- `v3.32.1`: native `projectcalico.org/v3` CRDs;
- `v3.31.7`: `crd.projectcalico.org/v1` storage CRDs; an object written for `projectcalico.org/v3`
  is checked with its apiVersion mapped to `crd.projectcalico.org/v1` (same spec types).

A CRD `openAPIV3Schema` is OpenAPI v3 with Kubernetes extensions. `to_json_schema` turns it into a
JSON Schema (draft 2020-12) for `jsonschema`:
- `x-kubernetes-int-or-string`: already spelled `anyOf: [integer, string]` upstream; kept;
- `x-kubernetes-list-type: set` becomes `uniqueItems: true` (the API server rejects duplicates);
  `atomic`/`map` list and map types carry no validation and are dropped;
- `default` is informative only here (we validate what is written, before defaulting);
- with `strict_fields=True` (the default) every object schema that lists `properties` and has no
  `additionalProperties` rejects unknown fields, as `kubectl apply` does since Kubernetes 1.27
  (`--validate=strict`); `metadata` stays a free object (the API server checks ObjectMeta itself);
- CEL `x-kubernetes-validations` cannot run here. The Tier rules (`default` must have
  defaultAction Deny, `kube-admin` and `kube-baseline` Pass) are re-implemented in
  `cel_errors`, and so are the `services` ones, which np2calico writes (`--allow-apiserver`): a
  rule's destination.services excludes ports/notPorts; a side's services excludes selectors,
  namespaceSelector, serviceAccounts and nets, and needs a name. The other rule-level ones (ICMP
  code needs type, HTTP needs TCP and Allow) and the GlobalNetworkPolicy
  preDNAT/doNotTrack/applyOnForward ones are skipped: np2calico neither reads nor writes those
  fields (the loader rejects them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

UPSTREAM = Path(__file__).resolve().parent.parent / "schemas" / "upstream"
CALICO_VERSIONS = ("v3.32.1", "v3.31.7")
V3_API_VERSION = "projectcalico.org/v3"
V1_API_VERSION = "crd.projectcalico.org/v1"

# Kind -> plural, the CRD file name stem.
PLURALS = {
    "NetworkPolicy": "networkpolicies",
    "GlobalNetworkPolicy": "globalnetworkpolicies",
    "Tier": "tiers",
    "StagedNetworkPolicy": "stagednetworkpolicies",
    "StagedGlobalNetworkPolicy": "stagedglobalnetworkpolicies",
    "StagedKubernetesNetworkPolicy": "stagedkubernetesnetworkpolicies",
}
_DROPPED_KEYS = {"x-kubernetes-list-type", "x-kubernetes-map-type", "x-kubernetes-validations", "default"}
_TIER_DEFAULT_ACTIONS = {"default": "Deny", "kube-admin": "Pass", "kube-baseline": "Pass"}


def crd_path(kind: str, version: str) -> Path:
    if kind not in PLURALS:
        raise KeyError(f"no upstream CRD for kind {kind!r} in schemas/upstream (have: {sorted(PLURALS)})")
    group = "projectcalico.org" if version == "v3.32.1" else "crd.projectcalico.org"
    return UPSTREAM / version / f"{group}_{PLURALS[kind]}.yaml"


@cache
def openapi_schema(kind: str, version: str) -> dict[str, Any]:
    """The `openAPIV3Schema` of the CRD's only version, as written upstream."""
    crd = yaml.safe_load(crd_path(kind, version).read_text(encoding="utf-8"))
    (served,) = crd["spec"]["versions"]
    return served["schema"]["openAPIV3Schema"]


def to_json_schema(node: Any, strict_fields: bool = True, top: bool = True) -> Any:
    """Convert an OpenAPI v3 (structural) schema into JSON Schema draft 2020-12 (see module doc)."""
    if isinstance(node, list):
        return [to_json_schema(item, strict_fields, top=False) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYS or key == "description":
            continue
        if key == "x-kubernetes-int-or-string":
            continue  # expressed by the anyOf that controller-gen writes next to it
        if key in ("properties",):
            out[key] = {k: to_json_schema(v, strict_fields, top=False) for k, v in value.items()}
        else:
            out[key] = to_json_schema(value, strict_fields, top=False)
    if node.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True
    if strict_fields and "properties" in node and "additionalProperties" not in node:
        out["additionalProperties"] = False
    if top:
        out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return out


@cache
def upstream_json_schema(kind: str, version: str, strict_fields: bool = True) -> dict[str, Any]:
    return to_json_schema(openapi_schema(kind, version), strict_fields)


@cache
def _validator(kind: str, version: str, strict_fields: bool) -> jsonschema.Draft202012Validator:
    schema = upstream_json_schema(kind, version, strict_fields)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def for_version(obj: Mapping[str, Any], version: str) -> dict[str, Any]:
    """The object as it is stored in `version`: v3.31 stores v3 objects as crd.projectcalico.org/v1."""
    copy = dict(obj)
    if version == "v3.31.7" and copy.get("apiVersion") == V3_API_VERSION:
        copy["apiVersion"] = V1_API_VERSION
    return copy


def _path(error: jsonschema.ValidationError) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")


def schema_errors(obj: Mapping[str, Any], version: str, strict_fields: bool = True) -> list[str]:
    """Errors of `obj` against the upstream CRD schema of its kind in `version` (no CEL)."""
    kind = obj.get("kind")
    if not isinstance(kind, str):
        return ["kind: missing or not a string"]
    validator = _validator(kind, version, strict_fields)
    errors = sorted(validator.iter_errors(for_version(obj, version)), key=lambda e: list(e.absolute_path))
    return [f"{_path(e) or '<root>'}: {e.message}" for e in errors]


# EntityRule CEL rules of v3.32.1 about `services`: (field, message) pairs.
_SERVICE_EXCLUDES = (
    ("namespaceSelector", "cannot specify NamespaceSelector and Services on the same rule"),
    ("serviceAccounts", "cannot specify ServiceAccounts and Services on the same rule"),
    ("selector", "cannot specify Selector/NotSelector and Services on the same rule"),
    ("notSelector", "cannot specify Selector/NotSelector and Services on the same rule"),
    ("nets", "cannot specify Nets/NotNets and Services on the same rule"),
    ("notNets", "cannot specify Nets/NotNets and Services on the same rule"),
)


def _service_rule_errors(rule: Mapping[str, Any], where: str) -> list[str]:
    errors = []
    destination = rule.get("destination") or {}
    if "services" in destination and (destination.get("ports") or destination.get("notPorts")):
        errors.append(f"{where}: ports and notPorts cannot be specified with services")
    for side in ("source", "destination"):
        entity = rule.get(side) or {}
        if "services" not in entity:
            continue
        services = entity["services"]
        if not isinstance(services, dict) or not services.get("name"):
            errors.append(f"{where}.{side}: services must specify a service name")
        for key, message in _SERVICE_EXCLUDES:
            value = entity.get(key)
            present = key == "serviceAccounts" or not isinstance(value, (str, list)) or bool(value)
            if value is not None and present:
                errors.append(f"{where}.{side}: {message}")
    return errors


def _policy_cel_errors(obj: Mapping[str, Any]) -> list[str]:
    spec = obj.get("spec") or {}
    return [
        error
        for direction in ("ingress", "egress")
        for index, rule in enumerate(spec.get(direction) or [])
        for error in _service_rule_errors(rule, f"spec.{direction}[{index}]")
    ]


def cel_errors(obj: Mapping[str, Any]) -> list[str]:
    """The CEL rules we re-implement (Tier default actions of v3.32.1, after defaulting; the
    `services` rules of policies)."""
    if obj.get("kind") != "Tier":
        return _policy_cel_errors(obj)
    name = (obj.get("metadata") or {}).get("name")
    spec = obj.get("spec") or {}
    required = _TIER_DEFAULT_ACTIONS.get(name)
    actual = spec.get("defaultAction", "Deny")
    if required and actual != required:
        return [f"spec.defaultAction: the {name!r} tier must have default action {required!r}"]
    return []


def crd_errors(obj: Mapping[str, Any], version: str, strict_fields: bool = True) -> list[str]:
    errors = schema_errors(obj, version, strict_fields)
    if version == "v3.32.1":
        errors += cel_errors(obj)
    return errors


def all_crd_errors(obj: Mapping[str, Any], strict_fields: bool = True) -> Iterator[str]:
    for version in CALICO_VERSIONS:
        for error in crd_errors(obj, version, strict_fields):
            yield f"{version}: {error}"


def assert_valid_for_calico(obj: Mapping[str, Any], strict_fields: bool = True) -> None:
    """Fail with every error when `obj` is not accepted by BOTH the v3.32.1 and v3.31.7 CRDs."""
    errors = list(all_crd_errors(obj, strict_fields))
    name = (obj.get("metadata") or {}).get("name")
    assert not errors, f"{obj.get('kind')}/{name} rejected by upstream CRD schema:\n" + "\n".join(errors)
