"""Change events between the metadata service's announcer and a gateway's listener, over a
NATS of this test's own that it stops and starts again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from packyard.engines import NatsEngine
from packyard.gateway.access import DISCONNECTED_TTL, Authenticator
from packyard.gateway.backends import Backends
from packyard.gateway.change_listener import ChangeListener
from packyard.gateway.page_cache import CachedPage, PageCache
from packyard.metadata.change_events import ChangeAnnouncer
from packyard.rpc.v1 import metadata_pb2
from starlette.requests import Request

from tests.fixtures.engines import nats_engine

PAGE = CachedPage(b"<html>", "text/html", {"ETag": '"1"'})
DEMO = ("main", "demo", "simple:text/html")
OTHER = ("main", "other", "simple:text/html")


class FakeMetadata:
    """Answers Authenticate for a user and counts the calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def Authenticate(self, request: Any, **options: Any) -> Any:
        self.calls += 1
        return metadata_pb2.AuthenticateResponse(
            principal=metadata_pb2.Principal(name="alice", user="alice", read_feeds=["main"])
        )


def _request() -> Request:
    # alice:secret in Basic
    headers = [(b"authorization", b"Basic YWxpY2U6c2VjcmV0")]
    return Request({"type": "http", "headers": headers, "client": ("127.0.0.1", 1)})


async def _until(check: Callable[[], bool], within: float = 5.0) -> float:
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within, "condition not reached"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def test_changes_reach_the_caches_and_an_outage_switches_them_off(tmp_path: Path) -> None:
    nats = nats_engine(tmp_path / "nats")
    await asyncio.to_thread(nats.start)
    metadata = FakeMetadata()
    backends = cast(Backends, SimpleNamespace(metadata=metadata, timeout=5.0))
    pages = PageCache(60.0, 1 << 20)
    auth = Authenticator(backends, ttl=60.0)
    listener = ChangeListener(nats.url_for("gateway"), pages, auth)
    announcer = ChangeAnnouncer(nats.url_for("metadata"))
    restarted: NatsEngine | None = None
    listener.start()
    announcer.start()
    try:
        await _until(lambda: listener.connected)
        assert pages.enabled and auth.ttl == 60.0

        # An index change drops that project's pages, and only those.
        pages.put(DEMO, pages.ticket(), PAGE)
        pages.put(OTHER, pages.ticket(), PAGE)
        announcer.index_changed("main", "demo")
        assert await _until(lambda: pages.get(DEMO) is None) < 1.0
        assert pages.get(OTHER) == PAGE

        # An access change makes the next request authenticate again.
        await auth.principal(_request())
        await auth.principal(_request())
        assert metadata.calls == 1
        seen = listener.events
        announcer.access_changed()
        assert await _until(lambda: listener.events > seen) < 1.0
        await auth.principal(_request())
        assert metadata.calls == 2

        # NATS goes away: nothing is served from the page cache, authentications are short.
        await asyncio.to_thread(nats.stop)
        await _until(lambda: not listener.connected)
        assert not pages.enabled and pages.get(OTHER) is None
        assert auth.ttl == DISCONNECTED_TTL
        pages.put(OTHER, pages.ticket(), PAGE)
        assert len(pages) == 0

        # NATS is back on the same address: both sides reconnect by themselves.
        restarted = nats_engine(tmp_path / "nats", port=nats.port)
        await asyncio.to_thread(restarted.start)
        await _until(lambda: listener.connected, within=15.0)
        assert pages.enabled and len(pages) == 0 and auth.ttl == 60.0
        pages.put(DEMO, pages.ticket(), PAGE)
        announcer.index_changed("main")  # the whole feed
        await _until(lambda: pages.get(DEMO) is None, within=10.0)
    finally:
        await announcer.stop()
        await listener.stop()
        for engine in (nats, restarted):
            if engine is not None:
                await asyncio.to_thread(engine.stop)
