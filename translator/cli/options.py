"""Option types and option handling that several commands share (convert, diff --migrate, explain)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from translator.cli.common import check_namespace_options
from translator.errors import UsageError
from translator.model.calico import TieBreak as TieBreak  # the options' enum is the model's


class TargetChoice(str, Enum):
    NAMESPACED = "namespaced"
    GLOBAL = "global"


class DefaultDenyChoice(str, Enum):
    GLOBAL = "global"


def default_deny_options(
    choice: DefaultDenyChoice | None,
    scope: tuple[list[str], list[str]],
    dns: tuple[str, str, list[str]],
    apiservers: list[str],
) -> Any:
    """The DefaultDenyOptions of `--default-deny global`, or None; its sub-options need it."""
    from translator.convert.options import DefaultDenyOptions, parse_apiserver, parse_dns_ip

    exclude, include = scope
    dns_selector, dns_namespace, dns_ips = dns
    if choice is None:
        if exclude or include or dns_ips or apiservers:
            raise UsageError(
                "--exclude-namespace, --include-namespace, --dns-ip and --allow-apiserver "
                "need --default-deny global"
            )
        return None
    check_namespace_options(exclude_namespace=exclude, include_namespace=include, dns_namespace=dns_namespace)
    return DefaultDenyOptions.build(
        exclude=tuple(exclude),
        include=tuple(include),
        dns_selector=dns_selector,
        dns_namespace=dns_namespace,
        dns_ips=tuple(parse_dns_ip(t) for t in dns_ips),
        allow_apiserver=tuple(parse_apiserver(t) for t in apiservers),
    )
