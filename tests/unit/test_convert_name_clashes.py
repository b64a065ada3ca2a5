"""Generated names never collide with input names (issue 9 item 6): a Kubernetes policy may
legally be called `np2calico-deny-ingress` or `np2calico-default-deny`."""

from __future__ import annotations

import pytest

from translator.convert import ConvertOptions, DefaultDenyOptions, Target, convert
from translator.model.common import Direction, LabelSelector
from translator.model.k8s import NetworkPolicy, normalise


def _policy(name: str, namespace: str = "prod") -> NetworkPolicy:
    return normalise(NetworkPolicy(namespace, name, LabelSelector.of({"app": "db"}), (Direction.INGRESS,)))


def _names(options: ConvertOptions, *policies: NetworkPolicy) -> list[tuple[str | None, str]]:
    result = convert(policies, options)
    return [(p.metadata.namespace, p.name) for p in result.policies]


def test_an_input_named_like_the_explicit_deny_keeps_its_name() -> None:
    result = convert([_policy("np2calico-deny-ingress")])
    names = sorted((p.metadata.namespace, p.name) for p in result.policies)
    assert names == [("prod", "np2calico-deny-ingress"), ("prod", "np2calico-deny-ingress-2")]
    converted = next(p for p in result.policies if p.name == "np2calico-deny-ingress")
    assert converted.spec.order == 1000  # the input's conversion keeps the name; the deny moves
    notes = [str(d) for d in result.diagnostics.items]
    assert any("np2calico-deny-ingress-2" in n and "prod/np2calico-deny-ingress" in n for n in notes), notes


def test_the_alternative_suffix_skips_taken_names_deterministically() -> None:
    policies = [_policy("np2calico-deny-ingress"), _policy("np2calico-deny-ingress-2")]
    first = _names(ConvertOptions(), *policies)
    assert ("prod", "np2calico-deny-ingress-3") in first
    assert first == _names(ConvertOptions(), *reversed(policies))


@pytest.mark.parametrize("target", list(Target))
def test_an_input_named_like_the_default_deny_is_no_clash(target: Target) -> None:
    """A namespaced policy and a GlobalNetworkPolicy never share a scope, and global names carry
    the source namespace and a hash: the default deny keeps its name."""
    options = ConvertOptions(target=target, default_deny=DefaultDenyOptions.build(exclude=("prod",)))
    names = _names(options, _policy("np2calico-default-deny"))
    assert len(names) == len(set(names))
    assert (None, "np2calico-default-deny") in names
