"""`np2calico diff --group-namespaces`: changes alike in several namespaces are one, and grouping
is exact. On a cluster with several namespaces without policies migrated to a global default deny
(every connection between two of them changes), the grouped answer, expanded pod by pod and port
by port, is the answer without the flag: no connection claimed that did not change, none lost."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.schema_helper import validate_output
from translator.cli import app
from translator.render.diff_json import read_diff_json

Doc = dict[str, Any]
LAB = Path(__file__).resolve().parents[1] / "samples" / "lab"
QUIET = ("quiet-a", "quiet-b", "quiet-c", "quiet-d")  # namespaces without policies


def _pod(namespace: str, name: str, labels: dict[str, str], address: str, ports: tuple[int, ...] = ()) -> Doc:
    container: Doc = {"name": "main", "image": "example.com/app:1"}
    if ports:
        container["ports"] = [{"containerPort": p, "protocol": "TCP"} for p in ports]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"containers": [container], "nodeName": "node-0"},
            "status": {"phase": "Running", "podIP": address, "podIPs": [{"ip": address}]}}


def _cluster() -> list[Doc]:
    addresses = (str(a) for a in ipaddress.ip_network("10.64.0.0/24").hosts())
    namespaces = ("kube-system", "shop", *QUIET)
    docs: list[Doc] = [{"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": n, "labels": {"kubernetes.io/metadata.name": n}}}
                       for n in namespaces]
    docs.append(_pod("kube-system", "coredns-0", {"k8s-app": "kube-dns"}, next(addresses)))
    docs += [_pod("shop", "web-0", {"app": "web"}, next(addresses), (8080,)),
             _pod("shop", "db-0", {"app": "db"}, next(addresses))]
    for rank, namespace in enumerate(QUIET):  # alike, but not all the same size
        docs += [_pod(namespace, f"web-{i}", {"app": "web"}, next(addresses), (8080,))
                 for i in range(1 + rank % 2)]
        docs.append(_pod(namespace, "worker-0", {"app": "worker"}, next(addresses)))
    return docs


def _policies() -> list[Doc]:
    def policy(name: str, spec: Doc) -> Doc:
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": name, "namespace": "shop"}, "spec": spec}

    return [policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
            policy("web-from-anywhere", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
                {"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": 8080}]}]})]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("group-namespaces")
    cluster, policies = folder / "cluster.yaml", folder / "policies.yaml"
    cluster.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": _cluster()}))
    policies.write_text(yaml.safe_dump_all(_policies()))
    return ["diff", str(policies), "--migrate", "--default-deny", "global", "--cluster", str(cluster)]


def _run(*args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


def _members(side: Doc) -> Iterator[str]:
    """Each pod (`ns/name`), host endpoint or CIDR of a side, one at a time."""
    if "namespaces" in side:
        for span in side["namespaces"]:
            yield from _members(span)
    elif side["kind"] == "pods":
        yield from (f"{side['namespace']}/{name}" for name in side["names"])
    elif side["kind"] == "host":
        yield from (f"host:{name}" for name in side["names"])
    else:
        yield from (f"net:{n}" for n in side["networks"])


def _merged(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Port ranges as the fewest disjoint ranges (grouping may cut them elsewhere)."""
    found: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if found and start <= found[-1][1] + 1:
            found[-1] = (found[-1][0], max(found[-1][1], end))
        else:
            found.append((start, end))
    return tuple(found)


def expanded(document: Doc) -> dict[tuple[Any, ...], tuple[tuple[int, int], ...]]:
    """(source, destination, protocol, family, before, after) → the ports the changes hold for it."""
    found: dict[tuple[Any, ...], list[tuple[int, int]]] = {}
    for change in document["changes"]:
        verdicts = (json.dumps(change["before"], sort_keys=True), json.dumps(change["after"], sort_keys=True))
        ports = [(int(p.partition(":")[0]), int(p.partition(":")[2] or p)) for p in change["ports"]]
        for source in _members(change["source"]):
            for destination in _members(change["destination"]):
                key = (source, destination, change["protocol"], change["family"], *verdicts)
                found.setdefault(key, []).extend(ports)
    return {key: _merged(ports) for key, ports in found.items()}


@pytest.fixture(scope="module")
def answers(inputs: list[str]) -> tuple[Doc, Doc]:
    code, exact = _run(*inputs, "-o", "json")
    assert code == 1
    code, grouped = _run(*inputs, "--group-namespaces", "-o", "json")
    assert code == 1
    return validate_output(exact), validate_output(grouped)


def test_grouping_is_exact(answers: tuple[Doc, Doc]) -> None:
    exact, grouped = answers
    assert expanded(grouped) == expanded(exact)
    assert len(grouped["changes"]) < len(exact["changes"])
    assert grouped["summary"]["exit_status"] == exact["summary"]["exit_status"] == 1


def test_grouped_changes_span_the_namespaces_without_policies(answers: tuple[Doc, Doc]) -> None:
    _, grouped = answers
    sides = [s for c in grouped["changes"] for s in (c["source"], c["destination"]) if "namespaces" in s]
    assert sides and all(s["group"] == "(namespaces)" and s["kind"] == "pods" for s in sides)
    assert any(set(QUIET) <= {span["namespace"] for span in s["namespaces"]} for s in sides)
    for side in sides:
        spans = [span["namespace"] for span in side["namespaces"]]
        assert spans == sorted(spans) and len(set(spans)) == len(spans) > 1


def test_every_output_of_a_grouped_diff(inputs: list[str], answers: tuple[Doc, Doc], tmp_path: Path) -> None:
    _, grouped = answers
    code, text = _run(*inputs, "--group-namespaces")
    assert code == 1 and "== (namespaces) -> (namespaces) (internal) ==" in text
    assert "pods of 4 namespaces (quiet-a, quiet-b, quiet-c, quiet-d)" in text
    code, markdown = _run(*inputs, "--group-namespaces", "-o", "markdown")
    assert code == 1 and "`(namespaces)`" in markdown
    stored = tmp_path / "diff.json"
    stored.write_text(json.dumps(grouped, indent=2, sort_keys=True) + "\n")
    assert read_diff_json(stored.read_text(), str(stored)).diff.changes
    code, report = _run("report", str(stored), "-o", "text")
    assert report == text
    code, page = _run(*inputs, "--group-namespaces", "-o", "html")
    assert code == 1 and "counts in every cell it spans" in page


def test_without_the_flag_no_side_spans_namespaces(answers: tuple[Doc, Doc]) -> None:
    exact, _ = answers
    assert all("namespaces" not in c["source"] and "namespaces" not in c["destination"]
               for c in exact["changes"])


@pytest.mark.parametrize(("args", "message"), [
    (("--resources", "a.yaml", "--against", "b.yaml"), "--group-namespaces groups connections"),
    ((str(LAB / "policies"), "--migrate", "--symbolic"), "give --cluster STATE or --from-cluster"),
])
def test_usage_errors(args: tuple[str, ...], message: str) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["diff", *args, "--group-namespaces"])
    assert result.exit_code == 2 and message in result.stderr


def test_the_library_groups_on_request(inputs: list[str], tmp_path: Path) -> None:
    """`translator.diff_policies(..., group_namespaces=True)`: a global deny of every pod's ingress,
    against no policy, changes every connection into a pod; grouped, far fewer changes."""
    import translator
    from translator.model.calico import PolicySet

    deny = tmp_path / "deny.yaml"
    deny.write_text(yaml.safe_dump({
        "apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
        "metadata": {"name": "deny-ingress"},
        "spec": {"selector": "all()", "types": ["Ingress"], "ingress": [{"action": "Deny"}]}}))
    cluster = translator.load_inputs([inputs[-1]]).cluster()
    after = translator.load_inputs([deny]).policies
    exact = translator.diff_policies(PolicySet(), after, cluster)
    grouped = translator.diff_policies(PolicySet(), after, cluster, group_namespaces=True)
    assert any(c.source.spans for c in grouped.changes) and len(grouped.changes) < len(exact.changes)
    assert all(not c.source.spans and not c.destination.spans for c in exact.changes)


def test_a_big_answer_points_at_the_flag(inputs: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import translator.cli.diff as diff_command

    def stderr(*extra: str) -> str:
        result = CliRunner().invoke(app, [*inputs, "-o", "json", *extra])
        assert result.exit_code == 1, result.output
        return result.stderr

    # Thresholds lowered to this answer's size (more than 2 changes and pairs of namespaces).
    monkeypatch.setattr(diff_command, "MANY_CHANGES", 2)
    monkeypatch.setattr(diff_command, "MANY_PAIRS", 2)
    assert "--group-namespaces reports the changes alike in every namespace once" in stderr()
    assert "--group-namespaces" not in stderr("--group-namespaces")
    monkeypatch.setattr(diff_command, "MANY_CHANGES", 10_000)
    assert "--group-namespaces" not in stderr()
