"""Bad command lines and bad inputs: a clear located message, the right exit code, no traceback,
and nothing written to --output-file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.builders import run_outputs as run
from translator.cli import app

LAB = Path(__file__).resolve().parents[1] / "samples" / "lab"
POLICIES = str(LAB / "policies")
CLUSTER = str(LAB / "cluster.yaml")
NO_NAMESPACE = (
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}}\n"
)


def assert_clean_failure(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    for fragment in fragments:
        assert fragment in err, err


# --- --output-file ----------------------------------------------------------------------------


def test_output_file_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "calico.yaml"
    code, out, err = run("convert", POLICIES, "--output-file", str(target))
    assert_clean_failure(code, err, str(target))
    assert out == ""
    assert not (tmp_path / "missing").exists()


def test_output_file_that_is_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run("convert", POLICIES, "--output-file", str(tmp_path))
    assert_clean_failure(code, err, str(tmp_path), "folder")
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_diff_output_file_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "diff.txt"
    code, _, err = run("diff", POLICIES, "--migrate", "--cluster", CLUSTER, "--output-file", str(target))
    assert_clean_failure(code, err, str(target))


def test_output_file_is_kept_when_the_input_is_invalid(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(NO_NAMESPACE.replace("podSelector: {}", "podSelector: {}, ingress: [{from: [{}]}]"))
    target = tmp_path / "out.yaml"
    target.write_text("old\n")
    code, _, err = run("convert", str(bad), "--output-file", str(target))
    assert code == 2
    assert f"{bad}:1:spec.ingress[0].from[0]: error:" in err
    assert target.read_text() == "old\n"


# --- option values ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["convert", "validate", "explain", "diff"])
def test_invalid_default_namespace_is_refused(command: str, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(NO_NAMESPACE)
    args = {
        "convert": ["convert", str(policy)],
        "validate": ["validate", str(policy)],
        "explain": ["explain", str(policy), "--cluster", CLUSTER,
                    "--from", "default/curl", "--to", "10.0.0.1", "--port", "80"],
        "diff": ["diff", str(policy), "--migrate", "--cluster", CLUSTER],
    }[command]
    code, out, err = run(*args, "--namespace", "Bad NS")
    assert_clean_failure(code, err, "--namespace", "'Bad NS'")
    assert out == ""


@pytest.mark.parametrize("order", ["nan", "inf", "-inf"])
def test_tier_order_must_be_finite(order: str) -> None:
    code, out, err = run("convert", POLICIES, "--tier", "np2calico", "--tier-order", order)
    assert_clean_failure(code, err, "--tier-order")
    assert out == ""


@pytest.mark.parametrize(
    "option", ["--dns-namespace", "--exclude-namespace", "--include-namespace"]
)
@pytest.mark.parametrize("command", ["convert", "diff"])
def test_default_deny_namespaces_must_be_namespace_names(command: str, option: str) -> None:
    extra = ["--migrate", "--cluster", CLUSTER] if command == "diff" else []
    code, out, err = run(command, POLICIES, *extra, "--default-deny", "global", option, "Kube System")
    assert_clean_failure(code, err, option, "'Kube System'")
    assert out == ""


# --- diff --resources: every document must be an object with apiVersion, kind and a name -------

NOT_OBJECTS = {
    "scalar": ("hello\n", ":1: error: not a Kubernetes object"),
    "list item not a mapping": ("apiVersion: v1\nkind: List\nitems: [1]\n", ":1:items[0]: error: not a"),
    "metadata not a mapping": ("apiVersion: v1\nkind: ConfigMap\nmetadata: [a]\n", ":1:metadata: error:"),
    "no apiVersion": ("kind: ConfigMap\nmetadata: {name: a}\n", ":1: error: not a Kubernetes object"),
    "no name": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", ":1:metadata.name: error: required value"),
    "namespace not a string": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: [x]}\n",
        ":1:metadata.namespace: error: must be a string",
    ),
}


@pytest.mark.parametrize(("text", "expected"), NOT_OBJECTS.values(), ids=NOT_OBJECTS.keys())
@pytest.mark.parametrize("side", ["--resources", "--against"])
def test_resource_diff_refuses_what_is_no_object(side: str, text: str, expected: str, tmp_path: Path) -> None:
    bad, good = tmp_path / "bad.yaml", tmp_path / "good.yaml"
    bad.write_text(text)
    good.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n")
    other = "--against" if side == "--resources" else "--resources"
    code, out, err = run("diff", side, str(bad), other, str(good))
    assert_clean_failure(code, err, f"{bad}{expected}")
    assert out == ""


# --- unreadable text ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "convert"])
def test_binary_stdin_is_refused_like_a_binary_file(command: str) -> None:
    result = CliRunner().invoke(app, [command, "-"], input=b"\xff\xfe\x00garbage")
    assert_clean_failure(result.exit_code, result.stderr, "<stdin>: error: not UTF-8 text (byte 0)")
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["validate", "convert"])
def test_control_character_error_is_one_located_line(command: str, tmp_path: Path) -> None:
    path = tmp_path / "nul.yaml"
    path.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a\x00}\n")
    code, _, err = run(command, str(path))
    assert_clean_failure(code, err, f"{path}:1: error: YAML error: unacceptable character #x0000")
    assert err.count("\n") == 1, err
    assert "<unicode string>" not in err


# --- kubeconfig -----------------------------------------------------------------------------------

BAD_KUBECONFIGS = {
    "scalar": "hello\n",
    "list": "- a\n- b\n",
    "syntax error": "a: [\n",
    "clusters not a list": "apiVersion: v1\nkind: Config\nclusters: 5\n",
}


@pytest.mark.parametrize("text", BAD_KUBECONFIGS.values(), ids=BAD_KUBECONFIGS.keys())
def test_a_broken_kubeconfig_is_a_clear_error(text: str, tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(text)
    code, out, err = run("validate", "--from-cluster", "--kubeconfig", str(path))
    assert_clean_failure(code, err, f"kubeconfig {path}")
    assert err.count("\n") == 1, err
    assert out == ""


# --- rollback bundles -----------------------------------------------------------------------------

BAD_BUNDLES = {
    "binary": (b"\xff\xfe\x00", ": error: cannot read the rollback bundle: not UTF-8 text"),
    "metadata not a mapping": (
        b"apiVersion: np2calico.io/v1\nkind: RollbackBundle\nmetadata: [a]\n",
        ":1:metadata: error: expected a mapping",
    ),
}


@pytest.mark.parametrize("command", ["rollback", "promote"])
@pytest.mark.parametrize(("data", "expected"), BAD_BUNDLES.values(), ids=BAD_BUNDLES.keys())
def test_a_broken_bundle_is_a_clear_error(command: str, data: bytes, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "bundle.yaml"
    path.write_bytes(data)
    code, _, err = run(command, str(path), "--dry-run")
    assert_clean_failure(code, err, f"{path}{expected}")


def test_convert_lists_the_calico_policies_it_leaves_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "calico.yaml"
    path.write_text(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: deny}\n"
        "spec: {types: [Ingress]}\n"
    )
    code, out, err = run("convert", str(path))
    assert f"{path}:1: GlobalNetworkPolicy/deny" in err
    assert "1 Calico objects of the input are left as they are" in err
    assert (code, out) == (1, "")  # nothing to convert: the empty-input rule applies


@pytest.mark.parametrize("options", [["--tier-order", "5"], ["--tier-default-action", "Deny"],
                                     ["--tier", "default", "--tier-order", "5"]])
def test_tier_settings_without_an_emitted_tier_are_refused_not_ignored(options: list[str]) -> None:
    code, out, err = run("convert", POLICIES, *options)
    assert_clean_failure(code, err, "need --tier NAME")
    assert out == ""
