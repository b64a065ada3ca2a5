"""`np2calico validate`: check Kubernetes (and Calico) policy files and cluster state files."""

from __future__ import annotations

from pathlib import Path

import typer

from translator.cli import app
from translator.cli.common import EXIT_NO, EXIT_OK, handle_errors, report
from translator.cluster import CONTEXT_OPTION, FROM_CLUSTER_OPTION, KUBECONFIG_OPTION, load_from_cluster
from translator.errors import Level, UsageError
from translator.load import LoadContext, Loaded, parse_documents, read_documents

EXAMPLES = """\b
Examples (from the repository root):
  np2calico validate samples/lab/policies samples/lab/cluster.yaml
  kubectl get networkpolicies -A -o yaml | np2calico validate -
  np2calico validate --from-cluster --context kind-lab
\b
Output: every problem on stderr as FILE:DOC:FIELD.PATH: level: message, e.g.
  policies/a.yaml:2:spec.ingress[0].ports[1].endPort: error: 79 must be greater than or equal to `port` (80)
and a summary on stdout ("6 documents valid").
\b
Exit status: 0 all valid, 1 some document invalid (or any warning under --strict),
2 unreadable input (missing file, YAML syntax error, alias bomb, file too large).
"""


@app.command(epilog=EXAMPLES)
@handle_errors
def validate(
    paths: list[str] | None = typer.Argument(
        None, help="Files or folders (recursive *.yaml, *.yml, *.json); '-' is stdin."
    ),
    namespace: str = typer.Option(
        "default", "--namespace", "-n", help="Namespace of objects whose file names none."
    ),
    strict: bool = typer.Option(False, help="Count warnings as errors (exit 1)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print errors and warnings only, no info."),
    from_cluster: bool = FROM_CLUSTER_OPTION,
    context: str | None = CONTEXT_OPTION,
    kubeconfig: Path | None = KUBECONFIG_OPTION,
) -> None:
    """Check every document against the Kubernetes API rules and report all problems found.

    NetworkPolicy, Namespace, Pod and the Calico kinds are checked; other kinds are listed and
    skipped. Nothing is converted or written.
    """
    if bool(paths) == from_cluster:
        raise UsageError("give PATHS or --from-cluster (exactly one of them)")
    load_context = LoadContext(default_namespace=namespace)
    if from_cluster:
        loaded = load_from_cluster(context, kubeconfig, load_context, raise_errors=False)
    else:
        loaded = parse_documents(read_documents(paths or []), load_context)
    shown = [d for d in loaded.diagnostics if not (quiet and d.level is Level.INFO)]
    report(shown)
    typer.echo(summary(loaded))
    failed = loaded.errors or (strict and any(d.level is Level.WARNING for d in loaded.diagnostics))
    raise typer.Exit(EXIT_NO if failed else EXIT_OK)


def summary(loaded: Loaded) -> str:
    """One line for stdout: how many documents were read and how many were invalid."""
    total, invalid = loaded.document_count, loaded.invalid_document_count
    noun = "document" if total == 1 else "documents"
    if total == 0:
        return "no documents found"
    warnings = sum(d.level is Level.WARNING for d in loaded.diagnostics)
    suffix = f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
    if invalid == 0:
        return f"{total} {noun} valid{suffix}"
    errors = len(loaded.errors)
    return f"{invalid} of {total} {noun} invalid ({errors} error{'s' if errors != 1 else ''}{suffix})"
