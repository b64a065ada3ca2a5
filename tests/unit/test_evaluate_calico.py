"""A table of cases for semantics.md §2.1–§2.5 (Calico evaluation), on model objects built directly.

Each case is a policy set, one connection and the expected egress and ingress outcome; where the
deciding policy, rule or action matters, the case names it too.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.builders import (
    ALLOWED,
    BOTH,
    DENIED_AT_BOTH,
    DENIED_AT_EGRESS,
    DENIED_AT_INGRESS,
    EGRESS,
    HTTP_DECLARED_TWICE,
    INGRESS,
    SCTP,
    TCP,
    UDP,
    Case,
    ent,
    evaluator_cluster,
    pod,
    table,
)
from translator.errors import InputError, UsageError
from translator.evaluate.calico import CalicoEvaluator, evaluate_calico
from translator.evaluate.verdict import DecidedBy, TrailStep
from translator.model import k8s
from translator.model.calico import (
    Action,
    GlobalNetworkPolicy,
    Metadata,
    NetworkPolicy,
    PolicySet,
    PolicySpec,
    Rule,
    StagedAction,
    StagedKubernetesNetworkPolicy,
    Tier,
)
from translator.model.cluster import (
    DEFAULT_ALLOW_PROFILE,
    Cluster,
    Connection,
    Endpoint,
    HostEndpoint,
    Namespace,
)
from translator.model.common import Direction, LabelSelector, Protocol, parse_ip
from translator.render.verdicts import action_text, decision_reasons
from translator.selectors import parse

ALLOW, DENY, PASS, LOG = Action.ALLOW, Action.DENY, Action.PASS, Action.LOG


CLUSTER = evaluator_cluster(
    namespaces=[Namespace.create("kube-system")],
    pods=[
        pod("kube-system", "dns", {"k8s-app": "kube-dns"}, "10.0.2.2"),
        pod("default", "hostpod", {"app": "client"}, "192.168.0.1", host_network=True),
    ],
    host_endpoints=[
        HostEndpoint("node1", "node1", "eth0", {"role": "node"}, (parse_ip("192.168.0.1"),)),
        HostEndpoint(
            "node2", "node2", "eth0", {"role": "node"}, (parse_ip("192.168.0.2"),), (DEFAULT_ALLOW_PROFILE,)
        ),
    ],
)
OUTSIDE = parse_ip("203.0.113.5")


def ep(text: str) -> Endpoint:
    if text.startswith("hep:"):
        found = CLUSTER.host_endpoint(text[4:])
    elif "/" in text:
        found = CLUSTER.pod(text)
    else:
        return parse_ip(text)
    assert found is not None, text
    return found


def conn(src: str, dst: str, protocol: Protocol = TCP, port: int | str = 80, **ips: str) -> Connection:
    addresses = {k: parse_ip(v) for k, v in ips.items()}
    return Connection(ep(src), ep(dst), protocol, port, **addresses)  # type: ignore[arg-type]




def rule(action: Action, protocol: str | int | None = None, **fields: object) -> Rule:
    return Rule(action, protocol=protocol, **fields)  # type: ignore[arg-type]


def spec(
    selector: str | None,
    *,
    tier: str = "default",
    order: float | None = None,
    types: tuple[Direction, ...] = BOTH,
    ingress: tuple[Rule, ...] = (),
    egress: tuple[Rule, ...] = (),
) -> PolicySpec:
    return PolicySpec(tier, order, parse(selector) if selector is not None else None, types, ingress, egress)


def np(
    name: str,
    ns: str = "default",
    selector: str | None = "all()",
    staged: StagedAction | None = None,
    **kw: object,
) -> NetworkPolicy:
    return NetworkPolicy(Metadata(name, ns), spec(selector, **kw), staged)  # type: ignore[arg-type]


def gnp(
    name: str, selector: str | None = "all()", namespace_selector: str | None = None, **kw: object
) -> GlobalNetworkPolicy:
    ns_sel = parse(namespace_selector) if namespace_selector is not None else None
    return GlobalNetworkPolicy(Metadata(name), spec(selector, **kw), ns_sel)  # type: ignore[arg-type]


def knp(name: str, ns: str, pod_labels: dict[str, str], *rules: k8s.NetworkPolicyRule) -> k8s.NetworkPolicy:
    return k8s.normalise(
        k8s.NetworkPolicy(ns, name, LabelSelector.of(pod_labels), (Direction.INGRESS,), rules)
    )


def from_pods(labels: dict[str, str], port: int = 80) -> k8s.NetworkPolicyRule:
    return k8s.NetworkPolicyRule(
        (k8s.NetworkPolicyPort(TCP, port),), (k8s.NetworkPolicyPeer(pod_selector=LabelSelector.of(labels)),)
    )


def web_np(*ingress: Rule) -> NetworkPolicy:
    """NetworkPolicy `p` selecting web, ingress only, with these rules."""
    return np("p", selector=WEB, types=INGRESS, ingress=ingress)


def web_gnp(*ingress: Rule) -> GlobalNetworkPolicy:
    """GlobalNetworkPolicy `p` selecting web, ingress only, with these rules."""
    return gnp("p", WEB, types=INGRESS, ingress=ingress)


def policies(
    *items: object, tiers: tuple[Tier, ...] = (), k8s_policies: tuple[k8s.NetworkPolicy, ...] = ()
) -> PolicySet:
    return PolicySet(k8s_policies, tuple(items), (), tiers)  # type: ignore[arg-type]


KNP_WEB_FROM_CLIENT = knp("allow", "default", {"app": "web"}, from_pods({"app": "client"}))
IMPLICIT_LABELS = (
    "projectcalico.org/orchestrator == 'k8s' && projectcalico.org/serviceaccount == 'default' "
    "&& projectcalico.org/namespace == 'dev'"
)
SECURITY = Tier("security", 100.0)
SECURITY_PASS = Tier("security", 100.0, Action.PASS)
WEB = "app == 'web'"
ALLOW_ALL = rule(ALLOW)
DENY_ALL = rule(DENY)


CASES = [
    # --- order within a tier (§2.1) ---
    Case(
        name="explicit-deny-in-earlier-policy-hides-later-allow",
        policies=policies(
            np("deny", selector=WEB, order=10, types=INGRESS, ingress=(DENY_ALL,)),
            np("allow", selector=WEB, order=20, types=INGRESS, ingress=(ALLOW_ALL,)),
        ),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="Deny",
        policy="NetworkPolicy/default/deny",
    ),
    Case(
        name="allow-ordered-before-deny-wins",
        policies=policies(
            np("deny", selector=WEB, order=20, types=INGRESS, ingress=(DENY_ALL,)),
            np("allow", selector=WEB, order=10, types=INGRESS, ingress=(ALLOW_ALL,)),
        ),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
        policy="NetworkPolicy/default/allow",
    ),
    Case(
        name="unset-order-runs-last",
        policies=policies(
            np("deny", selector=WEB, types=INGRESS, ingress=(DENY_ALL,)),
            np("allow", selector=WEB, order=99999, types=INGRESS, ingress=(ALLOW_ALL,)),
        ),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="first-matching-rule-of-a-policy-decides",
        policies=policies(web_np(rule(DENY, "UDP"), rule(ALLOW, "TCP"), DENY_ALL)),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="log-rule-continues",
        policies=policies(web_np(rule(LOG), ALLOW_ALL)),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    # --- tiers (§2.1, §2.2) ---
    Case(
        name="pass-skips-to-next-tier-which-denies",
        policies=policies(
            np("sec", selector=WEB, tier="security", types=INGRESS, ingress=(rule(PASS),)),
            np("deny", selector=WEB, types=INGRESS, ingress=(DENY_ALL,)),
            tiers=(SECURITY,),
        ),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="Deny",
        policy="NetworkPolicy/default/deny",
    ),
    Case(
        name="earlier-tier-allow-is-final",
        policies=policies(
            np("sec", selector=WEB, tier="security", types=INGRESS, ingress=(ALLOW_ALL,)),
            np("deny", selector=WEB, types=INGRESS, ingress=(DENY_ALL,)),
            tiers=(SECURITY,),
        ),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
        policy="NetworkPolicy/default/sec",
    ),
    Case(
        name="pass-out-of-last-tier-allowed-for-pod-by-kns-profile",
        policies=policies(web_np(rule(PASS))),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="profile kns.default",
    ),
    Case(
        name="pass-out-of-last-tier-denied-for-host-endpoint",
        policies=policies(gnp("p", "role == 'node'", types=INGRESS, ingress=(rule(PASS),))),
        source="default/client", destination="hep:node1", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="no profile allows",
    ),
    Case(
        name="pass-out-of-last-tier-allowed-for-hep-with-default-allow-profile",
        policies=policies(gnp("p", "role == 'node'", types=INGRESS, ingress=(rule(PASS),))),
        source="default/client", destination="hep:node2", port=80,
        expect=ALLOWED,
        decided_by=f"profile {DEFAULT_ALLOW_PROFILE}",
    ),
    Case(
        name="host-endpoint-without-policy-or-profile-denied",
        policies=policies(),
        source="default/client", destination="hep:node1", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="no policy applies",
    ),
    Case(
        name="no-end-of-tier-deny-when-no-policy-selects-endpoint",
        policies=policies(
            np("other", selector="app == 'client'", tier="security", types=INGRESS, ingress=(DENY_ALL,)),
            tiers=(SECURITY,),
        ),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="no policy applies",
    ),
    Case(
        name="no-end-of-tier-deny-when-policy-governs-other-direction",
        policies=policies(np("egress-only", selector=WEB, tier="security", types=EGRESS), tiers=(SECURITY,)),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="no policy applies",
    ),
    Case(
        name="end-of-tier-deny-when-a-policy-selects-and-no-rule-matches",
        policies=policies(
            np("p", selector=WEB, tier="security", types=INGRESS, ingress=(rule(ALLOW, "UDP"),)),
            tiers=(SECURITY,),
        ),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier security",
    ),
    Case(
        name="tier-default-action-pass-goes-on",
        policies=policies(
            np("p", selector=WEB, tier="security", types=INGRESS, ingress=(rule(ALLOW, "UDP"),)),
            tiers=(SECURITY_PASS,),
        ),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="profile kns.default",
    ),
    Case(
        # `aaa` has no order: stored as 1,000,000 like `default`, and "aaa" < "default".
        name="tier-without-order-sorts-with-default-by-name",
        policies=policies(
            np("p", selector=WEB, tier="aaa", types=INGRESS, ingress=(DENY_ALL,)),
            np("q", selector=WEB, types=INGRESS, ingress=(ALLOW_ALL,)),
            tiers=(Tier("aaa"),),
        ),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="Deny",
    ),
    # --- selector scopes (§2.4) ---
    Case(
        name="gnp-all-selects-host-endpoints",
        policies=policies(gnp("p", "all()", types=INGRESS)),
        source="default/client", destination="hep:node2", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="gnp-empty-selector-selects-host-endpoints",
        policies=policies(gnp("p", None, types=INGRESS)),
        source="default/client", destination="hep:node2", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="gnp-positive-namespace-selector-excludes-host-endpoints",
        policies=policies(gnp("p", "all()", "has(projectcalico.org/name)", types=INGRESS)),
        source="default/client", destination="hep:node2", port=80,
        expect=ALLOWED,
        decided_by=f"profile {DEFAULT_ALLOW_PROFILE}",
    ),
    Case(
        name="gnp-not-equal-only-namespace-selector-selects-host-endpoints",
        policies=policies(gnp("p", None, "projectcalico.org/name != 'kube-system'", types=INGRESS)),
        source="default/client", destination="hep:node2", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        # globalnetworkpolicyprocessor.go replaces all() in the whole combined selector.
        name="gnp-all-selector-with-namespace-selector-means-pods-only",
        policies=policies(gnp("p", "all()", "projectcalico.org/name != 'kube-system'", types=INGRESS)),
        source="default/client", destination="hep:node2", port=80,
        expect=ALLOWED,
        decided_by=f"profile {DEFAULT_ALLOW_PROFILE}",
    ),
    Case(
        name="gnp-namespace-selector-selects-pods-of-matching-namespaces",
        policies=policies(gnp("p", "all()", "env == 'dev'", types=INGRESS)),
        source="default/client", destination="dev/other", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="gnp-namespace-selector-skips-pods-of-other-namespaces",
        policies=policies(gnp("p", "all()", "env == 'dev'", types=INGRESS)),
        source="dev/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="no policy applies",
    ),
    Case(
        name="networkpolicy-selects-only-its-own-namespace",
        policies=policies(np("p", "dev", "app == 'client'", types=INGRESS)),
        source="dev/other", destination="default/client", port=80,
        expect=ALLOWED,
        decided_by="no policy applies",
    ),
    Case(
        name="networkpolicy-never-selects-host-endpoints",
        policies=policies(np("p", "default", "all()", types=INGRESS)),
        source="default/client", destination="hep:node2", port=80,
        expect=ALLOWED,
        decided_by=f"profile {DEFAULT_ALLOW_PROFILE}",
    ),
    Case(
        name="np-rule-selector-is-own-namespace-other-namespace-denied",
        policies=policies(web_np(rule(ALLOW, source=ent("app == 'client'")))),
        source="dev/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="np-rule-selector-is-own-namespace-same-namespace-allowed",
        policies=policies(web_np(rule(ALLOW, source=ent("app == 'client'")))),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="gnp-rule-selector-is-cluster-wide",
        policies=policies(web_gnp(rule(ALLOW, source=ent("app == 'client'")))),
        source="dev/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="gnp-rule-selector-matches-host-endpoints",
        policies=policies(web_gnp(rule(ALLOW, source=ent("role == 'node'")))),
        source="hep:node1", destination="default/web", port=80,
        expect=DENIED_AT_EGRESS,  # node1 has no policy and no profile: its own egress is denied
        decided_by="Allow",
    ),
    Case(
        name="rule-namespace-selector-global-matches-host-endpoints",
        policies=policies(web_gnp(rule(ALLOW, source=ent(ns="global()")))),
        source="hep:node2", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="rule-namespace-selector-global-excludes-pods",
        policies=policies(web_gnp(rule(ALLOW, source=ent(ns="global()")))),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="rule-namespace-selector-all-matches-pods-of-every-namespace",
        policies=policies(web_np(rule(ALLOW, source=ent(ns="all()")))),
        source="dev/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="rule-namespace-selector-all-excludes-host-endpoints",
        policies=policies(web_gnp(rule(ALLOW, source=ent(ns="all()")))),
        source="hep:node2", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="rule-namespace-selector-uses-calico-name-label",
        policies=policies(web_np(rule(ALLOW, source=ent(ns="projectcalico.org/name == 'dev'")))),
        source="dev/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="rule-selector-sees-implicit-pod-labels",
        policies=policies(web_gnp(rule(ALLOW, source=ent(IMPLICIT_LABELS)))),
        source="dev/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="np-not-selector-alone-is-still-own-namespace",
        policies=policies(web_np(rule(ALLOW, source=ent(not_selector="app == 'x'")))),
        source="dev/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="gnp-not-selector-alone-matches-outside-addresses",
        policies=policies(web_gnp(rule(ALLOW, source=ent(not_selector="app == 'x'")))),
        source="203.0.113.5", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="not-selector-excludes-matching-endpoint",
        policies=policies(web_gnp(rule(ALLOW, source=ent(not_selector="app == 'client'")))),
        source="dev/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="rule-without-selector-fields-matches-outside-address",
        policies=policies(
            np(
                "p",
                selector="app == 'client'",
                types=EGRESS,
                egress=(rule(ALLOW, destination=ent(ports=(443,))),),
            )
        ),
        source="default/client", destination="203.0.113.5", port=443,
        expect=ALLOWED,
    ),
    Case(
        name="selector-all-never-matches-outside-address",
        policies=policies(
            gnp("p", "app == 'client'", types=EGRESS, egress=(rule(ALLOW, destination=ent("all()")),))
        ),
        source="default/client", destination="203.0.113.5", port=443,
        expect=DENIED_AT_EGRESS,
    ),
    Case(
        name="not-equal-selects-pod-missing-the-label",
        policies=policies(np("p", selector="tier != 'backend'", types=INGRESS)),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="not-in-selects-pod-missing-the-label",
        policies=policies(np("p", selector="tier not in {'a', 'b'}", types=INGRESS)),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="equals-does-not-select-pod-missing-the-label",
        policies=policies(np("p", selector="tier == 'backend'", types=INGRESS)),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="no policy applies",
    ),
    Case(
        name="host-network-pod-is-not-a-workload-endpoint",
        policies=policies(web_np(rule(ALLOW, source=ent("app == 'client'")))),
        source="default/hostpod", destination="default/web", port=80,
        expect=DENIED_AT_BOTH,  # hostpod's IP is node1's: judged as hep:node1, which no profile allows
        decided_by="end of tier default",
    ),
    Case(
        name="outside-address-is-not-judged",
        policies=policies(gnp("deny-all", "all()", types=BOTH)),
        source="203.0.113.5", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    # --- types (§2.3) ---
    Case(
        name="types-default-egress-rules-only-governs-egress-only",
        policies=policies(np("p", selector=WEB, types=(), egress=(ALLOW_ALL,))),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="no policy applies",
    ),
    Case(
        name="types-default-no-rules-governs-ingress",
        policies=policies(np("p", selector=WEB, types=())),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="types-default-both-rules-governs-both",
        policies=policies(
            np("p", selector="app == 'client'", types=(), ingress=(ALLOW_ALL,), egress=(rule(ALLOW, "UDP"),))
        ),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_EGRESS,
        decided_by="no policy applies",
    ),
    # --- match fields (§2.5) ---
    Case(
        name="protocol-number-matches-name",
        policies=policies(web_np(rule(ALLOW, 6))),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="protocol-number-17-is-udp",
        policies=policies(web_np(rule(ALLOW, 17))),
        source="default/client", destination="default/web", protocol=UDP, port=53,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="protocol-number-string-132-is-sctp",
        policies=policies(web_np(rule(ALLOW, "132"))),
        source="default/client", destination="default/web", protocol=SCTP, port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="udp-rule-never-opens-tcp",
        policies=policies(web_np(rule(ALLOW, "UDP"))),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="not-protocol-excludes",
        policies=policies(web_np(rule(ALLOW, not_protocol="TCP"))),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="not-protocol-number-lets-other-protocols-through",
        policies=policies(web_np(rule(ALLOW, not_protocol=17))),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="port-range-inclusive",
        policies=policies(web_np(rule(ALLOW, "TCP", destination=ent(ports=((70, 80),))))),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="not-ports-exclude",
        policies=policies(web_np(rule(ALLOW, "TCP", destination=ent(not_ports=(80,))))),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="named-port-matches-declaring-destination",
        policies=policies(web_np(rule(ALLOW, "TCP", destination=ent(ports=("http",))))),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="named-port-connection-by-name",
        policies=policies(web_np(rule(ALLOW, "TCP", destination=ent(ports=("http",))))),
        source="default/client", destination="default/web", port="http",
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="named-port-other-number-does-not-match",
        policies=policies(web_np(rule(ALLOW, "TCP", destination=ent(ports=("http",))))),
        source="default/client", destination="default/web", port=8080,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="named-port-of-another-protocol-does-not-match",
        policies=policies(web_np(rule(ALLOW, "TCP", destination=ent(ports=("dns",))))),
        source="default/client", destination="default/web", protocol=TCP, port=53,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="named-port-never-matches-outside-address",
        policies=policies(
            np(
                "p",
                selector="app == 'client'",
                types=EGRESS,
                egress=(rule(ALLOW, "TCP", destination=ent(ports=("http",))),),
            )
        ),
        source="default/client", destination="203.0.113.5", port=80,
        expect=DENIED_AT_EGRESS,
    ),
    Case(
        name="source-ports-covering-every-port-match-any-source-port",
        policies=policies(web_np(rule(ALLOW, "TCP", source=ent(ports=((1, 65535),))))),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="nets-match-pod-ip",
        policies=policies(web_np(rule(ALLOW, source=ent(nets=("10.0.0.0/24",))))),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="nets-host-bits-masked",
        policies=policies(web_np(rule(ALLOW, source=ent(nets=("10.0.0.77/24",))))),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="not-nets-exclude",
        policies=policies(web_np(rule(ALLOW, source=ent(not_nets=("10.0.0.0/24",))))),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="ipv4-nets-deny-exists-for-ipv4",
        policies=policies(web_np(rule(DENY, source=ent(nets=("10.0.0.0/8",))), ALLOW_ALL)),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="Deny",
    ),
    Case(
        name="ipv4-nets-deny-does-not-exist-for-ipv6",
        policies=policies(web_np(rule(DENY, source=ent(nets=("10.0.0.0/8",))), ALLOW_ALL)),
        source="default/client", destination="default/web", port=80,
        source_ip="fd00::2", destination_ip="fd00::1",
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="ipv4-not-nets-deny-matches-other-ipv4",
        policies=policies(web_np(rule(DENY, source=ent(not_nets=("192.168.0.0/16",))), ALLOW_ALL)),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="Deny",
    ),
    Case(
        name="ipv4-not-nets-deny-does-not-exist-for-ipv6",
        policies=policies(web_np(rule(DENY, source=ent(not_nets=("192.168.0.0/16",))), ALLOW_ALL)),
        source="default/client", destination="default/web", port=80,
        source_ip="fd00::2", destination_ip="fd00::1",
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="ipv6-nets-allow-does-not-exist-for-ipv4",
        policies=policies(web_np(rule(ALLOW, source=ent(nets=("fd00::/64",))))),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="ip-version-6-rule-does-not-exist-for-ipv4",
        policies=policies(web_np(rule(DENY, ip_version=6), ALLOW_ALL)),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
    ),
    Case(
        name="ip-version-6-rule-exists-for-ipv6",
        policies=policies(web_np(rule(DENY, ip_version=6), ALLOW_ALL)),
        source="default/client", destination="default/web", port=80,
        source_ip="fd00::2", destination_ip="fd00::1",
        expect=DENIED_AT_INGRESS,
        decided_by="Deny",
    ),
    # --- Kubernetes policies next to Calico policies (tier default, order 1000) ---
    Case(
        name="calico-deny-at-order-500-runs-before-k8s-policy",
        policies=policies(
            np("deny", selector=WEB, order=500, types=INGRESS, ingress=(DENY_ALL,)),
            k8s_policies=(KNP_WEB_FROM_CLIENT,),
        ),
        source="default/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="Deny",
        policy="NetworkPolicy/default/deny",
    ),
    Case(
        name="k8s-policy-at-order-1000-runs-before-calico-deny-at-2000",
        policies=policies(
            np("deny", selector=WEB, order=2000, types=INGRESS, ingress=(DENY_ALL,)),
            k8s_policies=(KNP_WEB_FROM_CLIENT,),
        ),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
        policy="KubernetesNetworkPolicy/default/allow",
    ),
    Case(
        name="k8s-policy-isolates-and-ends-the-default-tier",
        policies=policies(k8s_policies=(KNP_WEB_FROM_CLIENT,)),
        source="dev/client", destination="default/web", port=80,
        expect=DENIED_AT_INGRESS,
        decided_by="end of tier default",
    ),
    Case(
        name="k8s-policy-after-calico-pass-tier",
        policies=policies(
            np("sec", selector="all()", tier="security", types=INGRESS, ingress=(rule(PASS),)),
            tiers=(SECURITY,),
            k8s_policies=(KNP_WEB_FROM_CLIENT,),
        ),
        source="default/client", destination="default/web", port=80,
        expect=ALLOWED,
        decided_by="Allow",
        policy="KubernetesNetworkPolicy/default/allow",
    ),
]


def connection(case: Case[PolicySet]) -> Connection:
    return conn(case.source, case.destination, case.protocol, case.port, **case.addresses)


@pytest.mark.parametrize("case", table(CASES))
def test_calico_semantics(case: Case[PolicySet]) -> None:
    asked = connection(case)
    verdict = evaluate_calico(case.policies, CLUSTER, asked)
    assert (verdict.allowed, verdict.egress.allowed, verdict.ingress.allowed) == case.expect, verdict
    if case.decided_by is not None:
        assert action_text(verdict.ingress) == case.decided_by, verdict.ingress
    if case.policy is not None:
        assert verdict.ingress.policy == case.policy, verdict.ingress
    for decision in (verdict.egress, verdict.ingress):
        assert all(decision_reasons(decision, asked))


# --- order ties under both tie-break keys (§2.1) -------------------------------------------------

TIE_CASES = [
    # v3.32 compares name/namespace/kind: "aa/dev/NetworkPolicy" < "zz//GlobalNetworkPolicy".
    # v3.31 compares v1 names: "default.zz" < "dev/default.aa".
    pytest.param(
        policies(
            np("aa", "dev", "all()", order=100, types=INGRESS, ingress=(ALLOW_ALL,)),
            gnp("zz", "all()", order=100, types=INGRESS, ingress=(DENY_ALL,)),
        ),
        {"v3.32": "NetworkPolicy/dev/aa", "v3.31": "GlobalNetworkPolicy/zz"},
        id="networkpolicy-vs-globalnetworkpolicy",
    ),
    # v3.32: "allow/default/KubernetesNetworkPolicy" < "zz/default/NetworkPolicy";
    # v3.31: "default/default.zz" < "default/knp.default.allow".
    pytest.param(
        policies(
            np("zz", selector=WEB, order=1000, types=INGRESS, ingress=(DENY_ALL,)),
            k8s_policies=(KNP_WEB_FROM_CLIENT,),
        ),
        {"v3.32": "KubernetesNetworkPolicy/default/allow", "v3.31": "NetworkPolicy/default/zz"},
        id="kubernetes-policy-vs-calico-policy-at-1000",
    ),
    # Both unset orders tie at +inf and the key decides.
    pytest.param(
        policies(
            np("b", selector=WEB, types=INGRESS, ingress=(DENY_ALL,)),
            np("a", selector=WEB, types=INGRESS, ingress=(ALLOW_ALL,)),
        ),
        {"v3.32": "NetworkPolicy/default/a", "v3.31": "NetworkPolicy/default/a"},
        id="unset-orders-tie",
    ),
]


@pytest.mark.parametrize(("policy_set", "winners"), TIE_CASES)
@pytest.mark.parametrize("tie_break", ["v3.32", "v3.31"])
def test_order_ties(policy_set: PolicySet, winners: dict[str, str], tie_break: str) -> None:
    target = "dev/other" if any(p.name == "aa" for p in policy_set.calico_policies) else "default/web"
    verdict = evaluate_calico(policy_set, CLUSTER, conn("default/client", target), tie_break=tie_break)
    assert verdict.ingress.policy == winners[tie_break]


def test_unknown_tie_break_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"v3\.30"):
        CalicoEvaluator(policies(), CLUSTER, tie_break="v3.30")


# --- staged policies (§2.9) ----------------------------------------------------------------------

STAGED_DENY = np("deny", selector=WEB, staged=StagedAction.SET, types=INGRESS, ingress=(DENY_ALL,))
STAGED_DELETE = np("deny", selector=WEB, staged=StagedAction.DELETE, types=INGRESS, ingress=(DENY_ALL,))
STAGED_K8S = StagedKubernetesNetworkPolicy(knp("iso", "default", {"app": "web"}))


@pytest.mark.parametrize(
    ("policy_set", "preview", "allowed"),
    [
        pytest.param(policies(STAGED_DENY), False, True, id="staged-set-ignored-when-enforcing"),
        pytest.param(policies(STAGED_DENY), True, False, id="staged-set-evaluated-in-preview"),
        pytest.param(policies(STAGED_DELETE), True, True, id="staged-delete-not-previewed"),
        pytest.param(PolicySet(staged_k8s_policies=(STAGED_K8S,)), False, True, id="staged-k8s-ignored"),
        pytest.param(PolicySet(staged_k8s_policies=(STAGED_K8S,)), True, False, id="staged-k8s-previewed"),
    ],
)
def test_staged(policy_set: PolicySet, preview: bool, allowed: bool) -> None:
    verdict = evaluate_calico(
        policy_set, CLUSTER, conn("default/client", "default/web"), preview_staged=preview
    )
    assert verdict.ingress.allowed is allowed


def test_staged_policy_key_names_the_staged_kind() -> None:
    verdict = evaluate_calico(
        policies(STAGED_DENY), CLUSTER, conn("default/client", "default/web"), preview_staged=True
    )
    assert verdict.ingress.policy == "StagedNetworkPolicy/default/deny"


# --- tiers must exist ----------------------------------------------------------------------------


def test_policy_in_missing_tier_is_an_error_naming_it() -> None:
    with pytest.raises(InputError, match=r"NetworkPolicy/default/p: tier 'nope' does not exist"):
        CalicoEvaluator(policies(np("p", tier="nope")), CLUSTER)


@pytest.mark.parametrize("tier", ["default", "kube-admin", "kube-baseline", "adminnetworkpolicy"])
def test_builtin_tiers_need_no_tier_object(tier: str) -> None:
    CalicoEvaluator(policies(np("p", tier=tier)), CLUSTER)


def test_kube_admin_tier_runs_before_default_and_passes_by_default() -> None:
    policy_set = policies(
        np("admin", selector=WEB, tier="kube-admin", types=INGRESS, ingress=(rule(ALLOW, "UDP"),)),
        np("deny", selector=WEB, types=INGRESS, ingress=(DENY_ALL,)),
    )
    verdict = evaluate_calico(policy_set, CLUSTER, conn("default/client", "default/web"))
    assert (verdict.ingress.tier, verdict.ingress.action) == ("default", Action.DENY)
    assert verdict.ingress.trail == (TrailStep("kube-admin", Action.PASS),)
    assert any("defaultAction Pass" in r for r in decision_reasons(verdict.ingress, verdict.connection))


# --- explanations and caching --------------------------------------------------------------------


def test_rule_decision_names_tier_policy_rule_and_action() -> None:
    policy_set = policies(web_np(rule(ALLOW, "UDP"), ALLOW_ALL))
    verdict = evaluate_calico(policy_set, CLUSTER, conn("default/client", "default/web"))
    decision = verdict.ingress
    assert (decision.tier, decision.policy, decision.rule, decision.action, decision.decided_by) == (
        "default",
        "NetworkPolicy/default/p",
        1,
        Action.ALLOW,
        DecidedBy.RULE,
    )
    assert "NetworkPolicy/default/p ingress rule 1" in decision_reasons(decision, verdict.connection)[0]


def test_pass_and_log_are_recorded_in_the_reasons() -> None:
    policy_set = policies(
        np("sec", selector=WEB, tier="security", types=INGRESS, ingress=(rule(LOG), rule(PASS))),
        tiers=(SECURITY,),
    )
    verdict = evaluate_calico(policy_set, CLUSTER, conn("default/client", "default/web"))
    policy = "NetworkPolicy/default/sec"
    assert verdict.ingress.trail == (
        TrailStep("security", Action.LOG, policy, 0, "ingress[0]"),
        TrailStep("security", Action.PASS, policy, 1, "ingress[1]"),
    )
    reasons = decision_reasons(verdict.ingress, verdict.connection)
    assert any("logs and goes on" in r for r in reasons)
    assert any("passes to the next tier" in r for r in reasons)


def test_k8s_rule_decision_names_the_kubernetes_rule_and_peer() -> None:
    policy_set = policies(
        k8s_policies=(KNP_WEB_FROM_CLIENT,)
    )
    verdict = evaluate_calico(policy_set, CLUSTER, conn("default/client", "default/web"))
    assert verdict.ingress.origin == "ingress[0].from[0] TCP"
    assert "from ingress[0].from[0] TCP" in decision_reasons(verdict.ingress, verdict.connection)[0]


def test_evaluator_is_reusable_and_deterministic() -> None:
    policy_set = policies(web_np(rule(ALLOW, source=ent("app == 'client'"))))
    evaluator = CalicoEvaluator(policy_set, CLUSTER)
    connections = [conn("default/client", "default/web"), conn("dev/client", "default/web")] * 3
    verdicts = [evaluator.evaluate(c) for c in connections]
    assert [v.allowed for v in verdicts] == [True, False] * 3
    assert verdicts[0] == verdicts[2]


def test_applicable_policies_lists_selecting_policies_per_tier() -> None:
    policy_set = policies(
        np("sec", selector=WEB, tier="security", types=INGRESS),
        np("p", selector=WEB, types=INGRESS),
        np("egress", selector=WEB, types=EGRESS),
        tiers=(SECURITY,),
    )
    evaluator = CalicoEvaluator(policy_set, CLUSTER)
    found = evaluator.applicable_policies(ep("default/web"), Direction.INGRESS)
    assert [(t.tier.name, [p.key for p in t.policies]) for t in found] == [
        ("security", ["NetworkPolicy/default/sec"]),
        ("default", ["NetworkPolicy/default/p"]),
    ]
    assert evaluator.applicable_policies(OUTSIDE, Direction.INGRESS) == ()


# Felix's named-port IP sets hold every (IP, protocol, port) an endpoint declares under the name
# (felix/labelindex: LookupNamedPorts returns all of them): two containers declaring `http` with
# different numbers open both.
_MULTI = pod(
    "default",
    "multi",
    {"app": "multi"},
    "10.0.0.9",
    ports=HTTP_DECLARED_TWICE,
)
_MULTI_CLUSTER = Cluster.build(CLUSTER.namespaces.values(), (*CLUSTER.pods, _MULTI), CLUSTER.host_endpoints)


@pytest.mark.parametrize(
    ("protocol", "port", "allowed"),
    [(TCP, 80, True), (TCP, 8080, True), (TCP, 9090, False), (TCP, 81, False)],
    ids=["first-number", "second-container-number", "other-protocol-number", "undeclared"],
)
def test_named_port_declared_twice_matches_every_number(protocol: Protocol, port: int, allowed: bool) -> None:
    policy_set = policies(
        np(
            "p",
            selector="app == 'multi'",
            types=INGRESS,
            ingress=(rule(ALLOW, "TCP", destination=ent(ports=("http",))),),
        )
    )
    client = _MULTI_CLUSTER.pod("default/client")
    assert client is not None
    verdict = evaluate_calico(policy_set, _MULTI_CLUSTER, Connection(client, _MULTI, protocol, port))
    assert verdict.ingress.allowed is allowed, verdict.ingress


def test_host_network_pod_is_seen_by_the_address_each_connection_uses() -> None:
    """A dual-stack host-network pod whose IPv4 address is a host endpoint's and whose IPv6 one is
    no endpoint's: IPv4 traffic meets the host endpoint (no profile: denied), IPv6 traffic is the
    node's outside any endpoint — whatever the evaluator was asked before."""
    hep = HostEndpoint("n1", "n1", "eth0", {}, (parse_ip("192.168.0.1"),))
    host_pod = pod("default", "h", {}, "192.168.0.1", "fd00::99", host_network=True)
    client = pod("default", "p", {}, "10.0.0.1", "fd00::1")
    cluster = Cluster.build((), (host_pod, client), (hep,))
    v4 = Connection(client, host_pod, TCP, 80)
    v6 = Connection(client, host_pod, TCP, 80, parse_ip("fd00::1"), parse_ip("fd00::99"))
    for order in ((v4, v6), (v6, v4)):
        evaluator = CalicoEvaluator(PolicySet(), cluster)
        verdicts = {c: evaluator.evaluate(c).ingress.allowed for c in order}
        assert (verdicts[v4], verdicts[v6]) == (False, True), order


# --- source ports (issue 9 item 4) -----------------------------------------------------------------


def _deny_from_source_ports(*ports: int | str | tuple[int, int], not_ports: tuple = ()) -> PolicySet:
    """`ingress: [{action: Deny, protocol: TCP, source: {ports: …}}, {action: Allow}]` on web."""
    deny = rule(DENY, "TCP", source=ent(ports=ports, not_ports=not_ports))
    return policies(web_np(deny, rule(ALLOW)))


def test_a_deny_on_every_source_port_denies_whatever_the_source_port() -> None:
    connection = conn("default/client", "default/web")
    verdict = evaluate_calico(_deny_from_source_ports((1, 65535)), CLUSTER, connection)
    assert not verdict.ingress.allowed


@pytest.mark.parametrize(("source_port", "allowed"), [(80, False), (81, True), (40000, True)])
def test_a_named_source_port_is_matched_exactly(source_port: int, allowed: bool) -> None:
    connection = replace(conn("default/client", "default/web"), source_port=source_port)
    verdict = evaluate_calico(_deny_from_source_ports(80), CLUSTER, connection)
    assert verdict.ingress.allowed is allowed


def test_source_not_ports_exclude_the_named_source_port() -> None:
    policy_set = _deny_from_source_ports(not_ports=((1, 1023),))
    low = replace(conn("default/client", "default/web"), source_port=80)
    high = replace(conn("default/client", "default/web"), source_port=50000)
    assert evaluate_calico(policy_set, CLUSTER, low).ingress.allowed
    assert not evaluate_calico(policy_set, CLUSTER, high).ingress.allowed


def test_a_named_port_in_source_ports_resolves_on_the_source_endpoint() -> None:
    connection = replace(conn("default/web", "default/web"), source_port=80)
    assert not evaluate_calico(_deny_from_source_ports("http"), CLUSTER, connection).ingress.allowed


def test_a_verdict_that_depends_on_an_unnamed_source_port_is_refused_clearly() -> None:
    with pytest.raises(UsageError, match="source port"):
        evaluate_calico(_deny_from_source_ports(80), CLUSTER, conn("default/client", "default/web"))


@pytest.mark.parametrize(
    ("protocol", "port", "allowed"), [(TCP, 80, True), (UDP, 80, False), (UDP, 53, True), (TCP, 53, False)]
)
def test_a_named_port_without_protocol_matches_the_name_for_its_declared_protocol(
    protocol: Protocol, port: int, allowed: bool
) -> None:
    """Felix: a named port with no rule protocol uses ProtocolAny (ipsetmember), i.e. each
    (protocol, port) the endpoint declares under that name (issue 9 item 6)."""
    allow = rule(ALLOW, destination=ent(ports=("http", "dns")))
    policy_set = policies(web_np(allow))
    verdict = evaluate_calico(policy_set, CLUSTER, conn("default/client", "default/web", protocol, port))
    assert verdict.ingress.allowed is allowed
