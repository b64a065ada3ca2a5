"""The cluster invariants the verify engine assumes, in one place.

Every "possible connection" is one whose endpoints obey these facts; nothing else is assumed.

Namespaces
- A namespace name is a DNS-1123 label; every namespace carries `kubernetes.io/metadata.name`
  = its name (the API server sets it), and Calico's namespace profile adds
  `projectcalico.org/name` = its name. Every other namespace label is free.

Pods (workload endpoints), as Felix labels them (felix/labelindex: an endpoint's own labels win
over the labels it inherits from its profiles; libcalico-go k8s conversion):
- inherited: every label `K` of the namespace as `pcns.K`;
- then the pod's own labels, copied verbatim: any valid label, `pcns.*` keys included, so a pod
  may override (but never remove) an inherited `pcns.*` label;
- then the labels Calico writes itself, which no pod label can override:
  `projectcalico.org/namespace` = the namespace name, `projectcalico.org/orchestrator` = `k8s`,
  `projectcalico.org/serviceaccount` = the service account name.
So for the selectors Felix evaluates: `pcns.kubernetes.io/metadata.name` and
`pcns.projectcalico.org/name` are always present (the namespace name unless the pod overrides
them); every other key is absent or carries any valid label value.

Label keys and values follow Kubernetes validation: a key no object can carry is never present,
and a value is empty or at most 63 characters of `[A-Za-z0-9._-]`, alphanumeric at both ends.

Connections: one IP family per connection; each endpoint is a pod (any labels, any address of
that family, any named ports declaring the destination port), an address outside the cluster, or
one of the host endpoints the inputs hold (its own labels, one of its expected IPs of that family
or none, the named ports it declares; profiles decide after the tiers). An address a host
endpoint expects is that host endpoint's, never a pod's nor an outside one. A host-network pod's
traffic is the node's: the host endpoint owning its address, else an outside address. Without
host endpoints in the inputs, none is judged. The two addresses differ. Protocols: every IP
protocol 1-255; only TCP, UDP and SCTP carry a destination port (1-65535).
"""

from __future__ import annotations

from translator.load.names import (
    dns1123_label_errors,
    dns1123_subdomain_errors,
    label_value_errors,
    qualified_name_errors,
)
from translator.model.cluster import NAMESPACE_NAME_LABEL as K8S_NAME_LABEL
from translator.selectors import (
    ENDPOINT_NAMESPACE_LABEL,
    NAMESPACE_NAME_LABEL,
    ORCHESTRATOR_LABEL,
    SERVICE_ACCOUNT_LABEL,
)

NAMESPACE_PREFIX = "pcns."
ORCHESTRATOR_VALUE = "k8s"
# The namespace labels every namespace carries, with its name as the value.
NAME_LABELS = (K8S_NAME_LABEL, NAMESPACE_NAME_LABEL)
# Inherited endpoint labels that are always present (the namespace name unless overridden).
ALWAYS_INHERITED = tuple(NAMESPACE_PREFIX + k for k in NAME_LABELS)
# Endpoint labels Calico writes after the pod's own: a pod cannot set them.
CALICO_WRITTEN = (ENDPOINT_NAMESPACE_LABEL, ORCHESTRATOR_LABEL, SERVICE_ACCOUNT_LABEL)

LABEL_VALUE_MAX = 63
DNS_LABEL_MAX = 63
SUBDOMAIN_MAX = 253

# The protocols whose packets carry a destination port (a Calico rule can name ports only for them).
PORTED_PROTOCOLS = {"TCP": 6, "UDP": 17, "SCTP": 132}
PORT_RANGE = (1, 65535)
PROTOCOL_RANGE = (1, 255)


def pod_can_carry(key: str) -> bool:
    """Whether a pod may carry the label `key` itself (a qualified name, not written by Calico)."""
    return key not in CALICO_WRITTEN and not qualified_name_errors(key)


def namespace_can_carry(key: str) -> bool:
    return not qualified_name_errors(key)


def endpoint_can_carry(key: str) -> bool:
    """Whether some pod's endpoint can hold `key`, through its own labels or its namespace's."""
    if key in CALICO_WRITTEN or key in ALWAYS_INHERITED or pod_can_carry(key):
        return True
    return key.startswith(NAMESPACE_PREFIX) and namespace_can_carry(key[len(NAMESPACE_PREFIX):])


def is_label_value(value: str) -> bool:
    return not label_value_errors(value)


def is_namespace_name(value: str) -> bool:
    return not dns1123_label_errors(value)


def is_service_account(value: str) -> bool:
    return not dns1123_subdomain_errors(value)
