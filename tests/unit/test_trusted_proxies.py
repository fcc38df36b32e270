"""Client address, scheme and host behind reverse proxies (gateway/trusted_proxies.py)."""

from __future__ import annotations

import pytest
from packyard.gateway.trusted_proxies import (
    Hop,
    TrustedProxies,
    client_hop,
    forwarded_hops,
    parse_forwarded,
    parse_networks,
)
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

PROXIES = parse_networks("10.0.0.0/8, 192.168.1.5, fd00::/8")


def test_networks_are_comma_separated_and_checked() -> None:
    assert [str(n) for n in parse_networks(" 10.0.0.0/8,,192.168.1.5 ")] == [
        "10.0.0.0/8",
        "192.168.1.5/32",
    ]
    assert parse_networks("") == ()
    with pytest.raises(ValueError):
        parse_networks("not-a-network")


def test_the_rightmost_untrusted_hop_is_the_client() -> None:
    # The client wrote a forged first hop; the trusted ingress appended what it saw.
    hops = forwarded_hops([(b"x-forwarded-for", b"6.6.6.6, 203.0.113.7, 10.1.2.3")])
    assert client_hop("10.0.0.1", hops, PROXIES) == Hop("203.0.113.7")


def test_an_untrusted_peer_cannot_speak_for_anyone() -> None:
    hops = forwarded_hops([(b"x-forwarded-for", b"203.0.113.7")])
    assert client_hop("198.51.100.1", hops, PROXIES) is None
    assert client_hop("10.0.0.1", hops, ()) is None


def test_only_proxies_in_the_chain_name_the_leftmost_hop() -> None:
    hops = forwarded_hops([(b"x-forwarded-for", b"10.9.9.9, 10.1.1.1")])
    assert client_hop("10.0.0.1", hops, PROXIES) == Hop("10.9.9.9")


def test_forwarded_header_wins_and_carries_scheme_and_host() -> None:
    headers = [
        (b"x-forwarded-for", b"1.1.1.1"),
        (b"forwarded", b'for="[2001:db8::1]:4711";proto=https;host=pkgs.example.com'),
        (b"forwarded", b"for=10.2.2.2;proto=http;host=internal"),
    ]
    hop = client_hop("fd00::1", forwarded_hops(headers), PROXIES)
    assert hop == Hop("2001:db8::1", "https", "pkgs.example.com")
    assert parse_forwarded(["for=192.0.2.60:8080;by=203.0.113.43"]) == [Hop("192.0.2.60")]


def test_x_forwarded_proto_and_host_follow_the_client_hop() -> None:
    appended = forwarded_hops(
        [
            (b"x-forwarded-for", b"203.0.113.7, 10.1.1.1"),
            (b"x-forwarded-proto", b"https, http"),
            (b"x-forwarded-host", b"pkgs.example.com, internal:8080"),
        ]
    )
    assert client_hop("10.0.0.1", appended, PROXIES) == Hop(
        "203.0.113.7", "https", "pkgs.example.com"
    )
    # One value for two hops: a proxy overwrote it; the nearest proxy's value is used.
    overwritten = forwarded_hops(
        [(b"x-forwarded-for", b"203.0.113.7, 10.1.1.1"), (b"x-forwarded-proto", b"https")]
    )
    assert client_hop("10.0.0.1", overwritten, PROXIES) == Hop("203.0.113.7", "https")


async def _seen(scope: Scope) -> Request:
    seen: list[Request] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(Request(scope))

    async def receive() -> Message:
        return {"type": "http.request"}

    async def send(message: Message) -> None:
        pass

    await TrustedProxies(app, PROXIES)(scope, receive, send)
    return seen[0]


def _scope(peer: str, headers: list[tuple[bytes, bytes]]) -> Scope:
    return {
        "type": "http",
        "scheme": "http",
        "method": "GET",
        "path": "/",
        "root_path": "",
        "query_string": b"",
        "server": ("10.0.0.9", 8080),
        "client": (peer, 40000),
        "headers": [(b"host", b"gateway:8080"), *headers],
    }


async def test_links_and_client_come_from_a_trusted_proxy() -> None:
    headers = [
        (b"x-forwarded-for", b"203.0.113.7"),
        (b"x-forwarded-proto", b"https"),
        (b"x-forwarded-host", b"pkgs.example.com"),
    ]
    request = await _seen(_scope("10.0.0.1", headers))
    assert str(request.base_url) == "https://pkgs.example.com/"
    assert request.client is not None and request.client.host == "203.0.113.7"
    ignored = await _seen(_scope("198.51.100.1", headers))
    assert str(ignored.base_url) == "http://gateway:8080/"
    assert ignored.client is not None and ignored.client.host == "198.51.100.1"


async def test_a_forwarded_host_that_is_not_a_host_is_ignored() -> None:
    headers = [(b"x-forwarded-for", b"203.0.113.7"), (b"x-forwarded-host", b"evil.com/path x")]
    request = await _seen(_scope("10.0.0.1", headers))
    assert str(request.base_url) == "http://gateway:8080/"
