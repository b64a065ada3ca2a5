"""Clear messages instead of silence or internals (issue 12): empty input, leading zeros, empty
rules, odd file names, interrupted or cut-off runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.builders import run_outputs as run

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "samples" / "lab"
POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: default}
spec:
  podSelector: {}
"""


def _empty_inputs(tmp_path: Path) -> dict[str, tuple[list[str], str | None, str]]:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    comments = tmp_path / "comments.yaml"
    comments.write_text("# nothing here\n---\n# still nothing\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    other = tmp_path / "not-yaml"
    other.mkdir()
    (other / "README.txt").write_text("hello\n")
    return {
        "empty file": ([str(empty)], None, str(empty)),
        "comments only": ([str(comments)], None, str(comments)),
        "empty folder": ([str(folder)], None, str(folder)),
        "folder of non-YAML files": ([str(other)], None, str(other)),
        "empty stdin": (["-"], "", "stdin"),
    }


@pytest.mark.parametrize("case", ["empty file", "comments only", "empty folder",
                                  "folder of non-YAML files", "empty stdin"])
def test_convert_of_an_empty_input_warns_and_exits_1(tmp_path: Path, case: str) -> None:
    args, stdin, named = _empty_inputs(tmp_path)[case]
    code, out, err = run("convert", *args, stdin=stdin)
    assert (code, out) == (1, "")
    assert err == f"np2calico: warning: no NetworkPolicy found in {named}\n"
    code, out, err = run("convert", *args, "--allow-empty", stdin=stdin)
    assert code == 0 and "no NetworkPolicy found" in err


def test_quiet_drops_the_empty_warning_but_not_the_exit_code(tmp_path: Path) -> None:
    args, stdin, _ = _empty_inputs(tmp_path)["empty file"]
    assert run("convert", *args, "-q", stdin=stdin) == (1, "", "")


def test_leading_zeros_are_read_as_decimal_with_a_warning(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY + "  egress: [{to: [{ipBlock: {cidr: 010.001.0.0/16, "
                      "except: [010.001.002.0/24]}}]}]\n")
    code, out, err = run("convert", str(policy))
    assert code == 0, err
    [manifest] = [d for d in yaml.safe_load_all(out) if d and d["metadata"]["name"] == "p"]
    destination = manifest["spec"]["egress"][0]["destination"]
    assert destination["nets"] == ["10.1.0.0/16"] and destination["notNets"] == ["10.1.2.0/24"]
    assert (f"{policy}:1:spec.egress[0].to[0].ipBlock.cidr: warning: CIDR '010.001.0.0/16' has leading "
            "zeros: the API server reads them as decimal, 10.1.0.0/16") in err


def test_leading_zeros_beyond_a_byte_are_an_error(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY + "  egress: [{to: [{ipBlock: {cidr: 0256.0.0.0/8}}]}]\n")
    code, _, err = run("convert", str(policy))
    assert code == 2 and "invalid CIDR '0256.0.0.0/8'" in err


@pytest.mark.parametrize(("rules", "where", "side"), [
    ("  ingress: [{}]\n", "spec.ingress[0]", "from every source"),
    ("  egress:\n  -\n", "spec.egress[0]", "to every destination"),
])
def test_an_empty_rule_warns_that_it_allows_everything(
    tmp_path: Path, rules: str, where: str, side: str
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY + rules)
    code, _, err = run("validate", str(policy))
    assert code == 0
    assert f"{policy}:1:{where}: warning: an empty rule allows all traffic {side} on every port\n" in err


@pytest.mark.parametrize("name", ["bad\nname.yaml", "a:b.yaml", "tab\there.yaml"])
def test_odd_file_names_stay_on_one_line(tmp_path: Path, name: str) -> None:
    policy = tmp_path / name
    policy.write_text(POLICY + "  ingress: [{ports: [{port: 80, endPort: 79}]}]\n")
    code, _, err = run("validate", str(policy))
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].endswith("error: 79 must be greater than or equal to `port` (80)")
    assert "\n" not in name.replace("\n", "\\n") or "\\n" in lines[0]


def test_a_path_given_twice_is_read_once(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    code, _, err = run("convert", str(policy), str(policy), str(tmp_path / "." / "p.yaml"))
    assert code == 0 and "duplicate" not in err


def test_resources_without_against_says_it_needs_it() -> None:
    code, _, err = run("diff", "--resources", str(LAB / "policies"))
    assert code == 2
    assert err == "np2calico: error: --resources needs --against EXISTING (the manifests to compare with)\n"


def test_closed_stdin_is_a_clear_error() -> None:
    proc = subprocess.run([sys.executable, "-m", "translator", "convert", "-"], cwd=ROOT,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
                          preexec_fn=lambda: os.close(0))
    assert proc.returncode == 2
    assert proc.stderr == "<stdin>: error: cannot read: stdin is closed\n"


@pytest.mark.parametrize("size", ["small", "large"])
def test_a_broken_pipe_exits_quietly_with_one_code(tmp_path: Path, size: str) -> None:
    source = str(LAB / "policies") if size == "small" else str(LAB)
    args = ["convert", source] if size == "small" else [
        "diff", str(LAB / "policies"), "--migrate", "--cluster", str(LAB / "cluster.yaml"), "--symbolic"]
    reader_r, reader_w = os.pipe()
    os.close(reader_r)  # nobody will ever read
    proc = subprocess.run([sys.executable, "-m", "translator", *args], cwd=ROOT, stdout=reader_w,
                          stderr=subprocess.PIPE, text=True, check=False)
    os.close(reader_w)
    assert proc.returncode == 141
    assert "Traceback" not in proc.stderr and "Exception" not in proc.stderr
    assert "BrokenPipe" not in proc.stderr


def _wait_until_reading_stdin(pid: int, limit: float = 60.0) -> None:
    """Past start-up: a signal during the interpreter's own start-up is not ours to handle, and on a
    loaded machine a fixed sleep can still land there. Linux tells when the process blocks in a pipe
    read; elsewhere a generous sleep stands in."""
    wchan = Path(f"/proc/{pid}/wchan")
    if not wchan.exists():
        time.sleep(4)
        return
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if "pipe" in wchan.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} never blocked reading stdin")


def _default_sigint() -> None:
    """In the child before exec: a job started in the background by a non-interactive shell (as
    `.ci/run &` is) inherits SIGINT ignored, and Python keeps an ignored SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_is_one_line_and_exit_130() -> None:
    # Reading stdin that never ends: the command is busy when the interrupt comes.
    proc = subprocess.Popen([sys.executable, "-m", "translator", "convert", "-"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_default_sigint)
    _wait_until_reading_stdin(proc.pid)
    proc.send_signal(signal.SIGINT)
    try:  # stdin stays open until the process ends: only the interrupt can end it
        proc.wait(timeout=30)
    finally:
        assert proc.stdin is not None and proc.stderr is not None
        proc.stdin.close()
    with proc.stdout, proc.stderr:  # type: ignore[union-attr]
        err = proc.stderr.read().decode()
    assert proc.returncode == 130
    assert err == "np2calico: interrupted\n"


def _kubeconfig(path: Path, context: str, server: str, current: bool = True) -> str:
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: {context}, cluster: {{server: '{server}'}}}}]\n"
        f"users: [{{name: {context}, user: {{}}}}]\n"
        f"contexts: [{{name: {context}, context: {{cluster: {context}, user: {context}}}}}]\n"
        + (f"current-context: {context}\n" if current else "")
    )
    return str(path)


def test_kubeconfig_files_are_merged_like_kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from translator.cluster import connect

    first = _kubeconfig(tmp_path / "a", "alpha", "http://127.0.0.1:1")
    second = _kubeconfig(tmp_path / "b", "beta", "http://127.0.0.1:2", current=False)
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([first, str(tmp_path / "missing"), second]))
    assert connect().context == "alpha"  # the first file's current-context
    client = connect("beta")  # a context only the second file defines
    assert client.context == "beta" and client.host == "http://127.0.0.1:2"


def test_a_context_that_does_not_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", _kubeconfig(tmp_path / "a", "alpha", "http://127.0.0.1:1"))
    code, _, err = run("snapshot", "--context", "nope")
    assert (code, err) == (2, 'np2calico: error: context "nope" does not exist in KUBECONFIG\n')
    code, _, err = run("convert", "--from-cluster", "--context", "nope", "--kubeconfig", str(tmp_path / "a"))
    expected = f'np2calico: error: context "nope" does not exist in kubeconfig {tmp_path / "a"}\n'
    assert (code, err) == (2, expected)


@pytest.mark.parametrize(("name", "text", "hint"), [
    ("Chart.yaml", "apiVersion: v2\nname: shop\nversion: 0.1.0\n", "a Helm chart: render it first"),
    ("kustomization.yaml", "resources: [np.yaml]\n", "a kustomization: render it first"),
    ("np.yaml", POLICY.replace("name: p", "name: {{ .Release.Name }}"), "a Helm template ({{ ... }})"),
])
def test_unrendered_helm_and_kustomize_inputs_get_a_hint(
    tmp_path: Path, name: str, text: str, hint: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    code, _, err = run("convert", str(path))
    assert code == 2 and err.startswith(f"{path}: error: {hint}") and err.count("\n") == 1
