"""`np2calico verify A B`: are two policy sets equivalent for every possible pod? (z3 proof)"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from translator.cli.common import EXIT_NO, EXIT_OK, report, write_output
from translator.cli.options import (
    OUTPUT_FORMAT,
    ClusterState,
    Namespace,
    OutputFile,
    PodCidr,
    TieBreakChoice,
    TieBreakOption,
    model_tie_break,
)
from translator.cli.progress import step
from translator.cli.state import NETWORK_SETS_ARE_STATE, pod_cidrs, refuse_network_sets
from translator.errors import Level, UsageError

if TYPE_CHECKING:
    from translator.model.cluster import HostEndpoint

EXAMPLES = """\b
Examples (from the repository root):
  np2calico convert samples/lab/policies --output-file calico.yaml
  np2calico verify samples/lab/policies calico.yaml
  # Two Calico policy sets, a witness saved for explain, JSON for tools:
  np2calico verify before/ after/ --witness witness.yaml -o json
Exit status: 0 equivalent for every possible pod, 1 not (a witness is printed), 2 error.
"""


class OutputFormat(str, Enum):
    TEXT = "text"
    JSON = "json"


def verify(
    paths: Annotated[
        list[str] | None,
        typer.Argument(metavar="FILE", show_default=False,
                       help="A B: two policy sets (files, folders or '-')."),
    ] = None,
    witness: Annotated[
        Path | None,
        typer.Option("--witness", metavar="FILE",
                     help="Also write the witness cluster state (Namespaces, Pods) here, for explain."),
    ] = None,
    no_pcns_labels: Annotated[
        bool,
        typer.Option("--no-pcns-labels",
                     help="Only pods that carry no pcns.* label of their own (which would override the "
                     "labels they inherit from their namespace): then Calico enforces a Kubernetes "
                     "namespaceSelector as Kubernetes means it."),
    ] = False,
    kubernetes_names: Annotated[
        bool,
        typer.Option("--kubernetes-names",
                     help="Read A (Kubernetes policies only) with its namespaceSelectors' "
                     "kubernetes.io/metadata.name terms naming the pod's real namespace, as Kubernetes "
                     "means them: what `convert --verify` proves a conversion equivalent to."),
    ] = False,
    cluster: ClusterState = None,
    tie_break: TieBreakOption = None,
    pod_cidr: PodCidr = None,
    output: Annotated[OutputFormat, OUTPUT_FORMAT] = OutputFormat.TEXT,
    output_file: OutputFile = None,
    namespace: Namespace = "default",
) -> None:
    """Prove that A and B give every possible connection the same verdict, or show one that differs.

    A and B hold Kubernetes and/or Calico policies, each evaluated as a cluster running Calico
    enforces it. "Every possible connection": pods in any namespace with any labels, addresses and
    named ports, addresses outside the cluster, every protocol and port. The proof is made by the
    z3 SMT solver; a witness is a cluster state plus one connection that `explain` replays.
    Network sets are cluster state: those of `--cluster` are taken as given, the same on both
    sides (their namespaces' labels stay any); without them there are none. Verify uses only the
    network sets of `--cluster`: it covers every possible pod and namespace.
    """
    from translator.render.verify import RENDERERS, Invocation, witness_yaml
    from translator.verify import Question
    from translator.verify import verify as run_verify

    if not paths or len(paths) != 2:
        raise UsageError("verify takes two policy sets: A B")
    if paths[0] == "-" and paths[1] == "-":
        raise UsageError("only one of A and B can be '-'")
    (a, hosts_a), (b, hosts_b) = (_load(p, namespace) for p in paths)
    network_sets, hosts_state = _cluster_state(cluster, namespace) if cluster else ((), ())
    if kubernetes_names:
        from translator.verify.intent import namespace_names_as_kubernetes_means

        a = namespace_names_as_kubernetes_means(a)
    hosts = _host_endpoints(hosts_state, hosts_a, hosts_b)
    with step("proving (z3)"):
        result = run_verify(a, b, tie_break=model_tie_break(tie_break),
                            question=Question(honest_pods=no_pcns_labels), network_sets=network_sets,
                            pod_cidrs=pod_cidrs(pod_cidr), host_endpoints=hosts)
    if result.witness is not None and witness is not None:
        write_output(witness_yaml(result.witness), witness)
    extra = ["--namespace", namespace] if namespace != "default" else []
    extra += ["--tie-break", tie_break.value] if tie_break not in (None, TieBreakChoice.V3_32) else []
    how = Invocation([paths[0]], [paths[1]], str(witness) if witness else None, extra, no_pcns_labels,
                     kubernetes_names)
    write_output(RENDERERS[output.value](result, how), output_file)
    raise typer.Exit(EXIT_OK if result.equivalent else EXIT_NO)


def _host_endpoints(*found_in: Sequence[HostEndpoint]) -> list[HostEndpoint]:
    """The host endpoints of --cluster, A and B (one cluster: a name defined differently is an error)."""
    found: dict[str, HostEndpoint] = {}
    for host in (h for hosts in found_in for h in hosts):
        known = found.setdefault(host.name, host)
        if known != host or known.labels != host.labels:
            raise UsageError(f"HostEndpoint {host.name} is defined differently in A, B or --cluster: "
                             "verify judges both policy sets on one cluster")
    return [found[name] for name in sorted(found)]


def _load(path: str, namespace: str) -> tuple[Any, tuple[HostEndpoint, ...]]:
    from translator.load import load
    from translator.load.registry import LoadContext

    with step(f"reading {'stdin' if path == '-' else path}"):
        loaded = load([path], context=LoadContext(default_namespace=namespace))
    loaded.raise_if_errors()
    report(d for d in loaded.diagnostics if d.level is not Level.ERROR)
    refuse_network_sets(loaded.network_sets, NETWORK_SETS_ARE_STATE)
    return loaded.policies, tuple(loaded.host_endpoints)


def _cluster_state(paths: list[str], namespace: str) -> tuple[Any, tuple[HostEndpoint, ...]]:
    """The network sets and host endpoints of the `--cluster` state; the rest of it is not used
    (said on stderr)."""
    from translator.cli.state import holds_policies, note, read_state

    loaded = read_state(paths, namespace)
    loaded.raise_if_errors()
    if holds_policies(loaded.policies):
        raise UsageError("--cluster: verify compares the policies of A and B; give policies there, "
                         "not in the cluster state")
    kinds = (("pod(s)", loaded.pods), ("workload(s)", loaded.workloads), ("namespace(s)", loaded.namespaces))
    unused = [f"{len(found)} {kind}" for kind, found in kinds if found]
    if unused:
        note([f"verify uses only the network sets and host endpoints of --cluster; {', '.join(unused)} "
              "not used (verify covers every possible pod and namespace)"])
    return loaded.network_sets, tuple(loaded.host_endpoints)
