"""Where a cluster's DNS pods are when nothing says otherwise: CoreDNS keeps kube-dns's label, in
kube-system. A module of its own so that the command line can show these defaults without loading
the conversion."""

from __future__ import annotations

DEFAULT_DNS_SELECTOR = "k8s-app == 'kube-dns'"
DEFAULT_DNS_NAMESPACE = "kube-system"
