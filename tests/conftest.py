"""Hypothesis profiles: `ci` (CI=true) runs many examples deterministically; `dev` is quick;
`hunt` runs the CI budget on random examples.
Fixtures more than one test file needs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.fake_apiserver import FakeApiServer, ToolCalls, lab_state, serve, use_stand_in_tools

# What every profile shares: no deadline (CI machines are slow and shared), blobs to replay.
_COMMON = {"deadline": None, "print_blob": True,
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
# CI must be reproducible: the same commit gives the same examples.
settings.register_profile("ci", max_examples=500, derandomize=True, **_COMMON)
# The CI budget on fresh random examples (`HYPOTHESIS_PROFILE=hunt pytest tests/properties`):
# CI's derandomised run always sees the same examples; a hunt looks for what they miss.
settings.register_profile("hunt", max_examples=500, **_COMMON)
settings.register_profile("dev", max_examples=100, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def server() -> Iterator[FakeApiServer]:
    """The fake Kubernetes API server of tests/fake_apiserver.py, serving the lab's objects."""
    with serve(lab_state()) as state:
        yield state


@pytest.fixture
def tools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ToolCalls:
    """The stand-in `calicoctl` and `kubectl` of tests/bin on PATH, recording every call."""
    return use_stand_in_tools(monkeypatch, tmp_path)
