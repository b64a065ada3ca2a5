"""calicoctl or kubectl as subprocesses (an edge): one object per call, its YAML on stdin.

    calicoctl apply -f - [--context C]                  KUBECONFIG=F DATASTORE_TYPE=kubernetes
    calicoctl delete -f - --skip-not-exists [--context C]
    kubectl apply -f - [--dry-run=server] [--context C] [--kubeconfig F]
    kubectl delete -f - --ignore-not-found [--dry-run=server] [--context C] [--kubeconfig F]

Deletes tolerate objects that are already gone, so a rollback after a half-done apply (some of the
objects it lists were never created) still succeeds. calicoctl has no server-side dry run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from translator.apply.plan import Plan, Step, StepAction
from translator.errors import ClusterError, UsageError

TOOLS = ("calicoctl", "kubectl")
TOOL_TIMEOUT = 120  # seconds for one object


@dataclass(frozen=True)
class Runner:
    tool: str  # "calicoctl" or "kubectl"
    executable: str
    context: str | None = None
    kubeconfig: str | None = None

    @property
    def has_server_dry_run(self) -> bool:
        return self.tool == "kubectl"

    def apply(self, manifest: Mapping[str, Any], dry_run: bool = False) -> None:
        self._run(["apply", "-f", "-"], manifest, dry_run)

    def delete(self, manifest: Mapping[str, Any], dry_run: bool = False) -> None:
        missing_ok = "--ignore-not-found" if self.tool == "kubectl" else "--skip-not-exists"
        self._run(["delete", "-f", "-", missing_ok], manifest, dry_run)

    def run(self, step: Step, dry_run: bool = False) -> None:
        if step.action is StepAction.APPLY:
            self.apply(step.manifest, dry_run)
        else:
            self.delete(step.manifest, dry_run)

    def command(self, verb_args: Sequence[str], dry_run: bool = False) -> list[str]:
        args = [self.executable, *verb_args]
        if dry_run:
            if not self.has_server_dry_run:
                raise UsageError("calicoctl has no server-side dry run")
            args.append("--dry-run=server")
        if self.context:
            args += ["--context", self.context]
        if self.kubeconfig and self.tool == "kubectl":
            args += ["--kubeconfig", self.kubeconfig]
        return args

    def environment(self) -> dict[str, str]:
        """calicoctl reads its kubeconfig from the environment, not from a flag."""
        env = dict(os.environ)
        if self.tool == "calicoctl" and self.kubeconfig:
            env["KUBECONFIG"] = self.kubeconfig
            env.setdefault("DATASTORE_TYPE", "kubernetes")
        return env

    def _run(self, verb_args: Sequence[str], manifest: Mapping[str, Any], dry_run: bool) -> None:
        args = self.command(verb_args, dry_run)
        text = yaml.safe_dump(dict(manifest), sort_keys=False)
        try:
            result = subprocess.run(
                args, input=text, capture_output=True, text=True, env=self.environment(),
                timeout=TOOL_TIMEOUT, check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ClusterError(f"{self.tool} {verb_args[0]} could not run: {exc}") from None
        if result.returncode != 0:
            reason = _last_line(result.stderr) or _last_line(result.stdout) or f"exit {result.returncode}"
            raise ClusterError(f"{self.tool} {verb_args[0]} failed (exit {result.returncode}): {reason}")


def find_runner(
    tool: str | None, context: str | None = None, kubeconfig: str | Path | None = None
) -> Runner:
    """The tool asked for, or calicoctl when it is on PATH, else kubectl."""
    if tool is not None and tool not in TOOLS:
        raise UsageError(f"--with must be calicoctl or kubectl, not {tool!r}")
    for name in (tool,) if tool else TOOLS:
        executable = shutil.which(name)
        if executable:
            return Runner(name, executable, context, str(kubeconfig) if kubeconfig else None)
    if tool:
        raise ClusterError(f"{tool} not found on PATH")
    raise ClusterError("neither calicoctl nor kubectl found on PATH")


class StepFailed(ClusterError):
    """A step failed: what was done, what was not, and how to undo it, in one line."""

    def __init__(self, message: str, done: Sequence[Step], failed: Step, left: Sequence[Step]) -> None:
        super().__init__(message)
        self.done, self.failed, self.left = tuple(done), failed, tuple(left)


def run_plan(
    plan: Plan, runner: Runner, progress: Callable[[str], None], *, dry_run: bool = False,
    undo_hint: str = "",
) -> None:
    """Run every step in order; stop at the first failure with StepFailed."""
    for index, step in enumerate(plan.steps):
        try:
            runner.run(step, dry_run)
        except ClusterError as exc:
            done, left = plan.steps[:index], plan.steps[index + 1:]
            raise StepFailed(_failure_message(exc, step, done, left, undo_hint), done, step, left) from None
        progress(f"{'checked' if dry_run else 'done'}: {step}")


def _failure_message(
    exc: ClusterError, step: Step, done: Sequence[Step], left: Sequence[Step], undo_hint: str
) -> str:
    applied = ", ".join(str(s.key) for s in done) or "nothing"
    not_applied = ", ".join(str(s.key) for s in (step, *left))
    hint = f"; {undo_hint}" if undo_hint and done else ""
    return (f"stopped at step {len(done) + 1} of {len(done) + 1 + len(left)} ({step}): {exc}; "
            f"applied: {applied}; not applied: {not_applied}{hint}")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
