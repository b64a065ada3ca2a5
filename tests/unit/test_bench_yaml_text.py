"""The benchmarks write their inputs with `benchmarks/yaml_text.py` (PyYAML's emitter is too slow
for 150,000 pods): the text must read back as exactly the generated documents."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import shapes
import yaml_text

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_list(docs: list[Any]) -> Any:
    return yaml.load("".join(yaml_text.list_text(docs)), Loader=LOADER)


def read_stream(docs: list[Any]) -> list[Any]:
    return list(yaml.load_all("".join(yaml_text.stream_text(docs)), Loader=LOADER))


def test_a_snapshot_reads_back_as_the_generated_pods_with_items_before_kind() -> None:
    docs = shapes.migration_cluster(300, 30)
    text = "".join(yaml_text.list_text(docs))
    assert text.index("\nitems:\n") < text.index("\nkind: List\n")  # as kubectl prints it
    assert read_list(docs) == {"apiVersion": "v1", "kind": "List", "items": docs,
                               "metadata": {"resourceVersion": ""}}


@pytest.mark.parametrize("shape", ["migration", "label_rich", "ip_blocks", "connections"])
def test_every_shape_reads_back_unchanged(shape: str) -> None:
    if shape == "migration":
        docs = shapes.migration_policies(30, 100)
    elif shape == "label_rich":
        cluster, docs = shapes.label_rich(200)
        assert read_list(cluster)["items"] == cluster
    elif shape == "ip_blocks":
        docs = shapes.ip_blocks()[1]
    else:
        docs = [shapes.connections(shapes.migration_cluster(100, 10), 200)]
    assert read_stream(docs) == docs


@pytest.mark.parametrize("value", [
    "true", "yes", "No", "null", "~", "", "8080", "0x1F", "1.5", "1e3", "2024-01-01", "1:20",
    "a: b", "- x", "#c", "key:", "*alias", "&a", "!tag", "{x}", "[y]", "'q'", '"d"', "a #b",
    " lead", "trail ", "multi\nline", "tab\there", "ünï", "\u0007bell", "10.0.0.0/8", "app:1.4",
])
def test_scalars_that_look_like_something_else_read_back_as_text(value: str) -> None:
    docs = [{value: value, "list": [value, {value: [value]}], "nested": [[value], []], "empty": {}}]
    assert read_stream(docs) == docs
    assert read_list(docs)["items"] == docs


@pytest.mark.parametrize("value", [None, True, False, 0, -3, 65535, 2.5])
def test_other_scalars_keep_their_type(value: Any) -> None:
    docs = [{"v": value, "l": [value]}]
    assert read_stream(docs) == docs
