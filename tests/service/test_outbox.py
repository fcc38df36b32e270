"""The transactional outbox against real engines: a NATS of each test's own, a database of its
own. Events are rows written with their change, survive a crashed metadata service while NATS
is down, are stored once however often they are relayed, are never sent twice by two relays,
and a cache that missed one is repaired by reconciliation."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import asyncpg
import nats
import pytest
from nats.aio.msg import Msg
from packyard.common.events import MSG_ID_HEADER, STREAM, StreamSettings
from packyard.common.grpc import check_health
from packyard.common.outbox import JetStreamPublisher
from packyard.engines import NatsEngine, create_database, drop_database
from packyard.engines.ports import free_port
from packyard.gateway.auth.authenticator import Authenticator
from packyard.gateway.backends import Backends
from packyard.gateway.change_listener import ChangeListener
from packyard.gateway.change_reconcile import Reconciler
from packyard.gateway.page_cache import CachedPage, PageCache
from packyard.metadata import change_events
from packyard.metadata.index.models import CoreMetadata, FileRecord, PackageType
from packyard.metadata.index.service import MetadataService
from packyard.metadata.migrate import migrate
from packyard.metadata.outbox import repository as outbox_repo
from packyard.metadata.outbox.relay import OutboxRelay
from packyard.metadata.server import running_server as metadata_server
from packyard.metadata.settings import MetadataSettings
from packyard_rpc.v1 import (
    events_pb2,
    events_pb2_grpc,
    metadata_pb2,
    metadata_pb2_grpc,
    upstream_pb2,
    upstream_pb2_grpc,
)

from tests.fixtures.engines import TEST_NATS_USER, Engines, nats_engine
from tests.fixtures.tls import service_channel, tls_files, tls_settings

pytestmark = pytest.mark.service

PAGE = CachedPage(b"<html>", "text/html", {"ETag": '"1"'})
DEMO = ("main", "demo", "simple:text/html")
OTHER = ("other", "demo", "simple:text/html")


@pytest.fixture
async def database(engines: Engines) -> AsyncIterator[str]:
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = await create_database(engines.database_url, name)
    try:
        await migrate(url)
        yield url
    finally:
        await drop_database(engines.database_url, name)


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    created = await asyncpg.create_pool(database, min_size=1, max_size=4)
    assert created is not None
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
async def nats_server(tmp_path: Path) -> AsyncIterator[NatsEngine]:
    engine = nats_engine(tmp_path / "nats")
    await asyncio.to_thread(engine.start)
    try:
        yield engine
    finally:
        await asyncio.to_thread(engine.stop)


async def _until(check: Callable[[], Any], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not await _value(check()):
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def _value(result: Any) -> Any:
    return await result if asyncio.iscoroutine(result) else result


async def _rows(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM outbox"))


class Recorder:
    """A test user's core-NATS subscription to packyard.>: every publish, duplicates too."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.ids: list[str] = []
        self.subjects: list[str] = []

    async def __aenter__(self) -> Recorder:
        self._nc = await nats.connect(self._url)
        await self._nc.subscribe("packyard.>", cb=self._seen)
        await self._nc.flush()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._nc.close()

    async def _seen(self, msg: Msg) -> None:
        self.ids.append((msg.headers or {}).get(MSG_ID_HEADER, ""))
        self.subjects.append(msg.subject)

    async def stored(self) -> int:
        """How many messages the stream holds."""
        info = await self._nc.jetstream().stream_info(STREAM)
        return int(info.state.messages)


async def _publisher(engine: NatsEngine) -> JetStreamPublisher:
    publisher = JetStreamPublisher(engine.url_for("metadata"), "test-relay", StreamSettings())
    assert await publisher.connect(asyncio.Event())
    return publisher


async def _index_change(pool: asyncpg.Pool, feed: str, project: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await change_events.index_changed(conn, feed, project)


# -- a crash while NATS is down --------------------------------------------------------------


class MetadataProcess:
    """``packyard metadata`` as its own process, so it can be killed without a graceful stop."""

    def __init__(self, database: str, engine: NatsEngine, logs: Path) -> None:
        self.addr = f"127.0.0.1:{free_port()}"
        self._env = {
            **os.environ,
            **tls_files("metadata").env(),
            "PACKYARD_DATABASE_URL": database,
            "PACKYARD_LISTEN_ADDR": self.addr,
            "PACKYARD_NATS_URL": engine.url,
            "PACKYARD_NATS_USER": "metadata",
            "PACKYARD_NATS_PASSWORD": engine.passwords["metadata"],
            "PACKYARD_BLOB_ADDR": "",
        }
        self._logs = logs
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with (self._logs / f"metadata-{uuid.uuid4().hex[:6]}.log").open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "packyard.cli", "metadata",
                env=self._env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        await _until(lambda: check_health(self.addr, tls_files("gateway")), within=60.0)

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def test_changes_made_while_nats_is_down_survive_a_killed_metadata_service(
    database: str, pool: asyncpg.Pool, nats_server: NatsEngine, tmp_path: Path
) -> None:
    await asyncio.to_thread(nats_server.stop)  # NATS is down for the whole first life
    first = MetadataProcess(database, nats_server, tmp_path)
    second = MetadataProcess(database, nats_server, tmp_path)
    restarted: NatsEngine | None = None
    pages = PageCache(60.0, 1 << 20)
    auth = Authenticator(cast(Backends, SimpleNamespace(timeout=5.0)), ttl=60.0)
    listener: ChangeListener | None = None
    try:
        await first.start()
        async with service_channel(first.addr) as channel:
            index = metadata_pb2_grpc.MetadataServiceStub(channel)
            upstream = upstream_pb2_grpc.UpstreamServiceStub(channel)
            await index.CreateFeed(
                metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="main"))
            )
            await index.UpdateFeed(  # an index and an access event
                metadata_pb2.UpdateFeedRequest(
                    feed=metadata_pb2.Feed(name="main", anonymous_read=True),
                    update_mask=["anonymous_read"],
                )
            )
            await upstream.SetProjectOrigin(
                upstream_pb2.SetProjectOriginRequest(
                    feed="main",
                    project="demo",
                    upstream=upstream_pb2.ORIGIN_SETTING_BLOCK,
                )
            )
        assert await _rows(pool) == 3
        await first.kill()  # no graceful stop: nothing could have been handed over anyway

        restarted = nats_engine(tmp_path / "nats", port=nats_server.port)
        await asyncio.to_thread(restarted.start)
        listener = ChangeListener(restarted.url_for("gateway"), pages, auth)
        listener.start()
        await _until(lambda: listener is not None and listener.connected)
        pages.put(DEMO, pages.ticket(), PAGE)

        async with Recorder(restarted.url_for(TEST_NATS_USER)) as recorder:
            await second.start()  # its relay finds the rows the killed one left
            await _until(lambda: listener is not None and listener.events >= 3)
            await _until(lambda: _empty(pool))
            assert sorted(recorder.subjects) == [
                "packyard.access.changed",
                "packyard.index.changed.main",
                "packyard.index.changed.main",
            ]
            assert await recorder.stored() == 3
        assert pages.get(DEMO) is None
    finally:
        if listener is not None:
            await listener.stop()
        await first.stop()
        await second.stop()
        if restarted is not None:
            await asyncio.to_thread(restarted.stop)


async def _empty(pool: asyncpg.Pool) -> bool:
    return await _rows(pool) == 0


# -- idempotency, atomicity, two relays -----------------------------------------------------


async def test_a_row_relayed_twice_is_stored_once(
    pool: asyncpg.Pool, nats_server: NatsEngine
) -> None:
    publisher = await _publisher(nats_server)
    relay = OutboxRelay(pool, publisher)
    try:
        async with Recorder(nats_server.url_for(TEST_NATS_USER)) as recorder:
            await _index_change(pool, "main", "demo")
            row = await pool.fetchrow("SELECT subject, payload, headers, msg_id FROM outbox")
            assert await relay.relay_batch() == (1, False)
            # A relay that died after its publish and before its commit leaves the row: the
            # next relay sends the same row, with the same id, again.
            await pool.execute(
                "INSERT INTO outbox (subject, payload, headers, msg_id) VALUES ($1, $2, $3, $4)",
                *row.values(),
            )
            assert await relay.relay_batch() == (1, False)
            await _until(lambda: len(recorder.ids) == 2)
            assert recorder.ids == [row["msg_id"], row["msg_id"]]  # published twice
            assert await recorder.stored() == 1  # stored once
            assert await _rows(pool) == 0
    finally:
        await publisher.close()


async def test_a_commit_wakes_the_relay_without_waiting_for_its_poll(
    database: str, pool: asyncpg.Pool, nats_server: NatsEngine
) -> None:
    relay = OutboxRelay(
        pool, await _publisher(nats_server), poll_interval=60.0, listen_dsn=database
    )
    async with Recorder(nats_server.url_for(TEST_NATS_USER)) as recorder:
        relay.start()
        try:
            await asyncio.sleep(1.0)  # listening, and asleep for the next minute
            await _index_change(pool, "main", "demo")
            await _until(lambda: recorder.subjects == ["packyard.index.changed.main"], within=5.0)
        finally:
            await relay.stop()


async def test_a_change_and_its_event_commit_or_roll_back_together(
    pool: asyncpg.Pool,
) -> None:
    service = MetadataService(pool)
    file = FileRecord(
        feed="missing",
        project="demo",
        filename="demo-1.0.tar.gz",
        version="1.0",
        sha256="0" * 64,
        size=1,
        packagetype=PackageType.SDIST,
    )
    with pytest.raises(Exception, match="does not exist"):
        await service.register_file(file, CoreMetadata(name="demo", version="1.0"), "alice")
    with pytest.raises(RuntimeError):
        async with pool.acquire() as conn, conn.transaction():
            await change_events.index_changed(conn, "main", "demo")
            raise RuntimeError("the change failed after its event was written")
    assert await _rows(pool) == 0
    assert await pool.fetchval("SELECT count(*) FROM feed_change_serials") == 0
    await _index_change(pool, "main", "demo")  # and a committed one is there
    assert await _rows(pool) == 1


async def test_two_relays_never_send_the_same_row(
    pool: asyncpg.Pool, nats_server: NatsEngine
) -> None:
    for n in range(120):
        await _index_change(pool, "main", f"p{n}")
    first, second = await _publisher(nats_server), await _publisher(nats_server)
    one = OutboxRelay(pool, first, batch=10)
    two = OutboxRelay(pool, second, batch=10)
    try:
        async with Recorder(nats_server.url_for(TEST_NATS_USER)) as recorder:
            # A replica holding rows in its batch: the other relays everything else, not those.
            async with pool.acquire() as conn, conn.transaction():
                held = await outbox_repo.claim(conn, 30)
                while (await two.relay_batch())[0]:
                    pass
                assert await _rows(pool) == 30
            # Both relays at once over what is left, then over a new burst.
            one.start()
            two.start()
            for n in range(60):
                await _index_change(pool, "other", f"p{n}")
            await _until(lambda: _empty(pool))
            await _until(lambda: len(recorder.ids) == 180)
            await asyncio.sleep(0.3)  # a second copy would have arrived by now
            assert len(recorder.ids) == len(set(recorder.ids)) == 180
            assert {row.msg_id for row in held} <= set(recorder.ids)
            assert await recorder.stored() == 180
    finally:
        await one.stop()
        await two.stop()


async def test_an_event_nats_can_never_take_is_marked_dead_and_the_rest_go_out(
    pool: asyncpg.Pool, nats_server: NatsEngine
) -> None:
    publisher = await _publisher(nats_server)
    relay = OutboxRelay(pool, publisher)
    try:
        async with Recorder(nats_server.url_for(TEST_NATS_USER)) as recorder:
            async with pool.acquire() as conn, conn.transaction():
                # Over nats-server's default max_payload of 1 MiB.
                await change_events.record(conn, "packyard.index.changed.main", b"x" * (2 << 20))
            await _index_change(pool, "main", "demo")
            assert await relay.relay_batch() == (2, False)
            await _until(lambda: len(recorder.subjects) == 2)
            # The event NATS refused is announced on the dead-letter subject after the batch.
            assert sorted(recorder.subjects) == [
                "packyard.dead.outbox",
                "packyard.index.changed.main",
            ]
            assert await pool.fetchval("SELECT count(*) FROM outbox WHERE dead") == 1
            assert await relay.relay_batch() == (0, False)  # a dead row is never retried
    finally:
        await publisher.close()


# -- reconciliation ---------------------------------------------------------------------------


async def test_reconciliation_repairs_a_cache_that_missed_an_event(
    database: str, pool: asyncpg.Pool, nats_server: NatsEngine
) -> None:
    settings = MetadataSettings(
        database_url=database,  # type: ignore[arg-type]
        **tls_settings("metadata"),
        listen_addr="127.0.0.1:0",
        shutdown_grace=0.5,
        nats_url="",  # no relay: every event stays in the table until the test removes it
    )
    pages = PageCache(60.0, 1 << 20)
    auth = Authenticator(cast(Backends, SimpleNamespace(timeout=5.0)), ttl=60.0)
    async with (
        metadata_server(settings) as port,
        service_channel(f"127.0.0.1:{port}") as channel,
    ):
        index = metadata_pb2_grpc.MetadataServiceStub(channel)
        upstream = upstream_pb2_grpc.UpstreamServiceStub(channel)
        changes = events_pb2_grpc.ChangeServiceStub(channel)

        async def serials() -> dict[str, int]:
            reply = await changes.GetChangeSerials(events_pb2.GetChangeSerialsRequest())
            return dict(reply.feeds)

        for feed in ("main", "other"):
            await index.CreateFeed(
                metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name=feed))
            )
        reconciler = Reconciler(pages, serials, interval=0.3)
        listener = ChangeListener(nats_server.url_for("gateway"), pages, auth, reconciler)
        listener.start()
        try:
            await _until(lambda: listener.connected)
            await asyncio.sleep(0.5)  # the reconciler's first round has its starting point
            pages.put(DEMO, pages.ticket(), PAGE)
            pages.put(OTHER, pages.ticket(), PAGE)
            await upstream.SetProjectOrigin(
                upstream_pb2.SetProjectOriginRequest(
                    feed="main", project="demo", upstream=upstream_pb2.ORIGIN_SETTING_BLOCK
                )
            )
            deleted = await pool.execute("DELETE FROM outbox")
            assert deleted == "DELETE 1"  # the event is gone before any relay saw it
            await _until(lambda: pages.get(DEMO) is None, within=3.0)
            assert listener.events == 0 and reconciler.repairs == 1
            assert pages.get(OTHER) == PAGE  # the feed that changed, only
        finally:
            await listener.stop()
