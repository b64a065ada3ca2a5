"""Reading text into documents: files, folders, stdin, YAML and JSON, List kinds, and the limits."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
import yaml

from translator.errors import InputError
from translator.load import documents
from translator.load.documents import Document, parse_text, read_documents
from translator.load.yaml_guard import plain_value

NP = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: %s}\n"


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def located(docs: list[Document]) -> list[tuple[str, object]]:
    return [(str(d.location), d.body.get("metadata", {}).get("name")) for d in docs]


def error_text(exc: pytest.ExceptionInfo[InputError]) -> str:
    return "\n".join(str(d) for d in exc.value.diagnostics)


# --- YAML and JSON text -----------------------------------------------------------------------


def test_multi_document_yaml_numbers_documents_from_one() -> None:
    text = (NP % "a") + "---\n" + (NP % "b") + "---\n" + (NP % "c")
    assert located(parse_text("f.yaml", text)) == [("f.yaml:1", "a"), ("f.yaml:2", "b"), ("f.yaml:3", "c")]


def test_empty_documents_count_but_produce_nothing() -> None:
    text = "---\n# only a comment\n---\n" + (NP % "a") + "---\n"
    assert located(parse_text("f.yaml", text)) == [("f.yaml:2", "a")]


@pytest.mark.parametrize("text", ["", "\n", "# nothing here\n", "---\n", "null\n"], ids=repr)
def test_empty_input_is_no_documents_not_an_error(text: str) -> None:
    assert parse_text("f.yaml", text) == []


def test_list_items_become_documents_with_an_items_prefix() -> None:
    text = (
        (NP % "first")
        + "---\napiVersion: v1\nkind: List\nitems:\n- {kind: Pod, metadata: {name: p}}\n"
        + ("- {kind: Namespace, metadata: {name: n}}\n")
    )
    assert located(parse_text("f.yaml", text)) == [
        ("f.yaml:1", "first"),
        ("f.yaml:2:items[0]", "p"),
        ("f.yaml:2:items[1]", "n"),
    ]


def test_typed_list_items_get_their_kind_and_api_version() -> None:
    text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems:\n- metadata: {name: a}\n"
    [doc] = parse_text("f.yaml", text)
    assert doc.body == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "a"},
    }
    assert str(doc.location) == "f.yaml:1:items[0]"


def test_nested_lists_keep_the_whole_path() -> None:
    text = "kind: List\nitems:\n- kind: List\n  items:\n  - {kind: Pod, metadata: {name: deep}}\n"
    assert located(parse_text("f.yaml", text)) == [("f.yaml:1:items[0].items[0]", "deep")]


@pytest.mark.parametrize("items", ["items: []", "items: null", ""], ids=["empty", "null", "absent"])
def test_an_empty_list_has_no_documents(items: str) -> None:
    assert parse_text("f.yaml", f"apiVersion: v1\nkind: List\n{items}\n") == []


def test_list_items_that_are_not_a_list_are_an_error() -> None:
    with pytest.raises(InputError, match=r"f.yaml:1:items: error: List.items must be a list"):
        parse_text("f.yaml", "kind: List\nitems: {a: 1}\n")


# --- List items one by one (a 150,000-pod snapshot never sits in memory as raw objects) ----------


KUBECTL_LIST = (  # kubectl prints keys sorted: `items` before `kind`
    "apiVersion: v1\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: p}}\n"
    "- {apiVersion: v1, kind: Namespace, metadata: {name: n}}\nkind: List\nmetadata: {}\n"
)


def test_list_items_are_handed_out_before_the_rest_of_the_file_is_read() -> None:
    text = KUBECTL_LIST.replace("kind: List\n", "kind: List\nbroken: [\n")
    found = documents.iter_documents(["-"], stdin=io.StringIO(text))
    assert located([next(found), next(found)]) == [("<stdin>:1:items[0]", "p"), ("<stdin>:1:items[1]", "n")]
    with pytest.raises(InputError, match=r"<stdin>:1: error: YAML syntax error at line 8"):
        next(found)


def test_items_before_kind_load_like_kind_before_items() -> None:
    kind_first = "apiVersion: v1\nkind: List\n" + KUBECTL_LIST.split("kind: List\n")[0].split("v1\n", 1)[1]
    found = parse_text("f.yaml", KUBECTL_LIST)
    assert located(found) == [("f.yaml:1:items[0]", "p"), ("f.yaml:1:items[1]", "n")]
    assert [d.body for d in found] == [d.body for d in parse_text("f.yaml", kind_first)]


def test_typed_list_items_wait_for_a_kind_printed_after_them() -> None:
    text = ("apiVersion: networking.k8s.io/v1\nitems:\n- metadata: {name: a}\n"
            "- {kind: NetworkPolicy, apiVersion: networking.k8s.io/v1, metadata: {name: b}}\n"
            "kind: NetworkPolicyList\n")
    found = parse_text("f.yaml", text)
    assert located(found) == [("f.yaml:1:items[0]", "a"), ("f.yaml:1:items[1]", "b")]
    assert found[0].body["kind"] == "NetworkPolicy"


@pytest.mark.parametrize(("kind", "what"), [("kind: Pod\n", "kind 'Pod'"), ("", "no kind")])
def test_items_of_a_document_that_is_no_list_are_an_error(kind: str, what: str) -> None:
    text = f"apiVersion: v1\nitems:\n- {{kind: Pod, metadata: {{name: p}}}}\n{kind}"
    message = rf"f.yaml:1:items: error: items are read only from a List kind .*{what}"
    with pytest.raises(InputError, match=message):
        parse_text("f.yaml", text)


def test_a_kind_before_items_that_is_no_list_keeps_items_as_a_field() -> None:
    [doc] = parse_text("f.yaml", "apiVersion: v1\nkind: Pod\nitems:\n- a\n")
    assert doc.body["items"] == ["a"]


@pytest.mark.parametrize("text", [
    "kind: List\nitems:\n- {kind: Pod, a: 1}\n- {kind: Pod, <<: {b: 2}}\n- {kind: Pod, c: 3}\n",
    "items:\n- &p {kind: Pod, a: 1}\n- *p\n- {kind: Pod, c: !!str 3}\nkind: List\n",
    "items: &all\n- {kind: Pod, a: 1}\nkind: List\nother: *all\n",
    "kind: List\nitems:\n- {kind: Pod, a: 1}\n---\nkind: List\nitems:\n- {kind: Pod, <<: {b: 2}}\n"
    "- {kind: X}\n",
    "items:\n- {kind: Pod, a: 1}\n- {kind: Pod, 1: 2}\nkind: List\n",
], ids=["merge key in an item", "aliases to items", "alias to items", "merge key in a later list", "int key"])
def test_streamed_items_read_as_the_safe_loader_reads_them(text: str) -> None:
    expected = []
    for body in yaml.safe_load_all(text):
        expected += [plain_value(item) for item in body["items"]]
    assert [d.body for d in parse_text("f.yaml", text)] == expected


def test_a_big_file_loads_while_aliases_that_expand_as_much_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The limits are on what aliases and nesting make of a text, not on its size: a snapshot of
    # 150,000 pods (~100 MiB) loads. Shown small by lowering the alias limit to 1,000 nodes.
    monkeypatch.setattr(documents, "MAX_ALIAS_EXPANSION", 1_000)
    pods = "".join(f"- {{apiVersion: v1, kind: Pod, metadata: {{name: p{i}, labels: {{a: b}}}}}}\n"
                   for i in range(2_000))
    assert len(parse_text("big.yaml", f"apiVersion: v1\nitems:\n{pods}kind: List\n")) == 2_000
    bomb = "items:\n- &a {kind: Pod, l: [x, x, x, x, x, x, x, x, x, x]}\n" + "- *a\n" * 200 + "kind: List\n"
    with pytest.raises(InputError, match=r"bomb.yaml:1: error: YAML aliases expand to more than 1000 nodes"):
        parse_text("bomb.yaml", bomb)


def test_empty_json_file_is_no_documents() -> None:
    assert parse_text("f.json", " \n") == []


def test_json_file_is_one_document() -> None:
    body = {"apiVersion": "v1", "kind": "List", "items": [{"kind": "Pod", "metadata": {"name": "p"}}]}
    assert located(parse_text("f.json", json.dumps(body))) == [("f.json:1:items[0]", "p")]


def test_json_syntax_error_names_line_and_column() -> None:
    with pytest.raises(InputError, match=r"f.json: error: JSON syntax error at line 2, column"):
        parse_text("f.json", '{"kind": "Pod",\n "metadata": }')


def test_json_duplicate_keys_are_refused() -> None:
    with pytest.raises(InputError, match="duplicate key 'kind'"):
        parse_text("f.json", '{"kind": "Pod", "kind": "Namespace"}')


def test_yaml_syntax_error_names_document_and_line() -> None:
    text = (NP % "ok") + "---\nkind: Pod\nmetadata:\n  name: x\n   labels: {}\n"
    with pytest.raises(InputError) as exc:
        parse_text("bad.yaml", text)
    assert error_text(exc) == (
        "bad.yaml:2: error: YAML syntax error at line 8, column 10: "
        "mapping values are not allowed in this context"
    )


def test_yaml_tab_indentation_error_line() -> None:
    with pytest.raises(InputError, match=r"bad.yaml:1: error: YAML syntax error at line 3, column 1"):
        parse_text("bad.yaml", "kind: Pod\nmetadata:\n\tname: x\n")


def test_duplicate_yaml_keys_are_refused_with_both_lines() -> None:
    text = "kind: Pod\nmetadata:\n  name: a\n  name: b\n"
    with pytest.raises(
        InputError, match=r"f.yaml:1: error: YAML mapping key 'name' at line 4 already defined at line 3"
    ):
        parse_text("f.yaml", text)


def test_same_keys_in_different_mappings_are_fine() -> None:
    text = "a:\n- {x: 1, y: 2}\n- {x: 3}\nb: {c: [1, 2], d: {x: 1}}\nx: [a, b]\n"
    [doc] = parse_text("f.yaml", text)
    assert doc.body["x"] == ["a", "b"]


def test_duplicate_key_after_collection_values_is_found() -> None:
    text = "a: {b: 1}\nc: [1, {a: 2}]\na: 2\n"
    with pytest.raises(InputError, match="key 'a' at line 3 already defined at line 1"):
        parse_text("f.yaml", text)


def test_keys_that_become_equal_as_text_are_duplicates() -> None:
    with pytest.raises(InputError, match="key '80' at line 2 already defined at line 1"):
        parse_text("f.yaml", "80: a\n'80': b\n")


def test_merge_keys_are_not_duplicates() -> None:
    text = "base: &b {a: 1}\nx:\n  <<: *b\n  c: 2\n"
    [doc] = parse_text("f.yaml", text)
    assert doc.body["x"] == {"a": 1, "c": 2}


def test_values_are_json_like() -> None:
    [doc] = parse_text("f.yaml", "creationTimestamp: 2024-01-02T03:04:05Z\n80: port\ntrue: yes\n")
    assert doc.body == {"creationTimestamp": "2024-01-02T03:04:05+00:00", "80": "port", "true": True}


def test_undefined_alias_is_a_syntax_error() -> None:
    with pytest.raises(InputError, match="found undefined alias"):
        parse_text("f.yaml", "a: *nothing\n")


def test_safe_loading_only() -> None:
    with pytest.raises(InputError, match="could not determine a constructor"):
        parse_text("f.yaml", "a: !!python/object/apply:os.system ['true']\n")


# --- refusing hostile input -------------------------------------------------------------------

BILLION_LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi", strict=True)),
    ]
)


def test_alias_bomb_is_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(InputError, match=r"bomb.yaml:1: error: YAML aliases expand to more than"):
        parse_text("bomb.yaml", BILLION_LAUGHS)
    assert time.monotonic() - started < 2


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(InputError, match="recursive alias"):
        parse_text("f.yaml", "a: &x [1, *x]\n")


def test_a_few_aliases_are_fine() -> None:
    [doc] = parse_text("f.yaml", "labels: &l {app: web}\nselector: {matchLabels: *l}\n")
    assert doc.body["selector"]["matchLabels"] == {"app": "web"}


def test_deep_nesting_is_refused_without_crashing() -> None:
    depth = 100_000
    started = time.monotonic()
    # Our guard refuses it, or (PyYAML >= 6.0.4) libyaml's own depth limit does first.
    with pytest.raises(InputError, match=r"nesting deeper than|maximum nesting depth"):
        parse_text("deep.yaml", "[" * depth + "]" * depth)
    with pytest.raises(InputError, match="JSON nested deeper than"):
        parse_text("deep.json", "[" * depth + "]" * depth)
    assert time.monotonic() - started < 5


def test_input_read_whole_over_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "MAX_INPUT_BYTES", 100)
    path = write(tmp_path, "big.json", " " * 150 + "{}")
    with pytest.raises(InputError, match=r"big.json: error: input is 152 bytes, more than the"):
        read_documents([path])
    with pytest.raises(InputError, match=r"<stdin>: error: input is 101 bytes"):
        read_documents(["-"], stdin=io.StringIO("x" * 500))


def test_a_yaml_file_is_parsed_as_it_is_read_whatever_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Shown small: limit and chunks lowered. The file is never held whole, so its size is no limit.
    monkeypatch.setattr(documents, "MAX_INPUT_BYTES", 100)
    monkeypatch.setattr(documents, "_CHECK_CHUNK", 64)
    pods = "".join(f"- {{apiVersion: v1, kind: Pod, metadata: {{name: p{i}}}}}\n" for i in range(300))
    path = write(tmp_path, "big.yaml", f"# padding\napiVersion: v1\nitems:\n{pods}kind: List\n")
    assert len(read_documents([path])) == 300
    last = "- {<<: {kind: Pod}, metadata: {name: m}}\n"  # PyYAML's constructor reads the file again
    merged = write(tmp_path, "merge.yaml", f"items:\n{pods}{last}kind: List\n")
    found = read_documents([merged])
    assert len(found) == 301 and found[-1].body == {"kind": "Pod", "metadata": {"name": "m"}}


@pytest.mark.parametrize("at", [0, 60, 62, 63, 64, 120])
def test_a_helm_template_split_between_chunks_is_still_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    monkeypatch.setattr(documents, "_CHECK_CHUNK", 64)
    path = write(tmp_path, "t.yaml", "#" * at + "\nname: {{ .Values.name }}\n" + "# more\n" * 40)
    with pytest.raises(InputError, match=r"t.yaml: error: a Helm template"):
        read_documents([path])


# --- files, folders, stdin --------------------------------------------------------------------


def test_folders_are_read_recursively_and_sorted(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", NP % "b")
    write(tmp_path, "a/z.yml", NP % "az")
    write(tmp_path, "a/c.json", json.dumps({"kind": "Pod", "metadata": {"name": "ac"}}))
    write(tmp_path, "a/notes.txt", "not: read")
    write(tmp_path, "a-b.yaml", NP % "a-b")
    names = [d.body["metadata"]["name"] for d in read_documents([str(tmp_path)])]
    assert names == ["ac", "az", "a-b", "b"]


def test_paths_keep_their_order_and_may_repeat_kinds(tmp_path: Path) -> None:
    second = write(tmp_path, "2.yaml", NP % "two")
    first = write(tmp_path, "1.yaml", NP % "one")
    assert [d.body["metadata"]["name"] for d in read_documents([second, first])] == ["two", "one"]


def test_an_explicit_file_is_read_whatever_its_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.txt", NP % "txt")
    assert [d.body["metadata"]["name"] for d in read_documents([path])] == ["txt"]


def test_stdin_yaml_and_json() -> None:
    [doc] = read_documents(["-"], stdin=io.StringIO(NP % "piped"))
    assert (str(doc.location), doc.body["metadata"]["name"]) == ("<stdin>:1", "piped")
    [doc] = read_documents(["-"], stdin=io.StringIO('{"kind": "Pod", "metadata": {"name": "j"}}'))
    assert doc.body["metadata"]["name"] == "j"


def test_stdin_flow_yaml_that_is_not_json() -> None:
    [doc] = read_documents(["-"], stdin=io.StringIO("{kind: Pod, metadata: {name: flow}}"))
    assert doc.body["metadata"]["name"] == "flow"


def test_missing_paths_are_all_reported(tmp_path: Path) -> None:
    good = write(tmp_path, "ok.yaml", NP % "ok")
    with pytest.raises(InputError) as exc:
        read_documents(["missing-1.yaml", good, "missing-2"])
    assert [str(d) for d in exc.value.diagnostics] == [
        "missing-1.yaml: error: no such file or directory",
        "missing-2: error: no such file or directory",
    ]


def test_every_unreadable_file_is_reported(tmp_path: Path) -> None:
    broken = write(tmp_path, "a.yaml", "a: [\n")
    bomb = write(tmp_path, "b.yaml", BILLION_LAUGHS)
    with pytest.raises(InputError) as exc:
        read_documents([str(tmp_path)])
    assert [d.location.file for d in exc.value.diagnostics] == [broken, bomb]


def test_non_utf8_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_documents([str(path)])


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + (NP % "bom").encode())
    assert [d.body["metadata"]["name"] for d in read_documents([str(path)])] == ["bom"]


@pytest.mark.parametrize("data", [b"", b" \n\t\r\n", b"\xef\xbb\xbf\n", "\u00a0\u2028 \n".encode(),
                                  b"\xef\xbb\xbf\x1c\x0b"], ids=repr)
def test_blank_files_hold_no_documents(tmp_path: Path, data: bytes) -> None:
    # Files are read as UTF-8 bytes: blank is still what str.strip() removes.
    (tmp_path / "blank.yaml").write_bytes(data)
    assert read_documents([str(tmp_path / "blank.yaml")]) == []


def test_files_read_as_bytes_keep_their_non_ascii_text(tmp_path: Path) -> None:
    path = tmp_path / "u.yaml"
    text = "kind: Pod\nmetadata: {name: p, labels: {a: \"\u00e9\u2603\"}}\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    [doc] = read_documents([str(path)])
    assert doc.body["metadata"]["labels"] == {"a": "\u00e9\u2603"}
    path.write_bytes(b"a: 1\n" * 3_000_000 + b"b: \xff\n")  # past the first chunk checked
    with pytest.raises(InputError, match=r"u.yaml: error: not UTF-8 text \(byte 15000003\)"):
        read_documents([str(path)])


def test_json_on_stdin_after_a_bom_and_blanks() -> None:
    body = json.dumps({"kind": "Pod", "metadata": {"name": "j"}}).encode()
    stdin = io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbf \n" + body))
    assert located(read_documents(["-"], stdin=stdin)) == [("<stdin>:1", "j")]


def test_empty_folder_gives_no_documents(tmp_path: Path) -> None:
    assert read_documents([str(tmp_path)]) == []
