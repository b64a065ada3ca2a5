"""Builders for model objects that many test files need, written once (sqlglot keeps its test
helpers in one place the same way). Short names, keyword options, model types out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

import pytest
from typer.testing import CliRunner, Result  # not click's: typer >= 0.29 does not install click

from translator.cli import app

# Model types by module (k8s.NetworkPolicy, calico.EntityRule): both models have a NetworkPolicy.
from translator.model import calico, cluster, common, k8s
from translator.selectors import parse

INGRESS = (common.Direction.INGRESS,)
EGRESS = (common.Direction.EGRESS,)
BOTH = (common.Direction.INGRESS, common.Direction.EGRESS)
TCP, UDP, SCTP = common.Protocol.TCP, common.Protocol.UDP, common.Protocol.SCTP


# --- Kubernetes ------------------------------------------------------------------------------


def sel(
    labels: dict[str, str] | None = None, *exprs: tuple[str, str, tuple[str, ...]]
) -> common.LabelSelector:
    """`sel({"app": "web"}, ("tier", "In", ("a", "b")))`."""
    reqs = (common.LabelSelectorRequirement(k, common.SelectorOperator(op), v) for k, op, v in exprs)
    return common.LabelSelector.of(labels, *reqs)


def pol(
    name: str,
    select: common.LabelSelector | None = None,
    *,
    ns: str = "default",
    types: tuple[common.Direction, ...] | None = None,
    ingress: tuple[k8s.NetworkPolicyRule, ...] = (),
    egress: tuple[k8s.NetworkPolicyRule, ...] = (),
) -> k8s.NetworkPolicy:
    """A Kubernetes NetworkPolicy as written (not normalised): `types=None` leaves policyTypes absent."""
    return k8s.NetworkPolicy(ns, name, select or common.LabelSelector(), types, ingress, egress)


def rule(
    *peers: k8s.NetworkPolicyPeer, ports: tuple[k8s.NetworkPolicyPort, ...] = ()
) -> k8s.NetworkPolicyRule:
    return k8s.NetworkPolicyRule(ports, peers)


def port(
    number: int | str | None = None, protocol: common.Protocol | None = None, end: int | None = None
) -> k8s.NetworkPolicyPort:
    return k8s.NetworkPolicyPort(protocol, number, end)


def pods(
    labels: common.LabelSelector | None = None, namespaces: common.LabelSelector | None = None
) -> k8s.NetworkPolicyPeer:
    return k8s.NetworkPolicyPeer(pod_selector=labels, namespace_selector=namespaces)


def block(cidr: str, *excepted: str) -> k8s.NetworkPolicyPeer:
    excepted_networks = tuple(common.parse_network(e) for e in excepted)
    return k8s.NetworkPolicyPeer(ip_block=k8s.IPBlock(common.parse_network(cidr), excepted_networks))


# --- Calico ----------------------------------------------------------------------------------

PortText = int | str | tuple[int, int]


def _port_spec(p: PortText) -> common.PortRange | str:
    if isinstance(p, tuple):
        return common.PortRange(*p)
    return common.PortRange.single(p) if isinstance(p, int) else p


def ent(
    selector: str | None = None,
    *,
    not_selector: str | None = None,
    ns: str | None = None,
    nets: tuple[str, ...] = (),
    not_nets: tuple[str, ...] = (),
    ports: tuple[PortText, ...] = (),
    not_ports: tuple[PortText, ...] = (),
) -> calico.EntityRule:
    """A rule side from text: selectors parsed, CIDRs parsed, ports as 80, "http" or (80, 90)."""
    return calico.EntityRule(
        selector=parse(selector) if selector is not None else None,
        not_selector=parse(not_selector) if not_selector is not None else None,
        namespace_selector=parse(ns) if ns is not None else None,
        nets=tuple(common.parse_network(n) for n in nets),
        not_nets=tuple(common.parse_network(n) for n in not_nets),
        ports=tuple(_port_spec(p) for p in ports),
        not_ports=tuple(_port_spec(p) for p in not_ports),
    )


# --- cluster ---------------------------------------------------------------------------------------


def pod(
    ns: str,
    name: str,
    labels: dict[str, str],
    *ips: str,
    ports: tuple[cluster.ContainerPort, ...] = (),
    host_network: bool = False,
) -> cluster.Pod:
    """`pod("default", "web", {"app": "web"}, "10.0.0.1", "fd00::1", ports=HTTP_AND_DNS)`."""
    addresses = tuple(common.parse_ip(i) for i in ips)
    return cluster.Pod(ns, name, labels, addresses, ports, host_network=host_network)


HTTP_AND_DNS = (cluster.ContainerPort(80, TCP, "http"), cluster.ContainerPort(53, UDP, "dns"))
HTTP_ON_8080 = (cluster.ContainerPort(8080, TCP, "http"),)
# Two containers of one pod may declare the same port name with different numbers (Kubernetes
# only warns); the third entry is the name again for another protocol.
HTTP_DECLARED_TWICE = (
    cluster.ContainerPort(80, TCP, "http"),
    cluster.ContainerPort(8080, TCP, "http"),
    cluster.ContainerPort(9090, UDP, "http"),
)


def evaluator_cluster(
    *,
    namespaces: Sequence[cluster.Namespace] = (),
    pods: Sequence[cluster.Pod] = (),
    host_endpoints: Sequence[cluster.HostEndpoint] = (),
) -> cluster.Cluster:
    """The cluster both evaluator tables stand on, plus what a table adds: namespaces default
    (team=a) and dev (env=dev); default/web (10.0.0.1, fd00::1, ports http and dns),
    default/client (10.0.0.2, fd00::2), dev/client (10.0.1.2) and dev/other (10.0.1.3)."""
    base_namespaces = (
        cluster.Namespace.create("default", {"team": "a"}),
        cluster.Namespace.create("dev", {"env": "dev"}),
    )
    base_pods = (
        pod("default", "web", {"app": "web"}, "10.0.0.1", "fd00::1", ports=HTTP_AND_DNS),
        pod("default", "client", {"app": "client"}, "10.0.0.2", "fd00::2"),
        pod("dev", "client", {"app": "client"}, "10.0.1.2"),
        pod("dev", "other", {"app": "other"}, "10.0.1.3"),
    )
    return cluster.Cluster.build((*base_namespaces, *namespaces), (*base_pods, *pods), host_endpoints)


# --- the command line ------------------------------------------------------------------------------


def run(*args: object, stdin: str | None = None) -> Result:
    """`np2calico ARGS` in this process: arguments as text (paths welcome), stdout and stderr apart."""
    return CliRunner().invoke(app, [str(a) for a in args], input=stdin)


def run_outputs(*args: object, stdin: str | None = None) -> tuple[int, str, str]:
    """The exit code, stdout and stderr of `np2calico ARGS`."""
    result = run(*args, stdin=stdin)
    return result.exit_code, result.stdout, result.stderr


# --- documents -------------------------------------------------------------------------------------

# The default deny of the Calico docs (semantics.md §3): every namespace but kube-system and
# calico-system, DNS to kube-dns left open; no order, so it runs after the Kubernetes policies.
CALICO_DOCS_DEFAULT_DENY = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-app-policy
spec:
  namespaceSelector: >-
    has(projectcalico.org/name) && projectcalico.org/name not in {"kube-system", "calico-system"}
  types: [Ingress, Egress]
  egress:
  - {action: Allow, protocol: UDP, destination: {selector: 'k8s-app == "kube-dns"', ports: [53]}}
  - {action: Allow, protocol: TCP, destination: {selector: 'k8s-app == "kube-dns"', ports: [53]}}
"""


# --- evaluator tables ------------------------------------------------------------------------------


class Outcome(NamedTuple):
    """A verdict as a table expects it: overall, and on each side."""

    allowed: bool
    egress: bool
    ingress: bool


ALLOWED = Outcome(allowed=True, egress=True, ingress=True)
DENIED_AT_INGRESS = Outcome(allowed=False, egress=True, ingress=False)
DENIED_AT_EGRESS = Outcome(allowed=False, egress=False, ingress=True)
DENIED_AT_BOTH = Outcome(allowed=False, egress=False, ingress=False)

P = TypeVar("P")


@dataclass(frozen=True, kw_only=True)
class Case(Generic[P]):
    """One row of an evaluator table, every field named (sqlglot's `validate_all` reads the same
    way): the policies, one connection between two endpoints named as `explain` takes them
    ("ns/pod", "hep:name" or an address), and the expected outcome."""

    name: str
    policies: P
    source: str
    destination: str
    port: int | str
    protocol: common.Protocol = TCP
    source_ip: str | None = None  # the address each side uses, where an endpoint has several
    destination_ip: str | None = None
    expect: Outcome
    decided_by: str | None = None  # what decided the ingress side, in `explain`'s words, where it matters
    policy: str | None = None  # the policy that decided the ingress side, where it matters

    @property
    def addresses(self) -> dict[str, str]:
        """`source_ip` and `destination_ip` where the row names them, as keyword arguments."""
        given = {"source_ip": self.source_ip, "destination_ip": self.destination_ip}
        return {side: ip for side, ip in given.items() if ip is not None}


def table(cases: Sequence[Case[Any]]) -> list[Any]:
    """The rows as pytest parameters, each with its name as its id (names must be unique)."""
    names = [case.name for case in cases]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"table rows named twice: {', '.join(repeated)}")
    return [pytest.param(case, id=case.name) for case in cases]
