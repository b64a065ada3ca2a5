"""Reading a live cluster through the kubernetes client (an edge: the only module that talks to it).

`read_cluster` returns plain documents shaped like the items of `kubectl get -o yaml` (apiVersion and
kind set, `managedFields` dropped as kubectl hides them): NetworkPolicies, Namespaces, Pods and the
Calico policies, tiers and host endpoints. Pods are trimmed to what policies need (labels, IPs,
container ports, host network, service account), so that a snapshot never carries environment
variables or other secrets of the workloads.

Calico objects are read through `projectcalico.org/v3` when the Calico API server serves it, else
from the storage CRDs `crd.projectcalico.org/v1`. When neither is served, reading warns and goes on
with the Kubernetes objects only (a cluster without Calico objects is a valid starting point for a
migration); commands that must write Calico objects ask with `require_calico=True` and get an error.

Known limit: from the storage CRDs, older Calico versions name a default-tier policy
`default.<name>`; such an object is read under that name, as `kubectl get` shows it.

Every failure is one `ClusterError` line: no kubeconfig, an unknown context, an unreachable server,
rejected credentials, a missing permission (naming the verb and resource), the Calico API absent.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from translator.errors import ClusterError, Diagnostics, Location
from translator.load import Document, LoadContext, Loaded, parse_documents

if TYPE_CHECKING:  # the kubernetes client is imported only when a cluster is used: it is slow to import
    from kubernetes.client import ApiClient

CALICO_V3 = "projectcalico.org/v3"
CALICO_CRD = "crd.projectcalico.org/v1"
PAGE_SIZE = 500  # kubectl's default chunk size
REQUEST_TIMEOUT = (10, 60)  # seconds: connect, read
# Calico mirrors every Kubernetes NetworkPolicy as `knp.default.<name>` in some listings; those are
# read as the Kubernetes objects themselves, so the mirrors are skipped to avoid counting them twice.
KNP_MIRROR_PREFIX = "knp.default."


@dataclass(frozen=True)
class Resource:
    """One REST collection: where it lives, what its items are called."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def label(self) -> str:
        """The name RBAC and kubectl use: `pods`, `networkpolicies.projectcalico.org`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        scope = f"/namespaces/{namespace}" if self.namespaced and namespace else ""
        return f"{base}{scope}/{self.plural}" + (f"/{name}" if name else "")


KUBERNETES_RESOURCES = (
    Resource("v1", "Namespace", "namespaces", False),
    Resource("v1", "Pod", "pods", True),
    Resource("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True),
)
# Calico kinds np2calico reads, in apply order (tiers before the policies that live in them).
CALICO_KINDS: dict[str, tuple[str, bool]] = {
    "Tier": ("tiers", False),
    "GlobalNetworkPolicy": ("globalnetworkpolicies", False),
    "NetworkPolicy": ("networkpolicies", True),
    "StagedGlobalNetworkPolicy": ("stagedglobalnetworkpolicies", False),
    "StagedNetworkPolicy": ("stagednetworkpolicies", True),
    "StagedKubernetesNetworkPolicy": ("stagedkubernetesnetworkpolicies", True),
    "HostEndpoint": ("hostendpoints", False),
}


def calico_resource(kind: str, api_version: str = CALICO_V3) -> Resource:
    """The collection of a Calico kind in `api_version`; an unknown kind is a ClusterError."""
    if kind not in CALICO_KINDS:
        raise ClusterError(f"np2calico does not handle Calico kind {kind!r}")
    plural, namespaced = CALICO_KINDS[kind]
    return Resource(api_version, kind, plural, namespaced)


class ClusterClient:
    """A thin, typed wrapper over the kubernetes ApiClient: GET requests returning plain dicts."""

    def __init__(self, api: ApiClient, context: str) -> None:
        self.api = api
        self.context = context
        self._calico: tuple[str, tuple[Resource, ...]] | None = None
        self._calico_discovered = False

    @property
    def host(self) -> str:
        return str(self.api.configuration.host)

    def list(self, resource: Resource, page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
        """Every item of `resource` in all namespaces, following `continue` tokens page by page."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            query = [("limit", page_size)] + ([("continue", token)] if token else [])
            page = self._get(resource.path(), query, "list", resource)
            if page is None:
                raise ClusterError(f"the API server does not serve {resource.label} ({self.host})")
            items.extend(_as_document(item, resource) for item in page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items

    def get(self, resource: Resource, namespace: str | None, name: str) -> dict[str, Any] | None:
        """One object, or None when it does not exist."""
        found = self._get(resource.path(namespace, name), [], "get", resource)
        return None if found is None else _as_document(found, resource)

    def calico(self) -> tuple[str, tuple[Resource, ...]] | None:
        """The Calico apiVersion served (v3 preferred) and the collections np2calico reads in it."""
        if not self._calico_discovered:
            self._calico = self._discover_calico()
            self._calico_discovered = True
        return self._calico

    def _discover_calico(self) -> tuple[str, tuple[Resource, ...]] | None:
        for api_version in (CALICO_V3, CALICO_CRD):
            discovery = self._get(f"/apis/{api_version}", [], "get", None)
            if discovery is None:
                continue
            served = {r.get("name") for r in discovery.get("resources") or []}
            resources = tuple(
                calico_resource(kind, api_version)
                for kind, (plural, _) in CALICO_KINDS.items() if plural in served
            )
            return api_version, resources
        return None

    def _get(
        self, path: str, query: builtins.list[tuple[str, Any]], verb: str, resource: Resource | None
    ) -> dict[str, Any] | None:
        """GET `path`; None on 404; every other failure is a one-line ClusterError."""
        method, url, headers, body, post_params = self.api.param_serialize(
            method="GET", resource_path=path, query_params=query,
            header_params={"Accept": "application/json"}, auth_settings=["BearerToken"],
        )
        import urllib3  # with the kubernetes client: only commands that reach a cluster need it

        try:
            response = self.api.call_api(method, url, headers, body, post_params, REQUEST_TIMEOUT)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ClusterError(
                f"cannot reach the Kubernetes API server at {self.host} (context {self.context!r}): "
                f"{_root_cause(exc)}"
            ) from None
        data = response.read()
        if response.status == 404:
            return None
        if response.status >= 300:
            raise ClusterError(self._failure(response.status, data, verb, resource, path))
        try:
            return json.loads(data)
        except ValueError:
            raise ClusterError(f"GET {path}: the API server sent a response that is not JSON") from None

    def _failure(self, status: int, data: bytes, verb: str, resource: Resource | None, path: str) -> str:
        message = _status_message(data)
        what = resource.label if resource else path
        if status == 401:
            return (f"the API server at {self.host} rejected the credentials of context "
                    f"{self.context!r} (401 Unauthorized)")
        if status == 403:
            return (f"permission denied: cannot {verb} {what} (RBAC verb {verb!r} on resource "
                    f"{what!r} is needed): {message}")
        return f"{verb} {what} failed: {status} {message}"


def connect(context: str | None = None, kubeconfig: str | Path | None = None) -> ClusterClient:
    """A client for `context` of `kubeconfig` (default: $KUBECONFIG, then ~/.kube/config)."""
    from kubernetes import config as kube_config
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException

    path = _kubeconfig_path(kubeconfig)
    configuration = Configuration()
    try:
        contexts, active = kube_config.list_kube_config_contexts(config_file=str(path))
        if context is not None and context not in {c.get("name") for c in contexts or []}:
            where = "KUBECONFIG" if kubeconfig is None else f"kubeconfig {path}"
            raise ClusterError(f'context "{context}" does not exist in {where}')
        api = kube_config.new_client_from_config(
            config_file=str(path), context=context, client_configuration=configuration,
            persist_config=False,
        )
    except ConfigException as exc:
        raise ClusterError(f"kubeconfig {path}: {_one_line(str(exc))}") from None
    except (OSError, ValueError) as exc:
        raise ClusterError(f"kubeconfig {path} is unreadable: {_one_line(str(exc))}") from None
    except (yaml.YAMLError, TypeError, AttributeError, KeyError) as exc:
        # The client library indexes whatever the YAML holds: a scalar, a list or a wrongly typed
        # field fails inside it, which is the user's file, not an internal error.
        problem = _one_line(str(exc)) or type(exc).__name__
        raise ClusterError(f"kubeconfig {path} is not a valid kubeconfig: {problem}") from None
    api.configuration.retries = 1  # an unreachable server must fail fast, not after minutes
    return ClusterClient(api, context or (active or {}).get("name", "?"))


def read_cluster(
    context: str | None = None,
    kubeconfig: str | Path | None = None,
    diags: Diagnostics | None = None,
    *,
    require_calico: bool = False,
    client: ClusterClient | None = None,
    page_size: int = PAGE_SIZE,
) -> list[dict[str, Any]]:
    """Every document np2calico reads from the cluster: kinds in a fixed order, each kind's objects in
    the API server's order (by namespace, then name).

    Warnings (the Calico API absent) go to `diags`; with `require_calico` that case is an error.
    """
    client = client or connect(context, kubeconfig)
    documents: list[dict[str, Any]] = []
    for resource in KUBERNETES_RESOURCES:
        documents.extend(client.list(resource, page_size))
    calico = client.calico()
    if calico is None:
        _calico_absent(client, diags, require_calico)
    else:
        for resource in calico[1]:
            documents.extend(d for d in client.list(resource, page_size) if not _is_knp_mirror(d))
    return documents


def _calico_absent(client: ClusterClient, diags: Diagnostics | None, required: bool) -> None:
    message = (f"the Calico API is absent: neither {CALICO_V3} nor {CALICO_CRD} is served by "
               f"{client.host}")
    if required:
        raise ClusterError(f"{message}; install Calico (and its API server for kubectl) first")
    if diags is not None:
        diags.warning(cluster_location(client.context), f"{message}; read Kubernetes objects only")


def cluster_location(context: str) -> Location:
    """Where diagnostics about live objects point: the cluster context."""
    return Location(f"cluster:{context}")


def _kubeconfig_path(kubeconfig: str | Path | None) -> Path:
    if kubeconfig is not None:
        path = Path(kubeconfig).expanduser()
        if not path.is_file():
            raise ClusterError(f"kubeconfig {path} does not exist")
        return path
    # Like kubectl, every existing file of $KUBECONFIG, merged: the client library's loader merges a
    # path list (KubeConfigMerger) the way kubectl does, the first file to define a name winning.
    listed = os.environ.get("KUBECONFIG") or ""
    found = [str(Path(c).expanduser()) for c in listed.split(os.pathsep)
             if c and Path(c).expanduser().is_file()]
    if found:
        return Path(os.pathsep.join(dict.fromkeys(found)))
    default = Path("~/.kube/config").expanduser()
    if default.is_file():
        return default
    where = f"no file of KUBECONFIG={listed} exists" if listed else "KUBECONFIG is not set"
    raise ClusterError(f"no kubeconfig: {where} and ~/.kube/config does not exist; pass --kubeconfig FILE")


def _as_document(item: Mapping[str, Any], resource: Resource) -> dict[str, Any]:
    """An item as `kubectl get -o yaml` prints it: apiVersion and kind set, managedFields hidden."""
    metadata = {k: v for k, v in (item.get("metadata") or {}).items() if k != "managedFields"}
    document = {**item, "apiVersion": resource.api_version, "kind": resource.kind, "metadata": metadata}
    return _trim_pod(document) if resource.kind == "Pod" else document


def _trim_pod(pod: Mapping[str, Any]) -> dict[str, Any]:
    """What policies need of a pod; environment, volumes and images stay in the cluster."""
    spec, status, metadata = pod.get("spec") or {}, pod.get("status") or {}, pod["metadata"]

    def containers(key: str) -> list[dict[str, Any]]:
        return [{k: c[k] for k in ("name", "ports") if k in c} for c in spec.get(key) or []]

    trimmed_spec: dict[str, Any] = {"containers": containers("containers")}
    if spec.get("initContainers"):
        trimmed_spec["initContainers"] = containers("initContainers")
    trimmed_spec.update({k: spec[k] for k in ("hostNetwork", "serviceAccountName", "nodeName") if k in spec})
    return {
        "apiVersion": pod["apiVersion"],
        "kind": "Pod",
        "metadata": {k: metadata[k] for k in ("name", "namespace", "labels", "uid") if k in metadata},
        "spec": trimmed_spec,
        "status": {k: status[k] for k in ("phase", "podIP", "podIPs") if k in status},
    }


def _is_knp_mirror(document: Mapping[str, Any]) -> bool:
    return str((document.get("metadata") or {}).get("name", "")).startswith(KNP_MIRROR_PREFIX)


def _status_message(data: bytes) -> str:
    """The `message` of a Kubernetes Status body, else the body's first line."""
    text = data.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        return _one_line(text) or "(empty response)"
    return _one_line(str(body.get("message") or body)) if isinstance(body, dict) else _one_line(text)


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a urllib3 error chain, e.g. 'Connection refused'."""
    reason: BaseException = exc
    while isinstance(inner := getattr(reason, "reason", None), BaseException):
        reason = inner
    text = str(reason)
    return _one_line(text.split(": ", 1)[-1] if "Errno" in text else text)


def _one_line(text: str) -> str:
    return " ".join(text.split())



def load_from_cluster(
    context: str | None = None,
    kubeconfig: str | Path | None = None,
    load_context: LoadContext = LoadContext(),
    *,
    raise_errors: bool = True,
    client: ClusterClient | None = None,
) -> Loaded:
    """The live cluster as the file loader would give it (`translator.load.load` on a snapshot).

    Each object's diagnostics point at `cluster:<context>/<Kind>/<namespace>/<name>`; the Calico API
    being absent is a warning among the result's diagnostics. With `raise_errors` (the default, like
    `load`), an invalid object is an InputError; `validate` passes False to report and count them.
    """
    diags = Diagnostics()
    documents = cluster_documents(diags, client or connect(context, kubeconfig))
    loaded = parse_documents(documents, load_context)
    loaded = dataclasses.replace(loaded, diagnostics=(*diags.items, *loaded.diagnostics))
    if raise_errors:
        loaded.raise_if_errors()
    return loaded


def cluster_documents(diags: Diagnostics, client: ClusterClient) -> list[Document]:
    """The cluster's objects as documents, each located at `cluster:<context>/<Kind>/<ns>/<name>`."""
    return [
        Document(_document_file(client.context, body), 1, "", body)
        for body in read_cluster(diags=diags, client=client)
    ]


def _document_file(context: str, body: Mapping[str, Any]) -> str:
    metadata = body.get("metadata") or {}
    namespace = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
    return f"cluster:{context}/{body.get('kind')}/{namespace}{metadata.get('name')}"

