"""Lab acceptance: what migrating the lab to a global default deny changes, worked out by hand.

The lab (samples/lab): namespace `default` has default-deny ingress and egress, curl → color-api
on TCP 80 (both ways), DNS egress (UDP and TCP 53 to kube-dns in kube-system) and curl's egress
to 203.0.113.0/24 on TCP 443. `dev` (curl-dev, debug) has no policy; `kube-system` (CoreDNS) none.

With the global default deny (system namespaces excluded, DNS exception on UDP and TCP 53):
- `default` keeps exactly its meaning: already isolated both ways, its allows are converted and
  its DNS egress is what the exception allows. Nothing changes there.
- `dev` becomes isolated in both directions, with DNS egress to CoreDNS on UDP/TCP 53 as the only
  allow. Newly denied: dev → dev, dev → outside, outside → dev, CoreDNS → dev (every port of
  TCP, UDP, SCTP), and dev → CoreDNS on every port but 53 (TCP, UDP) and all of SCTP.
- dev ↔ default was already denied (default's ingress/egress isolation) and stays denied.
- kube-system is excluded: CoreDNS → CoreDNS and outside ↔ CoreDNS do not change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from translator.convert import convert
from translator.convert.options import ConvertOptions, DefaultDenyOptions, Target
from translator.diff import diff_policies
from translator.load import load
from translator.model.calico import GlobalNetworkPolicy, PolicySet

LAB = Path(__file__).resolve().parents[1] / "samples" / "lab"
DEV = "dev/curl-dev, dev/debug"
COREDNS = "kube-system/coredns-5dd5756b68-7xk2p"
OUTSIDE = "0.0.0.0/0"
EVERY = "1:65535"
ALL_BUT_53 = "1:52,54:65535"


def _every_protocol(source: str, destination: str) -> set[tuple[str, str, str, str, str]]:
    return {(source, destination, p, EVERY, "newly denied") for p in ("TCP", "UDP", "SCTP")}


EXPECTED_MIGRATION = (
    _every_protocol(DEV, DEV)
    | _every_protocol(DEV, OUTSIDE)
    | _every_protocol(OUTSIDE, DEV)
    | _every_protocol(COREDNS, DEV)
    | {
        (DEV, COREDNS, "TCP", ALL_BUT_53, "newly denied"),
        (DEV, COREDNS, "UDP", ALL_BUT_53, "newly denied"),
        (DEV, COREDNS, "SCTP", EVERY, "newly denied"),
    }
)


@pytest.fixture(scope="module")
def lab() -> tuple[PolicySet, object]:
    policies = load([str(LAB / "policies")])
    policies.raise_if_errors()
    return policies.policies, load([str(LAB / "cluster.yaml")]).cluster()


def _summary(diff: object) -> set[tuple[str, str, str, str, str]]:
    return {
        (c.source.describe(), c.destination.describe(), c.protocol.value, c.ports_text(), c.status)
        for c in diff.changes  # type: ignore[attr-defined]
    }


def test_migration_to_global_default_deny_reports_exactly_the_dev_isolation(lab) -> None:
    before, cluster = lab
    result = convert(before.k8s_policies, ConvertOptions(default_deny=DefaultDenyOptions()))
    diff = diff_policies(before, result.policy_set, cluster)
    assert _summary(diff) == EXPECTED_MIGRATION


def test_migration_changes_are_decided_by_the_global_default_deny(lab) -> None:
    before, cluster = lab
    result = convert(before.k8s_policies, ConvertOptions(default_deny=DefaultDenyOptions()))
    deny = next(p.key for p in result.policies if isinstance(p, GlobalNetworkPolicy))
    diff = diff_policies(before, result.policy_set, cluster)
    for change in diff.changes:
        assert change.before.allowed and not change.after.allowed
        assert {c.policy for c in change.after.deciding()} == {deny}
        # Before, nothing selected dev pods (or CoreDNS): allowed without any policy.
        assert all(c.policy is None for c in change.before.deciding())


def test_curl_dev_to_an_external_ip_on_443_is_newly_denied(lab) -> None:
    before, cluster = lab
    result = convert(before.k8s_policies, ConvertOptions(default_deny=DefaultDenyOptions()))
    diff = diff_policies(before, result.policy_set, cluster)
    hits = [
        c for c in diff.changes
        if "dev/curl-dev" in c.source.describe() and c.destination.networks
        and c.protocol.value == "TCP" and any(443 in p for p in c.ports)
    ]
    assert hits and all(not c.after.allowed for c in hits)
    assert {c.direction for c in hits} == {"egress"}


@pytest.mark.parametrize("target", [Target.NAMESPACED, Target.GLOBAL], ids=lambda t: t.value)
def test_plain_conversions_change_nothing(lab, target: Target) -> None:
    before, cluster = lab
    result = convert(before.k8s_policies, ConvertOptions(target=target))
    diff = diff_policies(before, result.policy_set, cluster)
    assert diff.is_empty, [str(c) for c in diff.changes]


@pytest.mark.parametrize("target", [Target.NAMESPACED, Target.GLOBAL], ids=lambda t: t.value)
def test_plain_conversions_next_to_the_originals_change_nothing(lab, target: Target) -> None:
    before, cluster = lab
    result = convert(before.k8s_policies, ConvertOptions(target=target))
    diff = diff_policies(before, before.merged(result.policy_set), cluster)
    assert diff.is_empty
