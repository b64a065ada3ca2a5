"""Every command-line option and argument, declared once, as `Annotated` aliases.

A command writes `namespace: Namespace = "default"`: the flag names, placeholder and help come from
here, so the same idea has the same name, letter and words in every command. Placeholders are plain
(`FILE...`, `NS/POD`, `CIDR[:PORT]`), never Python types.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from translator.cli.common import check_namespace_options
from translator.errors import UsageError

# The choices of an option are the CLI's own enums, mapped onto the model's where the command runs
# (a test checks that they name the same values): `--help` then loads no model, converter or evaluator.


class TargetChoice(str, Enum):
    NAMESPACED = "namespaced"
    GLOBAL = "global"


class DefaultDenyChoice(str, Enum):
    GLOBAL = "global"


class TieBreakChoice(str, Enum):
    """translator.model.calico.TieBreak, as `--tie-break` offers it."""

    V3_32 = "v3.32"
    V3_31 = "v3.31"


class SemanticsChoice(str, Enum):
    """translator.evaluate.verdict.Semantics, as `--semantics` offers it."""

    K8S = "k8s"
    CALICO = "calico"


class Tool(str, Enum):
    CALICOCTL = "calicoctl"
    KUBECTL = "kubectl"


# --- inputs ---------------------------------------------------------------------------------------
Files = Annotated[
    list[str] | None,
    typer.Argument(metavar="FILE",
                   help="Files or folders (recursive *.yaml, *.yml, *.json); '-' is stdin.",
                   show_default=False),
]
Namespace = Annotated[
    str, typer.Option("--namespace", "-n", metavar="NS", help="Namespace of objects whose file names none.")
]
CLUSTER_HELP = (
    "Cluster state: Namespaces, Pods, workloads (Deployments, StatefulSets, DaemonSets, Jobs, "
    "CronJobs, ReplicaSets, ReplicationControllers), Services, EndpointSlices, HostEndpoints, "
    "GlobalNetworkSets and NetworkSets; files, folders or '-', as kubectl get -o yaml, helm "
    "template or kustomize build print them. Repeat to merge several."
)
ClusterState = Annotated[
    list[str] | None, typer.Option("--cluster", metavar="FILE", show_default=False, help=CLUSTER_HELP)
]
PodCidr = Annotated[
    list[str] | None,
    typer.Option("--pod-cidr", metavar="CIDR", show_default=False,
                 help="Pod CIDR of the cluster (repeat for dual stack; default 10.244.0.0/16): workload "
                 "pods, which have no address yet, are judged with one from it."),
]
FromCluster = Annotated[
    bool, typer.Option("--from-cluster", help="Read policies, namespaces and pods from the live cluster.")
]
Context = Annotated[
    str | None,
    typer.Option("--context", metavar="NAME", help="kubeconfig context to use (default: the current one)."),
]
Kubeconfig = Annotated[
    Path | None,
    typer.Option("--kubeconfig", metavar="FILE", dir_okay=False,
                 help="kubeconfig file (default: $KUBECONFIG, merged like kubectl, then ~/.kube/config)."),
]

# --- outputs --------------------------------------------------------------------------------------
# The format flag; each command pairs it with its own enum of formats: `Annotated[Formats, OUTPUT_FORMAT]`.
OUTPUT_FORMAT = typer.Option("--output", "-o", help="Output format.")
OutputFile = Annotated[
    Path | None,
    typer.Option("--output-file", metavar="FILE",
                 help="Write here instead of stdout (a file is replaced atomically, keeping its mode)."),
]
Strict = Annotated[
    bool, typer.Option("--strict", help="Fail (exit 1, nothing written) on any diagnostic: warning or info.")
]
AllowEmpty = Annotated[
    bool, typer.Option("--allow-empty", help="An input with no policy is not an error (exit 0).")
]

# --- conversion -----------------------------------------------------------------------------------
Target = Annotated[
    TargetChoice, typer.Option("--target", help="Calico NetworkPolicy per namespace, or GlobalNetworkPolicy.")
]
Tier = Annotated[
    str | None,
    typer.Option("--tier", metavar="NAME",
                 help="Put the policies in this tier and emit the Tier (default: Calico's default tier)."),
]
Staged = Annotated[bool, typer.Option("--staged", help="Use the Staged kinds: a preview, not enforced.")]
TieBreakOption = Annotated[
    TieBreakChoice | None,
    typer.Option("--tie-break", help="Calico version whose policy-order tie key applies (default v3.32)."),
]
PreviewStaged = Annotated[
    bool, typer.Option("--preview-staged", help="Evaluate staged Calico policies as if enforced.")
]

# --- the default deny group (convert, diff --migrate) ----------------------------------------------
DefaultDeny = Annotated[
    DefaultDenyChoice | None,
    typer.Option("--default-deny",
                 help="Add one global default deny, with a DNS exception, for every non-system namespace."),
]
ExcludeNamespace = Annotated[
    list[str] | None,
    typer.Option("--exclude-namespace", metavar="NS", show_default=False,
                 help="With --default-deny: keep this namespace out of it too."),
]
IncludeNamespace = Annotated[
    list[str] | None,
    typer.Option("--include-namespace", metavar="NS", show_default=False,
                 help="With --default-deny: bring this namespace under it, even a system one."),
]
DnsSelector = Annotated[
    str,
    typer.Option("--dns-selector", metavar="SELECTOR", help="With --default-deny: the DNS pods' selector."),
]
DnsNamespace = Annotated[
    str, typer.Option("--dns-namespace", metavar="NS", help="With --default-deny: the DNS pods' namespace.")
]
DnsIp = Annotated[
    list[str] | None,
    typer.Option("--dns-ip", metavar="IP|CIDR", show_default=False,
                 help="With --default-deny: also allow DNS to this address (e.g. NodeLocal DNSCache "
                 "169.254.20.10)."),
]
AllowApiserver = Annotated[
    list[str] | None,
    typer.Option("--allow-apiserver", metavar="[CIDR[:PORT]]", show_default=False,
                 help="With --default-deny: allow egress to the API server. Alone (or =service): to the "
                 "endpoints of Service default/kubernetes, as Calico matches them after kube-proxy's "
                 "DNAT (a destination.services rule). With CIDR[:PORT]: TCP to "
                 "those endpoint addresses (kubectl get endpointslices -l "
                 "kubernetes.io/service-name=kubernetes), e.g. 192.168.49.2/32:8443, never the "
                 "ClusterIP 10.96.0.1, which the packet no longer carries; default ports 443, 6443."),
]

# --- connections ------------------------------------------------------------------------------------
Source = Annotated[
    str | None,
    typer.Option("--from", metavar="NS/POD|KIND/NS/NAME|IP|hep:NAME",
                 help="Where the connection starts: a pod, a workload (deployment/NS/NAME), an IP or a HEP."),
]
Destination = Annotated[
    str | None,
    typer.Option("--to", metavar="NS/POD|KIND/NS/NAME|svc/NS/NAME:PORT|IP|hep:NAME",
                 help="Where the connection goes; a Service is judged per endpoint, after DNAT."),
]
Port = Annotated[
    str | None,
    typer.Option("--port", metavar="PORT", help="Destination port: a number or a port name."),
]
Protocol = Annotated[
    str | None, typer.Option("--protocol", metavar="PROTO", help="TCP (default), UDP or SCTP.")
]

# --- live cluster changes -------------------------------------------------------------------------
With = Annotated[
    Tool | None,
    typer.Option("--with",
                 help="Apply with calicoctl or kubectl (default: calicoctl when on PATH, else kubectl)."),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (for CI).")]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Show the plan and stop (kubectl: also a server-side dry run).")
]
BundleOut = Annotated[
    Path | None,
    typer.Option("--bundle", metavar="FILE", dir_okay=False,
                 help="Where to write the rollback bundle (default: ./np2calico-rollback-<UTC time>.yaml)."),
]


def model_tie_break(choice: TieBreakChoice | None) -> Any:
    """The model's TieBreak of `--tie-break` (Calico v3.32's key when not given)."""
    from translator.model.calico import TieBreak

    return TieBreak((choice or TieBreakChoice.V3_32).value)


def default_deny_options(
    choice: DefaultDenyChoice | None,
    scope: tuple[list[str] | None, list[str] | None],
    dns: tuple[str, str, list[str] | None],
    apiservers: list[str] | None,
) -> Any:
    """The DefaultDenyOptions of `--default-deny global`, or None; its sub-options need it."""
    from translator.convert.options import DefaultDenyOptions, parse_apiserver, parse_dns_ip

    exclude, include = scope[0] or [], scope[1] or []
    dns_selector, dns_namespace, dns_ips = dns[0], dns[1], dns[2] or []
    if choice is None:
        if exclude or include or dns_ips or apiservers:
            raise UsageError(
                "--exclude-namespace, --include-namespace, --dns-ip and --allow-apiserver "
                "need --default-deny global"
            )
        return None
    check_namespace_options(exclude_namespace=exclude, include_namespace=include, dns_namespace=dns_namespace)
    return DefaultDenyOptions.build(
        exclude=tuple(exclude),
        include=tuple(include),
        dns_selector=dns_selector,
        dns_namespace=dns_namespace,
        dns_ips=tuple(parse_dns_ip(t) for t in dns_ips),
        allow_apiserver=tuple(parse_apiserver(t) for t in apiservers or []),
    )
