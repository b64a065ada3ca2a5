"""What `--default-deny global` promises, as a policy set of its own, for `convert --verify`.

Written from the options alone (never from the converter's output): for a pod of a namespace the
default deny covers, a direction is allowed iff one of its namespace's Kubernetes policies allows
it by a rule, or, for egress, an exception applies: DNS (UDP and TCP 53) to the DNS pods (the DNS
selector, in the DNS namespace) or to a `--dns-ip` network, and TCP to an `--allow-apiserver`
network and port, or (`--allow-apiserver` alone) to an endpoint of Service default/kubernetes
on the endpoint's own port and protocol. A pod of an excluded namespace keeps the input's verdict.
As a policy set:

- tier `promise-exceptions` (before every other tier, defaultAction Pass) with one policy selecting
  the covered pods, allowing the exceptions on egress;
- in tier `default`, the input (namespace names as Kubernetes means them, `intent`) next to a policy
  that selects every covered pod for both directions with no rule, so that what no input rule
  allows ends denied at the end of the tier.

Covered pods are named on `projectcalico.org/namespace`, which no pod can set.
"""

from __future__ import annotations

from translator.convert.options import DefaultDenyOptions
from translator.model import calico
from translator.model.common import Direction, IPNetwork, PortRange, RuleProtocol
from translator.selectors import ENDPOINT_NAMESPACE_LABEL, And, Equals, Has, NotIn, Selector, parse
from translator.verify.intent import namespace_names_as_kubernetes_means

EXCEPTIONS_TIER = calico.Tier("promise-exceptions", 1.0, calico.Action.PASS)
DNS_PORTS = (PortRange(53, 53),)
API_SERVER = calico.ServiceMatch("kubernetes", "default")


def covered_pods(deny: DefaultDenyOptions) -> Selector:
    """Pods of the namespaces the default deny covers."""
    return And((Has(ENDPOINT_NAMESPACE_LABEL), NotIn(ENDPOINT_NAMESPACE_LABEL, deny.exclude_namespaces)))


def _allow(protocol: str, *, selector: Selector | None = None, nets: tuple[IPNetwork, ...] = (),
           ports: tuple[PortRange, ...]) -> calico.Rule:
    destination = calico.EntityRule(selector=selector, nets=nets, ports=ports)
    return calico.Rule(calico.Action.ALLOW, RuleProtocol.of(protocol), destination=destination)


def exceptions(deny: DefaultDenyOptions) -> tuple[calico.Rule, ...]:
    """The egress exceptions, as Allow rules."""
    dns_pods = And((Equals(ENDPOINT_NAMESPACE_LABEL, deny.dns_namespace), parse(deny.dns_selector)))
    rules = [_allow(p, selector=dns_pods, ports=DNS_PORTS) for p in ("UDP", "TCP")]
    if deny.dns_ips:
        rules += [_allow(p, nets=deny.dns_ips, ports=DNS_PORTS) for p in ("UDP", "TCP")]
    for access in deny.allow_apiserver:
        if access.net is None:
            # The endpoints of the API server's Service, on their own ports and protocols (verify
            # judges every possible endpoint set of the Service).
            rules.append(calico.Rule(calico.Action.ALLOW, destination=calico.EntityRule(services=API_SERVER)))
        else:
            rules.append(_allow("TCP", nets=(access.net,), ports=access.ports))
    return tuple(rules)


def default_deny_promise(policies: calico.PolicySet, deny: DefaultDenyOptions) -> calico.PolicySet:
    """The Kubernetes-only `policies` under the default deny, as promised (module docstring)."""
    covered = covered_pods(deny)
    allow_spec = calico.PolicySpec(tier=EXCEPTIONS_TIER.name, order=1.0, selector=covered,
                                   types=(Direction.EGRESS,), egress=exceptions(deny))
    allow_name = calico.Metadata(f"{EXCEPTIONS_TIER.name}.dns-and-apiserver")
    allow = calico.GlobalNetworkPolicy(allow_name, allow_spec)
    both = (Direction.INGRESS, Direction.EGRESS)
    isolate_spec = calico.PolicySpec(order=2000.0, selector=covered, types=both)
    isolate = calico.GlobalNetworkPolicy(calico.Metadata("promise-isolation"), isolate_spec)
    inputs = namespace_names_as_kubernetes_means(policies).calico_policies
    return calico.PolicySet(calico_policies=(allow, isolate, *inputs), tiers=(EXCEPTIONS_TIER,))
