"""Test double: an in-process Kubernetes API server on 127.0.0.1 speaking the REST calls np2calico uses.

It answers like a real kube-apiserver (responses shaped after recorded `kubectl get --raw` output):
- list calls (`GET /api/v1/pods`, `GET /apis/<group>/<version>/<plural>`) paginate with `limit` and an
  opaque `continue` token, and list items carry no `apiVersion`/`kind` for built-in types (as the
  real server does) but do for custom resources;
- a forbidden (verb, resource) answers 403 with a `Status` object naming user, verb and resource;
- an API group that is not served answers discovery and lists with `404 page not found` (plain text,
  as the real server's mux does), and a missing object with a `NotFound` Status;
- a wrong bearer token answers 401.
Every request is recorded in `requests` so tests can assert on the calls made.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml

USER = "system:serviceaccount:ci:np2calico"
TOKEN = "test-token-1234"
CALICO_V3 = "projectcalico.org/v3"
CALICO_CRD = "crd.projectcalico.org/v1"

# (group/version, plural) -> (kind, namespaced); built-in kinds first, then Calico's.
RESOURCES: dict[tuple[str, str], tuple[str, bool]] = {
    ("v1", "namespaces"): ("Namespace", False),
    ("v1", "pods"): ("Pod", True),
    ("networking.k8s.io/v1", "networkpolicies"): ("NetworkPolicy", True),
}
CALICO_PLURALS: dict[str, tuple[str, bool]] = {
    "tiers": ("Tier", False),
    "networkpolicies": ("NetworkPolicy", True),
    "globalnetworkpolicies": ("GlobalNetworkPolicy", False),
    "stagednetworkpolicies": ("StagedNetworkPolicy", True),
    "stagedglobalnetworkpolicies": ("StagedGlobalNetworkPolicy", False),
    "stagedkubernetesnetworkpolicies": ("StagedKubernetesNetworkPolicy", True),
    "hostendpoints": ("HostEndpoint", False),
}


@dataclass
class FakeApiServer:
    """The state served: objects per (group/version, plural); which groups exist; what is forbidden."""

    objects: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    calico_groups: tuple[str, ...] = (CALICO_V3,)
    calico_unserved: set[str] = field(default_factory=set)  # plurals an older Calico lacks
    forbidden: set[tuple[str, str]] = field(default_factory=set)  # (verb, plural)
    default_page_size: int | None = None  # the server's own cap when the client sends no limit
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    def add(self, group_version: str, plural: str, *items: Mapping[str, Any]) -> None:
        self.objects.setdefault((group_version, plural), []).extend(dict(i) for i in items)

    def kubeconfig(self, directory: Path, *, token: str = TOKEN, context: str = "lab") -> Path:
        """A kubeconfig file whose context `context` points at this server."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{self.port}"}}],
            "users": [{"name": "ci", "user": {"token": token}}],
            "contexts": [{"name": context, "context": {"cluster": "fake", "user": "ci"}}],
            "current-context": context,
        }
        path = directory / "kubeconfig"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    def served(self, group_version: str) -> bool:
        return group_version in ("v1", "networking.k8s.io/v1") or group_version in self.calico_groups

    def kind_of(self, group_version: str, plural: str) -> tuple[str, bool] | None:
        if group_version in (CALICO_V3, CALICO_CRD):
            return CALICO_PLURALS.get(plural)
        return RESOURCES.get((group_version, plural))


def _status(code: int, reason: str, message: str, details: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": dict(details),
        "code": code,
    }


def _group_of(group_version: str) -> str:
    return group_version.split("/")[0] if "/" in group_version else ""


class _Handler(BaseHTTPRequestHandler):
    server_state: FakeApiServer  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        state = self.server_state
        state.requests.append(("GET", url.path, query))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._json(401, _status(401, "Unauthorized", "Unauthorized", {}))
            return
        parts = [p for p in url.path.split("/") if p]
        if parts[:1] == ["api"]:
            self._route("v1", parts[2:], query)
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            self._route(f"{parts[1]}/{parts[2]}", parts[3:], query)
        else:
            self._text(404, "404 page not found\n")

    def _route(self, group_version: str, rest: list[str], query: dict[str, str]) -> None:
        state = self.server_state
        if not state.served(group_version):
            self._text(404, "404 page not found\n")
            return
        if not rest:
            self._json(200, self._discovery(group_version))
            return
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        plural = rest[0]
        if state.kind_of(group_version, plural) is None:
            self._text(404, "404 page not found\n")
            return
        verb = "list" if len(rest) == 1 else "get"
        if (verb, plural) in state.forbidden:
            self._forbidden(verb, group_version, plural, namespace)
        elif verb == "list":
            self._list(group_version, plural, namespace, query)
        else:
            self._get(group_version, plural, namespace, rest[1])

    def _discovery(self, group_version: str) -> dict[str, Any]:
        if group_version in (CALICO_V3, CALICO_CRD):
            kinds = {p: v for p, v in CALICO_PLURALS.items() if p not in self.server_state.calico_unserved}
        else:
            kinds = {plural: v for (gv, plural), v in RESOURCES.items() if gv == group_version}
        verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
        resources = [
            {"name": plural, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
             "verbs": verbs}
            for plural, (kind, namespaced) in kinds.items()
        ]
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                "resources": resources}

    def _matching(self, group_version: str, plural: str, namespace: str | None) -> list[dict[str, Any]]:
        items = self.server_state.objects.get((group_version, plural), [])
        if namespace is None:
            return items
        return [i for i in items if i.get("metadata", {}).get("namespace") == namespace]

    def _list(self, group_version: str, plural: str, namespace: str | None, query: dict[str, str]) -> None:
        state = self.server_state
        kind, _ = state.kind_of(group_version, plural) or ("", False)
        items = self._matching(group_version, plural, namespace)
        start = int(base64.b64decode(query["continue"]).decode().split(":")[1]) if "continue" in query else 0
        limit = int(query["limit"]) if "limit" in query else (state.default_page_size or len(items) or 1)
        page = items[start:start + limit]
        metadata: dict[str, Any] = {"resourceVersion": "48213"}
        if start + limit < len(items):
            metadata["continue"] = base64.b64encode(f"48213:{start + limit}".encode()).decode()
            metadata["remainingItemCount"] = len(items) - start - limit
        body = {"kind": f"{kind}List", "apiVersion": group_version, "metadata": metadata, "items": page}
        self._json(200, body)

    def _get(self, group_version: str, plural: str, namespace: str | None, name: str) -> None:
        for item in self._matching(group_version, plural, namespace):
            if item.get("metadata", {}).get("name") == name:
                self._json(200, item)
                return
        group = _group_of(group_version)
        message = f'{plural}.{group} "{name}" not found' if group else f'{plural} "{name}" not found'
        self._json(404, _status(404, "NotFound", message, {"name": name, "group": group, "kind": plural}))

    def _forbidden(self, verb: str, group_version: str, plural: str, namespace: str | None) -> None:
        group = _group_of(group_version)
        resource = f"{plural}.{group}" if group else plural
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        message = (f'{resource} is forbidden: User "{USER}" cannot {verb} resource "{plural}" '
                   f'in API group "{group}" {scope}')
        self._json(403, _status(403, "Forbidden", message, {"group": group, "kind": plural}))

    def _json(self, code: int, body: Mapping[str, Any]) -> None:
        self._send(code, "application/json", json.dumps(body).encode())

    def _text(self, code: int, text: str) -> None:
        self._send(code, "text/plain; charset=utf-8", text.encode())

    def _send(self, code: int, content_type: str, data: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def serve(state: FakeApiServer) -> Iterator[FakeApiServer]:
    """Run `state` on a free loopback port for the duration of the block."""
    handler = type("BoundHandler", (_Handler,), {"server_state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def lab_state(calico_groups: tuple[str, ...] = (CALICO_V3,)) -> FakeApiServer:
    """The lab cluster as a real API server holds it: two namespaces, pods, policies, a Calico tier."""
    state = FakeApiServer(calico_groups=calico_groups)
    for name in ("default", "dev", "kube-system"):
        state.add("v1", "namespaces", {"metadata": {
            "name": name, "uid": f"uid-{name}", "resourceVersion": "101",
            "labels": {"kubernetes.io/metadata.name": name},
            "managedFields": [{"manager": "kube-apiserver", "operation": "Update"}],
        }, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    state.add("v1", "pods", *(_pod(ns, name, labels, ip) for ns, name, labels, ip in (
        ("default", "color-api-7b9d7c9c7b-lx8tm", {"app": "color-api"}, "10.244.0.12"),
        ("default", "curl", {"app": "curl", "tier": "frontend"}, "10.244.0.13"),
        ("default", "curl-two", {"app": "curl", "tier": "backend"}, "10.244.0.14"),
        ("dev", "curl-dev", {"app": "curl"}, "10.244.0.20"),
        ("kube-system", "coredns-5dd5756b68-x2q9p", {"k8s-app": "kube-dns"}, "10.244.0.2"),
    )))
    state.add("networking.k8s.io/v1", "networkpolicies", {
        "metadata": {"name": "deny-all-ingress", "namespace": "default", "resourceVersion": "2001",
                     "uid": "uid-np-1", "generation": 1},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    })
    for group in calico_groups:
        state.add(group, "tiers", {"apiVersion": group, "kind": "Tier", "metadata": {
            "name": "default", "resourceVersion": "7"}, "spec": {"order": 1000000}})
    return state


def _pod(namespace: str, name: str, labels: dict[str, str], ip: str) -> dict[str, Any]:
    app = labels.get("app", labels.get("k8s-app", name))
    return {
        "metadata": {
            "name": name, "namespace": namespace, "labels": labels, "uid": f"uid-{name}",
            "resourceVersion": "3001", "creationTimestamp": "2026-11-20T09:00:00Z",
            "managedFields": [{"manager": "kubelet", "operation": "Update"}],
        },
        "spec": {
            "containers": [{
                "name": app, "image": f"example/{app}:1.0",
                "env": [{"name": "API_TOKEN", "value": "s3cret"}],
                "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"}],
            }],
            "serviceAccountName": "default", "nodeName": "lab-worker",
        },
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "hostIP": "172.18.0.2"},
    }


# --- the stand-in calicoctl / kubectl of tests/bin --------------------------------------------------
BIN = Path(__file__).resolve().parent / "bin"


@dataclass
class ToolCalls:
    """What the stand-in tools recorded, and the objects they hold (see tests/bin/fake_tool.py)."""

    log: Path
    state: Path

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def summary(self) -> list[tuple[str, str, str]]:
        """(tool, verb, Kind/name) per call, for compact assertions."""
        found = []
        for call in self.calls():
            body = yaml.safe_load(call["stdin"]) if call["stdin"] else {}
            found.append((call["tool"], call["args"][0], f"{body.get('kind')}/{body['metadata']['name']}"))
        return found

    def objects(self) -> dict[str, Any]:
        return json.loads(self.state.read_text(encoding="utf-8")) if self.state.exists() else {}

    def seed(self, *objects: Mapping[str, Any]) -> None:
        """Objects the cluster holds before the test, as the tools see them."""
        state = {}
        for obj in objects:
            metadata = obj.get("metadata") or {}
            state[f"{obj['kind']}/{metadata.get('namespace', '')}/{metadata['name']}"] = dict(obj)
        self.state.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")


def use_stand_in_tools(monkeypatch: Any, directory: Path, tools: tuple[str, ...] = ("calicoctl", "kubectl"),
                       ) -> ToolCalls:
    """Put only the stand-ins named in `tools` first on PATH, recording into `directory`."""
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in tools:
        (bin_dir / tool).symlink_to(BIN / tool)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{_without_real_tools(os.environ['PATH'])}")
    recorded = ToolCalls(directory / "tool-calls.jsonl", directory / "tool-state.json")
    monkeypatch.setenv("FAKE_TOOL_LOG", str(recorded.log))
    monkeypatch.setenv("FAKE_TOOL_STATE", str(recorded.state))
    for name in ("FAKE_TOOL_FAIL_ON", "FAKE_TOOL_FAIL_VERB", "KUBECONFIG", "DATASTORE_TYPE"):
        monkeypatch.delenv(name, raising=False)
    return recorded


def _without_real_tools(path: str) -> str:
    """PATH minus the folders holding a real calicoctl or kubectl, keeping python3 reachable."""
    keep = [os.path.dirname(sys.executable)]
    for folder in path.split(os.pathsep):
        if folder and not any(shutil.which(t, path=folder) for t in ("calicoctl", "kubectl")):
            keep.append(folder)
    return os.pathsep.join(keep)
