"""Mutation test: each single mutation of the lab's and the golden cases' outputs is either proven
harmless by verify or caught with a witness that the evaluator reproduces.

Harmless means: the same verdicts as the unmutated output, for every possible connection. Each
output is also proven equivalent to its input for every pod without `pcns.*` labels of its own
(for the others Calico's enforcement of the input's namespaceSelectors is spoofable and the
output is not: issue 9 item 1).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.verify_helpers import assert_reproduces
from tests.verify_mutations import mutations
from translator.load import load
from translator.model.calico import PolicySet
from translator.verify import Question, verify

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
# Cases whose output claims equivalence (no default deny, nothing staged).
CASES = ("lab-namespaced", "lab-global", "lab-tier", "dotted-names", "calico-ports", "calico-egress-peers")


def _case(name: str) -> tuple[PolicySet, PolicySet]:
    folder = GOLDEN / name
    args = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))["args"]
    namespace = args[args.index("--namespace") + 1] if "--namespace" in args else "default"
    from translator.load.registry import LoadContext

    context = LoadContext(default_namespace=namespace)
    source = load([str(ROOT / args[0])], context=context).policies
    output = load([str(folder / "expected.yaml")], context=context).policies
    return source, output


@pytest.mark.parametrize("case", CASES)
def test_output_is_proven_equivalent_to_its_input(case: str) -> None:
    source, output = _case(case)
    result = verify(source, output, question=Question(honest_pods=True))
    assert result.equivalent, result.witness


@pytest.mark.parametrize("case", CASES)
def test_every_single_mutation_is_harmless_or_caught(case: str) -> None:
    _, output = _case(case)
    found = list(mutations(output))
    assert len(found) >= 5
    caught = 0
    for text, mutated in found:
        result = verify(output, mutated)
        if result.equivalent:
            continue  # proven harmless for every possible connection
        caught += 1
        assert result.witness is not None, text
        assert result.witness.reproducible, text
        assert_reproduces(result.witness, (output, mutated))
    assert caught > 0
