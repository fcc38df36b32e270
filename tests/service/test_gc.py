"""Garbage collection, scrubbing and spool cleanup: the metadata and blob services in process
against a real PostgreSQL and S3. Object ages are real (S3's last-modified), so grace
periods here are a few seconds."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import pytest
from minio import Minio
from packyard.blob.server import running_server as blob_server
from packyard.blob.service import looks_altered
from packyard.blob.store import BlobStore
from packyard.common.spool_dirs import ROOT_NAME
from packyard.metadata.db import create_pool
from packyard.metadata.gc.blobs import BlobClient
from packyard.metadata.gc.collector import GC_LOCK, GarbageCollector
from packyard.metadata.gc.command import run
from packyard.metadata.gc.jobs import storage_jobs
from packyard.metadata.gc.scrubber import Scrubber
from packyard.metadata.migrate import migrate
from packyard.metadata.promotion.models import PromotionRequest
from packyard.metadata.promotion.service import PromotionService
from packyard.metadata.server import running_server as metadata_server
from packyard.metadata.settings import MetadataSettings
from packyard_rpc.v1 import blob_pb2, blob_pb2_grpc, common_pb2, metadata_pb2, metadata_pb2_grpc

from tests.fixtures.tls import service_channel, tls_settings
from tests.service.test_blob import PREFIX, key_of, put_requests, settings_for

REUSED = "This filename was previously used by a file that has since been deleted."


@dataclass
class Stack:
    metadata: metadata_pb2_grpc.MetadataServiceStub
    blob: blob_pb2_grpc.BlobServiceStub
    blobs: BlobClient
    pool: asyncpg.Pool
    s3: Minio
    bucket: str
    settings: MetadataSettings
    store: BlobStore

    def collector(self, *, grace: float, retention: float = 3600.0) -> GarbageCollector:
        return GarbageCollector(self.pool, self.blobs, grace=grace, retention=retention)

    def keys(self) -> set[str]:
        return {
            o.object_name or ""
            for o in self.s3.list_objects(self.bucket, prefix=PREFIX, recursive=True)
        }

    async def put(self, data: bytes) -> str:
        reply = await self.blob.PutBlob(put_requests(data))
        return reply.blob.hashes.sha256

    async def register(self, data: bytes, version: str) -> str:
        filename = f"demo-{version}-py3-none-any.whl"
        await self.metadata.RegisterFile(_registration(data, version, filename))
        return filename


def _registration(data: bytes, version: str, filename: str) -> metadata_pb2.RegisterFileRequest:
    return metadata_pb2.RegisterFileRequest(
        feed="main",
        file=common_pb2.FileInfo(
            project="demo",
            version=version,
            filename=filename,
            size=len(data),
            hashes=common_pb2.Hashes(sha256=hashlib.sha256(data).hexdigest()),
            packagetype="bdist_wheel",
            python_version="py3",
        ),
        metadata=common_pb2.CoreMetadata(metadata_version="2.4", name="demo", version=version),
        uploader="alice",
    )


@pytest.fixture
async def stack(
    engines: Any, s3_bucket: str, database_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    await migrate(database_url)
    blob_settings = settings_for(engines, s3_bucket, tmp_path)
    async with blob_server(blob_settings) as blob_port:
        settings = MetadataSettings(
            database_url=database_url,  # type: ignore[arg-type]
            listen_addr="127.0.0.1:0",
            shutdown_grace=1.0,
            db_pool_max_size=5,
            blob_addr=f"127.0.0.1:{blob_port}",
            gc_interval=0,
            scrub_interval=0,
            **tls_settings("metadata"),
        )
        async with (
            metadata_server(settings) as port,
            service_channel(f"127.0.0.1:{port}") as meta_channel,
            service_channel(settings.blob_addr) as blob_channel,
        ):
            pool = await create_pool(settings)
            try:
                metadata = metadata_pb2_grpc.MetadataServiceStub(meta_channel)
                await metadata.CreateFeed(
                    metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="main"))
                )
                s3 = Minio(
                    engines.s3_endpoint,
                    access_key=engines.s3_access_key,
                    secret_key=blob_settings.s3_secret_key.get_secret_value(),
                    secure=engines.s3_secure,
                )
                yield Stack(
                    metadata,
                    blob_pb2_grpc.BlobServiceStub(blob_channel),
                    BlobClient(blob_channel),
                    pool,
                    s3,
                    s3_bucket,
                    settings,
                    BlobStore.from_settings(blob_settings),
                )
            finally:
                await pool.close()


async def test_gc_removes_only_old_unreferenced_objects_and_dry_run_removes_nothing(
    stack: Stack,
) -> None:
    referenced = await stack.put(b"referenced wheel")
    old = await stack.put(b"the loser of an upload race")
    await asyncio.sleep(3.2)
    young = await stack.put(b"an upload in flight, not registered yet")
    await stack.register(b"referenced wheel", "1.0")
    collector = stack.collector(grace=2)

    plan = await collector.run(dry_run=True)
    assert [c.sha256 for c in plan.candidates] == [old]
    assert plan.removed == []
    assert key_of(old) in stack.keys()
    assert (plan.census.objects, plan.census.referenced, plan.census.unreferenced) == (3, 1, 2)

    before = await collector.census()
    done = await collector.run()
    after = await collector.census()
    print(f"\ncensus before GC: {before.line()}\ncensus after GC:  {after.line()}")
    assert done.removed == [old]
    assert stack.keys() == {key_of(referenced), key_of(young)}
    assert (after.objects, after.referenced, after.unreferenced) == (2, 1, 1)


async def test_deleted_files_bytes_go_after_retention_and_the_name_stays_reserved(
    stack: Stack,
) -> None:
    data = b"a wheel that gets deleted"
    filename = await stack.register(data, "1.0")
    digest = await stack.put(data)
    await stack.metadata.DeleteFile(metadata_pb2.DeleteFileRequest(feed="main", filename=filename))
    await asyncio.sleep(2.2)

    within = await stack.collector(grace=1, retention=3600).run()
    assert within.removed == [] and key_of(digest) in stack.keys()

    past = await stack.collector(grace=1, retention=1).run()
    assert past.removed == [digest]
    assert key_of(digest) not in stack.keys()
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stack.metadata.RegisterFile(_registration(data, "1.0", filename))
    assert (refused.value.details() or "").startswith(REUSED)


async def test_a_reupload_of_an_old_unreferenced_object_survives_gc_until_registered(
    stack: Stack,
) -> None:
    # The race the grace period alone cannot cover: identical bytes are deduplicated onto an
    # object that is old and unreferenced; GC runs between the upload and its registration.
    data = b"bytes of a deleted file, uploaded again under a new name"
    digest = await stack.put(data)
    await asyncio.sleep(3.2)
    assert await stack.put(data) == digest  # deduplicated: the blob service touches it
    touched = await stack.store.state(digest)
    # Touching keeps what the tamper check compares, so reads are not re-hashed for it.
    assert touched is not None and not looks_altered(touched)
    assert (await stack.collector(grace=2).run()).removed == []
    await stack.register(data, "2.0")
    assert key_of(digest) in stack.keys()


async def test_gc_racing_uploads_never_removes_one(stack: Stack) -> None:
    collector = stack.collector(grace=2)
    registered: list[str] = []

    async def upload(n: int) -> None:
        data = f"wheel number {n}".encode() * 100
        digest = await stack.put(data)
        await asyncio.sleep(0.05 * (n % 5))
        await stack.register(data, f"1.{n}")
        registered.append(digest)

    async def collect() -> None:
        for _ in range(5):
            await collector.run()

    await asyncio.gather(collect(), *(upload(n) for n in range(30)))
    await asyncio.sleep(2.5)
    await collector.run()
    assert {key_of(d) for d in registered} <= stack.keys()
    assert len(registered) == 30


async def test_two_collectors_at_once_one_works(stack: Stack) -> None:
    old = await stack.put(b"garbage")
    await asyncio.sleep(2.2)
    async with stack.pool.acquire() as conn, conn.transaction():
        # Another replica's run holds the lock.
        assert await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", GC_LOCK)
        blocked = await stack.collector(grace=1).run()
        assert blocked.locked_out and blocked.removed == []
        assert key_of(old) in stack.keys()
    first, second = await asyncio.gather(
        stack.collector(grace=1).run(), stack.collector(grace=1).run()
    )
    assert sorted([first.removed, second.removed]) == [[], [old]]


async def test_scrubber_quarantines_an_altered_object_and_it_is_never_served(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    data = b"good bytes " * 1000
    digest = await stack.put(data)
    await stack.register(data, "1.0")
    key = key_of(digest)
    # Bit rot or tampering: the same key now holds other bytes (of the same length).
    altered = b"evil bytes " * 1000
    stack.s3.put_object(stack.bucket, key, io.BytesIO(altered), len(altered))

    # Before any scrub: a range read is refused, not served unchecked.
    ranged = blob_pb2.GetBlobRequest(sha256=digest, offset=10, length=20)
    with pytest.raises(grpc.aio.AioRpcError) as first:
        async for _ in stack.blob.GetBlob(ranged):
            pass
    assert first.value.code() == grpc.StatusCode.DATA_LOSS
    assert "failed its integrity check" in (first.value.details() or "")

    # A second altered object, found by the scrubber.
    other = b"other good bytes " * 100
    other_digest = await stack.put(other)
    stack.s3.put_object(stack.bucket, key_of(other_digest), io.BytesIO(b"x" * 5), 5)
    caplog.set_level(logging.ERROR)
    scrubbed = await Scrubber(
        stack.pool, stack.blobs, bytes_per_second=0, objects_per_minute=0
    ).run()
    assert scrubbed.quarantined == [other_digest]
    assert "scrub.blob_quarantined" in caplog.text
    rows = await stack.pool.fetch(
        "SELECT actor, target, detail FROM audit_log WHERE action = 'blob.quarantined'"
    )
    audited = {r["target"]: (r["actor"], r["detail"]) for r in rows}
    # The one a download found is audited by the scrubber's pass too, once.
    assert set(audited) == {digest, other_digest} and len(rows) == 2
    assert audited[other_digest][0] == audited[digest][0] == "packyard-scrubber"
    assert "found by a download" in audited[digest][1]
    await Scrubber(stack.pool, stack.blobs, bytes_per_second=0, objects_per_minute=0).run()
    assert (
        await stack.pool.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'blob.quarantined'"
        )
        == 2
    )

    for quarantined in (digest, other_digest):
        assert key_of(quarantined) not in stack.keys()
        assert f"{PREFIX}quarantine/{quarantined}" in stack.keys()
        for request in (
            blob_pb2.GetBlobRequest(sha256=quarantined),
            blob_pb2.GetBlobRequest(sha256=quarantined, offset=1, length=3),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                async for _ in stack.blob.GetBlob(request):
                    pass
            assert info.value.code() == grpc.StatusCode.DATA_LOSS
    # Uploading the good bytes again restores the object.
    assert await stack.put(data) == digest
    again = [r.chunk async for r in stack.blob.GetBlob(blob_pb2.GetBlobRequest(sha256=digest))]
    assert b"".join(again) == data


async def test_gc_command_prints_the_census_and_what_would_go(stack: Stack) -> None:
    old = await stack.put(b"orphan")
    await asyncio.sleep(2.2)
    settings = stack.settings.model_copy(update={"gc_grace": 1.0})
    out = io.StringIO()
    assert await run(settings, dry_run=True, scrub=False, out=out) == 0
    assert "would remove 1 objects" in out.getvalue() and old in out.getvalue()
    assert key_of(old) in stack.keys()
    out = io.StringIO()
    assert await run(settings, dry_run=False, scrub=False, out=out) == 0
    assert "removed 1 objects" in out.getvalue()
    assert "after:  objects=0" in out.getvalue()
    async with storage_jobs(stack.pool, settings) as jobs:
        assert (await jobs.collector.census()).objects == 0


async def test_spool_leftovers_of_dead_processes_are_removed_at_start(
    engines: Any, s3_bucket: str, tmp_path: Path
) -> None:
    root = tmp_path / ROOT_NAME
    dead = root / "blob-999999-crashed"
    dead.mkdir(parents=True)
    (dead / ".lock").touch()
    (dead / "packyard-upload-abc").write_bytes(b"x" * 4096)
    live = root / "gateway-1-running"
    live.mkdir()
    with (live / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a live process spools here
        (live / "upload-xyz").write_bytes(b"in flight")
        async with blob_server(settings_for(engines, s3_bucket, tmp_path)):
            assert not dead.exists()
            assert (live / "upload-xyz").exists()
    assert (live / "upload-xyz").exists()


async def test_a_promoted_copy_keeps_its_blob_after_the_source_is_deleted(stack: Stack) -> None:
    data = b"a wheel promoted to another feed"
    filename = await stack.register(data, "1.0")
    digest = await stack.put(data)
    await stack.metadata.CreateFeed(
        metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="approved"))
    )
    promoted = await PromotionService(stack.pool).promote(
        PromotionRequest("main", "approved", "demo", "1.0")
    )
    assert [f.sha256 for f in promoted.files] == [digest]
    await stack.metadata.DeleteFile(metadata_pb2.DeleteFileRequest(feed="main", filename=filename))
    await asyncio.sleep(2.2)

    # Past the deleted-file retention of the source's row, the copy still names the bytes.
    kept = await stack.collector(grace=1, retention=1).run()
    assert kept.removed == [] and key_of(digest) in stack.keys()

    await stack.metadata.DeleteFile(
        metadata_pb2.DeleteFileRequest(feed="approved", filename=filename)
    )
    await asyncio.sleep(1.2)
    gone = await stack.collector(grace=1, retention=1).run()
    assert gone.removed == [digest]
