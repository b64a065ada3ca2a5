"""np2calico as a library: the few calls a CI script makes, stable across releases.

    import translator

    source = translator.load_inputs(["samples/lab/policies"])
    result = translator.convert_policies(source.policies.k8s_policies)
    cluster = translator.load_inputs(["samples/lab/cluster.yaml"]).cluster()

    verdict = translator.evaluate_connection(result.policy_set, cluster, "default/curl-two",
                                             "default/color-api-7b9d7c9c7b-lx8tm", 80)
    print(translator.explain(verdict))           # the text `np2calico explain` prints

    changes = translator.diff_policies(source.policies, result.policy_set, cluster)
    proof = translator.verify_policies(source.policies, result.policy_set, kubernetes_namespace_names=True)
    assert changes.is_empty and proof.equivalent

Errors are `translator.errors.NP2CalicoError` subclasses (`InputError` for bad input, naming the
file, document and field; `UsageError` for a bad argument). The names are not `load`, `convert`,
... because those are the subpackages (`translator.load`, `translator.convert`, ...): a submodule
import would replace a package attribute of the same name. Imports happen on first call, so
`import translator` stays cheap for the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from translator.convert import ConversionResult, ConvertOptions
    from translator.diff.result import SemanticDiff
    from translator.evaluate.verdict import Semantics, Verdict
    from translator.load import Loaded
    from translator.model.calico import PolicySet, TieBreak
    from translator.model.cluster import Cluster
    from translator.model.common import Protocol
    from translator.model.k8s import NetworkPolicy
    from translator.verify import VerifyResult

__all__ = [
    "convert_policies",
    "diff_policies",
    "evaluate_connection",
    "explain",
    "load_inputs",
    "verify_policies",
]


def load_inputs(paths: Sequence[str | Path]) -> Loaded:
    """Read files and folders (YAML/JSON, multi-document, `kind: List`) into the model: policies
    (`.policies`), and the cluster state they hold (`.cluster()`). Raises InputError on bad input."""
    from translator.load import load

    return load([str(p) for p in paths])


def convert_policies(
    policies: Iterable[NetworkPolicy], options: ConvertOptions | None = None
) -> ConversionResult:
    """Kubernetes NetworkPolicies → equivalent Calico policies (`.policies`, `.tiers`, as a
    `.policy_set` to evaluate), with the diagnostics of the conversion."""
    from translator.convert import convert

    return convert(policies, options)


def evaluate_connection(
    policies: PolicySet,
    cluster: Cluster,
    source: str,
    destination: str,
    port: int | str,
    protocol: Protocol | str = "TCP",
    *,
    semantics: Semantics | str | None = None,
    tie_break: TieBreak | str = "v3.32",
) -> Verdict:
    """Is this connection allowed? Endpoints as `explain` takes them (`ns/pod`, `hep:name`, an
    IP address); `semantics` defaults to Kubernetes for Kubernetes-only policies, else Calico."""
    from translator.diff.compare import make_evaluator
    from translator.errors import Location
    from translator.evaluate.connections import make_connection, parse_port, parse_protocol, resolve_endpoint
    from translator.evaluate.verdict import Semantics

    where = Location("<api>")
    chosen = Semantics(semantics) if semantics is not None else (
        Semantics.K8S if policies.is_k8s_only else Semantics.CALICO
    )
    conn = make_connection(
        resolve_endpoint(source, cluster, where.child("source")),
        resolve_endpoint(destination, cluster, where.child("destination")),
        parse_port(port, where.child("port")),
        parse_protocol(str(protocol), where.child("protocol")),
        where,
    )
    return make_evaluator(policies, cluster, semantics=chosen, tie_break=tie_break)(conn)


def explain(verdict: Verdict) -> str:
    """The verdict in words, as `np2calico explain` prints it."""
    from translator.render.verdicts import verdict_text

    return verdict_text(verdict)


def diff_policies(before: PolicySet, after: PolicySet, cluster: Cluster | None, *,
                  group_namespaces: bool = False) -> SemanticDiff:
    """Every connection of `cluster` whose verdict differs (Calico semantics); with no cluster,
    the changes for pods described by labels. `group_namespaces`: changes alike in several
    namespaces are one, whose side lists the pods of each (`Endpoints.spans`)."""
    from translator.diff.compare import diff_policies as semantic_diff

    return semantic_diff(before, after, cluster, group_namespaces=group_namespaces)


def verify_policies(a: PolicySet, b: PolicySet, *, honest_pods: bool = False,
                    kubernetes_namespace_names: bool = False) -> VerifyResult:
    """A proof that `a` and `b` give every possible connection the same verdict, or a witness
    (`.witness`) that they do not. `honest_pods`: only pods without `pcns.*` labels of their own.
    `kubernetes_namespace_names`: `a` (Kubernetes policies only) with its namespaceSelectors'
    `kubernetes.io/metadata.name` terms naming the pod's real namespace, as `convert --verify`
    proves a conversion (`translator.verify.intent`)."""
    from translator.verify import verify
    from translator.verify.engine import Question
    from translator.verify.intent import namespace_names_as_kubernetes_means

    if kubernetes_namespace_names:
        a = namespace_names_as_kubernetes_means(a)
    return verify(a, b, question=Question(honest_pods=honest_pods))
