"""Symbolic diff: changes for pods that may not exist yet, described by label conditions.

From the label atoms the policies of both sides mention we build a synthetic cluster that
covers the combinations: for every label key a selector reads, a pod (or namespace) either lacks
it, or carries one of the values mentioned, or carries a value no selector mentions. Namespaces
are the ones the policies are in or name (`kubernetes.io/metadata.name` / `projectcalico.org/name`
values) plus "any other namespace". The ordinary diff engine then runs on that cluster, and each
differing synthetic pod is described by its conditions ("any pod in namespace dev with
app=curl, no tier").

Limits, said in the result's notes: combinations are capped (`max_pods`); synthetic pods have no
addresses, so ipBlocks/nets are judged for addresses outside the cluster only; every synthetic pod
declares every named port the policies mention.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from translator.diff.atoms import label_selector_leaves, selector_leaves
from translator.diff.result import Change
from translator.diff.semantic import DiffEngine, Evaluate
from translator.model import calico, k8s
from translator.model.cluster import NAMESPACE_NAME_LABEL as K8S_NAME_LABEL
from translator.model.cluster import Cluster, ContainerPort, Namespace, Pod
from translator.selectors import NAMESPACE_NAME_LABEL as CALICO_NAME_LABEL

OTHER_VALUE = "np2calico-other-value"
OTHER_NAMESPACE = "np2calico-other-namespace"
DEFAULT_MAX_PODS = 2000
_NAME_KEYS = {K8S_NAME_LABEL, CALICO_NAME_LABEL}
ABSENT = None


@dataclass
class LabelSpace:
    """The label keys selectors read, with the values they mention, for pods and namespaces."""

    pod_values: dict[str, set[str]]
    namespace_values: dict[str, set[str]]
    namespaces: set[str]
    named_ports: set[tuple[str, str]]


def _leaf_values(leaf: object) -> tuple[str | None, tuple[str, ...]]:
    key = getattr(leaf, "label", None) or getattr(leaf, "key", None)
    values = getattr(leaf, "values", None)
    if values is None:
        value = getattr(leaf, "value", None)
        values = (value,) if value is not None else ()
    return key, tuple(values)


def _add(space: dict[str, set[str]], leaves: Iterable[object]) -> None:
    for leaf in leaves:
        key, values = _leaf_values(leaf)
        if key is not None and not key.startswith("projectcalico.org/"):
            space.setdefault(key, set()).update(values)


def _k8s_space(space: LabelSpace, policy: k8s.NetworkPolicy) -> None:
    space.namespaces.add(policy.namespace)
    _add(space.pod_values, label_selector_leaves(policy.pod_selector))
    for rule in (*policy.ingress, *policy.egress):
        for peer in rule.peers:
            _add(space.pod_values, label_selector_leaves(peer.pod_selector))
            _add(space.namespace_values, label_selector_leaves(peer.namespace_selector))
        for port in rule.ports:
            if isinstance(port.port, str):
                space.named_ports.add((port.port, (port.protocol or "TCP").__str__()))


def _calico_space(space: LabelSpace, policy: calico.CalicoPolicy) -> None:
    if isinstance(policy, calico.NetworkPolicy):
        space.namespaces.add(policy.namespace)
    else:
        _add(space.namespace_values, selector_leaves(policy.namespace_selector))
    _add(space.pod_values, selector_leaves(policy.spec.selector))
    for rule in (*policy.spec.ingress, *policy.spec.egress):
        for entity in (rule.source, rule.destination):
            _add(space.pod_values, selector_leaves(entity.selector))
            _add(space.pod_values, selector_leaves(entity.not_selector))
            _add(space.namespace_values, selector_leaves(entity.namespace_selector))
            for spec in (*entity.ports, *entity.not_ports):
                if isinstance(spec, str):
                    for protocol in ("TCP", "UDP", "SCTP"):
                        space.named_ports.add((spec, protocol))


def label_space(sides: Iterable[calico.PolicySet]) -> LabelSpace:
    space = LabelSpace({}, {}, set(), set())
    for policies in sides:
        for policy in (*policies.k8s_policies, *(s.policy for s in policies.staged_k8s_policies)):
            _k8s_space(space, policy)
        for calico_policy in policies.calico_policies:
            _calico_space(space, calico_policy)
    for key in _NAME_KEYS & space.namespace_values.keys():
        space.namespaces.update(space.namespace_values.pop(key))
    space.pod_values = {k: v for k, v in space.pod_values.items() if not k.startswith("pcns.")}
    return space


def _assignments(values: dict[str, set[str]]) -> Iterator[dict[str, str | None]]:
    """Every combination: each key absent, one of its mentioned values, or another value."""
    keys = sorted(values)
    choices = [[ABSENT, *sorted(values[k]), OTHER_VALUE] for k in keys]
    for combo in itertools.product(*choices):
        yield dict(zip(keys, combo, strict=True))


def describe_labels(assignment: dict[str, str | None]) -> str:
    terms = []
    for key, value in sorted(assignment.items()):
        if value is ABSENT:
            terms.append(f"no {key}")
        elif value == OTHER_VALUE:
            terms.append(f"{key}=<other>")
        else:
            terms.append(f"{key}={value}")
    return ", ".join(terms)


@dataclass(frozen=True)
class SymbolicCluster:
    cluster: Cluster
    # pod key -> (where, its label choice per key); `keys`/`choices` give the order of the choices
    placements: dict[str, tuple[str, tuple[str | None, ...]]]
    keys: tuple[str, ...]
    choices: tuple[tuple[str | None, ...], ...]
    total: int  # combinations before the cap
    capped: bool


def _named_ports(space: LabelSpace) -> tuple[ContainerPort, ...]:
    from translator.model.common import Protocol

    return tuple(
        ContainerPort(30000 + i, Protocol(protocol), name)
        for i, (name, protocol) in enumerate(sorted(space.named_ports))
    )


def _synthetic_namespaces(space: LabelSpace, known: Cluster | None) -> list[tuple[Namespace, str]]:
    """Named namespaces keep their real labels (only the automatic one when unknown); "any other
    namespace" comes once per combination of the namespace labels selectors read."""
    found = []
    for name in sorted(space.namespaces - {OTHER_NAMESPACE}):
        namespace = known.namespace(name) if known is not None else Namespace.create(name)
        found.append((namespace, f"namespace {name}"))
    for i, labels in enumerate(_assignments(space.namespace_values)):
        present = {k: v for k, v in labels.items() if v is not None}
        where = "any other namespace" + (f" with {describe_labels(labels)}" if labels else "")
        found.append((Namespace.create(f"{OTHER_NAMESPACE}-{i}", present), where))
    return found


def symbolic_cluster(sides: Sequence[calico.PolicySet], known: Cluster | None = None,
                     max_pods: int = DEFAULT_MAX_PODS) -> SymbolicCluster:
    space = label_space(sides)
    namespaces = _synthetic_namespaces(space, known)
    keys = tuple(sorted(space.pod_values))
    choices = tuple((ABSENT, *sorted(space.pod_values[k]), OTHER_VALUE) for k in keys)
    pod_combos = list(itertools.product(*choices))
    total = len(namespaces) * len(pod_combos)
    budget = max(1, max_pods // max(1, len(namespaces)))
    ports = _named_ports(space)
    pods, placements = [], {}
    for namespace, where in namespaces:
        for j, combo in enumerate(pod_combos[:budget]):
            labels = {k: v for k, v in zip(keys, combo, strict=True) if v is not None}
            pod = Pod(namespace.name, f"pod-{j}", labels, ports=ports)
            pods.append(pod)
            placements[pod.key] = (where, combo)
    cluster = Cluster.build([n for n, _ in namespaces], pods)
    return SymbolicCluster(cluster, placements, keys, choices, total, total > len(pods))


ANY = "*"


def _drop_free_keys(combos: set[tuple[str | None, ...]],
                    choices: tuple[tuple[str | None, ...], ...]) -> set[tuple[str | None, ...]]:
    """Replace a key by ANY wherever the set holds every choice of it for the other keys fixed."""
    for k, options in enumerate(choices):
        groups: dict[tuple[str | None, ...], set[str | None]] = {}
        for combo in combos:
            groups.setdefault(combo[:k] + combo[k + 1:], set()).add(combo[k])
        combos = set()
        for rest, values in groups.items():
            kept = (ANY,) if values >= set(options) else values
            combos.update((*rest[:k], value, *rest[k:]) for value in kept)
    return combos


def describe_pods(synthetic: SymbolicCluster, pods: Sequence[Pod]) -> str:
    """Label conditions covering exactly these synthetic pods, as short as the grid allows."""
    by_where: dict[str, set[tuple[str | None, ...]]] = {}
    for pod in pods:
        where, combo = synthetic.placements[pod.key]
        by_where.setdefault(where, set()).add(combo)
    parts = []
    for where, combos in sorted(by_where.items()):
        for combo in sorted(_drop_free_keys(combos, synthetic.choices), key=str):
            chosen = {k: v for k, v in zip(synthetic.keys, combo, strict=True) if v != ANY}
            labels = f" with {describe_labels(chosen)}" if chosen else ""
            parts.append(f"any pod in {where}{labels}")
    return "; or ".join(parts)


def symbolic_changes(
    before: calico.PolicySet,
    after: calico.PolicySet,
    make: Callable[[calico.PolicySet, Cluster], Evaluate],
    known: Cluster | None = None,
    max_pods: int = DEFAULT_MAX_PODS,
) -> tuple[tuple[Change, ...], tuple[str, ...]]:
    """The changes on the synthetic cluster, described by conditions, and notes on the limits.

    `make(policies, cluster) -> Evaluate` builds an evaluator for one side.
    """
    synthetic = symbolic_cluster((before, after), known, max_pods)
    engine = DiffEngine(before, after, synthetic.cluster, make,
                        describe=lambda pods: describe_pods(synthetic, pods))
    notes = ["symbolic pods have no addresses: ipBlocks and nets are judged for outside "
             "addresses only; each declares every named port the policies mention"]
    if synthetic.capped:
        notes.append(f"symbolic combinations capped: {len(synthetic.cluster.pods)} of "
                     f"{synthetic.total} label combinations evaluated")
    return engine.changes(), tuple(notes)
