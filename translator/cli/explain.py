"""`np2calico explain`: the verdict of one connection, or of a batch, and why."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from typing import Protocol as Interface

import typer

from translator.cli.common import EXIT_NO, EXIT_OK, report, write_output
from translator.cli.options import (
    OUTPUT_FORMAT,
    ClusterState,
    Context,
    Destination,
    FromCluster,
    Kubeconfig,
    Namespace,
    PodCidr,
    Port,
    PreviewStaged,
    Protocol,
    SemanticsChoice,
    Source,
    TieBreakChoice,
    TieBreakOption,
    model_tie_break,
)
from translator.cli.progress import counted, step
from translator.cli.state import (
    NETWORK_SETS_ARE_STATE,
    address_notes,
    emptiness_warnings,
    holds_policies,
    note,
    pod_cidrs,
    read_state,
    refuse_network_sets,
    state_cluster,
    warn,
)
from translator.errors import InputError, Level, Location, UsageError

if TYPE_CHECKING:  # the loader, evaluators and renderers load when the command runs, not at start-up
    from translator.evaluate.verdict import Verdict
    from translator.load import Loaded
    from translator.model.calico import PolicySet
    from translator.model.cluster import Cluster, Connection
    from translator.model.common import IPNetwork

EXAMPLES = """\b
Examples (from the repository root):
  np2calico explain samples/lab/policies --cluster samples/lab/cluster.yaml \\
      --from default/curl --to default/color-api-7b9d7c9c7b-lx8tm --port 80
  np2calico explain samples/lab/policies --cluster samples/lab/cluster.yaml \\
      --from default/curl --to kube-system/coredns-5dd5756b68-7xk2p --port dns --protocol UDP
  np2calico explain samples/lab/policies --cluster samples/lab/cluster.yaml \\
      --connections samples/lab/connections.yaml -o json
  np2calico explain --from-cluster --from default/curl --to 10.244.0.12 --port 80
"""


class OutputFormat(str, Enum):
    TEXT = "text"
    JSON = "json"


class Evaluator(Interface):
    def evaluate(self, conn: Connection) -> Verdict: ...


def _load(paths: Sequence[str], namespace: str) -> Loaded:
    """Load (raising InputError on any invalid object); warnings and notes go to stderr."""
    from translator.load import LoadContext, load

    with step("reading policies"):
        loaded = load(list(paths), context=LoadContext(default_namespace=namespace))
    report(d for d in loaded.diagnostics if d.level is not Level.ERROR)
    return loaded


def _inputs(
    policies: list[str] | None,
    cluster_state: list[str] | None,
    namespace: str,
    live: tuple[bool, str | None, Path | None],
    cidrs: Sequence[IPNetwork],
) -> tuple[Loaded, Cluster]:
    """Policies and cluster state: from files, or from the live cluster (`--from-cluster`).

    Without POLICIES, the policies of the state are judged (a snapshot holds them)."""
    from_cluster, context, kubeconfig = live
    if from_cluster == bool(cluster_state):
        raise UsageError("give exactly one of --cluster STATE and --from-cluster")
    if from_cluster:
        from translator.cluster import load_from_cluster
        from translator.load import LoadContext

        with step("reading the cluster"):
            state = load_from_cluster(context, kubeconfig, LoadContext(default_namespace=namespace))
        report(d for d in state.diagnostics if d.level is not Level.ERROR)
    else:
        state = read_state(cluster_state or [], namespace)
    loaded = _load(policies, namespace) if policies else state
    if policies:
        refuse_network_sets(loaded.network_sets, NETWORK_SETS_ARE_STATE)
    if not policies and not from_cluster and not holds_policies(state.policies):
        raise UsageError("missing POLICIES (files or folders, or - for stdin): the cluster state holds none")
    cluster = state_cluster(state, cidrs)
    warn(emptiness_warnings(cluster, loaded.policies))
    note(address_notes(state, cidrs, loaded.policies))
    return loaded, cluster


def _read_batch(path: str, cluster: Cluster) -> list[Connection]:
    """The connections of a batch file (YAML or JSON, one document holding a list); `-` is stdin.

    Read through the loader's reader, so the same size, alias-bomb and depth limits apply.
    """
    from translator.evaluate.connections import parse_connections
    from translator.load import read_documents

    documents = read_documents([path])
    if len(documents) > 1:
        raise InputError.at(documents[1].location, "a connections batch is one document (a list)")
    if not documents:
        return []
    return parse_connections(documents[0].body, cluster, documents[0].location)


def _connections(
    cluster: Cluster, source: str, destination: str, port: str | None, protocol: str
) -> list[Connection]:
    """The connection of --from/--to/--port: one, or one per endpoint of a Service (`svc/…`)."""
    from translator.evaluate.connections import make_connection, parse_port, parse_protocol, resolve_endpoint
    from translator.evaluate.services import is_service_ref, service_connections

    src = resolve_endpoint(source, cluster, Location("--from"))
    proto = parse_protocol(protocol, Location("--protocol"))
    number = parse_port(port, Location("--port")) if port is not None else None
    if is_service_ref(destination):
        return service_connections(src.endpoint, src.address, destination, number, proto, cluster,
                                   (Location("--to"), Location("--port")))
    dst = resolve_endpoint(destination, cluster, Location("--to"))
    assert number is not None  # _check_mode: --port is required unless --to is a Service
    return [make_connection(src, dst, number, proto, Location("--port"))]


def _pick_semantics(requested: SemanticsChoice | None, policies: PolicySet) -> SemanticsChoice:
    if requested is not None:
        return requested
    return SemanticsChoice.K8S if policies.is_k8s_only else SemanticsChoice.CALICO


def _evaluator(semantics: SemanticsChoice, policies: PolicySet, cluster: Cluster,
               tie_break: TieBreakChoice | None, staged: bool) -> Evaluator:
    if semantics is SemanticsChoice.K8S:
        if tie_break is not None or staged:
            raise UsageError("--tie-break and --preview-staged apply only to --semantics calico")
        if not policies.is_k8s_only:
            print(
                "np2calico: warning: Kubernetes semantics ignore the Calico policies of the input",
                file=sys.stderr,
            )
        from translator.evaluate.k8s import K8sEvaluator

        return K8sEvaluator(policies.k8s_policies, cluster)
    from translator.evaluate.calico import CalicoEvaluator  # lazily: only Calico semantics need it

    return CalicoEvaluator(policies, cluster, tie_break=model_tie_break(tie_break), preview_staged=staged)


def _check_mode(connections: str | None, single: dict[str, str | None]) -> None:
    """Either a batch, or one connection given by --from, --to, --port (and maybe --protocol)."""
    from translator.evaluate.services import is_service_ref

    given = [name for name, value in single.items() if value is not None]
    if connections is not None and given:
        raise UsageError(f"give either --connections or --from/--to/--port, not both ({', '.join(given)})")
    required = ("--from", "--to") if is_service_ref(single["--to"]) else ("--from", "--to", "--port")
    missing = [name for name in required if single[name] is None]
    if connections is None and missing:
        raise UsageError(f"missing {', '.join(missing)} (or give a batch with --connections FILE)")


def explain(
    policies: Annotated[
        list[str] | None,
        typer.Argument(metavar="FILE", show_default=False,
                       help="Policy files or folders; '-' is stdin (default: the policies the cluster "
                       "state holds)."),
    ] = None,
    cluster_state: ClusterState = None,
    pod_cidr: PodCidr = None,
    source: Source = None,
    destination: Destination = None,
    port: Port = None,
    protocol: Protocol = None,
    source_port: Annotated[
        int | None,
        typer.Option("--source-port", min=1, max=65535, show_default=False,
                     help="The client's source port (default: any; only Calico rules with source "
                     "ports need it)."),
    ] = None,
    connections: Annotated[
        str | None,
        typer.Option("--connections", metavar="FILE",
                     help="A YAML or JSON list of {from, to, port, protocol}; '-' is stdin."),
    ] = None,
    output: Annotated[OutputFormat, OUTPUT_FORMAT] = OutputFormat.TEXT,
    exit_code: Annotated[
        bool,
        typer.Option("--exit-code", help="Exit 1 when any connection is denied (like git diff --exit-code)."),
    ] = False,
    semantics: Annotated[
        SemanticsChoice | None,
        typer.Option("--semantics", help="Default: k8s when the input holds only Kubernetes policies, else "
                     "calico."),
    ] = None,
    tie_break: TieBreakOption = None,
    preview_staged: PreviewStaged = False,
    namespace: Namespace = "default",
    from_cluster: FromCluster = False,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Print whether a connection is allowed, per direction, and which policy and rule decided.

    Egress is judged at the source, ingress at the destination; both must allow. Exit 0 with the
    verdicts printed (with --exit-code: 1 when any connection is denied); 2 when the input is invalid.
    """
    single = {"--from": source, "--to": destination, "--port": port, "--protocol": protocol,
              "--source-port": None if source_port is None else str(source_port)}
    _check_mode(connections, single)
    if connections == "-" and "-" in (policies or []):
        raise UsageError("only one of POLICIES and --connections can read stdin")
    loaded, cluster = _inputs(policies, cluster_state, namespace, (from_cluster, context, kubeconfig),
                              pod_cidrs(pod_cidr))
    if connections is not None:
        batch = _read_batch(connections, cluster)
    else:
        assert source is not None and destination is not None  # _check_mode
        batch = [replace(one, source_port=source_port)
                 for one in _connections(cluster, source, destination, port, protocol or "TCP")]
    chosen = _pick_semantics(semantics, loaded.policies)
    evaluator = _evaluator(chosen, loaded.policies, cluster, tie_break, preview_staged)
    verdicts = [evaluator.evaluate(conn) for conn in counted(batch, "evaluating connections")]
    from translator.render.verdicts import RENDERERS

    with step(f"rendering {output.value}"):
        text = RENDERERS[output.value](verdicts)
    write_output(text, None)
    denied = not all(v.allowed for v in verdicts)
    raise typer.Exit(EXIT_NO if exit_code and denied else EXIT_OK)
