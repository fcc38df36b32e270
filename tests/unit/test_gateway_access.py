"""The gateway's Authenticator: one RPC per cache miss, and never past the key's expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi import Request
from google.protobuf.timestamp_pb2 import Timestamp
from packyard.common.errors import Unauthenticated
from packyard.gateway.auth.authenticator import DISCONNECTED_TTL, Authenticator
from packyard.gateway.backends import Backends
from packyard_rpc.v1 import access_pb2, common_pb2, metadata_pb2

# api:pky_... in Basic; the Authenticator only caches by a digest of the header.
_HEADER = b"Basic YXBpOnBreV9hYmNkZWYxMjM0NTZfc2VjcmV0"


class CountingBackends:
    """Every RPC the Authenticator makes, counted; a key that stops working at ``expires``."""

    def __init__(self, expires: datetime | None) -> None:
        self.calls: list[str] = []
        self.expires = expires
        # The client layer's calls (gateway/clients/): a failed RPC arrives as a domain error.
        # Authenticate answers; any other call on the access client (the old ListKeys lookup)
        # is recorded, and fails.
        self.access = SimpleNamespace(
            authenticate=self._authenticate, list_keys=self._unexpected("ListKeys")
        )
        self.timeout = 5.0

    def _unexpected(self, name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            raise AssertionError(f"unexpected RPC {name}")

        return call

    async def _authenticate(self, request: Any, **options: Any) -> Any:
        self.calls.append("Authenticate")
        if self.expires is not None and datetime.now(UTC) >= self.expires:
            # What the access client raises for an expired key (UNAUTHENTICATED).
            raise Unauthenticated("Invalid or non-existent authentication information.")
        principal = common_pb2.Principal(name="ci", key_prefix="abcdef123456")
        if self.expires is not None:
            stamp = Timestamp()
            stamp.FromDatetime(self.expires)
            principal.key_expires.CopyFrom(stamp)
        return access_pb2.AuthenticateResponse(principal=principal)


def _request() -> Request:
    headers = [(b"authorization", _HEADER)]
    return Request({"type": "http", "headers": headers, "client": ("127.0.0.1", 1)})


def _authenticator(backends: CountingBackends, *, live: bool) -> Authenticator:
    auth = Authenticator(cast(Backends, backends), ttl=60.0)
    auth.set_live(live)
    return auth


async def test_a_cache_miss_costs_one_rpc_and_a_hit_none() -> None:
    backends = CountingBackends(expires=datetime.now(UTC) + timedelta(days=30))
    auth = _authenticator(backends, live=True)
    first = await auth.principal(_request())
    second = await auth.principal(_request())
    assert first is not None and first.name == "ci"
    assert second == first
    assert backends.calls == ["Authenticate"]


async def test_a_key_without_expiry_is_cached_for_the_ttl() -> None:
    backends = CountingBackends(expires=None)
    auth = _authenticator(backends, live=True)
    for _ in range(3):
        await auth.principal(_request())
    assert backends.calls == ["Authenticate"]


async def _past(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.05)


async def test_a_cached_key_stops_at_its_expiry_within_the_ttl() -> None:
    expires = datetime.now(UTC) + timedelta(seconds=0.3)
    backends = CountingBackends(expires=expires)
    auth = _authenticator(backends, live=True)  # a 60 s TTL
    assert await auth.principal(_request()) is not None
    assert await auth.principal(_request()) is not None
    assert backends.calls == ["Authenticate"]

    await _past(expires)
    # The cached answer ended with the key: the metadata service is asked again, and refuses.
    with pytest.raises(Unauthenticated):
        await auth.principal(_request())
    assert backends.calls == ["Authenticate", "Authenticate"]


async def test_expiry_bounds_the_disconnected_ttl_too() -> None:
    expires = datetime.now(UTC) + timedelta(seconds=DISCONNECTED_TTL / 2)
    backends = CountingBackends(expires=expires)
    auth = _authenticator(backends, live=False)
    assert auth.ttl == DISCONNECTED_TTL
    assert await auth.principal(_request()) is not None
    await _past(expires)
    with pytest.raises(Unauthenticated):
        await auth.principal(_request())
    assert backends.calls == ["Authenticate", "Authenticate"]


class SlowBackends(CountingBackends):
    """Answers only when the test lets them, so requests pile up on one lookup."""

    def __init__(self) -> None:
        super().__init__(expires=None)
        self.release = asyncio.Event()
        self.metadata = SimpleNamespace(get_feed=self._get_feed)
        self.refuse = False

    async def _authenticate(self, request: Any, **options: Any) -> Any:
        await self.release.wait()
        if self.refuse:
            self.calls.append("Authenticate")
            raise Unauthenticated("Invalid or non-existent authentication information.")
        return await super()._authenticate(request, **options)

    async def _get_feed(self, request: Any, **options: Any) -> Any:
        self.calls.append("GetFeed")
        await self.release.wait()
        return metadata_pb2.GetFeedResponse(feed=metadata_pb2.Feed(name=request.name))


async def test_requests_that_miss_at_once_share_one_lookup() -> None:
    backends = SlowBackends()
    auth = _authenticator(backends, live=True)
    waiting = [asyncio.ensure_future(auth.principal(_request())) for _ in range(8)]
    feeds = [asyncio.ensure_future(auth.feed("main")) for _ in range(8)]
    await asyncio.sleep(0)
    backends.release.set()
    principals = await asyncio.gather(*waiting)
    assert {p.name for p in principals if p is not None} == {"ci"}
    assert [f.name for f in await asyncio.gather(*feeds)] == ["main"] * 8
    assert backends.calls == ["Authenticate", "GetFeed"]


async def test_a_shared_refusal_refuses_every_request_that_waited() -> None:
    backends = SlowBackends()
    backends.refuse = True
    auth = _authenticator(backends, live=True)
    waiting = [asyncio.ensure_future(auth.principal(_request())) for _ in range(3)]
    await asyncio.sleep(0)
    backends.release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, Unauthenticated) for r in results)
    assert backends.calls == ["Authenticate"]


async def test_a_lookup_that_began_before_a_change_is_not_shared_after_it() -> None:
    backends = SlowBackends()
    auth = _authenticator(backends, live=True)
    before = asyncio.ensure_future(auth.feed("main"))
    await asyncio.sleep(0)
    auth.forget()  # a permission or feed setting changed while the first lookup ran
    after = asyncio.ensure_future(auth.feed("main"))
    await asyncio.sleep(0)
    backends.release.set()
    await asyncio.gather(before, after)
    assert backends.calls == ["GetFeed", "GetFeed"]


def _request_from(address: str) -> Request:
    headers = [(b"authorization", _HEADER)]
    return Request({"type": "http", "headers": headers, "client": (address, 1)})


async def test_lookups_are_shared_only_by_requests_from_the_same_address() -> None:
    backends = SlowBackends()
    backends.refuse = True  # failed logins are counted per address by the metadata service
    auth = _authenticator(backends, live=True)
    waiting = [
        asyncio.ensure_future(auth.principal(_request_from(address)))
        for address in ("10.0.0.1", "10.0.0.2", "10.0.0.1")
    ]
    await asyncio.sleep(0)
    backends.release.set()
    await asyncio.gather(*waiting, return_exceptions=True)
    assert backends.calls == ["Authenticate", "Authenticate"]
