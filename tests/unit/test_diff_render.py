"""Rendering of semantic and resource diffs: text (colour only when asked), JSON, Markdown."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator.diff.result import Cause, Change, EndpointKind, Endpoints, Outcome, SemanticDiff
from translator.evaluate.verdict import DecidedBy
from translator.model.calico import Action
from translator.model.common import Direction, PortRange, Protocol
from translator.render.diff import change_json, merge_protocols, render_resource_diff, render_semantic_diff
from translator.render.indented_json import encode
from translator.resource_diff import diff_resources

OPEN = Outcome(True, Cause(Direction.EGRESS, True),
               Cause(Direction.INGRESS, True, ending=DecidedBy.NO_POLICY))
DENIED = Outcome(False, Cause(Direction.EGRESS, True),
                 Cause(Direction.INGRESS, False, "GlobalNetworkPolicy/deny", 0, "default", Action.DENY))
PODS = Endpoints(EndpointKind.PODS, "dev", names=("curl-dev", "debug"))
OUTSIDE = Endpoints(EndpointKind.EXTERNAL, networks=("0.0.0.0/0",))


def change(protocol: Protocol, ports: tuple[PortRange, ...] = (PortRange(1, 65535),)) -> Change:
    return Change(OUTSIDE, PODS, protocol, ports, OPEN, DENIED, 4)


DIFF = SemanticDiff((change(Protocol.TCP), change(Protocol.UDP, (PortRange(1, 52), PortRange(54, 65535)))))


def test_protocols_with_the_same_endpoints_and_outcomes_share_a_line() -> None:
    [(first, traffic)] = merge_protocols(DIFF.changes)
    assert traffic == "TCP 1:65535; UDP 1:52,54:65535"
    assert first.protocol is Protocol.TCP


def test_text_names_the_group_and_the_deciding_rule() -> None:
    text = render_semantic_diff(DIFF, "text")
    assert "== (outside) -> dev (ingress) ==" in text
    assert "newly denied: 0.0.0.0/0 -> dev/curl-dev, dev/debug" in text
    assert "after:  deny — ingress denied by GlobalNetworkPolicy/deny ingress rule 0 (tier default)" in text
    assert "\033[" not in text


def test_text_is_coloured_only_when_asked() -> None:
    assert "\033[31mnewly denied\033[0m" in render_semantic_diff(DIFF, "text", color=True)


def test_empty_diff() -> None:
    assert render_semantic_diff(SemanticDiff(), "text") == "No connection changes its verdict.\n"
    assert json.loads(render_semantic_diff(SemanticDiff(), "json"))["changed"] is False


def test_json_carries_both_sides() -> None:
    document = json.loads(render_semantic_diff(DIFF, "json"))
    first = document["changes"][0]
    assert first["status"] == "newly denied" and first["direction"] == "ingress"
    assert first["source"] == {"kind": "external", "group": "(outside)", "networks": ["0.0.0.0/0"]}
    assert first["destination"]["names"] == ["curl-dev", "debug"]
    assert first["changed_at"] == ["ingress"]
    assert first["after"]["ingress"]["policy"] == "GlobalNetworkPolicy/deny"
    assert first["before"]["verdict"] == "allow"


def test_markdown_escapes_pipes() -> None:
    symbolic = Endpoints(EndpointKind.SYMBOLIC, "x", conditions="a|b")
    diff = SemanticDiff(symbolic_changes=(Change(symbolic, PODS, Protocol.TCP, (PortRange(80, 80),),
                                                 OPEN, DENIED),))
    text = render_semantic_diff(diff, "markdown")
    assert "a\\|b" in text and "### For pods described by labels (symbolic)" in text


MANIFEST = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
            "metadata": {"name": "deny"}, "spec": {"order": 3000}}


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_resource_diff_formats(fmt: str) -> None:
    changed = {**MANIFEST, "spec": {"order": 2000}}
    text = render_resource_diff(diff_resources([changed], [MANIFEST]), fmt)
    assert "spec.order" in text
    if fmt == "json":
        assert json.loads(text)["updated"][0]["fields"][0]["before"] == 3000
    if fmt == "text":
        assert "~ update GlobalNetworkPolicy.projectcalico.org deny" in text
        assert "~ spec.order: 3000 -> 2000" in text


def test_resource_diff_without_changes() -> None:
    assert render_resource_diff(diff_resources([MANIFEST], [MANIFEST])) == "No changes (1 unchanged).\n"


@pytest.mark.parametrize(
    ("networks", "text"),
    [
        (("10.0.0.0/8",), "10.0.0.0/8"),
        (("0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3"), "0.0.0.0/0 except 224.0.0.0/3"),
        (("1.0.0.0/8", "3.0.0.0/8", "5.0.0.0/8"), "1.0.0.0/8, 3.0.0.0/8, 5.0.0.0/8"),
        (("::/1", "8000::/2", "c000::/3"), "::/0 except e000::/3"),
    ],
)
def test_outside_addresses_use_the_shorter_form(networks: tuple[str, ...], text: str) -> None:
    assert Endpoints(EndpointKind.EXTERNAL, networks=networks).describe() == text


def test_symbolic_alone_says_nothing_of_a_cluster_it_did_not_have() -> None:
    """Without a cluster (no connection evaluated) the text opens with the symbolic changes."""
    text = render_semantic_diff(SemanticDiff(symbolic_changes=DIFF.changes), "text")
    assert text.startswith("For pods described by labels (symbolic):")
    assert "No change on the cluster's pods" not in text
    with_cluster = render_semantic_diff(SemanticDiff(symbolic_changes=DIFF.changes, evaluated=12), "text")
    assert with_cluster.startswith("No change on the cluster's pods.\n")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False) | st.sampled_from([float("inf"), -float("inf")]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(JSON_VALUES)
@settings(max_examples=300)
def test_indented_encoder_writes_what_json_dumps_writes(value: object) -> None:
    assert encode(value) == json.dumps(value, indent=2, sort_keys=True)


def test_json_of_changes_is_json_dumps_of_the_documents() -> None:
    """The spliced per-change text is `change_json` encoded by the standard library, byte for byte
    (outcomes and pod lists shared between changes, a family-less change, several ports)."""
    changes = (*DIFF.changes, Change(PODS, PODS, Protocol.UDP, (PortRange(53, 53),), DENIED, OPEN),
               Change(PODS, OUTSIDE, Protocol.SCTP, (PortRange(1, 9), PortRange(11, 20)), OPEN, DENIED, 6))
    found = json.loads(render_semantic_diff(SemanticDiff(changes, changes[:1]), "json"))
    text = render_semantic_diff(SemanticDiff(changes, changes[:1]), "json")
    assert text == json.dumps(found, indent=2, sort_keys=True) + "\n"
    assert found["changes"] == [change_json(c) for c in changes]
    assert found["symbolic_changes"] == [change_json(changes[0])]
