"""verify with network sets: a rule selector matches the nets of the network sets it matches.

Network sets are cluster state, given as they are (issue 9 item 5): an address matches a selector
when a pod owning it matches, or when it lies in the nets of a matching network set
(felix IP sets hold both). Each differing pair's witness is replayed as `explain --cluster
WITNESS` does, with the network sets it needs among the witness objects.
"""

from __future__ import annotations

import ipaddress

import pytest

from tests.verify_helpers import assert_reproduces, policies
from translator.model.cluster import NetworkSet
from translator.verify import verify


def net(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


EXT = NetworkSet("ext", None, {"role": "ext"}, net("203.0.113.0/24"))
EXT_HALF = NetworkSet("ext", None, {"role": "ext"}, net("203.0.113.0/25"))
EXT_IN_DEV = NetworkSet("ext", "dev", {"role": "ext"}, net("203.0.113.0/24"))
EXT_IN_OPS = NetworkSet("ext", "ops", {"role": "ext"}, net("203.0.113.0/24"))
PODS_SET = NetworkSet("pods", None, {"role": "ext"}, net("10.0.0.0/8"))
PLAIN_IN_OPS = NetworkSet("ops-set", "ops", {}, net("203.0.113.0/24"))


def gnp_egress(*destinations: str, name: str = "p") -> str:
    rules = "".join(f"\n  - {{action: Allow, destination: {d}}}" for d in destinations)
    return f"""apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {{name: {name}}}
spec:
  selector: "app == 'web'"
  types: [Egress]
  egress:{rules or " []"}
"""


def np_egress(namespace: str, *destinations: str) -> str:
    rules = "".join(f"\n  - {{action: Allow, destination: {d}}}" for d in destinations)
    return f"""apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: p, namespace: {namespace}}}
spec:
  selector: "app == 'web'"
  types: [Egress]
  egress:{rules or " []"}
"""


ROLE_EXT = "{selector: \"role == 'ext'\"}"
NETS = "{nets: [203.0.113.0/24]}"
GLOBAL_ROLE_EXT = "{namespaceSelector: global(), selector: \"role == 'ext'\"}"
OPS_ROLE_EXT = "{namespaceSelector: \"projectcalico.org/name == 'ops'\", selector: \"role == 'ext'\"}"
TO_EXT = gnp_egress(ROLE_EXT)
TO_NETS = gnp_egress(NETS)
TO_NOTHING = gnp_egress("{nets: [198.51.100.0/32]}")

# A selector still matches pods carrying the labels: B allows those too, and the nets.
EQUIVALENT = {
    # The reproduction: a selector over a GlobalNetworkSet's labels means its nets.
    "global-set-selector-is-its-nets": (TO_EXT, gnp_egress(NETS, ROLE_EXT), (EXT,)),
    # A namespaced policy's rule selector sees the network sets of its namespace.
    "namespaced-set-in-policy-namespace": (np_egress("dev", ROLE_EXT), np_egress("dev", NETS, ROLE_EXT),
                                           (EXT_IN_DEV,)),
    # `namespaceSelector: global()` sees global network sets (and host endpoints), never pods.
    "global-namespace-selector-sees-global-sets": (np_egress("dev", GLOBAL_ROLE_EXT), np_egress("dev", NETS),
                                                   (EXT,)),
    # A namespaced set carries projectcalico.org/namespace, so global() leaves it out.
    "global-namespace-selector-skips-namespaced-sets": (
        np_egress("dev", GLOBAL_ROLE_EXT), np_egress("dev"), (EXT_IN_DEV,)),
    # A namespaced set inherits its namespace's name labels (pcns.projectcalico.org/name).
    "namespaced-set-inherits-namespace-name": (gnp_egress(OPS_ROLE_EXT), gnp_egress(NETS, OPS_ROLE_EXT),
                                               (EXT_IN_OPS,)),
}

DIFFERENT = {
    "no-network-set": (TO_EXT, gnp_egress(NETS, ROLE_EXT), ()),
    "set-covers-half": (TO_EXT, gnp_egress(NETS, ROLE_EXT), (EXT_HALF,)),
    "namespaced-set-of-another-namespace": (np_egress("dev", ROLE_EXT), np_egress("dev", NETS, ROLE_EXT),
                                            (EXT_IN_OPS,)),
    # The namespace's other labels are unknown: a namespace labelled team=x makes the set match.
    "namespaced-set-inherits-unknown-namespace-labels": (
        gnp_egress("{namespaceSelector: \"team == 'x'\"}"), TO_NOTHING, (PLAIN_IN_OPS,)),
    # A pod address inside a matching set matches the selector whatever the pod's labels.
    "pod-address-inside-a-set": (TO_EXT, TO_NOTHING, (PODS_SET,)),
}


@pytest.mark.parametrize(("a", "b", "sets"), EQUIVALENT.values(), ids=EQUIVALENT.keys())
def test_equivalent_with_network_sets(a: str, b: str, sets: tuple[NetworkSet, ...]) -> None:
    result = verify(policies(a), policies(b), network_sets=sets)
    assert result.equivalent, result.witness


@pytest.mark.parametrize(("a", "b", "sets"), DIFFERENT.values(), ids=DIFFERENT.keys())
def test_different_with_network_sets_and_witness_replays(a: str, b: str,
                                                         sets: tuple[NetworkSet, ...]) -> None:
    first, second = policies(a), policies(b)
    result = verify(first, second, network_sets=sets)
    assert not result.equivalent
    assert result.witness is not None
    assert_reproduces(result.witness, (first, second))


SETS_OF_TEAM_X = "{namespaceSelector: \"team == 'x'\", selector: \"!has(projectcalico.org/orchestrator)\"}"


def test_witness_holds_the_network_set_and_its_namespace_labels() -> None:
    """Only a network set of a namespace labelled team=x tells the two apart (pods always carry
    the orchestrator label): the witness holds the set, and its namespace with the label."""
    # B allows nothing at all, so no address outside the set can tell the two apart.
    first, second = policies(gnp_egress(SETS_OF_TEAM_X)), policies(gnp_egress())
    result = verify(first, second, network_sets=(PLAIN_IN_OPS,))
    assert result.witness is not None
    kinds = {(o["kind"], o["metadata"]["name"]): o for o in result.witness.objects}
    assert kinds[("NetworkSet", "ops-set")]["spec"] == {"nets": ["203.0.113.0/24"]}
    assert kinds[("Namespace", "ops")]["metadata"]["labels"]["team"] == "x"



def test_symbolic_diff_names_the_namespace_labels_a_change_needs() -> None:
    from translator.diff import diff_policies
    from translator.model.cluster import Cluster

    before, after = policies(TO_NOTHING), policies(gnp_egress("{namespaceSelector: \"team == 'x'\"}"))
    diff = diff_policies(before, after, Cluster.build(network_sets=(PLAIN_IN_OPS,)), symbolic=True)
    described = [c.destination.describe() for c in diff.symbolic_changes]
    wanted = "when namespace ops labelled team=x"
    assert any("203.0.113.0/24" in d and wanted in d for d in described), described


@pytest.mark.parametrize("pod_cidr", ["10.244.0.0/16", "10.0.113.0/24", "198.51.100.0/24"])
def test_realistic_addresses_keep_which_side_allows(pod_cidr: str) -> None:
    """Choosing nicer addresses keeps the model's verdicts, not only "the sides differ": a pod CIDR
    inside the set (A allows there) or at B's address (B allows there) must not flip the witness."""
    first, second = policies(TO_EXT), policies(TO_NOTHING)
    for _ in range(3):  # z3's choices depend on what ran before in the process
        result = verify(first, second, network_sets=(PODS_SET,), pod_cidrs=(ipaddress.ip_network(pod_cidr),))
        assert result.witness is not None
        assert_reproduces(result.witness, (first, second))
