"""Which network addresses Packyard may connect to (connectors, webhook deliveries), checked
where the connection is made.

SSRF defence (RELIABILITY §4.5, §5 F62; Nexus CVE-2026-0600): link-local addresses (cloud
metadata at 169.254.169.254 among them), multicast, unspecified and reserved addresses are
never contacted. Loopback and private addresses (10/8, 172.16/12, 192.168/16, 100.64/10,
fc00::/7, ...) are contacted only for a connector whose own configured host is itself such an
address (an administrator proxying an index on the internal network or on this machine).

The check is made by the network backend of the HTTP client, after resolving the name and
before connecting, and the socket is then opened to the very address that was checked: a
name that resolves to a public address for the check and to a private one for the connection
(DNS rebinding) cannot slip through. TLS still verifies the certificate against the name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx
from httpcore._backends.base import SOCKET_OPTION

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


class AddressRefused(Exception):
    """The host resolves to an address the connector must not contact."""


def _unwrap(ip: IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return embedded
    return ip


def is_private(ip: IPAddress) -> bool:
    """Loopback or internal (not globally routable), but not one of the always-refused."""
    ip = _unwrap(ip)
    return never_contacted(ip) is None and not ip.is_global


def never_contacted(ip: IPAddress) -> str | None:
    """Why no connector may ever contact ``ip`` (None: it may, subject to the private rule)."""
    ip = _unwrap(ip)
    if ip.is_loopback:
        return None  # (IPv6 ::1 lies in the reserved ::/8; it is the private rule's case)
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_reserved or (isinstance(ip, ipaddress.IPv4Address) and ip in _THIS_NETWORK):
        return "reserved address"
    return None


_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")


def refusal(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why ``ip`` must not be contacted, or None when it may."""
    reason = never_contacted(ip)
    if reason is not None:
        return reason
    if not allow_private and not _unwrap(ip).is_global:
        return "private or loopback address"
    return None


def ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_checked(
    resolve: Resolver, host: str, port: int, *, allow_private: bool
) -> list[str]:
    """The addresses of ``host``; AddressRefused if any of them must not be contacted (a
    name mixing public and internal addresses is treated as hostile)."""
    literal = ip_literal(host)
    try:
        addresses = [str(literal)] if literal is not None else await resolve(host, port)
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    if not addresses:
        raise httpcore.ConnectError(f"{host} has no address")
    for address in addresses:
        reason = refusal(ipaddress.ip_address(address), allow_private=allow_private)
        if reason is not None:
            raise AddressRefused(f"{host} resolves to a {reason}")
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving and checking names itself before connecting."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolve: Resolver = system_resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._resolve = resolve
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_checked(
            self._resolve, host, port, allow_private=self._allow_private
        )
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("unix sockets are not upstreams")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(
    *, allow_private: bool, resolve: Resolver = system_resolver, limits: httpx.Limits
) -> httpx.AsyncHTTPTransport:
    """httpx's transport with a connection pool whose network backend checks addresses."""
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    # httpx has no parameter for httpcore's network backend: give the transport a pool that
    # is configured as httpx configures it, plus the backend.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(allow_private=allow_private, resolve=resolve),
    )
    return transport
