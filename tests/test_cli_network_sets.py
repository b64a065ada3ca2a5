"""Calico GlobalNetworkSets and NetworkSets: loaded, validated, and matched by rule selectors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from translator.cli import app

runner = CliRunner()

CLUSTER = """\
apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: dev}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: dev, labels: {app: api}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.0.20}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: external, labels: {role: ext}}
spec: {nets: [203.0.113.0/24, 198.51.100.9]}
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: partners, namespace: default, labels: {role: partner}}
spec: {nets: [192.0.2.0/24]}
"""

ISSUE_GNP = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: egress-ext}
spec:
  selector: all()
  types: [Egress]
  egress:
  - action: Allow
    destination: {selector: role == 'ext'}
"""


def _files(tmp_path: Path, policies: str, cluster: str = CLUSTER) -> tuple[str, str]:
    policy_file, cluster_file = tmp_path / "policies.yaml", tmp_path / "cluster.yaml"
    policy_file.write_text(policies)
    cluster_file.write_text(cluster)
    return str(policy_file), str(cluster_file)


def _verdict(tmp_path: Path, policies: str, source: str, destination: str) -> str:
    policy_file, cluster_file = _files(tmp_path, policies)
    result = runner.invoke(app, ["explain", policy_file, "--cluster", cluster_file, "--semantics", "calico",
                                 "--from", source, "--to", destination, "--port", "443"])
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout.split()[0]


def test_issue_reproduction_global_network_set_allows_egress(tmp_path: Path) -> None:
    assert _verdict(tmp_path, ISSUE_GNP, "default/web", "203.0.113.7") == "ALLOW"
    assert _verdict(tmp_path, ISSUE_GNP, "default/web", "198.51.100.9") == "ALLOW"  # a bare IP net
    assert _verdict(tmp_path, ISSUE_GNP, "default/web", "198.51.100.10") == "DENY"
    assert _verdict(tmp_path, ISSUE_GNP, "default/web", "8.8.8.8") == "DENY"


def _namespaced(rule_destination: str) -> str:
    return f"""\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: egress, namespace: NS}}
spec:
  selector: all()
  types: [Egress]
  egress:
  - action: Allow
    destination: {rule_destination}
"""


@pytest.mark.parametrize(
    ("namespace", "destination", "selector", "expected"),
    [
        # A namespaced policy's bare selector sees network sets of its own namespace only.
        ("default", "192.0.2.5", "{selector: role == 'partner'}", "ALLOW"),
        ("dev", "192.0.2.5", "{selector: role == 'partner'}", "DENY"),
        ("default", "203.0.113.7", "{selector: role == 'ext'}", "DENY"),
        # global() selects global network sets (not namespaced ones).
        ("dev", "203.0.113.7", "{namespaceSelector: global(), selector: role == 'ext'}", "ALLOW"),
        ("dev", "192.0.2.5", "{namespaceSelector: global(), selector: role == 'partner'}", "DENY"),
        # A namespaceSelector reaches namespaced sets through their namespace's labels.
        ("dev", "192.0.2.5", "{namespaceSelector: team == 'a', selector: role == 'partner'}", "ALLOW"),
        ("dev", "192.0.2.5", "{namespaceSelector: all(), selector: role == 'partner'}", "ALLOW"),
        ("dev", "203.0.113.7", "{namespaceSelector: all(), selector: role == 'ext'}", "DENY"),
    ],
)
def test_namespaced_scoping(tmp_path: Path, namespace: str, destination: str, selector: str,
                            expected: str) -> None:
    source = "default/web" if namespace == "default" else "dev/api"
    policy = _namespaced(selector).replace("NS", namespace)
    assert _verdict(tmp_path, policy, source, destination) == expected


def test_not_selector_excludes_network_set_members(tmp_path: Path) -> None:
    policy = ISSUE_GNP.replace("{selector: role == 'ext'}", "{notSelector: role == 'ext'}")
    assert _verdict(tmp_path, policy, "default/web", "203.0.113.7") == "DENY"
    assert _verdict(tmp_path, policy, "default/web", "8.8.8.8") == "ALLOW"


def test_not_nets_still_apply_with_a_network_set_selector(tmp_path: Path) -> None:
    policy = ISSUE_GNP.replace("{selector: role == 'ext'}",
                               "{selector: role == 'ext', notNets: [203.0.113.0/25]}")
    assert _verdict(tmp_path, policy, "default/web", "203.0.113.7") == "DENY"
    assert _verdict(tmp_path, policy, "default/web", "203.0.113.200") == "ALLOW"


def test_pod_inside_a_network_set_matches_its_selector(tmp_path: Path) -> None:
    """Felix matches by IP set: a pod address inside a matching set's nets is in the selector's set."""
    cluster = CLUSTER + """\
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: pods, labels: {role: ext}}
spec: {nets: [10.244.0.20/32]}
"""
    policy_file, cluster_file = _files(tmp_path, ISSUE_GNP, cluster)
    result = runner.invoke(app, ["explain", policy_file, "--cluster", cluster_file, "--semantics", "calico",
                                 "--from", "default/web", "--to", "dev/api", "--port", "443"])
    assert result.exit_code == 0 and result.stdout.startswith("ALLOW"), result.stdout


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("kind: GlobalNetworkSet\nmetadata: {name: x}\nspec: {nets: [300.1.1.0/24]}",
         "cluster.yaml:1:spec.nets[0]: error: invalid CIDR"),
        ("kind: GlobalNetworkSet\nmetadata: {name: x}\nspec: {nets: [not-an-ip]}",
         "spec.nets[0]: error: invalid IP address 'not-an-ip'"),
        ("kind: NetworkSet\nmetadata: {name: x, namespace: default}\nspec: {nets: 10.0.0.0/8}",
         "spec.nets"),
        ("kind: GlobalNetworkSet\nmetadata: {name: x}\nspec: {nets: [10.0.0.0/8], bogus: 1}",
         "spec.bogus"),
        ("kind: GlobalNetworkSet\nmetadata: {name: X_bad}\nspec: {nets: [10.0.0.0/8]}",
         "metadata.name"),
        ("kind: GlobalNetworkSet\nmetadata: {name: x}\nspec: {allowedEgressDomains: [a.example]}",
         "spec.allowedEgressDomains: error: domain-name members are not modelled"),
    ],
)
def test_bad_network_sets_are_located_errors(tmp_path: Path, document: str, message: str) -> None:
    cluster = "apiVersion: projectcalico.org/v3\n" + document + "\n"
    policy_file, cluster_file = _files(tmp_path, ISSUE_GNP, cluster)
    result = runner.invoke(app, ["explain", policy_file, "--cluster", cluster_file, "--semantics", "calico",
                                 "--from", "10.244.0.1", "--to", "203.0.113.7", "--port", "443"])
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_duplicate_network_set_is_refused(tmp_path: Path) -> None:
    doc = ("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: x}\n"
           "spec: {nets: [10.0.0.0/8]}\n")
    policy_file, cluster_file = _files(tmp_path, ISSUE_GNP, doc + "---\n" + doc)
    result = runner.invoke(app, ["explain", policy_file, "--cluster", cluster_file,
                                 "--from", "10.244.0.1", "--to", "10.0.0.1", "--port", "443"])
    assert result.exit_code == 2
    assert "duplicate GlobalNetworkSet x" in result.stderr


def _diff(tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    before = ISSUE_GNP.replace("  egress:\n  - action: Allow\n    destination: {selector: role == 'ext'}\n",
                               "  egress: []\n")
    before_file, cluster_file = _files(tmp_path, before)
    after_file = tmp_path / "after.yaml"
    after_file.write_text(ISSUE_GNP)
    result = runner.invoke(app, ["diff", before_file, str(after_file), "--cluster", cluster_file, *extra])
    return result.exit_code, result.stdout, result.stderr


def test_diff_splits_external_addresses_at_network_set_nets(tmp_path: Path) -> None:
    code, out, err = _diff(tmp_path)
    assert code == 1, out + err
    assert "newly allowed: default/web -> 198.51.100.9/32, 203.0.113.0/24" in out
    assert "newly allowed: dev/api -> 198.51.100.9/32, 203.0.113.0/24" in out


def test_symbolic_diff_judges_network_sets(tmp_path: Path) -> None:
    """With --symbolic the network sets of --cluster are used as given (issue 9 item 5)."""
    code, out, err = _diff(tmp_path, "--symbolic")
    assert code == 1, out + err
    assert "198.51.100.9/32" in out and "203.0.113.0/24" in out


def test_network_sets_among_policies_are_refused(tmp_path: Path) -> None:
    policy_file, cluster_file = _files(tmp_path, ISSUE_GNP + "---\n" + CLUSTER.split("---\n")[4])
    result = runner.invoke(app, ["explain", policy_file, "--cluster", cluster_file,
                                 "--from", "default/web", "--to", "203.0.113.7", "--port", "443"])
    assert result.exit_code == 2
    assert "policies.yaml:2: error: GlobalNetworkSet external: network sets are cluster" in result.stderr


def test_verify_takes_network_sets_from_the_cluster_state_only(tmp_path: Path) -> None:
    policy_file, _ = _files(tmp_path, ISSUE_GNP + "---\n" + CLUSTER.split("---\n")[4])
    result = runner.invoke(app, ["verify", policy_file, policy_file])
    assert result.exit_code == 2
    expected = "GlobalNetworkSet external: network sets are cluster state: give them with --cluster"
    assert expected in result.stderr


def test_network_set_labels_as_felix_sees_them() -> None:
    import ipaddress

    from translator.evaluate.calico_scope import network_set_labels
    from translator.model.cluster import NetworkSet

    nets = (ipaddress.ip_network("2001:db8::/32"),)
    spoofing = NetworkSet("n", "dev", {"projectcalico.org/namespace": "prod", "pcns.env": "mine"}, nets)
    labels = network_set_labels(spoofing, {"env": "dev", "kubernetes.io/metadata.name": "dev"})
    # Calico writes the namespace label itself; the set's own labels beat inherited ones.
    assert labels["projectcalico.org/namespace"] == "dev"
    assert labels["pcns.env"] == "mine"
    assert labels["pcns.kubernetes.io/metadata.name"] == "dev"
    assert network_set_labels(NetworkSet("g", None, {"role": "ext"}, nets), {}) == {"role": "ext"}


def test_ingress_source_selector_matches_network_set_addresses(tmp_path: Path) -> None:
    policy = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: ingress-ext}
spec:
  selector: all()
  types: [Ingress]
  ingress:
  - action: Allow
    source: {selector: role == 'ext'}
"""
    assert _verdict(tmp_path, policy, "203.0.113.7", "default/web") == "ALLOW"
    assert _verdict(tmp_path, policy, "8.8.8.8", "default/web") == "DENY"
    assert _verdict(tmp_path, policy, "dev/api", "default/web") == "DENY"
