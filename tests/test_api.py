"""The public Python API (`translator/__init__.py`): its names and signatures are a promise, and
the README's example runs."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import translator
from translator.errors import InputError
from translator.evaluate.verdict import DecidedBy

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "samples" / "lab"
README = (ROOT / "README.md").read_text(encoding="utf-8")

# Changing one of these breaks users' scripts: add a new function instead, or bump the major version.
SIGNATURES = {
    "load_inputs": "(paths: 'Sequence[str | Path]') -> 'Loaded'",
    "convert_policies": "(policies: 'Iterable[NetworkPolicy]', options: 'ConvertOptions | None' = None)"
    " -> 'ConversionResult'",
    "evaluate_connection": "(policies: 'PolicySet', cluster: 'Cluster', source: 'str', destination: 'str', "
    "port: 'int | str', protocol: 'Protocol | str' = 'TCP', *, semantics: 'Semantics | str | None' = None, "
    "tie_break: 'TieBreak | str' = 'v3.32') -> 'Verdict'",
    "explain": "(verdict: 'Verdict') -> 'str'",
    "diff_policies": "(before: 'PolicySet', after: 'PolicySet', cluster: 'Cluster | None', *, "
                     "group_namespaces: 'bool' = False) -> 'SemanticDiff'",
    "verify_policies": "(a: 'PolicySet', b: 'PolicySet', *, honest_pods: 'bool' = False, "
                       "kubernetes_namespace_names: 'bool' = False) -> 'VerifyResult'",
}


def test_the_public_names_and_signatures_are_stable() -> None:
    assert sorted(translator.__all__) == sorted(SIGNATURES)
    for name, signature in SIGNATURES.items():
        assert str(inspect.signature(getattr(translator, name))) == signature, name


def test_submodule_imports_do_not_shadow_the_api() -> None:
    import translator.convert
    import translator.diff
    import translator.load

    assert callable(translator.load_inputs) and callable(translator.diff_policies)


def test_the_readme_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    (block,) = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    monkeypatch.chdir(ROOT)
    printed: list[str] = []
    exec(compile(block, "README.md", "exec"), {"print": printed.append})
    assert printed and printed[0].startswith("DENY  default/curl-two -> default/color-api")


def test_the_api_end_to_end() -> None:
    source = translator.load_inputs([LAB / "policies"])
    cluster = translator.load_inputs([LAB / "cluster.yaml"]).cluster()
    verdict = translator.evaluate_connection(
        source.policies, cluster, "default/curl-two", "default/color-api-7b9d7c9c7b-lx8tm", "80"
    )
    assert not verdict.allowed and verdict.ingress.decided_by is DecidedBy.NO_RULE
    assert translator.explain(verdict).startswith("DENY  default/curl-two")
    result = translator.convert_policies(source.policies.k8s_policies)
    assert len(result.policies) == 8
    assert translator.diff_policies(source.policies, result.policy_set, cluster).is_empty


def test_bad_input_is_an_input_error() -> None:
    source = translator.load_inputs([LAB / "policies"])
    cluster = translator.load_inputs([LAB / "cluster.yaml"]).cluster()
    with pytest.raises(InputError, match="destination"):
        translator.evaluate_connection(source.policies, cluster, "default/curl-two", "default/nope", 80)
