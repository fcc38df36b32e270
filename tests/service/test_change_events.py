"""Change events from the real metadata service to a gateway's listener, over a NATS of this
test's own that it stops and starts again: each change is made through the RPC an
administrator's request would call, and the announcement is the outbox row the service's own
code wrote in the change's transaction, relayed after the commit."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from packyard.engines import NatsEngine, create_database, drop_database
from packyard.gateway.auth.authenticator import DISCONNECTED_TTL, Authenticator
from packyard.gateway.backends import Backends
from packyard.gateway.change_listener import ChangeListener
from packyard.gateway.page_cache import CachedPage, PageCache
from packyard.metadata.migrate import migrate
from packyard.metadata.server import running_server as metadata_server
from packyard.metadata.settings import MetadataSettings
from packyard_rpc.v1 import (
    access_pb2,
    access_pb2_grpc,
    metadata_pb2,
    metadata_pb2_grpc,
    upstream_pb2,
    upstream_pb2_grpc,
)
from starlette.requests import Request

from tests.fixtures.engines import Engines, nats_engine
from tests.fixtures.tls import service_channel, tls_settings

pytestmark = pytest.mark.service

PAGE = CachedPage(b"<html>", "text/html", {"ETag": '"1"'})
DEMO = ("main", "demo", "simple:text/html")
OTHER = ("main", "other", "simple:text/html")
PASSWORD = "correct-horse-battery"


class CountingAccess:
    """The gateway's access client over the real AccessService stub, counting Authenticate
    calls (each one a cache miss)."""

    def __init__(self, stub: access_pb2_grpc.AccessServiceStub) -> None:
        self._stub = stub
        self.calls = 0

    async def authenticate(self, request: Any) -> Any:
        self.calls += 1
        return await self._stub.Authenticate(request, timeout=5.0)


@dataclass
class Metadata:
    nats: NatsEngine
    port: int
    metadata: metadata_pb2_grpc.MetadataServiceStub
    access: access_pb2_grpc.AccessServiceStub
    upstream: upstream_pb2_grpc.UpstreamServiceStub


@pytest.fixture
async def service(engines: Engines, tmp_path: Path) -> AsyncIterator[Metadata]:
    nats = nats_engine(tmp_path / "nats")
    await asyncio.to_thread(nats.start)
    name = f"test_{uuid.uuid4().hex[:16]}"
    database_url = await create_database(engines.database_url, name)
    try:
        await migrate(database_url)
        settings = MetadataSettings(
            database_url=database_url,  # type: ignore[arg-type]
            **tls_settings("metadata"),
            listen_addr="127.0.0.1:0",
            shutdown_grace=0.5,
            nats_url=nats.url_for("metadata"),
        )
        async with (
            metadata_server(settings) as port,
            service_channel(f"127.0.0.1:{port}") as channel,
        ):
            yield Metadata(
                nats,
                port,
                metadata_pb2_grpc.MetadataServiceStub(channel),
                access_pb2_grpc.AccessServiceStub(channel),
                upstream_pb2_grpc.UpstreamServiceStub(channel),
            )
    finally:
        await asyncio.to_thread(nats.stop)
        await drop_database(engines.database_url, name)


def _request() -> Request:
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    headers = [(b"authorization", f"Basic {token}".encode())]
    return Request({"type": "http", "headers": headers, "client": ("127.0.0.1", 1)})


async def _until(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


def _origin(project: str, upstream: int) -> upstream_pb2.SetProjectOriginRequest:
    return upstream_pb2.SetProjectOriginRequest(feed="main", project=project, upstream=upstream)  # type: ignore[arg-type]


async def test_committed_changes_reach_the_caches_and_an_outage_switches_them_off(
    service: Metadata, tmp_path: Path
) -> None:
    await service.metadata.CreateFeed(
        metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="main"))
    )
    await service.access.CreateUser(access_pb2.CreateUserRequest(name="alice", password=PASSWORD))
    await service.access.SetPermission(
        access_pb2.SetPermissionRequest(
            permission=access_pb2.Permission(
                subject="alice", feed="main", right=access_pb2.RIGHT_READ
            )
        )
    )
    access = CountingAccess(service.access)
    backends = cast(Backends, SimpleNamespace(access=access, timeout=5.0))
    pages = PageCache(60.0, 1 << 20)
    auth = Authenticator(backends, ttl=60.0)
    listener = ChangeListener(service.nats.url_for("gateway"), pages, auth)
    restarted: NatsEngine | None = None
    listener.start()
    try:
        await _until(lambda: listener.connected)
        assert pages.enabled and auth.ttl == 60.0

        # A project's origin setting changes: that project's pages go, and only those.
        pages.put(DEMO, pages.ticket(), PAGE)
        pages.put(OTHER, pages.ticket(), PAGE)
        await service.upstream.SetProjectOrigin(_origin("demo", upstream_pb2.ORIGIN_SETTING_BLOCK))
        await _until(lambda: pages.get(DEMO) is None)
        assert pages.get(OTHER) == PAGE

        # A connector added to the feed: every page of the feed goes.
        await service.upstream.AddConnector(
            upstream_pb2.AddConnectorRequest(
                connector=upstream_pb2.Connector(feed="main", url="https://up.example")
            )
        )
        await _until(lambda: pages.get(OTHER) is None)

        # An access change makes the next request authenticate again.
        assert (await auth.principal(_request())) is not None
        await auth.principal(_request())
        assert access.calls == 1
        seen = listener.events
        await service.access.SetPermission(
            access_pb2.SetPermissionRequest(
                permission=access_pb2.Permission(
                    subject="alice", feed="main", right=access_pb2.RIGHT_PUBLISH
                )
            )
        )
        await _until(lambda: listener.events > seen)
        await auth.principal(_request())
        assert access.calls == 2

        # NATS goes away: nothing is served from the page cache, authentications are short;
        # the metadata service keeps committing changes.
        await asyncio.to_thread(service.nats.stop)
        await _until(lambda: not listener.connected)
        assert not pages.enabled and pages.get(OTHER) is None
        assert auth.ttl == DISCONNECTED_TTL
        pages.put(OTHER, pages.ticket(), PAGE)
        assert len(pages) == 0
        await service.upstream.SetProjectOrigin(_origin("demo", upstream_pb2.ORIGIN_SETTING_UNSET))

        # NATS is back on the same address: both sides reconnect by themselves.
        # The same folder: the same users and passwords (and the stream), as a restart keeps.
        restarted = nats_engine(tmp_path / "nats", port=service.nats.port)
        await asyncio.to_thread(restarted.start)
        await _until(lambda: listener.connected, within=15.0)
        assert pages.enabled and len(pages) == 0 and auth.ttl == 60.0
        pages.put(DEMO, pages.ticket(), PAGE)
        # A feed setting changed (the index domain's RPC): the whole feed's pages go.
        await service.metadata.UpdateFeed(
            metadata_pb2.UpdateFeedRequest(
                feed=metadata_pb2.Feed(name="main", anonymous_read=True),
                update_mask=["anonymous_read"],
            )
        )
        await _until(lambda: pages.get(DEMO) is None, within=15.0)
    finally:
        await listener.stop()
        if restarted is not None:
            await asyncio.to_thread(restarted.stop)
