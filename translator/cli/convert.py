"""`np2calico convert`: Kubernetes NetworkPolicies → equivalent Calico policies (projectcalico.org/v3)."""

from __future__ import annotations

import math
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from translator.cli import app
from translator.cli.common import (
    EXIT_NO,
    EXIT_OK,
    handle_errors,
    report,
    write_output,
)
from translator.cli.options import DefaultDenyChoice, TargetChoice, default_deny_options
from translator.cluster import CONTEXT_OPTION, FROM_CLUSTER_OPTION, KUBECONFIG_OPTION
from translator.errors import Diagnostic, InputError, Level, UsageError

EXAMPLES = """\b
Examples (from the repository root):
  np2calico convert samples/lab/policies
  np2calico convert samples/lab/policies --target global --tier np2calico -o json
  np2calico convert samples/lab/policies --default-deny global --dns-ip 169.254.20.10 \\
      --allow-apiserver 10.96.0.1/32:443 --output-file calico.yaml
  kubectl get networkpolicies -A -o yaml | np2calico convert - --staged
  np2calico convert --from-cluster --context kind-lab --output-file calico.yaml
"""


class TierAction(str, Enum):
    PASS = "Pass"
    DENY = "Deny"


class OutputFormat(str, Enum):
    YAML = "yaml"
    JSON = "json"


@app.command(epilog=EXAMPLES)
@handle_errors
def convert(
    paths: list[str] | None = typer.Argument(
        None, help="Kubernetes NetworkPolicy files or folders; '-' is stdin."
    ),
    target: TargetChoice = typer.Option(
        TargetChoice.NAMESPACED, help="Calico NetworkPolicy per namespace, or GlobalNetworkPolicy."
    ),
    tier: str | None = typer.Option(
        None, help="Put the policies in this tier and emit the Tier (default: Calico's default tier)."
    ),
    tier_order: float | None = typer.Option(
        None,
        help="Order of the emitted Tier (default 100000: after kube-admin at 1000, before default at "
        "1,000,000).",
    ),
    tier_default_action: TierAction | None = typer.Option(
        None, help="What the emitted Tier does with traffic no policy decided (default Pass)."
    ),
    staged: bool = typer.Option(False, help="Emit the Staged kinds, for a preview."),
    default_deny: DefaultDenyChoice | None = typer.Option(
        None, help="Add one global default deny, with a DNS exception, for every non-system namespace."
    ),
    exclude_namespace: list[str] = typer.Option([], help="Keep this namespace out of the default deny too."),
    include_namespace: list[str] = typer.Option(
        [], help="Bring this namespace under the default deny, even a system one."
    ),
    dns_selector: str = typer.Option("k8s-app == 'kube-dns'", help="Calico selector of the DNS pods."),
    dns_namespace: str = typer.Option("kube-system", help="Namespace of the cluster DNS pods."),
    dns_ip: list[str] = typer.Option(
        [], help="Also allow DNS to this address or CIDR (e.g. NodeLocal DNSCache 169.254.20.10)."
    ),
    allow_apiserver: list[str] = typer.Option(
        [], help="Allow TCP egress to the API server: CIDR[:PORT] (default ports 443 and 6443)."
    ),
    output: OutputFormat = typer.Option(OutputFormat.YAML, "-o", "--output", help="Output format."),
    output_file: Path | None = typer.Option(None, help="Write here (atomically) instead of stdout."),
    namespace: str = typer.Option("default", help="Namespace of policies whose file names none."),
    strict: bool = typer.Option(False, help="Treat every diagnostic as fatal (exit 1, nothing written)."),
    verify: bool = typer.Option(
        False, help="Prove the output equivalent for every possible pod first (z3); exit 1 and write "
        "nothing, with a witness, if it is not."
    ),
    from_cluster: bool = FROM_CLUSTER_OPTION,
    context: str | None = CONTEXT_OPTION,
    kubeconfig: Path | None = KUBECONFIG_OPTION,
) -> None:
    """Convert Kubernetes NetworkPolicies into Calico policies that allow exactly the same traffic.

    Output is one multi-document stream in apply order (Tier, then allows, then denies), valid for
    Calico v3.31 and v3.32. Diagnostics and the report go to stderr as FILE:DOC:PATH: level: msg.
    """
    from translator.convert import ConvertOptions
    from translator.convert import convert as run_conversion
    from translator.convert.options import DEFAULT_TIER_ORDER, Target
    from translator.model.calico import Action
    from translator.render.calico import RENDERERS, manifests

    if bool(paths) == from_cluster:
        raise UsageError("give PATHS or --from-cluster (exactly one of them)")
    _check_tier_options(tier, tier_order, tier_default_action)
    if from_cluster:
        policies, load_diagnostics = _load_cluster(context, kubeconfig, namespace)
    else:
        policies, load_diagnostics = _load(paths or [], namespace)
    options = ConvertOptions(
        target=Target(target.value),
        tier=tier,
        tier_order=DEFAULT_TIER_ORDER if tier_order is None else tier_order,
        tier_default_action=Action((tier_default_action or TierAction.PASS).value),
        staged=staged,
        default_deny=default_deny_options(
            default_deny,
            (exclude_namespace, include_namespace),
            (dns_selector, dns_namespace, dns_ip),
            allow_apiserver,
        ),
    )
    result = run_conversion(policies, options)
    diagnostics = [*load_diagnostics, *result.diagnostics.items]
    report(diagnostics)
    for line in result.report:
        typer.echo(line, err=True)
    if strict and diagnostics:
        raise typer.Exit(EXIT_NO)
    if verify:
        _prove(policies, options, result, paths or ["--from-cluster"])
    text = RENDERERS[output.value](manifests(result.tiers, result.policies))
    write_output(text, output_file)
    raise typer.Exit(EXIT_OK)


def _prove(policies: Any, options: Any, result: Any, inputs: list[str]) -> None:
    """`--verify`: the output (as enforced once promoted, for --staged) must be equivalent to the
    input for every possible pod; otherwise print the witness to stderr and exit 1."""
    from dataclasses import replace

    from translator.convert import convert as run_conversion
    from translator.model.calico import PolicySet
    from translator.render.verify import Invocation, render_text
    from translator.verify import Question
    from translator.verify import verify as run_verify

    if options.default_deny is not None:
        raise UsageError("--verify proves the output equivalent; --default-deny changes traffic on purpose: "
                         "see what it changes with `np2calico diff --migrate --symbolic`")
    output = run_conversion(policies, replace(options, staged=False)).policy_set if options.staged \
        else result.policy_set
    # Pods with pcns.* labels of their own defeat Calico's enforcement of the input's
    # namespaceSelectors (issue 9); the output names namespaces on labels they cannot set, so the
    # two are compared for the pods where the input means what Kubernetes means.
    proof = run_verify(PolicySet(k8s_policies=tuple(policies)), output, question=Question(honest_pods=True))
    if proof.equivalent:
        typer.echo(f"np2calico: verified: equivalent for every possible pod without pcns.* labels of its own "
                   f"({len(proof.checks)} solver queries, {proof.seconds:.2f} s)", err=True)
        return
    typer.echo("np2calico: error: --verify: the output is NOT equivalent to the input; nothing written",
               err=True)
    typer.echo(render_text(proof, Invocation(inputs, ["OUTPUT.yaml"], honest_pods=True)), err=True)
    raise typer.Exit(EXIT_NO)


def _load(paths: list[str], namespace: str) -> tuple[Any, list[Diagnostic]]:
    """The normalised Kubernetes policies; invalid input raises (exit 2, nothing written)."""
    # Imported here so that `--help` stays fast and independent of the loader.
    from translator.load import load
    from translator.load.registry import LoadContext

    loaded = load(list(paths), context=LoadContext(default_namespace=namespace))
    loaded.raise_if_errors()
    calico = [*loaded.policies.calico_policies, *loaded.policies.staged_k8s_policies]
    if calico:
        message = "convert reads Kubernetes NetworkPolicies only; this is a Calico policy"
        located = sorted(
            (p.origin for p in calico if p.origin is not None),
            key=lambda where: (where.file, where.document or 0, where.path),
        )
        if len(located) < len(calico):
            raise UsageError("convert reads Kubernetes NetworkPolicies only; the input holds Calico policies")
        raise InputError([Diagnostic(where, Level.ERROR, message) for where in located])
    kept = [d for d in loaded.diagnostics if d.level is not Level.ERROR]
    return loaded.policies.k8s_policies, kept


def _check_tier_options(tier: str | None, order: float | None, action: TierAction | None) -> None:
    """The emitted Tier's settings need a tier np2calico emits: never silently ignored."""
    if (order is not None or action is not None) and tier in (None, "default"):
        raise UsageError("--tier-order and --tier-default-action need --tier NAME (a tier np2calico emits)")
    if order is not None and not math.isfinite(order):
        raise UsageError(f"--tier-order {order}: must be a finite number")


def _load_cluster(
    context: str | None, kubeconfig: Path | None, namespace: str
) -> tuple[Any, list[Diagnostic]]:
    """The live cluster's Kubernetes policies; its Calico policies are left as they are (and counted)."""
    from translator.cluster import load_from_cluster
    from translator.load.registry import LoadContext

    loaded = load_from_cluster(context, kubeconfig, LoadContext(default_namespace=namespace))
    kept = [d for d in loaded.diagnostics if d.level is not Level.ERROR]
    calico = len(loaded.policies.calico_policies) + len(loaded.policies.staged_k8s_policies)
    if calico:
        typer.echo(f"np2calico: note: the cluster's {calico} Calico policies are left as they are", err=True)
    return loaded.policies.k8s_policies, kept
