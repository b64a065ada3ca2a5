"""The Calico loader on generated objects: it never crashes, and what it accepts the CRDs accept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.crd_validation import PLURALS, all_crd_errors
from tests.examples import examples
from tests.test_schemas import envelope, mutated, spec_strategy
from translator.load import parse_documents
from translator.load.documents import Document


@pytest.mark.parametrize("kind", sorted(PLURALS))
@settings(max_examples=examples(150, 50))
@given(data=st.data())
def test_loader_accepts_only_what_both_crds_accept(kind: str, data: st.DataObject) -> None:
    spec = data.draw(spec_strategy(kind), label="spec")
    if data.draw(st.booleans(), label="mutate"):
        spec = data.draw(mutated(spec), label="mutated")
    body = envelope(kind, spec)
    loaded = parse_documents([Document("g.yaml", 1, "", body)])  # must not raise
    if not loaded.errors:
        assert loaded.document_count == 1 and loaded.invalid_document_count == 0
        assert not list(all_crd_errors(body))
