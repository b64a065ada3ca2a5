"""`--default-deny global`: the migrated output means what the migration promises (sampled, and
proven for every possible pod by verify against the promise as `convert --verify` writes it).

Intended meaning, computed here from the Kubernetes evaluator and the options alone (never from
the converter): for a pod of a namespace the default deny covers, a side is allowed iff one of its
namespace's Kubernetes policies allows it by a rule (being unisolated no longer allows anything),
or, for egress, an exception applies (DNS over UDP/TCP 53 to the DNS pods of the DNS namespace or
to a `--dns-ip`, TCP to an `--allow-apiserver` CIDR and port; with `--allow-apiserver` alone, an
endpoint of Service default/kubernetes on its own port and protocol, as its EndpointSlice lists
them). A pod of an excluded namespace keeps
its plain Kubernetes verdict. A host endpoint keeps the decision Calico makes without the output;
an address outside the cluster is judged by neither.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.examples import examples
from tests.strategies import DNS_LABELS, Scenario, dns_pod, policy_sets, scenarios
from tests.verify_helpers import assert_reproduces
from translator.convert import ConvertOptions, DefaultDenyOptions, Target, convert
from translator.convert.options import parse_apiserver
from translator.evaluate.calico import CalicoEvaluator
from translator.evaluate.k8s import K8sEvaluator
from translator.evaluate.verdict import Decision
from translator.model.calico import Action, PolicySet
from translator.model.cluster import Cluster, Connection, HostEndpoint, Pod
from translator.model.common import Direction, IPAddress, IPNetwork, LabelSelector, Protocol
from translator.model.k8s import IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyRule, normalise
from translator.render.verdicts import decision_reasons
from translator.verify import Question, verify
from translator.verify.promise import default_deny_promise

NODELOCAL_DNS = ipaddress.ip_network("169.254.20.10/32")
DNS_NAMESPACE = "kube-system"

deny_options = st.builds(
    lambda scope, dns_ips, apiservers: DefaultDenyOptions.build(
        exclude=scope[0], include=scope[1], dns_ips=dns_ips, allow_apiserver=apiservers
    ),
    st.sampled_from((((), ()), (("beta",), ()), ((), ("kube-system",)))),
    st.sampled_from(((), (NODELOCAL_DNS,))),
    st.sampled_from(((), (parse_apiserver("203.0.113.0/24:443"),), (parse_apiserver("service"),))),
)

migrations = st.builds(
    lambda deny, target, tier, action, staged: ConvertOptions(
        target=target, tier=tier, tier_default_action=action, staged=staged, default_deny=deny
    ),
    deny_options,
    st.sampled_from(Target),
    st.sampled_from((None, "migration")),
    st.sampled_from((Action.PASS, Action.DENY)),
    st.booleans(),
)


def _apiserver_endpoint(conn: Connection, cluster: Cluster) -> bool:
    """Is the connection (after DNAT) to an endpoint of Service default/kubernetes, on one of the
    endpoint's ports and protocols? Read from the state's EndpointSlices, as Felix reads them."""
    address, port = conn.addresses()[1], conn.port_number()
    return any(
        (address, port, conn.protocol) == (member, p.port, p.protocol)
        for s in cluster.endpoint_slices if (s.namespace, s.service) == ("default", "kubernetes")
        for member in s.addresses for p in s.ports
    )


def exception_applies(conn: Connection, deny: DefaultDenyOptions, cluster: Cluster) -> bool:
    """The egress exceptions of the default deny, read from the options (and, for
    `--allow-apiserver` alone, the API server's EndpointSlice in the cluster)."""
    port = conn.port_number()
    destination = conn.destination
    address = conn.addresses()[1]
    if conn.protocol in (Protocol.UDP, Protocol.TCP) and port == 53:
        if isinstance(destination, Pod) and _is_dns_pod(destination):
            return True
        if address is not None and any(_in(address, net) for net in deny.dns_ips):
            return True
    if any(a.net is None for a in deny.allow_apiserver) and _apiserver_endpoint(conn, cluster):
        return True
    return (
        conn.protocol is Protocol.TCP
        and address is not None
        and any(a.net is not None and _in(address, a.net) and any(port in r for r in a.ports)
                for a in deny.allow_apiserver)
    )


def _is_dns_pod(pod: Pod) -> bool:
    return pod.namespace == DNS_NAMESPACE and all(pod.labels.get(k) == v for k, v in DNS_LABELS.items())


def _in(address: IPAddress, net: IPNetwork) -> bool:
    return address.version == net.version and address in net


def intended(conn: Connection, direction: Direction, k8s: Decision, deny: DefaultDenyOptions,
             cluster: Cluster) -> bool:
    """The intended decision of a pod side (see the module docstring)."""
    pod = conn.source if direction is Direction.EGRESS else conn.destination
    assert isinstance(pod, Pod)
    if not deny.covers(pod.namespace):
        return k8s.allowed
    allowed_by_rule = k8s.allowed and k8s.policy is not None
    return allowed_by_rule or (direction is Direction.EGRESS and exception_applies(conn, deny, cluster))


def _claims_another_namespace(conn: Connection, cluster: Cluster) -> bool:
    """Whether a pod side carries a `pcns.` label of its own that its namespace does not give it."""
    for side in (conn.source, conn.destination):
        if not isinstance(side, Pod):
            continue
        # The namespace profile's labels, as Calico gives them (conversion.go adds its name).
        inherited = {**cluster.namespace(side.namespace).labels, "projectcalico.org/name": side.namespace}
        for key, value in side.labels.items():
            if key.startswith("pcns.") and inherited.get(key.removeprefix("pcns.")) != value:
                return True
    return False


def check_migration(scenario: Scenario, options: ConvertOptions, with_originals: bool) -> None:
    assert options.default_deny is not None
    result = convert(scenario.policies, options)
    originals = PolicySet(k8s_policies=scenario.policies) if with_originals else PolicySet()
    enforced = originals.merged(result.policy_set)
    calico = CalicoEvaluator(enforced, scenario.cluster, preview_staged=options.staged)
    baseline = CalicoEvaluator(originals, scenario.cluster)
    k8s = K8sEvaluator(scenario.policies, scenario.cluster)
    problems = []
    for conn in scenario.connections:
        if with_originals and _claims_another_namespace(conn, scenario.cluster):
            # The originals run as Calico enforces them, and a pod's own `pcns.` label defeats
            # their namespaceSelectors there (issue 9, docs/semantics.md): Calico's behaviour, not
            # the conversion's, so not what the migration promises about.
            continue
        got, before, k8s_verdict = calico.evaluate(conn), baseline.evaluate(conn), k8s.evaluate(conn)
        for direction in Direction:
            side = conn.source if direction is Direction.EGRESS else conn.destination
            if isinstance(side, Pod) and not side.host_network:
                expected = intended(conn, direction, k8s_verdict.decision(direction), options.default_deny,
                                    scenario.cluster)
            elif isinstance(side, (HostEndpoint, Pod)):  # a host-network pod is the node's traffic
                expected = before.decision(direction).allowed
            else:
                continue
            decision = got.decision(direction)
            if decision.allowed != expected:
                why = decision_reasons(decision, conn)[0]
                problems.append(f"{conn} {direction.value}: expected {expected}; Calico: {why}")
    assert not problems, "\n".join(problems)


def _dns_query_of_an_egress_isolated_pod() -> Scenario:
    """A covered pod isolated for egress by a policy that does not allow DNS still gets DNS.

    Pinned: with a per-namespace explicit deny before the default deny's DNS exception, the query
    was denied.
    """
    pod = Pod("alpha", "pod-0", {"app": "a"}, (ipaddress.ip_address("10.0.0.1"),))
    dns = dns_pod(1)
    to_example = NetworkPolicyRule(
        peers=(NetworkPolicyPeer(ip_block=IPBlock(ipaddress.ip_network("203.0.113.0/24"))),)
    )
    policy = normalise(NetworkPolicy("alpha", "allow", LabelSelector(), None, egress=(to_example,)))
    conn = Connection(pod, dns, Protocol.UDP, 53)
    return Scenario(Cluster.build((), (pod, dns)), (policy,), (conn,))


@settings(max_examples=examples(ci=2000, dev=200))
@given(scenarios(), migrations, st.booleans())
@example(
    _dns_query_of_an_egress_isolated_pod(), ConvertOptions(default_deny=DefaultDenyOptions.build()), False
)
def test_migrated_output_means_what_the_migration_promises(
    scenario: Scenario, options: ConvertOptions, with_originals: bool
) -> None:
    check_migration(scenario, options, with_originals)


@settings(max_examples=examples(ci=500, dev=50))
@given(scenarios(with_dns=True), migrations)
def test_default_deny_never_selects_host_endpoints_or_excluded_namespaces(
    scenario: Scenario, options: ConvertOptions
) -> None:
    """The lock-out guard, checked on the output itself: its GNPs select pods of covered namespaces."""
    assert options.default_deny is not None
    result = convert(scenario.policies, options)
    calico = CalicoEvaluator(result.policy_set, scenario.cluster, preview_staged=options.staged)
    for hep in scenario.cluster.host_endpoints:
        for direction in Direction:
            assert not calico.applicable_policies(hep, direction)
    for pod in scenario.cluster.pods:
        if pod.namespace in options.default_deny.exclude_namespaces:
            selecting = calico.applicable_policies(pod, Direction.INGRESS)
            names = [p.key for tp in selecting for p in tp.policies]
            assert all("np2calico-default-deny" not in n for n in names), names


# --- the same promise, proven for every possible pod (verify) ----------------------------------


@settings(max_examples=examples(ci=200, dev=30))
@given(policy_sets(), migrations, st.booleans())
def test_migration_is_proven_to_keep_its_promise_for_every_pod(
    policies: tuple[NetworkPolicy, ...], options: ConvertOptions, with_originals: bool
) -> None:
    """verify: no connection of any possible pod differs from the promise as `convert --verify`
    writes it (`translator.verify.promise`, from the options alone; the sampled properties above
    hold the converter to this module's own reading of the options, so the two agree). With the
    originals still enforced, for pods without `pcns.*` labels of their own (the originals are
    Calico's enforcement, which such labels defeat: see `check_migration`)."""
    assert options.default_deny is not None
    # `--allow-apiserver` alone (Service endpoints) is judged for every endpoint set of the Service.
    output = convert(policies, replace(options, staged=False)).policy_set
    originals = PolicySet(k8s_policies=policies) if with_originals else PolicySet()
    intended = default_deny_promise(PolicySet(k8s_policies=policies), options.default_deny)
    proof = verify(intended, originals.merged(output), question=Question(honest_pods=with_originals))
    if proof.witness is not None:
        assert_reproduces(proof.witness, (intended, originals.merged(output)))
    assert proof.equivalent, f"{options}: {proof.witness}"
