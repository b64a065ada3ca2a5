"""Resource diff: objects keyed by (group, kind, namespace, name), server fields ignored."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from translator.errors import InputError
from translator.resource_diff import (
    FieldChangeKind,
    ObjectKey,
    api_group,
    clean,
    diff_resources,
)


def policy(name: str = "allow", order: int = 1000, api: str = "projectcalico.org/v3",
           **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": api,
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": "default", **metadata},
        "spec": {"order": order, "types": ["Ingress"], "ingress": [{"action": "Allow"}]},
    }


SERVER_FIELDS = {
    "uid": "9a1c", "resourceVersion": "812", "creationTimestamp": "2024-01-01T00:00:00Z",
    "generation": 3, "managedFields": [{"manager": "kubectl"}], "selfLink": "/apis/x",
    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
}


@pytest.mark.parametrize(
    ("api_version", "group"),
    [("projectcalico.org/v3", "projectcalico.org"), ("crd.projectcalico.org/v1", "projectcalico.org"),
     ("networking.k8s.io/v1", "networking.k8s.io"), ("v1", "")],
)
def test_api_group(api_version: str, group: str) -> None:
    assert api_group(api_version) == group


def test_identical_objects_are_unchanged() -> None:
    result = diff_resources([policy()], [policy()])
    assert not result.has_changes
    assert result.unchanged == (ObjectKey("projectcalico.org", "NetworkPolicy", "default", "allow"),)


def test_server_managed_fields_and_status_are_ignored() -> None:
    existing = policy(**SERVER_FIELDS)
    existing["status"] = {"phase": "whatever"}
    assert not diff_resources([policy()], [existing]).has_changes


def test_other_annotations_are_compared() -> None:
    existing = policy(annotations={"np2calico/source": "default/a"})
    result = diff_resources([policy()], [existing])
    assert [f.path for f in result.changed[0].fields] == ["metadata.annotations"]


def test_v1_crd_and_v3_forms_are_the_same_object() -> None:
    result = diff_resources([policy()], [policy(api="crd.projectcalico.org/v1")])
    assert not result.has_changes


def test_created_changed_deleted() -> None:
    result = diff_resources([policy("a"), policy("b", order=900)], [policy("b"), policy("c")])
    assert [c.key.name for c in result.created] == ["a"]
    assert [c.key.name for c in result.changed] == ["b"]
    assert [c.key.name for c in result.deleted] == ["c"]
    [field] = result.changed[0].fields
    assert (field.path, field.kind, field.before, field.after) == (
        "spec.order", FieldChangeKind.CHANGED, 1000, 900)


def test_list_items_added_and_removed_are_field_changes() -> None:
    longer = policy()
    longer["spec"]["ingress"].append({"action": "Deny"})
    result = diff_resources([longer], [policy()])
    [field] = result.changed[0].fields
    assert (field.path, field.kind, field.after) == ("spec.ingress[1]", FieldChangeKind.ADDED,
                                                     {"action": "Deny"})
    removed = diff_resources([policy()], [longer]).changed[0].fields[0]
    assert removed.kind is FieldChangeKind.REMOVED and removed.before == {"action": "Deny"}


def test_rule_order_matters() -> None:
    two = policy()
    two["spec"]["ingress"] = [{"action": "Allow"}, {"action": "Deny"}]
    swapped = copy.deepcopy(two)
    swapped["spec"]["ingress"].reverse()
    assert diff_resources([two], [swapped]).has_changes


def test_same_name_in_another_namespace_or_kind_is_another_object() -> None:
    other_ns = policy()
    other_ns["metadata"]["namespace"] = "dev"
    global_policy = {**policy(), "kind": "GlobalNetworkPolicy"}
    result = diff_resources([policy()], [other_ns, global_policy])
    assert len(result.created) == 1 and len(result.deleted) == 2


def test_lists_are_expanded() -> None:
    listed = {"apiVersion": "v1", "kind": "List", "items": [policy("a"), policy("b")]}
    assert len(diff_resources([listed], []).created) == 2


def test_duplicates_are_an_input_error() -> None:
    with pytest.raises(InputError, match="twice"):
        diff_resources([policy(), policy()], [])


def test_clean_does_not_modify_its_input() -> None:
    original = policy(**SERVER_FIELDS)
    snapshot = copy.deepcopy(original)
    cleaned = clean(original)
    assert original == snapshot
    assert "uid" not in cleaned["metadata"] and "annotations" not in cleaned["metadata"]
