"""Compare two policy sets: the evaluator for a semantics, then the semantic diff on a cluster
(`semantic`) and, for pods described by labels, the symbolic one (`symbolic`).

This module sits above both engines, so neither imports the other's caller.
"""

from __future__ import annotations

from typing import Any

from translator.diff.result import Change, SemanticDiff
from translator.diff.semantic import DiffEngine, Evaluate, Tick
from translator.evaluate.verdict import Semantics
from translator.model.calico import PolicySet, TieBreak
from translator.model.cluster import Cluster

DEFAULT_TIE_BREAK = TieBreak.V3_32


def make_evaluator(policies: PolicySet, cluster: Cluster, *, semantics: Semantics | str = Semantics.CALICO,
                   tie_break: TieBreak | str = DEFAULT_TIE_BREAK, preview_staged: bool = False,
                   shared: dict[str, Any] | None = None) -> Evaluate:
    """`calico`: the Calico evaluator (Kubernetes policies as Calico enforces them);
    `k8s`: the Kubernetes evaluator, for a policy set holding only Kubernetes policies.
    Evaluators made with the same `shared` dict share what they can (`EvaluatorShare`)."""
    if Semantics(semantics) is Semantics.K8S:
        from translator.evaluate.k8s import K8sEvaluator

        if not policies.is_k8s_only:
            raise ValueError("Kubernetes semantics apply to Kubernetes policies only")
        return K8sEvaluator(policies.k8s_policies, cluster).evaluate
    from translator.evaluate.calico import CalicoEvaluator, EvaluatorShare

    share = shared.get("calico") if shared is not None else None
    if shared is not None and (share is None or share.cluster is not cluster):
        share = shared["calico"] = EvaluatorShare(cluster)
    evaluator = CalicoEvaluator(policies, cluster, tie_break=tie_break, preview_staged=preview_staged,
                                share=share)
    return evaluator.evaluate


def diff_policies(before: PolicySet, after: PolicySet, cluster: Cluster | None, *,
                  tie_break: TieBreak | str = DEFAULT_TIE_BREAK, preview_staged: bool = False,
                  semantics: Semantics | str = Semantics.CALICO, symbolic: bool = False,
                  tick: Tick | None = None, group_namespaces: bool = False) -> SemanticDiff:
    """Every connection of `cluster` whose verdict differs between `before` and `after`.

    With `symbolic` (implied when `cluster` is None) also every change for every possible pod,
    as regions described by labels (`translator.diff.symbolic`, exact, Calico semantics), in
    `SemanticDiff.symbolic_changes`. `tick(done, total)` hears how far the concrete diff is.
    `group_namespaces`: changes alike in several namespaces are one (`Endpoints.spans`).
    """

    shared: dict[str, Any] = {}  # the engine's evaluators (one per namespace and side) share caches

    def make(policies: PolicySet, where: Cluster) -> Evaluate:
        return make_evaluator(policies, where, semantics=semantics, tie_break=tie_break,
                              preview_staged=preview_staged, shared=shared)

    changes: tuple[Change, ...] = ()
    evaluated = 0
    if cluster is not None:
        engine = DiffEngine(before, after, cluster, make, group_namespaces=group_namespaces)
        changes, evaluated = engine.changes(tick), engine.evaluated
    if cluster is not None and not symbolic:
        return SemanticDiff(changes=changes, evaluated=evaluated)
    from translator.diff.symbolic import symbolic_changes

    network_sets = cluster.network_sets if cluster is not None else ()
    found, notes = symbolic_changes(before, after, tie_break=tie_break, preview_staged=preview_staged,
                                    network_sets=network_sets)
    return SemanticDiff(changes, found, notes, evaluated)
