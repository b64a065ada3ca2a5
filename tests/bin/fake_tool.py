"""Test double shared by the stand-in `calicoctl` and `kubectl` executables in this folder.

Each call appends one JSON line to $FAKE_TOOL_LOG: the tool, its arguments, its stdin and the
environment variables calicoctl reads. With $FAKE_TOOL_STATE (a JSON file mapping
`Kind/namespace/name` to objects) it also keeps the objects, so tests can compare the state before
an apply and after a rollback. Failing on demand: when the stdin contains $FAKE_TOOL_FAIL_ON (and
the verb is $FAKE_TOOL_FAIL_VERB, if set), the call exits 1 with an error shaped like the real
tool's. Output otherwise mimics the real tools' success lines.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml


def main(tool: str) -> int:
    args = sys.argv[1:]
    stdin = sys.stdin.read() if "-" in args else ""
    _record(tool, args, stdin)
    verb = args[0] if args else ""
    document = yaml.safe_load(stdin) if stdin else {}
    fail_on = os.environ.get("FAKE_TOOL_FAIL_ON")
    fail_verb = os.environ.get("FAKE_TOOL_FAIL_VERB")
    if fail_on and fail_on in stdin and fail_verb in (None, "", verb):
        print(_error(tool, verb, document), file=sys.stderr)
        return 1
    if any(a.startswith("--dry-run") for a in args):
        print(_success(tool, verb, document, " (server dry run)"))
        return 0
    if verb == "delete" and not _delete(document, missing_ok="--ignore-not-found" in args
                                        or "--skip-not-exists" in args):
        print(_not_found(tool, document), file=sys.stderr)
        return 1
    if verb == "apply":
        _store(document)
    print(_success(tool, verb, document, ""))
    return 0


def _record(tool: str, args: list[str], stdin: str) -> None:
    log = os.environ.get("FAKE_TOOL_LOG")
    if not log:
        return
    env = {k: os.environ[k] for k in ("KUBECONFIG", "DATASTORE_TYPE") if k in os.environ}
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"tool": tool, "args": args, "stdin": stdin, "env": env}) + "\n")


def _key(document: dict[str, Any]) -> str:
    metadata = document.get("metadata") or {}
    return f"{document.get('kind')}/{metadata.get('namespace', '')}/{metadata.get('name')}"


def _load_state() -> dict[str, Any] | None:
    path = os.environ.get("FAKE_TOOL_STATE")
    if not path:
        return None
    file = Path(path)
    return json.loads(file.read_text(encoding="utf-8")) if file.exists() else {}


def _save_state(state: dict[str, Any]) -> None:
    Path(os.environ["FAKE_TOOL_STATE"]).write_text(json.dumps(state, sort_keys=True), encoding="utf-8")


def _store(document: dict[str, Any]) -> None:
    state = _load_state()
    if state is not None:
        state[_key(document)] = document
        _save_state(state)


def _delete(document: dict[str, Any], missing_ok: bool) -> bool:
    state = _load_state()
    if state is None:
        return True
    if state.pop(_key(document), None) is None and not missing_ok:
        return False
    _save_state(state)
    return True


def _success(tool: str, verb: str, document: dict[str, Any], suffix: str) -> str:
    kind, name = document.get("kind", ""), (document.get("metadata") or {}).get("name", "")
    if tool == "calicoctl":
        done = "applied" if verb == "apply" else "deleted"
        return f"Successfully {done} 1 '{kind}' resource(s){suffix}"
    done = "configured" if verb == "apply" else "deleted"
    return f"{kind.lower()}.projectcalico.org/{name} {done}{suffix}"


def _error(tool: str, verb: str, document: dict[str, Any]) -> str:
    kind, name = document.get("kind", ""), (document.get("metadata") or {}).get("name", "")
    if tool == "calicoctl":
        return (f"Hit error: error with field Metadata.Name = '{name}' "
                f"(admission webhook denied the {verb} of {kind})")
    return (f'Error from server (Forbidden): error when {verb}ing "STDIN": {kind.lower()}s.projectcalico.org '
            f'"{name}" is forbidden: User "ci" cannot {verb} resource "{kind.lower()}s"')


def _not_found(tool: str, document: dict[str, Any]) -> str:
    kind, name = document.get("kind", ""), (document.get("metadata") or {}).get("name", "")
    if tool == "calicoctl":
        return f"Failed to delete '{kind}' resource: resource does not exist: {kind}({name})"
    return f'Error from server (NotFound): {kind.lower()}s.projectcalico.org "{name}" not found'
