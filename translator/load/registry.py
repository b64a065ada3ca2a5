"""How a document kind is turned into a model object: one parser per (apiVersion, kind).

`translator.load.k8s.PARSERS` (Kubernetes: NetworkPolicy, Namespace, Pod) and
`translator.load.calico.PARSERS` (projectcalico.org/v3 and crd.projectcalico.org/v1 kinds,
HostEndpoint) are merged by `translator.load`. A parser reports every problem to `diags` at the
field's location (`loc.child("spec").child("ingress").child(0)` …) and returns None when the
object is invalid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from translator.errors import Diagnostics, Location, UsageError
from translator.load.names import dns1123_label_errors


@dataclass(frozen=True)
class LoadContext:
    """Options that shape loading: the namespace for a NetworkPolicy file that names none."""

    default_namespace: str = "default"

    def __post_init__(self) -> None:
        # It lands in `metadata.namespace` of the output: refuse what the API server would refuse.
        namespace = self.default_namespace
        problems = dns1123_label_errors(namespace) if namespace else ["required value"]
        if problems:
            raise UsageError(f"--namespace {namespace!r}: invalid namespace: {'; '.join(problems)}")


Parser = Callable[[Mapping[str, Any], Location, Diagnostics, LoadContext], Any]
