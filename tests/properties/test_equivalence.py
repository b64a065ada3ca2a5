"""The central property: the Calico output allows exactly what the Kubernetes input allows.

For every generated cluster, policy set and connection, the Kubernetes verdict of the input (the
Kubernetes evaluator) equals the Calico verdict of `convert`'s output (the Calico evaluator) —
two independent implementations of upstream semantics; the converter uses neither.

Sides are compared one by one: egress at the source, ingress at the destination.
- A pod side: Kubernetes decision == Calico decision.
- A host-endpoint (or host-network pod) side: Kubernetes policies never judge it, so the output
  must leave Calico's decision exactly as it was without the output (a GNP never selects host
  endpoints).
- An address outside the cluster is judged by neither.
Placements: both targets; the default tier; a tier of their own with defaultAction Pass and Deny;
staged output evaluated as if enforced; the original Kubernetes policies still in place.

Sampled connections show agreement; the last property *proves* it for every generated conversion:
`verify` (z3) finds no connection of any possible pod, namespace, address, protocol or port on
which the output differs from the input as Calico enforces it with namespace names read as
Kubernetes means them (`translator.verify.intent`: the documented statement, pods carrying
`pcns.*` labels of their own included).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.examples import examples
from tests.strategies import Scenario, policy_sets, scenarios
from tests.verify_helpers import assert_reproduces
from translator.convert import ConvertOptions, Target, convert
from translator.evaluate.calico import CalicoEvaluator
from translator.evaluate.k8s import K8sEvaluator
from translator.evaluate.verdict import Decision, Verdict
from translator.model.calico import Action, PolicySet
from translator.model.cluster import (
    DEFAULT_ALLOW_PROFILE,
    Cluster,
    Connection,
    ContainerPort,
    HostEndpoint,
    Pod,
)
from translator.model.common import Direction, LabelSelector, Protocol
from translator.model.k8s import NetworkPolicy, NetworkPolicyPort, NetworkPolicyRule, normalise
from translator.render.verdicts import decision_reasons
from translator.verify import verify
from translator.verify.intent import namespace_names_as_kubernetes_means


@dataclass(frozen=True)
class Placement:
    """Where the output is applied, and what sits next to it."""

    options: ConvertOptions
    with_originals: bool = False
    # How Felix breaks ties in `order` (v3.31: ns/name; v3.32: name/ns/kind): must never matter.
    tie_break: str = "v3.32"

    def __str__(self) -> str:
        o = self.options
        tier = f"tier {o.tier} ({o.tier_default_action.value})" if o.tier else "default tier"
        extras = [x for x, on in (("staged", o.staged), ("originals", self.with_originals)) if on]
        return f"{o.target.value}, {tier}, ties {self.tie_break}{', ' if extras else ''}{', '.join(extras)}"


placements = st.builds(
    lambda target, tier, action, staged, originals, ties: Placement(
        ConvertOptions(target=target, tier=tier, tier_default_action=action, staged=staged), originals, ties
    ),
    st.sampled_from(Target),
    st.sampled_from((None, "migration")),
    st.sampled_from((Action.PASS, Action.DENY)),
    st.booleans(),
    st.booleans(),
    st.sampled_from(("v3.32", "v3.31")),
)


def _side(conn: Connection, direction: Direction) -> object:
    return conn.source if direction is Direction.EGRESS else conn.destination


def _claims_a_namespace(conn: Connection) -> bool:
    """An end is a pod with `pcns.*` labels of its own (it may pass for a pod of another namespace)."""
    return any(isinstance(end, Pod) and any(k.startswith("pcns.") for k in end.labels)
               for end in (conn.source, conn.destination))


def side_mismatches(
    conn: Connection, k8s: Verdict, calico: Verdict, baseline: Verdict, originals_first: bool = False
) -> list[str]:
    """Every side whose Calico decision differs from what it must be.

    `originals_first`: the original Kubernetes policies sit in the output's tier, where Calico
    evaluates them at order 1000, before the explicit denies (2000). Calico's own enforcement of
    them matches a namespaceSelector on `pcns.*` labels a pod may set (docs/semantics.md), and
    an Allow of theirs ends the evaluation: for a connection with such a pod, Calico's verdict on
    the originals alone (`baseline`) is then also the right answer. Deleting the originals, or a
    tier of its own for the output, closes that hole; the output never opens one.
    """
    problems = []
    for direction in Direction:
        side = _side(conn, direction)
        got: Decision = calico.decision(direction)
        if isinstance(side, Pod) and not side.host_network:
            expected = k8s.decision(direction)
            if (originals_first and got.allowed != expected.allowed and _claims_a_namespace(conn)
                    and got.allowed == baseline.decision(direction).allowed):
                continue
        elif isinstance(side, (HostEndpoint, Pod)):
            # Kubernetes never judges a host endpoint or a host-network pod (Calico sees the
            # latter as the node): the output must leave Calico's decision as it was.
            expected = baseline.decision(direction)
        else:
            continue
        if got.allowed != expected.allowed:
            problems.append(
                f"{conn} {direction.value}: expected {expected.allowed} "
                f"({decision_reasons(expected, conn)[0]}); "
                f"Calico says {got.allowed} ({decision_reasons(got, conn)[0]})"
            )
    return problems


def check_equivalence(scenario: Scenario, placement: Placement) -> None:
    result = convert(scenario.policies, placement.options)
    originals = PolicySet(k8s_policies=scenario.policies) if placement.with_originals else PolicySet()
    enforced = originals.merged(result.policy_set)
    k8s = K8sEvaluator(scenario.policies, scenario.cluster)
    staged, ties = placement.options.staged, placement.tie_break
    calico = CalicoEvaluator(enforced, scenario.cluster, preview_staged=staged, tie_break=ties)
    baseline = CalicoEvaluator(originals, scenario.cluster, tie_break=ties)
    problems = []
    for conn in scenario.connections:
        verdicts = (k8s.evaluate(conn), calico.evaluate(conn), baseline.evaluate(conn))
        originals_first = placement.with_originals and placement.options.tier is None
        problems.extend(side_mismatches(conn, *verdicts, originals_first=originals_first))
    assert not problems, f"{placement}:\n" + "\n".join(problems)


def _named_port_to_host_endpoint() -> Scenario:
    """Calico resolves a named port on host endpoints too; Kubernetes only on the destination pod.

    An egress rule `ports: [{port: http}]` with no peer must not open a host endpoint's `http`.
    """
    pod = Pod("alpha", "pod-0", {"app": "a"}, (ipaddress.ip_address("10.0.0.1"),))
    hep = HostEndpoint(
        "node-0-eth0",
        "node-0",
        expected_ips=(ipaddress.ip_address("192.168.0.10"),),
        profiles=(DEFAULT_ALLOW_PROFILE,),
        ports=(ContainerPort(80, Protocol.TCP, "http"),),
    )
    rule = NetworkPolicyRule(ports=(NetworkPolicyPort(Protocol.TCP, "http"),))
    policy = normalise(NetworkPolicy("alpha", "allow", LabelSelector(), None, egress=(rule,)))
    conn = Connection(pod, hep, Protocol.TCP, 80)
    return Scenario(Cluster.build((), (pod,), (hep,)), (policy,), (conn,))


NAMED_PORT_TO_HOST_ENDPOINT = _named_port_to_host_endpoint()


def _host_network_pod_to_itself() -> Scenario:
    """A host-network pod is the node's traffic: its side is judged like the host endpoint owning
    its address (here without a profile: denied), never by Kubernetes policies, even when a policy
    of its namespace selects every pod. Pinned: the check once expected the Kubernetes verdict."""
    hep = HostEndpoint("node-0-eth0", "node-0", expected_ips=(ipaddress.ip_address("192.168.0.10"),))
    pod = Pod("alpha", "pod-0", {}, hep.expected_ips, host_network=True)
    policy = normalise(NetworkPolicy("alpha", "allow", LabelSelector(), (Direction.INGRESS,)))
    conn = Connection(pod, pod, Protocol.TCP, 1)
    return Scenario(Cluster.build((), (pod,), (hep,)), (policy,), (conn,))


HOST_NETWORK_POD_TO_ITSELF = _host_network_pod_to_itself()


@settings(max_examples=examples(ci=2000, dev=200))
@given(scenarios())
@example(NAMED_PORT_TO_HOST_ENDPOINT)
@example(HOST_NETWORK_POD_TO_ITSELF)
def test_namespaced_output_allows_exactly_what_kubernetes_allows(scenario: Scenario) -> None:
    check_equivalence(scenario, Placement(ConvertOptions(target=Target.NAMESPACED)))


@settings(max_examples=examples(ci=2000, dev=200))
@given(scenarios())
@example(NAMED_PORT_TO_HOST_ENDPOINT)
def test_global_output_allows_exactly_what_kubernetes_allows(scenario: Scenario) -> None:
    check_equivalence(scenario, Placement(ConvertOptions(target=Target.GLOBAL)))


@settings(max_examples=examples(ci=2000, dev=200))
@given(scenarios(), placements)
def test_output_keeps_its_meaning_wherever_it_is_placed(scenario: Scenario, placement: Placement) -> None:
    check_equivalence(scenario, placement)


proof_options = st.builds(
    lambda target, tier, action: ConvertOptions(target=target, tier=tier, tier_default_action=action),
    st.sampled_from(Target),
    st.sampled_from((None, "migration")),
    st.sampled_from((Action.PASS, Action.DENY)),
)


@settings(max_examples=examples(ci=600, dev=60))
@given(policy_sets(), proof_options)
def test_each_conversion_is_proven_equivalent_for_every_pod(
    policies: tuple[NetworkPolicy, ...], options: ConvertOptions
) -> None:
    """`convert --verify`'s theorem on every generated input: no connection at all differs."""
    output = convert(policies, options).policy_set
    intended = namespace_names_as_kubernetes_means(PolicySet(k8s_policies=policies))
    proof = verify(intended, output)
    if proof.witness is not None:
        assert_reproduces(proof.witness, (intended, output))
    assert proof.equivalent, f"{options}: {proof.witness}"
