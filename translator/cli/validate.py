"""`np2calico validate`: check Kubernetes (and Calico) policy files and cluster state files."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from translator.cli.common import EXIT_NO, EXIT_OK, report, write_output
from translator.cli.options import (
    OUTPUT_FORMAT,
    Context,
    Files,
    FromCluster,
    Kubeconfig,
    Namespace,
    OutputFile,
    Strict,
)
from translator.cli.progress import step
from translator.errors import Diagnostic, Diagnostics, Level, Location, UsageError

if TYPE_CHECKING:  # loaded when the command runs, not at start-up
    from translator.load import Document, Loaded
    from translator.render.validation import ValidationResult

EXAMPLES = """\b
Examples (from the repository root):
  np2calico validate samples/lab/policies samples/lab/cluster.yaml
  kubectl get networkpolicies -A -o yaml | np2calico validate -
  np2calico validate --from-cluster --context kind-lab
\b
Output: every problem on stderr as FILE:DOC:FIELD.PATH: level: message, e.g.
  policies/a.yaml:2:spec.ingress[0].ports[1].endPort: error: 79 must be greater than or equal to `port` (80)
and a summary on stdout ("6 documents valid"); -o json or -o junit for CI, with counts of checked,
skipped and invalid documents.
\b
Exit status: 0 all valid, 1 some document invalid (or any diagnostic under --strict),
2 unreadable input (missing file, YAML syntax error, alias bomb, file too large).
"""


class OutputFormat(str, Enum):
    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"


def validate(
    paths: Files = None,
    namespace: Namespace = "default",
    strict: Strict = False,
    output: Annotated[OutputFormat, OUTPUT_FORMAT] = OutputFormat.TEXT,
    output_file: OutputFile = None,
    from_cluster: FromCluster = False,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Check every document against the Kubernetes API rules and report all problems found.

    NetworkPolicy, Namespace, Pod and the Calico kinds are checked; other kinds are listed and
    skipped. Nothing is converted. With -o json or junit the problems are in the output too.
    """
    from translator.load import LoadContext, parse_documents, read_documents
    from translator.render.validation import RENDERERS

    if bool(paths) == from_cluster:
        raise UsageError("give FILE... or --from-cluster (exactly one of them)")
    load_context = LoadContext(default_namespace=namespace)
    if from_cluster:
        from translator.cluster import cluster_documents, connect

        diags = Diagnostics()
        with step("reading the cluster"):
            documents = cluster_documents(diags, connect(context, kubeconfig))
    else:
        with step("reading documents"):
            diags, documents = Diagnostics(), read_documents(paths or [])
    with step("validating documents"):
        parsed = parse_documents(documents, load_context)
    loaded = dataclasses.replace(parsed, diagnostics=(*diags.items, *parsed.diagnostics))
    report(loaded.diagnostics)
    result = _result(documents, loaded, strict)
    if output is OutputFormat.TEXT:
        write_output(summary(loaded) + "\n", output_file)
    else:
        write_output(RENDERERS[output.value](result), output_file)
    raise typer.Exit(EXIT_OK if result.passed else EXIT_NO)


def _result(documents: Sequence[Document], loaded: Loaded, strict: bool) -> ValidationResult:
    """Each document with the diagnostics found in it (matched by location)."""
    from translator.render.validation import DocumentResult, ValidationResult

    found: dict[tuple[str, int | None, str], list[Diagnostic]] = {}
    starts = {(d.location.file, d.location.document, d.location.path) for d in documents}
    for diagnostic in loaded.diagnostics:
        key = _owner(diagnostic.location, starts)
        if key is not None:
            found.setdefault(key, []).append(diagnostic)
    results = []
    for document in documents:
        where = document.location
        own = tuple(found.get((where.file, where.document, where.path), ()))
        skipped = any(d.level is Level.INFO and d.message.startswith("skipped ") and d.location == where
                      for d in own)
        results.append(DocumentResult(where, own, skipped))
    return ValidationResult(tuple(results), loaded.diagnostics, strict)


def _owner(where: Location, starts: set[tuple[str, int | None, str]]) -> tuple[str, int | None, str] | None:
    """The document a diagnostic is in: the longest document path (a List item) that prefixes it."""
    path = where.path
    while True:
        if (where.file, where.document, path) in starts:
            return where.file, where.document, path
        if not path:
            return None
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""


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
