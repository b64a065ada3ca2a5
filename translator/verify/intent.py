"""Kubernetes policies as Calico enforces them, but with namespace *names* as Kubernetes means them.

Calico enforces a Kubernetes `namespaceSelector` on the `pcns.*` labels a pod inherits from its
namespace, which the pod's own labels override (docs/semantics.md). For the namespace's name,
Kubernetes' meaning can be stated exactly on an endpoint label no pod can set: a term on
`kubernetes.io/metadata.name` (which the API server keeps equal to the namespace's name) holds
exactly when the same term holds for `projectcalico.org/namespace` (which Calico writes). Every
other namespace label exists only as a `pcns.` label a pod may override, in Kubernetes' meaning
as in Calico's enforcement.

`namespace_names_as_kubernetes_means(policies)` is that model of a Kubernetes-only policy set: each
policy as Calico converts it (`evaluate.knp`), with the `kubernetes.io/metadata.name` terms of
every rule namespaceSelector moved into the rule's endpoint selector onto
`projectcalico.org/namespace`. It is what `convert --verify` proves the output equivalent to, for
every possible pod. For a pod without `pcns.*` labels of its own it is Calico's enforcement of
the input exactly; for any pod it is never weaker than Kubernetes about which namespace a pod is in.
"""

from __future__ import annotations

from dataclasses import replace

from translator.errors import UsageError
from translator.evaluate import knp
from translator.model import calico
from translator.model.cluster import NAMESPACE_NAME_LABEL as KUBERNETES_NAME_LABEL
from translator.selectors import ENDPOINT_NAMESPACE_LABEL, All, And, Not, Selector


def _label_of(term: Selector) -> str | None:
    """The label a requirement reads (a leaf, or a negated leaf such as `!has(k)`)."""
    if isinstance(term, Not):
        return _label_of(term.operand)
    return getattr(term, "label", None)


def _relabelled(term: Selector) -> Selector:
    if isinstance(term, Not):
        return Not(_relabelled(term.operand))
    return replace(term, label=ENDPOINT_NAMESPACE_LABEL)  # type: ignore[type-var]


def _split(namespace_selector: Selector) -> tuple[list[Selector], list[Selector]]:
    """(name terms, other terms) of a conjunction of requirements, as Kubernetes selectors convert."""
    terms = list(namespace_selector.operands) if isinstance(namespace_selector, And) else [namespace_selector]
    names, others = [], []
    for term in terms:
        label = _label_of(term)
        if label == KUBERNETES_NAME_LABEL:
            names.append(_relabelled(term))
        elif label is None and not isinstance(term, All):
            # A Kubernetes selector is a conjunction of requirements: anything else is not one.
            raise UsageError(f"cannot read namespace names in namespaceSelector {namespace_selector}")
        elif not isinstance(term, All):
            others.append(term)
    return names, others


def _entity(entity: calico.EntityRule) -> calico.EntityRule:
    if entity.namespace_selector is None:
        return entity
    names, others = _split(entity.namespace_selector)
    if not names:
        return entity
    selector = And((*names, entity.selector)) if entity.selector is not None else (
        names[0] if len(names) == 1 else And(tuple(names)))
    rest: Selector = others[0] if len(others) == 1 else (And(tuple(others)) if others else All())
    return replace(entity, selector=selector, namespace_selector=rest)


def _rule(rule: calico.Rule) -> calico.Rule:
    return replace(rule, source=_entity(rule.source), destination=_entity(rule.destination))


def namespace_names_as_kubernetes_means(policies: calico.PolicySet) -> calico.PolicySet:
    """The Kubernetes-only `policies` as Calico NetworkPolicies (see the module docstring).

    Every rule Calico converts a Kubernetes policy into is an Allow in tier `default` at order
    1000, so the order among them (and their names) cannot change a verdict.
    """
    if not policies.is_k8s_only:
        raise UsageError("namespace names as Kubernetes means them: the policy set must hold "
                         "Kubernetes NetworkPolicies only")
    converted = []
    for policy in policies.k8s_policies:
        calico_policy = knp.k8s_to_calico(policy).policy
        spec = calico_policy.spec
        spec = replace(spec, ingress=tuple(_rule(r) for r in spec.ingress),
                       egress=tuple(_rule(r) for r in spec.egress))
        converted.append(replace(calico_policy, spec=spec))
    return calico.PolicySet(calico_policies=tuple(converted))
