"""verify: a table of policy-set pairs, equivalent or not, and every witness replayed as explain does.

The differing pairs include the changes issue 9 found `diff --symbolic` missing (namespaces named
by `projectcalico.org/name`, `contains` → `ends with`, a service-account selector, a named
namespace's other labels, a tier's defaultAction, a numeric port made a named one).
"""

from __future__ import annotations

import pytest

from tests.verify_helpers import assert_reproduces, policies
from translator.verify import Question, verify

GNP = """apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {{name: {name}}}
spec:
  selector: {selector}
  types: [{types}]
  {direction}:
{rules}
"""


def gnp(rules: str, direction: str = "ingress", selector: str = "all()", name: str = "p") -> str:
    body = "\n".join(f"  - {r}" for r in rules.split("\n") if r) if rules else "  []"
    return GNP.format(name=name, selector=selector, types=direction.capitalize(), direction=direction,
                      rules=body)


def knp(namespace: str, spec: str, name: str = "k") -> str:
    return f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: {name}, namespace: {namespace}}}
spec: {spec}
"""


def tier(action: str) -> str:
    return f"""apiVersion: projectcalico.org/v3
kind: Tier
metadata: {{name: t}}
spec: {{order: 100, defaultAction: {action}}}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {{name: t.p}}
spec:
  tier: t
  selector: all()
  types: [Ingress]
  ingress:
  - {{action: Allow, protocol: TCP, source: {{selector: "app == 'x'"}}, destination: {{ports: [80]}}}}
"""


DIFFERENT = {
    "calico-name-namespace-selector-allow-to-deny": (
        gnp("{action: Allow, source: {namespaceSelector: \"projectcalico.org/name == 'prod'\"}}"),
        gnp("{action: Deny, source: {namespaceSelector: \"projectcalico.org/name == 'prod'\"}}"),
    ),
    "contains-to-ends-with": (
        gnp("{action: Allow, source: {selector: \"app contains 'db'\"}}"),
        gnp("{action: Allow, source: {selector: \"app ends with 'db'\"}}"),
    ),
    "service-account-selector": (
        gnp("{action: Allow, source: {selector: \"projectcalico.org/serviceaccount == 'api'\"}}"),
        gnp("{action: Allow, source: {selector: \"projectcalico.org/serviceaccount == 'web'\"}}"),
    ),
    "named-namespace-with-other-labels": (
        knp("prod", "{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: x}}}]}]}"),
        knp("prod", "{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: y}}}]}]}"),
    ),
    "tier-default-action": (tier("Pass"), tier("Deny")),
    "numeric-port-to-named": (
        gnp("{action: Allow, protocol: TCP, destination: {ports: [8080]}}"),
        gnp("{action: Allow, protocol: TCP, destination: {ports: [http]}}"),
    ),
    "pod-spoofs-namespace-label": (
        knp("prod", "{podSelector: {}, ingress: [{from: [{namespaceSelector: "
                    "{matchLabels: {kubernetes.io/metadata.name: prod}}}]}]}"),
        gnp("{action: Allow, source: {selector: \"projectcalico.org/namespace == 'prod'\"}}",
            selector="projectcalico.org/namespace == 'prod'"),
    ),
    "ipblock-except": (
        knp("a", "{podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}}]}], policyTypes: [Egress]}"),
        knp("a", "{podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]}], "
                 "policyTypes: [Egress]}"),
    ),
    "order-of-deny-and-allow": (
        gnp("{action: Deny, protocol: TCP, destination: {ports: [22]}}\n{action: Allow}"),
        gnp("{action: Allow}\n{action: Deny, protocol: TCP, destination: {ports: [22]}}"),
    ),
}

# Every pod's egress is denied: an ingress difference for pod sources can never show.
DENY_EGRESS = gnp("{action: Deny}", "egress", name="e") + "---\n"

EQUIVALENT = {
    "in-set-versus-or": (
        gnp("{action: Allow, source: {selector: \"app in {'a', 'b'}\"}}"),
        gnp("{action: Allow, source: {selector: \"app == 'a' || app == 'b'\"}}"),
    ),
    "ends-with-implies-contains": (
        gnp("{action: Allow, source: {selector: \"app contains 'db'\"}}"),
        gnp("{action: Allow, source: {selector: \"app contains 'db' || app ends with 'db'\"}}"),
    ),
    "own-namespace-written-out": (
        knp("dev", "{podSelector: {}, ingress: [{from: [{podSelector: {}}]}]}"),
        """apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: dev}
spec:
  selector: all()
  types: [Ingress]
  ingress:
  - {action: Allow, source: {selector: "projectcalico.org/namespace == 'dev'"}}
""",
    ),
    "invalid-label-value-never-matches": (
        gnp("{action: Allow}\n", name="p"),
        gnp("{action: Deny, source: {selector: \"app == 'no spaces allowed'\"}}\n{action: Allow}"),
    ),
    "masked-ingress-difference": (
        DENY_EGRESS + gnp("{action: Allow, source: {selector: all()}}"),
        DENY_EGRESS + gnp("{action: Deny, source: {selector: all()}}"),
    ),
}


@pytest.mark.parametrize("case", sorted(DIFFERENT))
def test_different_sets_give_a_reproducing_witness(case: str) -> None:
    a, b = (policies(text) for text in DIFFERENT[case])
    result = verify(a, b)
    assert not result.equivalent
    assert result.witness is not None and result.witness.reproducible
    assert result.witness.allowed_a != result.witness.allowed_b
    assert_reproduces(result.witness, (a, b))


@pytest.mark.parametrize("case", sorted(EQUIVALENT))
def test_equivalent_sets_are_proven(case: str) -> None:
    a, b = (policies(text) for text in EQUIVALENT[case])
    result = verify(a, b)
    assert result.equivalent, result.witness
    assert verify(b, a).equivalent


def test_difference_on_icmp_only_is_found_and_said_not_replayable() -> None:
    a = policies(knp("web", "{podSelector: {}, ingress: [{}]}"))
    b = policies(knp("web", "{podSelector: {}, ingress: [{ports: [{protocol: TCP}, {protocol: UDP}, "
                            "{protocol: SCTP}]}]}"))
    result = verify(a, b)
    assert not result.equivalent and result.witness is not None
    assert not result.witness.reproducible
    assert result.witness.protocol not in ("TCP", "UDP", "SCTP")
    assert (result.witness.allowed_a, result.witness.allowed_b) == (True, False)


def test_spoofing_witness_carries_a_pcns_label_of_another_namespace() -> None:
    """Calico evaluates a Kubernetes namespaceSelector on inherited `pcns.` labels, which a pod's
    own label overrides; Calico's `projectcalico.org/namespace` cannot be overridden."""
    a, b = (policies(text) for text in DIFFERENT["pod-spoofs-namespace-label"])
    witness = verify(a, b).witness
    assert witness is not None
    pods = [o for o in witness.objects if o["kind"] == "Pod"]
    assert any(
        p["metadata"].get("labels", {}).get("pcns.kubernetes.io/metadata.name", p["metadata"]["namespace"])
        != p["metadata"]["namespace"]
        for p in pods
    )


def test_pods_without_pcns_labels_cannot_spoof() -> None:
    """With only pods whose inherited labels are their namespace's, Calico's enforcement of a
    Kubernetes namespaceSelector on the namespace name equals selecting the namespace itself."""
    a, b = (policies(text) for text in DIFFERENT["pod-spoofs-namespace-label"])
    assert verify(a, b, question=Question(honest_pods=True)).equivalent


def test_pods_without_pcns_labels_share_their_namespace_labels() -> None:
    """Two pods of one namespace inherit the same `team` label: a rule allowing team=x to team=y
    traffic can only be used across namespaces, which the witness shows."""
    a = policies(gnp("{action: Allow, source: {namespaceSelector: \"team == 'x'\"}}",
                     selector="pcns.team == 'y'"))
    b = policies(gnp("{action: Deny, source: {namespaceSelector: \"team == 'x'\"}}",
                     selector="pcns.team == 'y'"))
    result = verify(a, b, question=Question(honest_pods=True))
    assert result.witness is not None
    assert_reproduces(result.witness, (a, b))
    pods = [o for o in result.witness.objects if o["kind"] == "Pod"]
    assert not any(k.startswith("pcns.") for p in pods for k in p["metadata"].get("labels", {}))
