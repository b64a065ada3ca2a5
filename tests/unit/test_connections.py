"""Parsing connections: endpoint references, ports, protocols, batches with located errors."""

from __future__ import annotations

import pytest

from translator.errors import InputError, Location
from translator.evaluate.connections import (
    parse_connections,
    parse_port,
    parse_protocol,
    resolve_endpoint,
)
from translator.model.cluster import Cluster, ContainerPort, HostEndpoint, Pod
from translator.model.common import Protocol, parse_ip

DNS = Pod(
    "kube-system",
    "coredns",
    {"k8s-app": "kube-dns"},
    (parse_ip("10.244.0.2"), parse_ip("fd00::2")),
    (ContainerPort(53, Protocol.UDP, "dns"), ContainerPort(53, Protocol.TCP, "dns-tcp")),
)
CURL = Pod("default", "curl", {"app": "curl"}, (parse_ip("10.244.0.10"),))
NODE = HostEndpoint("node1", "node1", "eth0", {}, (parse_ip("192.168.49.2"),))
CLUSTER = Cluster.build(pods=[DNS, CURL], host_endpoints=[NODE])
HERE = Location("--from")


def test_pod_reference() -> None:
    ref = resolve_endpoint("default/curl", CLUSTER, HERE)
    assert ref.endpoint == CURL and ref.address is None


def test_ip_of_a_pod_denotes_the_pod_at_that_address() -> None:
    ref = resolve_endpoint("fd00::2", CLUSTER, HERE)
    assert ref.endpoint == DNS and ref.address == parse_ip("fd00::2")


def test_ip_of_a_host_endpoint_denotes_it() -> None:
    assert resolve_endpoint("192.168.49.2", CLUSTER, HERE).endpoint == NODE


def test_other_ip_is_outside_the_cluster() -> None:
    ref = resolve_endpoint("203.0.113.10", CLUSTER, HERE)
    assert ref.endpoint == parse_ip("203.0.113.10") and ref.address == parse_ip("203.0.113.10")


def test_host_endpoint_reference() -> None:
    assert resolve_endpoint("hep:node1", CLUSTER, HERE).endpoint == NODE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("default/curl-two", "no pod default/curl-two in the cluster state (did you mean default/curl?)"),
        ("kube-system/nothing", "no pod kube-system/nothing in the cluster state"),
        ("hep:node2", "no host endpoint node2 in the cluster state (did you mean node1?)"),
        ("curl", "'curl' is not an endpoint: expected NS/POD, KIND/NS/NAME of a workload, an IP address"),
        ("a/b/c", "'a/b/c' is not an endpoint"),
        ("/curl", "'/curl' is not an endpoint"),
        ("10.0.0.300", "'10.0.0.300' is not an endpoint"),
        ("", "expected an endpoint"),
        (42, "expected an endpoint"),
    ],
)
def test_bad_endpoint(text: object, message: str) -> None:
    with pytest.raises(InputError) as err:
        resolve_endpoint(text, CLUSTER, HERE)
    assert str(err.value).startswith(f"--from: error: {message}")


@pytest.mark.parametrize(
    ("value", "expected"), [(80, 80), ("8080", 8080), (65535, 65535), ("dns", "dns"), ("dns-tcp", "dns-tcp")]
)
def test_good_port(value: object, expected: int | str) -> None:
    assert parse_port(value, HERE) == expected


@pytest.mark.parametrize(
    "value",
    [0, 65536, -1, True, 1.5, "HTTP", "-dns", "dns-", "d--s", "1234-", "a" * 16, None,
     "http\n", "\u0668\u0660"],  # a trailing newline; Arabic-Indic digits (str.isdigit() takes them)
)
def test_bad_port(value: object) -> None:
    with pytest.raises(InputError, match="port"):
        parse_port(value, HERE)


@pytest.mark.parametrize(
    ("value", "expected"), [("TCP", Protocol.TCP), ("udp", Protocol.UDP), ("Sctp", Protocol.SCTP)]
)
def test_protocol(value: str, expected: Protocol) -> None:
    assert parse_protocol(value, HERE) is expected


@pytest.mark.parametrize("value", ["ICMP", "", 6, None])
def test_bad_protocol(value: object) -> None:
    with pytest.raises(InputError, match="is not one of TCP, UDP, SCTP"):
        parse_protocol(value, HERE)


def test_batch_with_defaults_names_and_extra_keys() -> None:
    data = [
        {
            "from": "default/curl",
            "to": "kube-system/coredns",
            "port": "dns",
            "protocol": "UDP",
            "verdict": "x",
        },
        {"from": "default/curl", "to": "10.244.0.2", "port": 53},
        {"from": "203.0.113.10", "to": "default/curl", "port": 80, "protocol": "sctp"},
    ]
    first, second, third = parse_connections(data, CLUSTER, "batch.yaml")
    assert (first.destination, first.port, first.protocol, first.port_number()) == (
        DNS,
        "dns",
        Protocol.UDP,
        53,
    )
    assert (second.protocol, second.destination, second.destination_ip) == (
        Protocol.TCP,
        DNS,
        parse_ip("10.244.0.2"),
    )
    assert third.source == parse_ip("203.0.113.10") and third.protocol is Protocol.SCTP


def test_batch_reports_every_bad_item_with_its_location() -> None:
    data = [
        {"from": "default/curl", "to": "kube-system/coredns", "port": 53},
        {"from": "default/nope", "to": "kube-system/coredns", "port": 53},
        {"from": "default/curl", "to": "kube-system/coredns", "port": "dns", "protocol": "TCP"},
        {"from": "default/curl", "to": "203.0.113.10", "port": "https"},
        {"from": "default/curl", "port": 53},
        "default/curl",
        {"from": "default/curl", "to": "kube-system/coredns", "port": 53, "protocol": "ICMP"},
    ]
    with pytest.raises(InputError) as err:
        parse_connections(data, CLUSTER, "batch.yaml")
    lines = [str(d) for d in err.value.diagnostics]
    assert [line.split(": error: ")[0] for line in lines] == [
        "batch.yaml:1:[1].from",
        "batch.yaml:1:[2].port",
        "batch.yaml:1:[3].port",
        "batch.yaml:1:[4].to",
        "batch.yaml:1:[5]",
        "batch.yaml:1:[6].protocol",
    ]
    assert "declares no TCP port named 'dns' (it declares dns (UDP/53), dns-tcp (TCP/53))" in lines[1]
    assert "named port 'https' needs a pod or host endpoint destination" in lines[2]
    assert "missing field 'to'" in lines[3]


def test_batch_must_be_a_list() -> None:
    with pytest.raises(InputError, match=r"batch.yaml:1: error: expected a list"):
        parse_connections({"from": "default/curl"}, CLUSTER, "batch.yaml")


def test_empty_batch_is_empty() -> None:
    assert parse_connections([], CLUSTER) == []


def test_a_typo_in_a_batch_item_is_refused_not_read_as_the_default() -> None:
    data = [{"from": "default/curl", "to": "10.244.0.2", "port": 53, "prot": "UDP"}]
    with pytest.raises(InputError) as caught:
        parse_connections(data, CLUSTER, "batch.yaml")
    assert str(caught.value.diagnostics[0].location) == "batch.yaml:1:[0].prot"
    assert "unknown field 'prot'" in caught.value.diagnostics[0].message
