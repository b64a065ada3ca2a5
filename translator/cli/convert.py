"""`np2calico convert`: Kubernetes NetworkPolicies → equivalent Calico policies (projectcalico.org/v3)."""

from __future__ import annotations

import math
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from translator.cli.common import EXIT_NO, EXIT_OK, report, warn_empty, write_output
from translator.cli.console import dropped, note
from translator.cli.options import (
    OUTPUT_FORMAT,
    AllowApiserver,
    AllowEmpty,
    Context,
    DefaultDeny,
    DnsIp,
    DnsNamespace,
    DnsSelector,
    ExcludeNamespace,
    Files,
    FromCluster,
    IncludeNamespace,
    Kubeconfig,
    Namespace,
    OutputFile,
    Staged,
    Strict,
    Target,
    TargetChoice,
    Tier,
    default_deny_options,
)
from translator.cli.progress import step
from translator.errors import Diagnostic, Level, UsageError
from translator.model.cluster_dns import DEFAULT_DNS_NAMESPACE, DEFAULT_DNS_SELECTOR

EXAMPLES = """\b
Examples (from the repository root):
  np2calico convert samples/lab/policies
  np2calico convert samples/lab/policies --target global --tier np2calico -o json
  np2calico convert samples/lab/policies --default-deny global --allow-apiserver
  np2calico convert samples/lab/policies --default-deny global --dns-ip 169.254.20.10 \\
      --allow-apiserver 192.168.49.2/32:8443 --output-file calico.yaml
  kubectl get networkpolicies -A -o yaml | np2calico convert - --staged
  np2calico convert --from-cluster --context kind-lab --output-file calico.yaml
Exit status: 0 converted, 1 diagnostics under --strict, an input without any NetworkPolicy (unless
--allow-empty) or --verify found a difference, 2 invalid input or usage.
"""


class TierAction(str, Enum):
    PASS = "Pass"
    DENY = "Deny"


class OutputFormat(str, Enum):
    YAML = "yaml"
    JSON = "json"


def convert(
    paths: Files = None,
    target: Target = TargetChoice.NAMESPACED,
    tier: Tier = None,
    tier_order: Annotated[
        float | None,
        typer.Option("--tier-order", metavar="NUMBER",
                     help="Order of the emitted Tier (default 100000: after kube-admin at 1000, before "
                     "default at 1,000,000)."),
    ] = None,
    tier_default_action: Annotated[
        TierAction | None,
        typer.Option("--tier-default-action", help="What the emitted Tier does with traffic no policy "
                     "decided (default Pass)."),
    ] = None,
    staged: Staged = False,
    default_deny: DefaultDeny = None,
    exclude_namespace: ExcludeNamespace = None,
    include_namespace: IncludeNamespace = None,
    dns_selector: DnsSelector = DEFAULT_DNS_SELECTOR,
    dns_namespace: DnsNamespace = DEFAULT_DNS_NAMESPACE,
    dns_ip: DnsIp = None,
    allow_apiserver: AllowApiserver = None,
    output: Annotated[OutputFormat, OUTPUT_FORMAT] = OutputFormat.YAML,
    output_file: OutputFile = None,
    namespace: Namespace = "default",
    strict: Strict = False,
    allow_empty: AllowEmpty = False,
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Prove the output equivalent for every possible pod first (z3), or "
                     "with --default-deny that it keeps the migration's promise; exit 1 and write "
                     "nothing, with a witness, if it does not."),
    ] = False,
    from_cluster: FromCluster = False,
    context: Context = None,
    kubeconfig: Kubeconfig = None,
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
        raise UsageError("give FILE... or --from-cluster (exactly one of them)")
    _check_tier_options(tier, tier_order, tier_default_action)
    if from_cluster:
        policies, load_diagnostics = _load_cluster(context, kubeconfig, namespace)
    else:
        policies, load_diagnostics = _load(paths or [], namespace)
    if not policies:
        warn_empty(paths or [], from_cluster)
        if not allow_empty:
            raise typer.Exit(EXIT_NO)
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
    with step("converting"):
        result = run_conversion(policies, options)
    diagnostics = [*load_diagnostics, *result.diagnostics.items]
    report(diagnostics)
    dropped(result.dropped)
    if strict and diagnostics:
        raise typer.Exit(EXIT_NO)
    if verify:
        _prove(policies, options, result, paths or ["--from-cluster"])
    with step(f"rendering {output.value}"):
        text = RENDERERS[output.value](manifests(result.tiers, result.policies))
    write_output(text, output_file)
    raise typer.Exit(EXIT_OK)


def _prove(policies: Any, options: Any, result: Any, inputs: list[str]) -> None:
    """`--verify`: the output (as enforced once promoted, for --staged) must allow exactly what the
    input means for every possible pod (with --default-deny, what the migration promises);
    otherwise print the witness to stderr and exit 1."""
    from dataclasses import replace

    from translator.convert import convert as run_conversion
    from translator.model.calico import PolicySet
    from translator.render.verify import Invocation, render_text
    from translator.verify import verify as run_verify
    from translator.verify.intent import namespace_names_as_kubernetes_means
    from translator.verify.promise import default_deny_promise

    output = run_conversion(policies, replace(options, staged=False)).policy_set if options.staged \
        else result.policy_set
    # Calico enforces the input's namespaceSelectors on pcns.* labels a pod may override (issue 9);
    # the output names namespaces on labels it cannot set. The proof is for every pod against the
    # input with namespace names read as Kubernetes means them (translator.verify.intent).
    source = PolicySet(k8s_policies=tuple(policies))
    deny = options.default_deny
    intended = default_deny_promise(source, deny) if deny is not None \
        else namespace_names_as_kubernetes_means(source)
    with step("proving the output (z3)"):
        proof = run_verify(intended, output)
    if proof.equivalent:
        statement = PROVEN_STATEMENT + (promise_statement(deny) if deny is not None else "")
        typer.echo(f"np2calico: verified ({len(proof.checks)} solver queries, {proof.seconds:.2f} s): "
                   + statement, err=True)
        return
    typer.echo("np2calico: error: --verify: the output is NOT "
               + ("what the default deny promises" if deny is not None else "equivalent to the input")
               + "; nothing written", err=True)
    typer.echo(render_text(proof, Invocation(inputs, ["OUTPUT.yaml"])), err=True)
    typer.echo("(A is the input with namespace names as Kubernetes means them"
               + (", under the default deny as promised" if deny is not None else "")
               + ": for a pod carrying pcns.* labels of its own, `explain` on the input shows Calico's "
               "enforcement instead)", err=True)
    raise typer.Exit(EXIT_NO)


PROVEN_STATEMENT = (
    "for every possible pod (pcns.* labels of its own included), namespace, address, protocol and "
    "port, the output allows exactly what Calico enforcing the input allows, except that a "
    "namespaceSelector's kubernetes.io/metadata.name terms name the pod's real namespace, which no "
    "pod label can change; for pods without pcns.* labels of their own, that is Calico's enforcement "
    "of the input exactly (docs/semantics.md)"
)
PROMISE_STATEMENT = (
    "; under the default deny as promised: a pod of a covered namespace is allowed only what an "
    "input rule allows, plus DNS (UDP/TCP 53) to the DNS pods and --dns-ip, and TCP to "
    "--allow-apiserver (translator/verify/promise.py)"
)
APISERVER_SERVICE_STATEMENT = (
    "; --allow-apiserver alone: egress to an endpoint of svc default/kubernetes on its own port and "
    "protocol, proven for every possible endpoint set of svc default/kubernetes"
)


def promise_statement(deny: Any) -> str:
    by_service = any(access.net is None for access in deny.allow_apiserver)
    return PROMISE_STATEMENT + (APISERVER_SERVICE_STATEMENT if by_service else "")


def _load(paths: list[str], namespace: str) -> tuple[Any, list[Diagnostic]]:
    """The normalised Kubernetes policies; invalid input raises (exit 2, nothing written)."""
    # Imported here so that `--help` stays fast and independent of the loader.
    from translator.load import load
    from translator.load.registry import LoadContext

    with step("reading policies"):
        loaded = load(list(paths), context=LoadContext(default_namespace=namespace))
    loaded.raise_if_errors()
    _note_calico_kept(loaded.policies)
    kept = [d for d in loaded.diagnostics if d.level is not Level.ERROR]
    return loaded.policies.k8s_policies, kept


def _note_calico_kept(policies: Any) -> None:
    """Calico objects of the input (a snapshot holds them) are part of what the cluster enforces:
    they are left as they are, not converted, not written, and listed so that nobody thinks
    they were dropped. `diff --migrate` judges them on both sides."""
    from translator.convert.existing import calico_part

    kept = calico_part(policies)
    located = [*(f"Tier {t.name}" for t in kept.tiers),
               *(_where(p) + p.key for p in (*kept.calico_policies, *kept.staged_k8s_policies))]
    if located:
        typer.echo(f"np2calico: note: {len(located)} Calico objects of the input are left as they are "
                   "(not converted, not in the output):", err=True)
        for line in located:
            typer.echo(f"  {line}", err=True)


def _where(policy: Any) -> str:
    origin = policy.origin
    return "" if origin is None else f"{origin}: "


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

    with step("reading the cluster"):
        loaded = load_from_cluster(context, kubeconfig, LoadContext(default_namespace=namespace))
    kept = [d for d in loaded.diagnostics if d.level is not Level.ERROR]
    calico = len(loaded.policies.calico_policies) + len(loaded.policies.staged_k8s_policies)
    if calico:
        note(f"np2calico: note: the cluster's {calico} Calico policies are left as they are")
    return loaded.policies.k8s_policies, kept
