"""Names valid for Calico v3.31 and v3.32 (semantics.md §2.7), deterministic and collision-free."""

from __future__ import annotations

import re

import pytest

from translator.convert import ConvertOptions, Target, convert
from translator.convert.naming import (
    MAX_NAME_LENGTH,
    NameCollisionError,
    check_unique,
    deny_name,
    global_name,
    merged_name,
    namespaced_name,
    short_hash,
)
from translator.model.k8s import NetworkPolicy

# Lower-case DNS labels joined by at most one dot (libcalico-go validator), at most 253 characters.
PORTABLE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)?")


def portable(name: str, tier: str | None) -> bool:
    if len(name) > MAX_NAME_LENGTH or not PORTABLE.fullmatch(name):
        return False
    if name.startswith(("knp.", "ossg.")):
        return False
    return "." not in name if tier is None else name.startswith(f"{tier}.") and name.count(".") == 1


@pytest.mark.parametrize(
    ("k8s_name", "tier", "expected"),
    [
        ("allow-web", None, "allow-web"),
        ("allow-web", "migration", "migration.allow-web"),
        ("web.v1.allow", None, f"web-v1-allow-{short_hash('web.v1.allow')}"),
        ("web.v1.allow", "migration", f"migration.web-v1-allow-{short_hash('web.v1.allow')}"),
    ],
    ids=["plain", "in-tier", "dots-default-tier", "dots-in-tier"],
)
def test_namespaced_names(k8s_name: str, tier: str | None, expected: str) -> None:
    assert namespaced_name(k8s_name, tier) == expected
    assert portable(expected, tier)


@pytest.mark.parametrize("tier", [None, "t" * 63])
@pytest.mark.parametrize("k8s_name", ["a" * 253, "a." * 126 + "b", "x-" * 100 + "y"])
def test_long_names_are_shortened_with_a_hash(k8s_name: str, tier: str | None) -> None:
    for name in (namespaced_name(k8s_name, tier), global_name("n" * 63, k8s_name, tier)):
        assert portable(name, tier), name


def test_global_names_never_collide_across_namespace_and_name_splits() -> None:
    assert global_name("a-b", "c", None) != global_name("a", "b-c", None)
    assert global_name("a", "b.c", None) != global_name("a", "b-c", None)


def test_merged_and_deny_names_are_portable() -> None:
    assert portable(merged_name(["a/x.y", "b/x.y"], "x.y", "t"), "t")
    assert portable(deny_name("Ingress", ("a", "b"), None, scoped=True), None)
    assert deny_name("Egress", ("prod",), None, scoped=True) == "np2calico-deny-egress-prod"
    assert deny_name("Egress", ("prod",), "t", scoped=False) == "t.np2calico-deny-egress"


def test_a_generated_name_taken_by_an_input_moves_aside() -> None:
    """Issue 9 item 6: a legal input name is never refused (tests/unit/test_convert_name_clashes.py)."""
    policies = [NetworkPolicy("prod", "np2calico-deny-ingress"), NetworkPolicy("prod", "other")]
    names = {p.name for p in convert(policies, ConvertOptions(target=Target.NAMESPACED)).policies}
    assert {"np2calico-deny-ingress", "np2calico-deny-ingress-2"} <= names


def test_a_remaining_collision_fails_clearly() -> None:
    """The last guard: two emitted objects sharing scope and name are never written."""
    same = convert([NetworkPolicy("prod", "web")]).policies[0]
    with pytest.raises(NameCollisionError, match="'web' in namespace 'prod'"):
        check_unique([same, same], {})


def test_the_same_input_gives_the_same_names() -> None:
    policies = [NetworkPolicy("prod", "web.v1"), NetworkPolicy("dev", "web.v1")]
    for target in Target:
        first = [p.name for p in convert(policies, ConvertOptions(target=target)).policies]
        second = [p.name for p in convert(list(reversed(policies)), ConvertOptions(target=target)).policies]
        assert sorted(first) == sorted(second)
