"""The connector's address policy: moved to ``packyard.common.addresses`` so webhook deliveries
(metadata) go through the very same checks; kept here for the connector's imports."""

from packyard.common.addresses import (
    AddressRefused,
    GuardedBackend,
    IPAddress,
    Resolver,
    ip_literal,
    is_private,
    never_contacted,
    refusal,
    resolve_checked,
    system_resolver,
)

__all__ = [
    "AddressRefused",
    "GuardedBackend",
    "IPAddress",
    "Resolver",
    "ip_literal",
    "is_private",
    "never_contacted",
    "refusal",
    "resolve_checked",
    "system_resolver",
]
