"""Diagnostics: what loaders ask of them after every document."""

from __future__ import annotations

from translator.errors import Diagnostics, Location
from translator.load import parse_documents
from translator.load.documents import parse_text


def test_errors_since_looks_only_after_the_mark() -> None:
    diags = Diagnostics()
    diags.error(Location("a"), "old")
    mark = len(diags.items)
    diags.info(Location("b"), "note")
    diags.warning(Location("c"), "careful")
    assert not diags.errors_since(mark)
    diags.error(Location("d"), "new")
    assert diags.errors_since(mark)
    assert not diags.errors_since(len(diags.items))


def test_documents_among_many_notes_are_counted_valid_or_invalid() -> None:
    skipped = "".join(f"- {{apiVersion: v1, kind: ConfigMap, metadata: {{name: c{i}}}}}\n" for i in range(50))
    pods = ("- {apiVersion: v1, kind: Pod, metadata: {name: good, namespace: a}}\n"
            "- {apiVersion: v1, kind: Pod, metadata: {name: Bad_Name, namespace: a}}\n")
    loaded = parse_documents(parse_text("f.yaml", f"items:\n{skipped}{pods}{skipped}kind: List\n"))
    assert (loaded.document_count, loaded.invalid_document_count) == (102, 1)
    assert [p.name for p in loaded.pods] == ["good"]
    assert [str(d.location) for d in loaded.errors] == ["f.yaml:1:items[51].metadata.name"]
