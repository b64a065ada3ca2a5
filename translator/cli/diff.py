"""`np2calico diff`: what changes between two policy sets (or two sets of manifests)."""

from __future__ import annotations

import dataclasses
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from translator.cli.common import EXIT_NO, EXIT_OK, report, write_output
from translator.cli.console import dropped, note, recording, use_color
from translator.cli.options import (
    OUTPUT_FORMAT,
    AllowApiserver,
    ClusterState,
    Context,
    DefaultDeny,
    DefaultDenyChoice,
    DnsIp,
    DnsNamespace,
    DnsSelector,
    ExcludeNamespace,
    FromCluster,
    IncludeNamespace,
    Kubeconfig,
    Namespace,
    OutputFile,
    PodCidr,
    PreviewStaged,
    Staged,
    Target,
    TargetChoice,
    TieBreakOption,
    Tier,
    default_deny_options,
    model_tie_break,
)
from translator.cli.progress import step
from translator.cli.state import (
    NETWORK_SETS_ARE_STATE,
    address_notes,
    emptiness_warnings,
    host_network_summary,
    pod_cidrs,
    refuse_network_sets,
    state_cluster,
    warn,
)
from translator.errors import Level, UsageError
from translator.model.cluster_dns import DEFAULT_DNS_NAMESPACE, DEFAULT_DNS_SELECTOR

EXAMPLES = """\b
Examples (from the repository root):
  # What would migrating the lab to a global default deny change?
  np2calico diff samples/lab/policies --cluster samples/lab/cluster.yaml \\
      --migrate --default-deny global
  # Two sets of manifests (Kubernetes and/or Calico), as a pull-request comment:
  np2calico diff samples/lab/steps/08-allow-curl-egress samples/lab/steps/09-allow-dns \\
      --cluster samples/lab/cluster.yaml -o markdown
  # For pods that do not exist yet, described by labels:
  np2calico diff samples/lab/policies --migrate --default-deny global --symbolic
  # Many namespaces without policies: changes alike in each of them reported once:
  np2calico diff samples/lab/policies --cluster samples/lab/cluster.yaml \\
      --migrate --default-deny global --group-namespaces
  # The migration as an HTML report (open it in a browser, attach it to a pull request):
  np2calico diff samples/lab/policies --cluster samples/lab/cluster.yaml \\
      --migrate --default-deny global -o html --output-file report.html
  # Object by object, like kubectl diff:
  np2calico convert samples/lab/policies > proposed.yaml
  np2calico diff --resources proposed.yaml --against existing.yaml
  # On the live cluster: its policies and pods, against their migration:
  np2calico diff --from-cluster --migrate --default-deny global
Exit status: 0 no change, 1 changes, 2 error.
"""


class OutputFormat(str, Enum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


def diff(
    paths: Annotated[
        list[str] | None,
        typer.Argument(metavar="FILE", show_default=False,
                       help="BEFORE AFTER (files, folders or '-'), or the policies with --migrate."),
    ] = None,
    cluster: ClusterState = None,
    pod_cidr: PodCidr = None,
    symbolic: Annotated[
        bool, typer.Option("--symbolic", help="Also report every change for every possible pod, "
                           "described by labels (exact, z3).")
    ] = False,
    migrate: Annotated[
        bool, typer.Option("--migrate", help="Compare the policies with their conversion.")
    ] = False,
    group_namespaces: Annotated[
        bool, typer.Option("--group-namespaces",
                           help="Report changes alike in every namespace once: one change may then "
                                "list pods of several namespaces (exact, far shorter when many "
                                "namespaces have no policies).")
    ] = False,
    target: Target = TargetChoice.NAMESPACED,
    tier: Tier = None,
    staged: Staged = False,
    default_deny: DefaultDeny = None,
    exclude_namespace: ExcludeNamespace = None,
    include_namespace: IncludeNamespace = None,
    dns_selector: DnsSelector = DEFAULT_DNS_SELECTOR,
    dns_namespace: DnsNamespace = DEFAULT_DNS_NAMESPACE,
    dns_ip: DnsIp = None,
    allow_apiserver: AllowApiserver = None,
    resources: Annotated[
        str | None,
        typer.Option("--resources", metavar="FILE",
                     help="Proposed manifests, compared object by object (needs --against)."),
    ] = None,
    against: Annotated[
        str | None,
        typer.Option("--against", metavar="FILE", help="With --resources: the existing manifests."),
    ] = None,
    tie_break: TieBreakOption = None,
    preview_staged: PreviewStaged = False,
    output: Annotated[OutputFormat, OUTPUT_FORMAT] = OutputFormat.TEXT,
    output_file: OutputFile = None,
    namespace: Namespace = "default",
    from_cluster: FromCluster = False,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Report every connection whose verdict changes, with the deciding policy and rule on both sides.

    BEFORE and AFTER each hold Kubernetes policies, Calico policies or both, evaluated as a cluster
    running Calico enforces them. Changes are grouped by namespace pair and direction, with port
    ranges and CIDRs. Text is coloured on a terminal only.
    """
    from translator.render.diff import render_resource_diff

    color = output is OutputFormat.TEXT and output_file is None and use_color()
    if resources is not None or against is not None:
        if output is OutputFormat.HTML:
            raise UsageError("-o html shows connections (a semantic diff); --resources prints "
                             "text, json or markdown")
        if group_namespaces:
            raise UsageError("--group-namespaces groups connections (a semantic diff); --resources "
                             "compares objects")
        result = _resource_diff(paths or [], resources, against)
        write_output(render_resource_diff(result, output.value, color), output_file)
        raise typer.Exit(EXIT_NO if result.has_changes else EXIT_OK)
    migration = _migration_options(migrate, target, tier, staged, default_deny,
                                   (exclude_namespace, include_namespace),
                                   (dns_selector, dns_namespace, dns_ip), allow_apiserver)
    with recording() as said:  # what stderr says is also part of the json and html outputs
        live = _live(from_cluster, cluster, (context, kubeconfig), namespace)
        loaded = live or (_state(cluster, namespace) if cluster else None)
        before, after = _sides(paths or [], migration, namespace, _state_policies(loaded, live is not None))
        cidrs = pod_cidrs(pod_cidr)
        state = state_cluster(loaded, cidrs) if loaded is not None else None
        if group_namespaces and state is None:
            raise UsageError("--group-namespaces groups the changes of a cluster's pods: give "
                             "--cluster STATE or --from-cluster")
        if state is not None:
            warn(emptiness_warnings(state, before.merged(after)))
    from translator.diff import diff_policies

    with step("comparing verdicts") as tick:
        semantic = diff_policies(before, after, state, tie_break=model_tie_break(tie_break),
                                 preview_staged=preview_staged, symbolic=symbolic, tick=tick,
                                 group_namespaces=group_namespaces)
        if loaded is not None and state is not None:
            from translator.diff.labels import with_judged, with_services

            judged = (*host_network_summary(state), *address_notes(loaded, cidrs, before, after))
            semantic = dataclasses.replace(semantic, notes=(*semantic.notes, *judged))
            semantic = with_services(with_judged(semantic, state, before, after), state)
        if not group_namespaces:
            _suggest_grouping(semantic.changes)
    report_context = _report_context(
        _comparison(paths or [], migration, from_cluster), _cluster_source(cluster, from_cluster, context),
        state, symbolic or state is None, said)
    from translator.diff.report import DiffReport
    from translator.render.report import render_diff_report

    with step(f"rendering {output.value}"):
        text = render_diff_report(DiffReport(semantic, report_context), output.value, color)
    write_output(text, output_file)
    raise typer.Exit(EXIT_OK if semantic.is_empty else EXIT_NO)


# From this many changes on, and when they join at least as many pairs of namespaces, stderr
# points at --group-namespaces (a global default deny over namespaces without policies changes
# every pair of them: 20,000 pods in 200 such namespaces give 122,400 changes, 267 MB of JSON).
MANY_CHANGES = 10_000
MANY_PAIRS = 1_000


def _suggest_grouping(changes: Any) -> None:
    if len(changes) < MANY_CHANGES:
        return
    pairs = {(c.source.group, c.destination.group) for c in changes}
    if len(pairs) >= MANY_PAIRS:
        note(f"np2calico: note: {len(changes)} changes between {len(pairs)} pairs of namespaces "
             "(or the outside); --group-namespaces reports the changes alike in every namespace once")


def _report_context(comparison: Any, cluster: str | None, state: Any, symbolic: bool, said: Any) -> Any:
    """What the json and html outputs say around the changes."""
    from translator.diff.report import DiffContext

    return DiffContext(comparison=comparison, cluster=cluster,
                       namespaces=tuple(state.namespaces) if state is not None else (),
                       warnings=tuple(said.warnings), dropped=tuple(said.dropped), symbolic=symbolic)


def _cluster_source(cluster: list[str] | None, from_cluster: bool, context: str | None) -> str | None:
    if from_cluster:
        return f"the live cluster (context {context})" if context else "the live cluster (current context)"
    return ", ".join("stdin" if c == "-" else c for c in cluster or []) or None


def _comparison(paths: list[str], migration: Any, from_cluster: bool) -> Any:
    """What was compared, in the words of the command line."""
    from translator.diff.report import Comparison

    def named(path: str) -> str:
        return "stdin" if path == "-" else path

    if migration is not None:
        before = named(paths[0]) if paths else "the cluster's policies"
        return Comparison("migrate", before, "their conversion", _conversion_flags(migration))
    before = named(paths[0]) if len(paths) == 2 else "the cluster's policies"
    return Comparison("policies", before, named(paths[-1]) if paths else "")


def _conversion_flags(options: Any) -> tuple[str, ...]:
    """ConvertOptions as the flags that ask for them (what a reader of the report needs to redo it)."""
    flags = [f"--target {options.target.value}"]
    flags += [f"--tier {options.tier}"] if options.tier else []
    flags += ["--staged"] if options.staged else []
    deny = options.default_deny
    if deny is None:
        return tuple(flags)
    flags.append("--default-deny global")
    flags += [f"--dns-selector \"{deny.dns_selector}\"", f"--dns-namespace {deny.dns_namespace}"]
    flags += [f"--dns-ip {ip}" for ip in deny.dns_ips]
    flags += [a.flag for a in deny.allow_apiserver]
    flags += [f"--include-namespace {n}" for n in deny.included_system_namespaces]
    flags.append(f"excluded from the default deny: {' '.join(deny.exclude_namespaces)}")
    return tuple(flags)


def _resource_diff(paths: list[str], proposed: str | None, existing: str | None) -> Any:
    from translator.load.documents import read_documents
    from translator.resource_diff import diff_resources

    if existing is None:
        raise UsageError("--resources needs --against EXISTING (the manifests to compare with)")
    if proposed is None:
        raise UsageError("--against needs --resources PROPOSED (the manifests to compare)")
    if paths:
        raise UsageError("--resources PROPOSED --against EXISTING takes no other paths")
    if proposed == "-" and existing == "-":
        raise UsageError("only one of --resources and --against can be '-'")
    wanted, present = _objects(read_documents([proposed])), _objects(read_documents([existing]))
    return diff_resources(wanted, present)


def _objects(documents: list[Any]) -> list[dict[str, Any]]:
    """The bodies of `documents`, each checked to be an object with apiVersion, kind and a name:
    anything else would be compared under an empty key (or crash), not reported."""
    from translator.errors import Diagnostics

    diags = Diagnostics()
    for document in documents:
        body, loc = document.body, document.location
        if not isinstance(body, dict):
            diags.error(loc, "not a Kubernetes object: expected a mapping")
            continue
        if not all(isinstance(body.get(f), str) and body.get(f) for f in ("apiVersion", "kind")):
            diags.error(loc, "not a Kubernetes object: `apiVersion` and `kind` are required")
            continue
        metadata = body.get("metadata")
        if not isinstance(metadata, dict):
            diags.error(loc.child("metadata"), "must be an object with a name")
            continue
        if not isinstance(metadata.get("name"), str) or not metadata.get("name"):
            diags.error(loc.child("metadata").child("name"), "required value")
        if not isinstance(metadata.get("namespace", ""), str):
            diags.error(loc.child("metadata").child("namespace"), "must be a string")
    diags.raise_if_errors()
    return [d.body for d in documents]


def _load(path: str, namespace: str) -> Any:
    from translator.load import load
    from translator.load.registry import LoadContext

    with step(f"reading {'stdin' if path == '-' else path}"):
        loaded = load([path], context=LoadContext(default_namespace=namespace))
    loaded.raise_if_errors()
    report(d for d in loaded.diagnostics if d.level is not Level.ERROR)
    refuse_network_sets(loaded.network_sets, NETWORK_SETS_ARE_STATE)
    return loaded


def _state(paths: list[str], namespace: str) -> Any:
    from translator.cli.state import read_state

    return read_state(paths, namespace)


def _state_policies(loaded: Any, live: bool) -> Any:
    """The policies the state holds (a snapshot's, or the live cluster's): they stand for POLICIES
    (--migrate) or BEFORE when not given. None for a state from files that holds none."""
    from translator.cli.state import holds_policies

    if loaded is None or not (live or holds_policies(loaded.policies)):
        return None
    return loaded.policies


def _live(from_cluster: bool, cluster: list[str] | None, where: tuple[str | None, Path | None],
          namespace: str) -> Any:
    """The live cluster's policies and state with --from-cluster (which replaces --cluster)."""
    if not from_cluster:
        return None
    if cluster:
        raise UsageError("give at most one of --cluster STATE and --from-cluster")
    from translator.cluster import load_from_cluster
    from translator.load.registry import LoadContext

    with step("reading the cluster"):
        live = load_from_cluster(*where, LoadContext(default_namespace=namespace))
    report(d for d in live.diagnostics if d.level is not Level.ERROR)
    return live


def _sides(paths: list[str], migration: Any, namespace: str, live_policies: Any = None) -> tuple[Any, Any]:
    """The two policy sets: BEFORE and AFTER, or POLICIES and their conversion.

    With --from-cluster the cluster's policies stand in for POLICIES (--migrate) or for BEFORE.
    """
    if live_policies is not None and migration is not None and not paths:
        return _converted(live_policies, migration)
    if live_policies is not None and migration is None and len(paths) == 1:
        return live_policies, _load(paths[0], namespace).policies
    if migration is not None:
        if len(paths) != 1:
            raise UsageError("--migrate takes exactly one path: the Kubernetes policies")
        return _converted(_load(paths[0], namespace).policies, migration)
    if len(paths) != 2:
        raise UsageError("diff takes BEFORE and AFTER (or one path with --migrate)")
    if paths[0] == "-" and paths[1] == "-":
        raise UsageError("only one of BEFORE and AFTER can be '-'")
    return _load(paths[0], namespace).policies, _load(paths[1], namespace).policies


def _converted(policies: Any, options: Any) -> tuple[Any, Any]:
    """BEFORE: everything the input holds (what the cluster enforces today); AFTER: its Calico
    policies as they are, plus the conversion of its Kubernetes policies (which it replaces)."""
    from translator.convert import convert
    from translator.convert.existing import after_migration, describe_kept

    with step("converting"):
        result = convert(policies.k8s_policies, options)
    report(result.diagnostics.items)
    dropped(result.dropped)
    result.diagnostics.raise_if_errors()
    kept = describe_kept(policies)
    if kept:
        note(f"np2calico: note: {len(kept)} Calico objects of the input are kept on both sides: "
             + ", ".join(kept))
    if options.staged:
        # Staged policies replace nothing: they are applied next to the originals, for a preview.
        return policies, policies.merged(result.policy_set)
    return policies, after_migration(policies, result.policy_set)


def _migration_options(migrate: bool, target: TargetChoice, tier: str | None, staged: bool,
                       default_deny: DefaultDenyChoice | None,
                       scope: tuple[list[str] | None, list[str] | None],
                       dns: tuple[str, str, list[str] | None], apiservers: list[str] | None) -> Any:
    """The ConvertOptions of --migrate; None without it (conversion options are then an error)."""
    from translator.convert.options import ConvertOptions, Target

    exclude, include = scope
    dns_ips = dns[2]
    asked = (tier or staged or default_deny or exclude or include or dns_ips or apiservers
             or target is not TargetChoice.NAMESPACED)
    if not migrate:
        if asked:
            raise UsageError("conversion options (--target, --tier, --default-deny, …) need --migrate")
        return None
    deny = default_deny_options(default_deny, scope, dns, apiservers)
    return ConvertOptions(target=Target(target.value), tier=tier, staged=staged, default_deny=deny)
