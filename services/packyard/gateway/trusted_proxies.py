"""Behind a reverse proxy: the client's address, scheme and host from the proxy's headers.

Only a peer in ``PACKYARD_TRUSTED_PROXIES`` may speak for the client; anyone else could write
``X-Forwarded-For: 1.2.3.4`` to dodge the failed-login limiter or forge the audit log. The
hops a request passed are read right to left (each proxy appends the address it saw) and the
first one not in the list is the client: the "rightmost untrusted hop", so a client cannot
prepend an address of its choice. ``Forwarded`` (RFC 7239) wins over ``X-Forwarded-*``
when a trusted peer sends both.

The scheme and host come with the hop that named the client (the proxy that received the
request from the client saw the scheme and host the user typed). With ``X-Forwarded-Proto`` or
``-Host`` lists of another length than ``X-Forwarded-For``, a proxy overwrote rather than
appended, and the rightmost value (that of the nearest proxy) is used.

A pure ASGI middleware, outermost, so tracing, audit, the limiter and every absolute URL
(Starlette's ``request.base_url`` reads the scheme and the Host header) see the result.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# A host header value: a DNS name, IPv4 or [IPv6], and an optional port. Anything else (a
# path, spaces, userinfo) is ignored rather than put into every link the gateway writes.
_HOST = re.compile(r"^(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
_SCHEMES = frozenset({"http", "https"})


def parse_networks(value: str) -> tuple[Network, ...]:
    """``PACKYARD_TRUSTED_PROXIES``: comma-separated addresses or CIDRs (ValueError if bad)."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False)
        for part in value.split(",")
        if part.strip()
    )


@dataclass(frozen=True)
class Hop:
    """One proxy's account of what it received: from whom, over which scheme, for which host."""

    address: str
    scheme: str = ""
    host: str = ""


def _node_address(node: str) -> str:
    """The address part of a ``for=`` node or X-Forwarded-For item: ``"[::1]:80"`` -> ``::1``."""
    node = node.strip().strip('"')
    if node.startswith("["):
        return node[1:].split("]", 1)[0]
    if node.count(":") == 1:  # IPv4 with a port; bare IPv6 has several colons
        return node.split(":", 1)[0]
    return node


def parse_forwarded(values: Iterable[str]) -> list[Hop]:
    """RFC 7239 ``Forwarded`` header values -> hops, leftmost (nearest the client) first."""
    hops: list[Hop] = []
    for value in values:
        for element in value.split(","):
            pairs: dict[str, str] = {}
            for pair in element.split(";"):
                name, sep, raw = pair.partition("=")
                if sep:
                    pairs[name.strip().lower()] = raw.strip().strip('"')
            if "for" in pairs:
                hops.append(
                    Hop(_node_address(pairs["for"]), pairs.get("proto", ""), pairs.get("host", ""))
                )
    return hops


def _items(values: Iterable[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def parse_x_forwarded(
    for_values: Iterable[str], proto_values: Iterable[str], host_values: Iterable[str]
) -> list[Hop]:
    """``X-Forwarded-For/-Proto/-Host`` -> hops, leftmost first (see the module docstring)."""
    addresses = [_node_address(item) for item in _items(for_values)]
    protos, hosts = _items(proto_values), _items(host_values)

    def aligned(values: list[str], index: int) -> str:
        if len(values) == len(addresses):
            return values[index]
        return values[-1] if values else ""

    return [Hop(a, aligned(protos, i), aligned(hosts, i)) for i, a in enumerate(addresses)]


def is_trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # "unknown", an obfuscated node or a Unix socket path
    return any(ip in network for network in networks)


def client_hop(peer: str, hops: Sequence[Hop], networks: Sequence[Network]) -> Hop | None:
    """The hop that names the client, or None when the peer itself is not trusted (or no proxy
    said anything): the rightmost hop whose address is not trusted, else the leftmost."""
    if not hops or not is_trusted(peer, networks):
        return None
    for hop in reversed(hops):
        if not is_trusted(hop.address, networks):
            return hop
    return hops[0]


def _header_values(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in headers if key == name]


def forwarded_hops(headers: Sequence[tuple[bytes, bytes]]) -> list[Hop]:
    forwarded = _header_values(headers, b"forwarded")
    if forwarded:
        return parse_forwarded(forwarded)
    return parse_x_forwarded(
        _header_values(headers, b"x-forwarded-for"),
        _header_values(headers, b"x-forwarded-proto"),
        _header_values(headers, b"x-forwarded-host"),
    )


def apply_hop(scope: Scope, hop: Hop) -> Scope:
    """A copy of ``scope`` as the client sent the request: its address, scheme and host."""
    scope = dict(scope)
    # The client's port is not forwarded (the peer's would be the proxy's own).
    scope["client"] = (hop.address, 0)
    scheme = hop.scheme.lower()
    if scheme in _SCHEMES:
        scope["scheme"] = scheme
    if hop.host and _HOST.match(hop.host):
        headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
        scope["headers"] = [(b"host", hop.host.encode("latin-1")), *headers]
    return scope


class TrustedProxies:
    def __init__(self, app: ASGIApp, networks: Sequence[Network]) -> None:
        self.app = app
        self.networks = tuple(networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.networks and scope["type"] in ("http", "websocket") and scope.get("client"):
            hop = client_hop(scope["client"][0], forwarded_hops(scope["headers"]), self.networks)
            if hop is not None:
                scope = apply_hop(scope, hop)
        await self.app(scope, receive, send)
