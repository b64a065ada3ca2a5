"""A Kubernetes NetworkPolicy as Calico enforces it (`translator.evaluate.knp`, conversion.go).

Two parts: a table of conversions (selector, rules per protocol × peer, ports, nets, namespace
selectors, types after Kubernetes defaulting), and a property: for Kubernetes policies alone, the
Calico evaluator agrees with the Kubernetes evaluator at every pod.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import given, settings

from tests.builders import SCTP, TCP, UDP, Case, block, pods, pol, port, rule, sel, table
from tests.examples import examples
from tests.strategies import Scenario, scenarios
from tests.unit import test_evaluate_k8s as k8s_table
from translator.evaluate.calico import CalicoEvaluator
from translator.evaluate.k8s import K8sEvaluator
from translator.evaluate.knp import k8s_to_calico, simplify_ports
from translator.model import calico
from translator.model.cluster import Cluster, Connection, HostEndpoint, Pod
from translator.model.common import Direction, LabelSelector, PortRange, parse_network
from translator.model.k8s import NetworkPolicy, NetworkPolicyRule, normalise
from translator.selectors import All

WEB = sel({"app": "web"})


def policy(
    select: LabelSelector = WEB,
    *,
    types: tuple[Direction, ...] | None = None,
    ingress: tuple[NetworkPolicyRule, ...] = (),
    egress: tuple[NetworkPolicyRule, ...] = (),
) -> NetworkPolicy:
    """`shop/web`, selecting app=web unless told."""
    return pol("web", select, ns="shop", types=types, ingress=ingress, egress=egress)


def rendered(rules: tuple[calico.Rule, ...]) -> list[tuple[str | None, str, str, tuple[str, ...]]]:
    """(protocol, peer selector, namespace selector, ports) of each rule, for compact tables."""

    def side(rule: calico.Rule) -> calico.EntityRule:
        return rule.source if rule.source != calico.EntityRule() else rule.destination

    out = []
    for r in rules:
        peer = side(r)
        ports = r.destination.ports
        out.append(
            (
                r.protocol.written if r.protocol is not None else None,
                str(peer.selector) if peer.selector else "-",
                str(peer.namespace_selector) if peer.namespace_selector else "-",
                tuple(str(p) for p in ports),
            )
        )
    return out


def test_metadata_tier_order_and_selector() -> None:
    converted = k8s_to_calico(policy()).policy
    assert (converted.name, converted.namespace) == ("knp.default.web", "shop")
    assert (converted.spec.tier, converted.spec.order) == ("default", 1000.0)
    assert str(converted.spec.selector) == "projectcalico.org/orchestrator == 'k8s' && app == 'web'"


def test_empty_pod_selector_selects_every_pod_of_the_namespace() -> None:
    converted = k8s_to_calico(policy(LabelSelector())).policy
    assert str(converted.spec.selector) == "projectcalico.org/orchestrator == 'k8s'"


def test_match_expressions_keep_missing_label_meaning() -> None:
    selector = sel({"app": "web"}, ("tier", "NotIn", ("a", "b")), ("debug", "DoesNotExist", ()))
    text = str(k8s_to_calico(policy(selector)).policy.spec.selector)
    assert (
        text
        == "projectcalico.org/orchestrator == 'k8s' && app == 'web' && !has(debug) && tier not in {'a', 'b'}"
    )


def test_types_follow_kubernetes_defaulting_not_calicos_converter() -> None:
    # conversion.go would give [Ingress] (no policyTypes → ingress only) and drop the egress rules.
    converted = k8s_to_calico(policy(egress=(rule(),))).policy
    assert converted.spec.types == (Direction.INGRESS, Direction.EGRESS)
    assert len(converted.spec.egress) == 1


def test_explicit_policy_types_are_kept() -> None:
    converted = k8s_to_calico(policy(types=(Direction.EGRESS,), ingress=(rule(),))).policy
    assert converted.spec.types == (Direction.EGRESS,)


def test_empty_rule_is_one_allow_everything_rule() -> None:
    converted = k8s_to_calico(policy(ingress=(rule(),))).policy
    assert converted.spec.ingress == (calico.Rule(calico.Action.ALLOW),)


def test_one_rule_per_protocol_times_peer_protocol_major() -> None:
    peers = (
        pods(sel({"app": "a"})),
        pods(None, LabelSelector()),
    )
    ports = (port(53, UDP), port(80), port(9, SCTP))
    converted = k8s_to_calico(policy(ingress=(rule(*peers, ports=ports),))).policy
    k8s_pods = "projectcalico.org/orchestrator == 'k8s'"
    assert rendered(converted.spec.ingress) == [
        ("SCTP", f"{k8s_pods} && app == 'a'", "-", ("9",)),
        ("SCTP", k8s_pods, "all()", ("9",)),
        ("TCP", f"{k8s_pods} && app == 'a'", "-", ("80",)),
        ("TCP", k8s_pods, "all()", ("80",)),
        ("UDP", f"{k8s_pods} && app == 'a'", "-", ("53",)),
        ("UDP", k8s_pods, "all()", ("53",)),
    ]
    assert all(r.action is calico.Action.ALLOW for r in converted.spec.ingress)


def test_namespace_selector_labels_convert_without_orchestrator_term() -> None:
    peer = pods(None, sel({"env": "dev"}))
    converted = k8s_to_calico(policy(egress=(rule(peer),))).policy.spec.egress[0]
    assert str(converted.destination.namespace_selector) == "env == 'dev'"
    assert converted.source == calico.EntityRule()


def test_pod_selector_alone_keeps_own_namespace() -> None:
    peer = pods(LabelSelector())
    converted = k8s_to_calico(policy(ingress=(rule(peer),))).policy.spec.ingress[0]
    assert converted.source.namespace_selector is None
    empty = pods(None, LabelSelector())
    converted = k8s_to_calico(policy(ingress=(rule(empty),))).policy.spec.ingress[0]
    assert converted.source.namespace_selector == All()


def test_ip_block_becomes_nets_and_not_nets() -> None:
    converted = k8s_to_calico(policy(egress=(rule(block("10.0.0.0/16", "10.0.1.0/24")),))).policy
    destination = converted.spec.egress[0].destination
    assert (destination.nets, destination.not_nets, destination.selector) == (
        (parse_network("10.0.0.0/16"),),
        (parse_network("10.0.1.0/24"),),
        None,
    )


def test_ports_merge_named_first_then_coalesced_ranges_and_end_port() -> None:
    ports = (port(82, TCP), port("http", TCP), port(80, TCP, 81), port(9000, TCP))
    rules = k8s_to_calico(policy(ingress=(rule(ports=ports),))).policy.spec.ingress
    assert rendered(rules) == [("TCP", "-", "-", ("http", "80:82", "9000"))]


def test_port_entry_without_port_opens_every_port_of_its_protocol() -> None:
    ports = (port(53, UDP), port(protocol=UDP), port(80, TCP))
    rules = k8s_to_calico(policy(ingress=(rule(ports=ports),))).policy.spec.ingress
    assert rendered(rules) == [("TCP", "-", "-", ("80",)), ("UDP", "-", "-", ())]


def test_simplify_ports_deduplicates() -> None:
    assert simplify_ports([PortRange(5, 5), "a", PortRange(5, 6), "a", PortRange(8, 9)]) == (
        "a",
        PortRange(5, 6),
        PortRange(8, 9),
    )


def test_rule_origins_name_kubernetes_rule_peer_and_protocol() -> None:
    peers = (pods(WEB), pods(LabelSelector()))
    converted = k8s_to_calico(policy(ingress=(rule(), rule(*peers, ports=(port(protocol=UDP),)))))
    assert converted.origins(Direction.INGRESS) == (
        "ingress[0]",
        "ingress[1].from[0] UDP",
        "ingress[1].from[1] UDP",
    )


# --- the property: Kubernetes policies under Calico semantics behave as under Kubernetes ----------


def _calico_may_differ(endpoint: object) -> bool:
    """Calico's named-port IP sets include host endpoints that declare the port; Kubernetes never
    resolves a named port on a non-pod (semantics.md §1.5). A real upstream difference."""
    return isinstance(endpoint, HostEndpoint) and bool(endpoint.ports)


def _claims_a_namespace(endpoint: object) -> bool:
    """A pod with `pcns.` labels of its own defeats a namespaceSelector as Calico enforces it
    (Felix: endpoint labels beat inherited ones). A real upstream difference (issue 9), which
    np2calico's output does not share (tests/unit/test_namespace_spoofing.py)."""
    return isinstance(endpoint, Pod) and any(k.startswith("pcns.") for k in endpoint.labels)


@settings(max_examples=examples(ci=400, dev=100))
@given(scenarios())
def test_calico_enforcement_of_k8s_policies_matches_k8s_semantics(scenario: Scenario) -> None:
    _assert_same_at_pods(scenario.policies, scenario.cluster, scenario.connections)


@pytest.mark.parametrize("case", table(k8s_table.CASES))
def test_kubernetes_semantics_table_holds_under_calico_enforcement(case: Case[list[NetworkPolicy]]) -> None:
    """Every case of the Kubernetes table (tests/unit/test_evaluate_k8s.py), enforced by Calico."""
    normalised = tuple(normalise(p) for p in case.policies)
    _assert_same_at_pods(normalised, k8s_table.CLUSTER, (k8s_table.connection(case),))


def _assert_same_at_pods(
    policies: tuple[NetworkPolicy, ...], cluster: Cluster, connections: Iterable[Connection]
) -> None:
    """Both semantics agree wherever Kubernetes judges: egress at a source pod, ingress at a
    destination pod (a host-network pod is neither a Kubernetes pod nor a Calico workload)."""
    k8s_evaluator = K8sEvaluator(policies, cluster)
    calico_evaluator = CalicoEvaluator(calico.PolicySet(k8s_policies=policies), cluster)
    for conn in connections:
        if _claims_a_namespace(conn.source) or _claims_a_namespace(conn.destination):
            continue
        expected, actual = k8s_evaluator.evaluate(conn), calico_evaluator.evaluate(conn)
        if _is_workload(conn.source) and not _calico_may_differ(conn.destination):
            assert actual.egress.allowed == expected.egress.allowed, (conn, expected.egress, actual.egress)
        if _is_workload(conn.destination):
            assert actual.ingress.allowed == expected.ingress.allowed, (
                conn,
                expected.ingress,
                actual.ingress,
            )


def _is_workload(endpoint: object) -> bool:
    return isinstance(endpoint, Pod) and not endpoint.host_network
