"""Commands that touch a live cluster: `snapshot`, `apply`, `promote`, `rollback`.

Exit codes: 0 done (or nothing to change, or a dry run); 1 the confirmation was declined (nothing
changed); 2 an error — bad input, the cluster unreadable, no confirmation possible (no terminal and
no --yes), or a step that failed (then the message says what was and was not applied, and the
rollback bundle written before the first change undoes it).
"""

from __future__ import annotations

import datetime
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from translator.cli.common import EXIT_ERROR, EXIT_NO, EXIT_OK, die, report, write_output
from translator.cli.console import note, warning
from translator.cli.options import (
    OUTPUT_FORMAT,
    BundleOut,
    Context,
    DryRun,
    Kubeconfig,
    OutputFile,
    Staged,
    Tool,
    With,
    Yes,
)
from translator.cli.progress import pause, step
from translator.errors import Diagnostics, UsageError

if TYPE_CHECKING:  # the cluster client and the apply workflow load when a command runs
    from translator.apply.bundle import Bundle
    from translator.apply.plan import Plan
    from translator.apply.plan_json import Outcome
    from translator.apply.runner import Runner
    from translator.cluster import ClusterClient

SNAPSHOT_EXAMPLES = """\b
Examples:
  np2calico snapshot --output-file lab-state.yaml
  np2calico snapshot --context prod --kubeconfig ~/.kube/prod.yaml --output-file prod-state.yaml
  np2calico snapshot -o json | jq '.items | length'
  np2calico convert lab-state.yaml > calico.yaml      # works offline on the snapshot
"""
APPLY_EXAMPLES = """\b
Examples:
  np2calico convert samples/lab/policies > calico.yaml
  np2calico apply calico.yaml --staged            # preview: Calico reports pending verdicts
  np2calico apply calico.yaml --dry-run --with kubectl
  np2calico convert samples/lab/policies | np2calico apply - --yes --bundle undo.yaml
"""
PROMOTE_EXAMPLES = """\b
Examples:
  np2calico promote np2calico-rollback-20261126T120000Z.yaml   # the staged objects that apply wrote
  np2calico promote --from-cluster --yes                        # every staged policy of the cluster
"""
ROLLBACK_EXAMPLES = """\b
Examples:
  np2calico rollback np2calico-rollback-20261126T120000Z.yaml
  np2calico rollback undo.yaml --yes --with kubectl
"""


class SnapshotFormat(str, Enum):
    YAML = "yaml"
    JSON = "json"


class PlanFormat(str, Enum):
    TEXT = "text"
    JSON = "json"


# -o json: a ChangePlan document for tools (the plan and how the command ended) on stdout or
# --output-file; the words for people then go to stderr.
PlanOutput = Annotated[PlanFormat, OUTPUT_FORMAT]


@dataclass(frozen=True)
class _Report:
    """Where the plan goes: text on stdout, or a ChangePlan document (the words then on stderr)."""

    command: str
    runner: Runner
    output: PlanFormat = PlanFormat.TEXT
    output_file: Path | None = None

    def say(self, line: str, *, err: bool = False) -> None:
        pause()
        print(line, file=sys.stderr if err or self.output is PlanFormat.JSON else sys.stdout, flush=True)

    def finish(self, plan: Plan, outcome: Outcome, code: int, bundle: Path | None = None) -> NoReturn:
        if self.output is PlanFormat.JSON:
            from translator.apply.plan_json import plan_to_json

            write_output(plan_to_json(plan, command=self.command, tool=self.runner.tool,
                                      context=self.runner.context, outcome=outcome,
                                      bundle=str(bundle) if bundle else None), self.output_file)
        raise typer.Exit(code)


def snapshot(
    output: Annotated[SnapshotFormat, OUTPUT_FORMAT] = SnapshotFormat.YAML,
    output_file: OutputFile = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Save the cluster's policies, namespaces, pods, Calico policies and tiers as one List."""
    import json

    import yaml

    from translator import cluster

    diags = Diagnostics()
    client = cluster.connect(context, kubeconfig)
    with step("reading the cluster"):
        documents = cluster.read_cluster(diags=diags, client=client)
    report(diags.items)
    listing = {"apiVersion": "v1", "kind": "List", "items": documents}
    if output is SnapshotFormat.JSON:
        text = json.dumps(listing, indent=2) + "\n"
    else:
        header = f"# np2calico snapshot of context {client.context!r} ({client.host}), {_now_text()}\n"
        text = header + yaml.safe_dump(listing, sort_keys=False)
    write_output(text, output_file)
    if output_file is not None:
        note(f"Saved {len(documents)} objects to {output_file}.")


def apply(
    paths: Annotated[
        list[str], typer.Argument(metavar="FILE", help="Calico manifests (np2calico convert output); "
                                  "'-' is stdin.")
    ],
    tool: With = None,
    staged: Staged = False,
    dry_run: DryRun = False,
    yes: Yes = False,
    bundle_path: BundleOut = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
    output: PlanOutput = PlanFormat.TEXT,
    output_file: OutputFile = None,
) -> None:
    """Apply Calico manifests after showing the plan; write a rollback bundle first."""
    from translator.apply import workflow
    from translator.apply.runner import find_runner

    manifests = workflow.read_manifests(paths, sys.stdin)
    runner = find_runner(tool.value if tool else None, context, kubeconfig)
    client = _client_for(runner, context, kubeconfig)
    plan = workflow.plan_apply(client, manifests, stage=staged)
    _carry_out(plan, _Report("apply", runner, output, output_file), yes=yes, dry_run=dry_run,
               bundle_path=bundle_path)


BundleIn = Annotated[
    Path,
    typer.Argument(metavar="BUNDLE", dir_okay=False, help="Rollback bundle written by `apply` or `promote`."),
]


def promote(
    bundle: Annotated[
        Path | None,
        typer.Argument(metavar="BUNDLE", dir_okay=False, show_default=False,
                       help="Bundle written by `apply --staged`."),
    ] = None,
    from_cluster: Annotated[
        bool, typer.Option("--from-cluster", help="Promote every staged policy of the cluster.")
    ] = False,
    tool: With = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    bundle_path: BundleOut = None,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
    output: PlanOutput = PlanFormat.TEXT,
    output_file: OutputFile = None,
) -> None:
    """Replace staged policies by their enforced kinds (create enforced, then delete staged)."""
    from translator.apply import bundle as bundles
    from translator.apply import workflow

    if (bundle is None) == (not from_cluster):
        raise UsageError("promote needs a BUNDLE written by `apply --staged`, or --from-cluster (not both)")
    source = bundles.read(bundle) if bundle is not None else None
    runner = _runner_for(tool, context, kubeconfig, source)
    client = _client_for(runner, runner.context, runner.kubeconfig)
    plan = workflow.plan_promote(client, source)
    missing = workflow.missing_staged(client, source) if source is not None else []
    for name in missing:
        warning(f"{name} of the bundle is not in the cluster (deleted or promoted already?)")
    try:
        _carry_out(plan, _Report("promote", runner, output, output_file), yes=yes, dry_run=dry_run,
                   bundle_path=bundle_path)
    except typer.Exit as done:
        # What was there is promoted; the answer stays "no" while staged objects were missing.
        raise typer.Exit(EXIT_NO if missing and done.exit_code == EXIT_OK else done.exit_code) from None
    if missing:
        raise typer.Exit(EXIT_NO)


def rollback(
    bundle: BundleIn,
    tool: With = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
    output: PlanOutput = PlanFormat.TEXT,
    output_file: OutputFile = None,
) -> None:
    """Undo an apply or promote: delete what it created, re-apply what it changed or deleted."""
    from translator.apply import bundle as bundles
    from translator.apply import workflow

    source = bundles.read(bundle)
    runner = _runner_for(tool, context, kubeconfig, source)
    plan = workflow.plan_rollback(source)
    _carry_out(plan, _Report("rollback", runner, output, output_file), yes=yes, dry_run=dry_run,
               bundle_path=None)


def _runner_for(
    tool: Tool | None, context: str | None, kubeconfig: Path | None, source: Bundle | None
) -> Runner:
    """Options given on the command line win; else what the bundle recorded."""
    from translator.apply.bundle import Bundle
    from translator.apply.runner import find_runner

    recorded = source or Bundle(command="", created_at="")
    return find_runner(
        tool.value if tool else recorded.tool,
        context or recorded.context,
        kubeconfig or recorded.kubeconfig,
    )


def _client_for(runner: Runner, context: str | None, kubeconfig: str | Path | None) -> ClusterClient:
    from translator import cluster
    from translator.apply import workflow

    client = cluster.connect(context, kubeconfig)
    workflow.check_tool(client, runner)
    return client


def _carry_out(
    plan: Plan, out: _Report, *, yes: bool, dry_run: bool, bundle_path: Path | None
) -> NoReturn:
    from translator.apply import bundle as bundles
    from translator.apply import workflow
    from translator.apply.plan import describe
    from translator.apply.plan_json import Outcome

    runner, command = out.runner, out.command
    where = f"context {runner.context!r}" if runner.context else "the current context"
    out.say(f"np2calico {command} with {runner.tool} on {where}")
    out.say("\n".join(describe(plan)))
    if plan.is_empty:
        out.say("Nothing to change.")
        out.finish(plan, Outcome.NOTHING_TO_CHANGE, EXIT_OK)
    if dry_run:
        workflow.dry_run(plan, runner, _progress)
        out.say("Dry run: nothing was changed.")
        out.finish(plan, Outcome.DRY_RUN, EXIT_OK)
    if not _confirmed(yes, f"{command.capitalize()} these {len(plan.steps)} changes?"):
        out.say("Nothing was changed.", err=True)
        out.finish(plan, Outcome.DECLINED, EXIT_NO)
    if command != "rollback":
        bundle_path = bundle_path or bundles.default_path(_now())
    written = workflow.execute(plan, runner, command, bundle_path, _progress, _now())
    undo = f" Undo with: np2calico rollback {written}" if written else ""
    out.say(f"Done: {len(plan.steps)} changes.{undo}")
    out.finish(plan, Outcome.DONE, EXIT_OK, written)


def _confirmed(yes: bool, question: str) -> bool:
    if yes:
        return True
    pause()
    if not _stdin_is_terminal():
        die("refusing to change the cluster without confirmation: stdin is not a terminal; pass --yes",
            EXIT_ERROR)
    return typer.confirm(question, default=False, err=True)


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _now_text() -> str:
    return _now().strftime("%Y-%m-%dT%H:%M:%SZ")
