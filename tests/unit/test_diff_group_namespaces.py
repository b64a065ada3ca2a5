"""Sides of several namespaces (`diff --group-namespaces`) in every consumer of a diff: the
Services of each namespace, text, markdown, JSON (its schema, the fast encoder, the read-back),
and the HTML report's matrix, where such a change counts in every cell it spans."""

from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter
from typing import Any

import jsonschema
import pytest

from tests.schema_helper import validate_document, validate_output
from translator.diff.labels import with_services
from translator.diff.matrix import build_matrix, cell_parts
from translator.diff.report import DiffContext, DiffReport
from translator.diff.result import (
    HOST,
    OUTSIDE,
    SEVERAL,
    Cause,
    Change,
    EndpointKind,
    Endpoints,
    Outcome,
    SemanticDiff,
)
from translator.errors import InputError
from translator.evaluate.verdict import DecidedBy
from translator.model.cluster import Cluster, Pod
from translator.model.common import Direction, PortRange, Protocol
from translator.model.services import Service, ServicePort
from translator.render.diff import change_json, render_semantic_diff
from translator.render.diff_json import read_diff_json
from translator.render.html import build_views, render_html_report

OPEN = Outcome(True, Cause(Direction.EGRESS, True, ending=DecidedBy.NO_POLICY),
               Cause(Direction.INGRESS, True, ending=DecidedBy.NO_POLICY))
DENIED = Outcome(False, Cause(Direction.EGRESS, False, "GlobalNetworkPolicy/deny", None, "default",
                              ending=DecidedBy.END_OF_TIER),
                 Cause(Direction.INGRESS, True, ending=DecidedBy.NO_POLICY))
A = Endpoints(EndpointKind.PODS, "ns-a", ("a-0",))
B = Endpoints(EndpointKind.PODS, "ns-b", ("b-0", "deployment/b-1"))
C = Endpoints(EndpointKind.PODS, "ns-c", ("c-0",))
AB = Endpoints(EndpointKind.PODS, spans=(A, B))
ABC = Endpoints(EndpointKind.PODS, spans=(A, B, C))
NODES = Endpoints(EndpointKind.HOST, names=("hep:node-0", "hep:node-1"))
WORLD = Endpoints(EndpointKind.EXTERNAL, networks=("0.0.0.0/0",))
TCP = (PortRange(1, 65535),)

CHANGES = (
    Change(AB, ABC, Protocol.TCP, TCP, OPEN, DENIED, 4),
    Change(AB, ABC, Protocol.UDP, (PortRange(53, 53),), OPEN, DENIED, 4),
    Change(C, AB, Protocol.TCP, (PortRange(80, 80),), DENIED, OPEN, 4),
    Change(AB, WORLD, Protocol.TCP, TCP, OPEN, DENIED, 6),
    Change(NODES, ABC, Protocol.SCTP, TCP, OPEN, DENIED, 4),
    Change(A, C, Protocol.TCP, TCP, OPEN, DENIED, 4),  # an ordinary change beside them
)
DIFF = SemanticDiff(CHANGES)


def test_a_side_of_several_namespaces_names_them_and_every_pod() -> None:
    assert AB.group == SEVERAL and AB.namespaces == ("ns-a", "ns-b")
    assert AB.describe() == "pods of 2 namespaces (ns-a, ns-b): ns-a/a-0, ns-b/b-0, deployment ns-b/b-1"
    assert NODES.group == HOST and NODES.describe() == "hep:node-0, hep:node-1"


def test_text_and_markdown() -> None:
    text = render_semantic_diff(DIFF, "text")
    assert "== (namespaces) -> (namespaces) (internal) ==" in text
    assert ("  newly denied: pods of 2 namespaces (ns-a, ns-b): ns-a/a-0, ns-b/b-0, deployment ns-b/b-1"
            " -> pods of 3 namespaces (ns-a, ns-b, ns-c): ns-a/a-0, ns-b/b-0, deployment ns-b/b-1, "
            "ns-c/c-0\n    TCP 1:65535; UDP 53\n") in text
    assert ("== (host) -> (namespaces) (internal) ==\n"
            "  newly denied: hep:node-0, hep:node-1 -> pods of 3") in text
    assert "== ns-a -> ns-c (internal) ==" in text
    markdown = render_semantic_diff(DIFF, "markdown")
    assert "#### `(namespaces)` → `(outside)` (egress)" in markdown
    assert ("| pods of 2 namespaces (ns-a, ns-b): ns-a/a-0, ns-b/b-0, deployment ns-b/b-1 "
            "| 0.0.0.0/0 |") in markdown


def test_json_shape_schema_and_the_fast_encoder() -> None:
    text = render_semantic_diff(DIFF, "json")
    document = validate_output(text)
    assert text == json.dumps(document, indent=2, sort_keys=True) + "\n"
    assert document["changes"] == [change_json(c) for c in CHANGES]
    source = document["changes"][0]["source"]
    assert source == {"kind": "pods", "group": "(namespaces)", "namespaces": [
        {"kind": "pods", "group": "ns-a", "namespace": "ns-a", "names": ["a-0"]},
        {"kind": "pods", "group": "ns-b", "namespace": "ns-b", "names": ["b-0", "deployment/b-1"]}]}
    assert document["changes"][4]["source"] == {"kind": "host", "group": "(host)",
                                                "names": ["hep:node-0", "hep:node-1"]}
    # a side of several namespaces holds single-namespace sides, never another such side
    source["namespaces"].append({"kind": "pods", "group": "(namespaces)", "namespaces": []})
    with pytest.raises(jsonschema.ValidationError):
        validate_document(document)


def test_json_reads_back_to_the_same_changes() -> None:
    labelled = with_services(DIFF, _cluster_with_services())
    text = render_semantic_diff(labelled, "json", context=DiffContext(cluster="state.yaml"))
    validate_output(text)
    again = read_diff_json(text, "diff.json")
    assert again.diff.changes == labelled.changes
    assert render_semantic_diff(again.diff, "json", context=again.context) == text


def _cluster_with_services() -> Cluster:
    address = iter(ipaddress.ip_network("10.244.0.0/24").hosts())
    pods = [Pod("ns-a", "a-0", {"app": "a"}, (next(address),)),
            Pod("ns-b", "b-0", {"app": "b"}, (next(address),)),
            Pod("ns-b", "b-1", {"app": "b1"}, (next(address),), workload="deployment"),
            Pod("ns-c", "c-0", {"app": "a"}, (next(address),))]
    services = (Service("ns-a", "svc-a", {"app": "a"}, (ServicePort(80, 8080, Protocol.TCP),)),
                Service("ns-b", "svc-b1", {"app": "b1"}, (ServicePort(80, 8080, Protocol.TCP),)),
                Service("ns-b", "svc-a", {"app": "a"}, (ServicePort(80, 8080, Protocol.TCP),)))
    return Cluster.build([], pods, services=services)


def test_services_are_those_of_each_span() -> None:
    labelled = with_services(DIFF, _cluster_with_services())
    source = labelled.changes[0].source
    assert source.spans == (
        Endpoints(EndpointKind.PODS, "ns-a", ("a-0",), services=(("a-0", ("svc-a",)),)),
        Endpoints(EndpointKind.PODS, "ns-b", ("b-0", "deployment/b-1"),
                  services=(("deployment/b-1", ("svc-b1",)),)))
    # svc-a of ns-b selects app=a, but ns-c/c-0 is in another namespace
    assert labelled.changes[0].destination.spans[2] == C
    assert "deployment ns-b/b-1 (svc svc-b1)" in render_semantic_diff(labelled, "text")


@pytest.mark.parametrize(("side", "message"), [
    ({"kind": "pods", "group": "(namespaces)", "namespaces": [{"kind": "pods", "group": "(host)"}]},
     "changes[0].source.namespaces[0]: error: expected the pods of one namespace"),
    ({"kind": "host", "group": "(host)", "namespaces": [{"kind": "pods", "group": "a", "namespace": "a"}]},
     "changes[0].source.namespaces: error: pods of several namespaces are a side of kind 'pods'"),
    ({"kind": "pods", "group": "(namespaces)", "namespaces": {}},
     "changes[0].source.namespaces: error: expected a list"),
])
def test_a_malformed_side_of_several_namespaces_is_refused(side: dict[str, Any], message: str) -> None:
    document = json.loads(render_semantic_diff(SemanticDiff(CHANGES[:1]), "json"))
    document["changes"][0]["source"] = side
    with pytest.raises(InputError) as error:
        read_diff_json(json.dumps(document), "diff.json")
    assert message in str(error.value)


def expanded_json_counts(text: str) -> Counter[tuple[str, str, str]]:
    """Per (source namespace or group, destination namespace or group, status): the JSON entries,
    an entry of several namespaces once for every pair of namespaces it spans."""
    def groups(side: dict[str, Any]) -> list[str]:
        return [span["group"] for span in side["namespaces"]] if "namespaces" in side else [side["group"]]

    found: Counter[tuple[str, str, str]] = Counter()
    for change in json.loads(text)["changes"]:
        for source in groups(change["source"]):
            for destination in groups(change["destination"]):
                found[(source, destination, change["status"])] += 1
    return found


def test_matrix_counts_a_change_in_every_cell_it_spans() -> None:
    matrix = build_matrix(CHANGES, ("ns-a", "ns-b", "ns-c", "ns-d"))
    assert matrix.groups == ("ns-a", "ns-b", "ns-c", "ns-d", HOST, OUTSIDE)
    found: Counter[tuple[str, str, str]] = Counter()
    for (source, destination), cell in matrix.changed.items():
        found[(source, destination, "newly denied")] += cell.newly_denied
        found[(source, destination, "newly allowed")] += cell.newly_allowed
    assert +found == expanded_json_counts(render_semantic_diff(DIFF, "json"))
    # each cell holds the part of the change between its two namespaces: only their pods
    cell = matrix.cell("ns-b", "ns-c")
    assert {(c.source, c.destination, c.protocol) for c in cell.changes} == {
        (B, C, Protocol.TCP), (B, C, Protocol.UDP)}
    assert matrix.cell("ns-c", "ns-a").changes == (Change(C, A, Protocol.TCP, (PortRange(80, 80),),
                                                          DENIED, OPEN, 4),)
    assert matrix.cell("ns-a", "ns-c").newly_denied == 3  # two parts of grouped changes and A -> C


def test_cell_parts_cover_exactly_the_change() -> None:
    parts = cell_parts(CHANGES[0])
    assert len(parts) == 6 and len(set(parts)) == 6
    assert {(p.source.namespace, p.destination.namespace) for p in parts} == {
        (s, d) for s in ("ns-a", "ns-b") for d in ("ns-a", "ns-b", "ns-c")}
    assert cell_parts(CHANGES[-1]) == [CHANGES[-1]]


def test_html_report_counts_and_details() -> None:
    report = DiffReport(DIFF, DiffContext(cluster="state.yaml", namespaces=("ns-a", "ns-b", "ns-c")))
    page = render_html_report(report)
    block = re.search(r'<script type="application/json" id="np2calico-data">(.*?)</script>', page, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    view = data["views"][0]
    drawn: Counter[tuple[str, str, str]] = Counter()
    for row, column, denied, allowed, first, end in view["cells"]:
        pair = (view["groups"][row], view["groups"][column])
        drawn[(*pair, "newly denied")] += denied
        drawn[(*pair, "newly allowed")] += allowed
        for entry in data["entries"][first:end]:  # a cell's detail names only its two groups' pods
            source, destination = data["strings"][entry[1]], data["strings"][entry[2]]
            assert "namespaces" not in source and "namespaces" not in destination
            if pair[0].startswith("ns-"):
                assert source.startswith(f"{pair[0]}/") or source.startswith(f"deployment {pair[0]}/")
    assert +drawn == expanded_json_counts(render_semantic_diff(DIFF, "json"))
    # the summary counts the JSON output's entries, each once
    assert re.search(r'data-count="newly-denied">5<', page)
    assert re.search(r'data-count="newly-allowed">1<', page)
    assert "counts in every cell it spans" in page
    assert "pods of 2 namespaces (ns-a, ns-b): ns-a/a-0" in page  # the listing of every change
    (pods,) = build_views(report)
    assert (pods.newly_denied, pods.newly_allowed) == (5, 1)
    assert "counts in every cell it spans" not in render_html_report(
        DiffReport(SemanticDiff(CHANGES[-1:]), DiffContext(cluster="state.yaml")))
