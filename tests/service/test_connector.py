"""The connector service in process against a loopback upstream index, with the metadata and
blob services in process on the session's real PostgreSQL, NATS and S3."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from packyard.blob.server import running_server as blob_server
from packyard.connector.server import RunningConnector, running_connector
from packyard.connector.settings import ConnectorSettings
from packyard.engines import create_database, drop_database
from packyard.metadata.migrate import migrate
from packyard.metadata.server import running_server as metadata_server
from packyard.metadata.settings import MetadataSettings
from packyard_rpc.v1 import (
    blob_pb2,
    blob_pb2_grpc,
    common_pb2,
    connector_pb2,
    connector_pb2_grpc,
    metadata_pb2,
    metadata_pb2_grpc,
    upstream_pb2,
    upstream_pb2_grpc,
)

from tests.conftest import s3_client
from tests.fixtures.dists import build_wheel
from tests.fixtures.engines import Engines
from tests.fixtures.tls import service_channel, tls_settings
from tests.fixtures.upstream import LoopbackIndex, Reply, loopback_index
from tests.service.test_blob import settings_for

pytestmark = pytest.mark.service

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@dataclass
class Env:
    feed: str
    upstream: upstream_pb2_grpc.UpstreamServiceStub
    metadata: metadata_pb2_grpc.MetadataServiceStub
    connector: connector_pb2_grpc.ConnectorServiceStub
    blob: blob_pb2_grpc.BlobServiceStub
    index: LoopbackIndex
    running: RunningConnector

    async def add_connector(self, **fields: Any) -> upstream_pb2.Connector:
        values: dict[str, Any] = {"feed": self.feed, "url": self.index.url, "ttl_seconds": 300}
        values.update(fields)
        reply = await self.upstream.AddConnector(
            upstream_pb2.AddConnectorRequest(connector=upstream_pb2.Connector(**values))
        )
        return reply.connector

    async def project(self, name: str) -> connector_pb2.GetUpstreamProjectResponse:
        return await self.connector.GetUpstreamProject(
            connector_pb2.GetUpstreamProjectRequest(feed=self.feed, project=name)
        )

    async def fetch(self, project: str, filename: str) -> bytes:
        parts = self.connector.FetchFile(
            connector_pb2.FetchFileRequest(feed=self.feed, project=project, filename=filename)
        )
        return b"".join([p.chunk async for p in parts if p.WhichOneof("part") == "chunk"])


@dataclass
class Services:
    database_url: str
    upstream: upstream_pb2_grpc.UpstreamServiceStub
    metadata: metadata_pb2_grpc.MetadataServiceStub
    connector: connector_pb2_grpc.ConnectorServiceStub
    blob: blob_pb2_grpc.BlobServiceStub
    running: RunningConnector


@pytest.fixture(scope="module")
async def services(
    engines: Engines, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Services]:
    """Metadata, blob and connector services shared by this module; each test has its feed."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    database_url = await create_database(engines.database_url, name)
    bucket = f"test-{uuid.uuid4().hex[:16]}"
    s3_client(engines).make_bucket(bucket)
    await migrate(database_url)
    meta_settings = MetadataSettings(
        database_url=database_url,  # type: ignore[arg-type]
        **tls_settings("metadata"),
        listen_addr="127.0.0.1:0",
        shutdown_grace=0.5,
        nats_url=engines.nats_url,
    )
    spool = tmp_path_factory.mktemp("spool")
    try:
        async with (
            metadata_server(meta_settings) as meta_port,
            blob_server(settings_for(engines, bucket, spool)) as blob_port,
        ):
            settings = ConnectorSettings(
                listen_addr="127.0.0.1:0",
                **tls_settings("connector"),
                metadata_addr=f"127.0.0.1:{meta_port}",
                blob_addr=f"127.0.0.1:{blob_port}",
                upstream_timeout=1.0,
                connectors_ttl=0.0,
                breaker_failures=3,
                breaker_cooldown=60.0,
                shutdown_grace=0.5,
            )
            async with (
                running_connector(settings) as running,
                service_channel(f"127.0.0.1:{meta_port}") as meta_channel,
                service_channel(f"127.0.0.1:{blob_port}") as blob_channel,
                service_channel(f"127.0.0.1:{running.port}") as connector_channel,
            ):
                yield Services(
                    database_url=database_url,
                    upstream=upstream_pb2_grpc.UpstreamServiceStub(meta_channel),
                    metadata=metadata_pb2_grpc.MetadataServiceStub(meta_channel),
                    connector=connector_pb2_grpc.ConnectorServiceStub(connector_channel),
                    blob=blob_pb2_grpc.BlobServiceStub(blob_channel),
                    running=running,
                )
    finally:
        await drop_database(engines.database_url, name)


@pytest.fixture
def index() -> Iterator[LoopbackIndex]:
    with loopback_index() as running:
        yield running


@pytest.fixture
async def env(services: Services, index: LoopbackIndex) -> Env:
    feed = f"f{uuid.uuid4().hex[:8]}"
    await services.metadata.CreateFeed(
        metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name=feed))
    )
    return Env(
        feed=feed,
        upstream=services.upstream,
        metadata=services.metadata,
        connector=services.connector,
        blob=services.blob,
        index=index,
        running=services.running,
    )


def json_page(project: str, files: list[tuple[str, bytes]], **extra: Any) -> Reply:
    entries = [
        {
            "filename": name,
            "url": f"../../files/{name}",
            "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
            "size": len(data),
            "upload-time": "2024-01-02T03:04:05.000000Z",
            "requires-python": ">=3.8",
        }
        for name, data in files
    ]
    body = json.dumps({"meta": {"api-version": "1.1"}, "name": project, "files": entries})
    return Reply(200, body.encode(), {"Content-Type": JSON_TYPE, **extra})


def serve(index: LoopbackIndex, project: str, files: list[tuple[str, bytes]], **extra: Any) -> str:
    path = f"/simple/{project}/"
    index.routes[path] = json_page(project, files, **extra)
    for name, data in files:
        index.routes[f"/files/{name}"] = Reply(200, data, {"Content-Type": "application/zip"})
    return path


def wheel(tmp_path: Path, name: str, version: str = "1.0", **kw: Any) -> tuple[str, bytes]:
    path = build_wheel(tmp_path / "dist", name, version, **kw)
    return path.name, path.read_bytes()


async def test_listing_is_parsed_cached_and_recorded_in_the_metadata_service(
    env: Env, tmp_path: Path
) -> None:
    files = [wheel(tmp_path, "demo"), wheel(tmp_path, "demo", "2.0")]
    path = serve(env.index, "demo", files)
    connector = await env.add_connector()

    first = await env.project("demo")
    assert {f.filename for f in first.files} == {name for name, _ in files}
    info = first.files[0]
    assert info.upstream_url.startswith(env.index.url + "/files/")
    assert info.hashes.sha256 == hashlib.sha256(dict(files)[info.filename]).hexdigest()
    assert info.requires_python == ">=3.8"
    assert info.upload_time.ToJsonString() == "2024-01-02T03:04:05Z"
    assert info.size == len(dict(files)[info.filename])
    assert not first.stale and first.connector == connector.id
    # The upstream was asked for JSON first.
    assert env.index.seen(path)[0].headers["Accept"].startswith(JSON_TYPE)

    # Within the TTL the upstream is not asked again.
    await env.project("demo")
    assert env.index.count(path) == 1

    # Recorded in the metadata service (the one store) before it was answered.
    state = await env.upstream.GetUpstreamState(
        upstream_pb2.GetUpstreamStateRequest(feed=env.feed, project="demo")
    )
    assert [len(listing.files) for listing in state.listings] == [2]
    # First served from upstream: a local upload of the name is now refused by default.
    policy = await env.upstream.GetOriginPolicy(
        upstream_pb2.GetOriginPolicyRequest(feed=env.feed, project="demo")
    )
    assert not policy.policy.publish_allowed
    assert "mirrored from upstream" in policy.policy.publish_reason


async def test_revalidation_uses_the_etag_and_304_keeps_the_listing(
    env: Env, tmp_path: Path
) -> None:
    path = serve(env.index, "demo", [wheel(tmp_path, "demo")], ETag='"v1"')
    await env.add_connector(ttl_seconds=0)
    await env.project("demo")
    env.index.routes[path] = Reply(304, b"", {"ETag": '"v1"'})
    again = await env.project("demo")
    assert len(again.files) == 1 and not again.stale
    assert env.index.seen(path)[1].headers.get("If-None-Match") == '"v1"'


async def test_stale_listing_when_upstream_fails_then_circuit_opens(
    env: Env, tmp_path: Path
) -> None:
    path = serve(env.index, "demo", [wheel(tmp_path, "demo")])
    await env.add_connector(ttl_seconds=0)
    fresh = await env.project("demo")
    env.index.routes[path] = Reply(503, b"down")
    for _ in range(3):
        stale = await env.project("demo")
        assert stale.stale and [f.filename for f in stale.files] == [fresh.files[0].filename]
    asked = env.index.count(path)
    # Three failures opened the circuit: the upstream is left alone, stale data still served.
    assert (await env.project("demo")).stale
    assert env.index.count(path) == asked


async def test_slow_upstream_without_cache_is_a_timeout(env: Env) -> None:
    env.index.routes["/simple/slow/"] = Reply(200, b"{}", {"Content-Type": JSON_TYPE}, delay=1.5)
    await env.add_connector()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await env.project("slow")
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_upstream_404_is_cached_briefly(env: Env) -> None:
    await env.add_connector()
    for _ in range(2):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await env.project("nothing-here")
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert env.index.count("/simple/nothing-here/") == 1


async def test_priority_order_and_name_patterns(env: Env, tmp_path: Path) -> None:
    with loopback_index() as second:
        serve(env.index, "demo", [wheel(tmp_path, "demo", "1.0")])
        serve(second, "demo", [wheel(tmp_path, "demo", "9.0")])
        serve(second, "other", [wheel(tmp_path, "other", "1.0")])
        await env.add_connector(url=second.url, priority=200)
        await env.add_connector(priority=10, exclude=["oth*"])
        # The first connector (priority 10) that knows "demo" answers alone.
        assert [f.version for f in (await env.project("demo")).files] == ["1.0"]
        # "other" is excluded from the first, so it comes from the second.
        assert [f.version for f in (await env.project("other")).files] == ["1.0"]
        assert env.index.count("/simple/other/") == 0


async def test_concurrent_first_requests_fetch_once(env: Env, tmp_path: Path) -> None:
    name, data = wheel(tmp_path, "demo", payload="x" * 3_000_000)  # several chunks
    path = serve(env.index, "demo", [(name, data)])
    await env.add_connector()
    pages = await asyncio.gather(*(env.project("demo") for _ in range(20)))
    assert all(len(p.files) == 1 for p in pages)
    assert env.index.count(path) == 1

    bodies = await asyncio.gather(*(env.fetch("demo", name) for _ in range(20)))
    assert all(body == data for body in bodies)
    assert env.index.count(f"/files/{name}") == 1
    stored = await env.blob.StatBlob(
        blob_pb2.StatBlobRequest(sha256=hashlib.sha256(data).hexdigest())
    )
    assert stored.blob.size == len(data)
    # The cached wheel's METADATA was extracted: the listing now offers it (PEP 658 backfill).
    cached = (await env.project("demo")).files[0]
    assert cached.upstream_url == "" and cached.core_metadata_sha256
    # Recorded in the metadata service before the last bytes were sent.
    recorded = await env.upstream.GetCachedFile(
        upstream_pb2.GetCachedFileRequest(feed=env.feed, filename=name)
    )
    assert recorded.file.hashes.sha256 == hashlib.sha256(data).hexdigest()


async def test_hash_mismatch_is_refused_and_nothing_is_cached(
    env: Env, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    name, data = wheel(tmp_path, "demo")
    serve(env.index, "demo", [(name, data)])
    evil = data[:-1] + bytes([data[-1] ^ 1])
    env.index.routes[f"/files/{name}"] = Reply(200, evil)
    await env.add_connector()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await env.fetch("demo", name)
    assert info.value.code() == grpc.StatusCode.DATA_LOSS
    assert "hash mismatch" in (info.value.details() or "")
    assert any("supply_chain" in r.getMessage() for r in caplog.records)
    for digest in (hashlib.sha256(data).hexdigest(), hashlib.sha256(evil).hexdigest()):
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await env.blob.StatBlob(blob_pb2.StatBlobRequest(sha256=digest))
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    # Once the upstream serves the right bytes again, the file is fetched and cached.
    env.index.routes[f"/files/{name}"] = Reply(200, data)
    assert await env.fetch("demo", name) == data


async def test_redirect_to_another_host_is_refused_without_credentials(
    env: Env, tmp_path: Path
) -> None:
    name, data = wheel(tmp_path, "demo")
    serve(env.index, "demo", [(name, data)])
    with loopback_index() as elsewhere:
        elsewhere.routes[f"/x/{name}"] = Reply(200, data)
        env.index.routes[f"/files/{name}"] = Reply(
            302, b"", {"Location": f"{elsewhere.url}/x/{name}"}
        )
        await env.add_connector(username="robot", password="s3cret")
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await env.fetch("demo", name)
        assert info.value.code() == grpc.StatusCode.DATA_LOSS
        assert "disallowed" in (info.value.details() or "")
        assert elsewhere.requests == []
        # The upstream itself got the credentials.
        assert env.index.seen("/simple/demo/")[0].headers["Authorization"].startswith("Basic ")

        # Allowed once the admin names the other host as a file host; no credentials go there.
        connectors = await env.upstream.ListConnectors(
            upstream_pb2.ListConnectorsRequest(feed=env.feed)
        )
        [c] = connectors.connectors
        assert not c.password and c.has_credentials
        c.file_hosts.append(elsewhere.url)
        updated = await env.upstream.UpdateConnector(
            upstream_pb2.UpdateConnectorRequest(connector=c, update_mask=["file_hosts"])
        )
        assert list(updated.connector.file_hosts) == [elsewhere.url]
        assert await env.fetch("demo", name) == data
        assert "Authorization" not in elsewhere.seen(f"/x/{name}")[0].headers


async def test_hosted_project_is_never_looked_up_upstream(env: Env, tmp_path: Path) -> None:
    serve(env.index, "reserved-thing", [wheel(tmp_path, "reserved-thing")])
    await env.add_connector()
    await env.upstream.SetFeedOrigin(
        upstream_pb2.SetFeedOriginRequest(
            origin=upstream_pb2.FeedOrigin(feed=env.feed, reserved_prefixes=["reserved-"])
        )
    )
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await env.project("reserved-thing")
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert "reserved prefix" in (info.value.details() or "")
    assert env.index.requests == []


async def test_credentials_are_never_shown_and_rotation_keeps_the_cache(
    env: Env, tmp_path: Path
) -> None:
    path = serve(env.index, "demo", [wheel(tmp_path, "demo")])
    added = await env.add_connector(url=env.index.url.replace("://", "://user:pw@"))
    assert added.url == env.index.url and added.has_credentials and not added.password
    await env.project("demo")
    added.username, added.password = "user", "new-password"
    rotated = await env.upstream.UpdateConnector(
        upstream_pb2.UpdateConnectorRequest(connector=added, update_mask=["credentials"])
    )
    assert rotated.connector.id == added.id and not rotated.connector.password
    # Same connector id, so the cached listing is still fresh: no new upstream request.
    await env.project("demo")
    assert env.index.count(path) == 1


async def test_recording_upstream_state_is_idempotent(services: Services) -> None:
    """RecordListing keeps the highest serial and RecordCachedFile the first bytes of a
    filename, so a retried or late call changes nothing."""
    feed = f"f{uuid.uuid4().hex[:8]}"
    await services.metadata.CreateFeed(
        metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name=feed))
    )
    connector = (
        await services.upstream.AddConnector(
            upstream_pb2.AddConnectorRequest(
                connector=upstream_pb2.Connector(feed=feed, url="https://up.example")
            )
        )
    ).connector

    async def record(serial: int, version: str) -> bool:
        listing = upstream_pb2.UpstreamListing(
            connector=connector.id, serial=serial, found=True, versions=[version]
        )
        listing.fetched.GetCurrentTime()
        reply = await services.upstream.RecordListing(
            upstream_pb2.RecordListingRequest(feed=feed, project="demo", listing=listing)
        )
        return reply.recorded

    assert await record(20, "2.0")
    assert not await record(10, "1.0")  # older: ignored
    state = await services.upstream.GetUpstreamState(
        upstream_pb2.GetUpstreamStateRequest(feed=feed, project="demo")
    )
    assert [list(x.versions) for x in state.listings] == [["2.0"]]

    info = common_pb2.FileInfo(
        feed=feed, project="demo", filename="demo-1.0.tar.gz",
        hashes=common_pb2.Hashes(sha256="a" * 64), origin=common_pb2.ORIGIN_UPSTREAM,
    )  # fmt: skip

    async def cache(file: common_pb2.FileInfo) -> common_pb2.FileInfo:
        reply = await services.upstream.RecordCachedFile(
            upstream_pb2.RecordCachedFileRequest(feed=feed, connector=connector.id, file=file)
        )
        return reply.file

    assert (await cache(info)).hashes.sha256 == "a" * 64
    assert (await cache(info)).hashes.sha256 == "a" * 64
    # Other bytes under a cached filename never replace the first (immutable cache).
    info.hashes.sha256 = "b" * 64
    assert (await cache(info)).hashes.sha256 == "a" * 64
    kept = await services.upstream.GetCachedFile(
        upstream_pb2.GetCachedFileRequest(feed=feed, filename="demo-1.0.tar.gz")
    )
    assert kept.file.hashes.sha256 == "a" * 64


def wheel_metadata(data: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        [member] = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        return zf.read(member)


async def fetch_metadata(
    env: Env, project: str, filename: str
) -> connector_pb2.FetchMetadataResponse:
    return await env.connector.FetchMetadata(
        connector_pb2.FetchMetadataRequest(feed=env.feed, project=project, filename=filename)
    )


def served_bytes(index: LoopbackIndex, path: str) -> list[str]:
    return [seen.headers.get("Range", "") for seen in index.seen(path)]


async def test_metadata_of_an_upstream_wheel_is_read_with_range_requests(
    env: Env, tmp_path: Path
) -> None:
    import os

    name, data = wheel(
        tmp_path, "demo", requires_dist=["other>=2"], payload=os.urandom(600_000).hex()
    )
    serve(env.index, "demo", [(name, data)])
    env.index.routes[f"/files/{name}"] = Reply(200, data, ranges=True)
    await env.add_connector()
    listed = (await env.project("demo")).files[0]
    assert listed.core_metadata_sha256 == ""  # the upstream (JSON page) offers none
    whole_files = env.running.files.upstream_fetches

    reply = await fetch_metadata(env, "demo", name)
    expected = wheel_metadata(data)
    assert reply.file.core_metadata_sha256 == hashlib.sha256(expected).hexdigest()
    assert reply.metadata_size == len(expected)
    stored = b"".join(
        [p.chunk async for p in env.blob.GetBlob(
            blob_pb2.GetBlobRequest(sha256=reply.file.core_metadata_sha256))]
    )  # fmt: skip
    assert stored == expected and b"Requires-Dist: other>=2" in stored
    # Only ranges were asked for, and far fewer bytes than the wheel: never the whole file.
    ranges = served_bytes(env.index, f"/files/{name}")
    assert ranges and all(r.startswith("bytes=") for r in ranges)
    assert len(ranges) <= 3
    assert env.running.files.upstream_fetches == whole_files

    # From now on the listing advertises the metadata's hash; asking again costs nothing.
    assert (await env.project("demo")).files[0].core_metadata_sha256 == (
        reply.file.core_metadata_sha256
    )
    again = await fetch_metadata(env, "demo", name)
    assert again.file.core_metadata_sha256 == reply.file.core_metadata_sha256
    assert len(served_bytes(env.index, f"/files/{name}")) == len(ranges)
    # Recorded in the metadata service, for every replica and across restarts.
    state = await env.upstream.GetUpstreamState(
        upstream_pb2.GetUpstreamStateRequest(feed=env.feed, project="demo")
    )
    assert [(m.filename, m.sha256) for m in state.backfilled] == [
        (name, reply.file.core_metadata_sha256)
    ]


async def test_metadata_without_range_support_comes_from_the_whole_wheel(
    env: Env, tmp_path: Path
) -> None:
    name, data = wheel(tmp_path, "demo")
    serve(env.index, "demo", [(name, data)])  # the loopback index ignores Range: 200
    await env.add_connector()
    reply = await fetch_metadata(env, "demo", name)
    assert reply.file.core_metadata_sha256 == hashlib.sha256(wheel_metadata(data)).hexdigest()
    assert reply.file.upstream_url == ""  # the wheel is cached now
    # One tail request (answered 200, body never read), then the whole wheel once.
    assert env.index.count(f"/files/{name}") == 2


async def test_verified_wheel_metadata_wins_over_what_ranges_read(
    env: Env, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    name, data = wheel(tmp_path, "demo", requires_dist=["safe"])
    serve(env.index, "demo", [(name, data)])
    _, other = wheel(tmp_path / "other", "demo", requires_dist=["evil"])
    # The upstream answers range requests from other bytes than the index's hash describes.
    env.index.routes[f"/files/{name}"] = Reply(200, other, ranges=True)
    await env.add_connector()
    ranged = await fetch_metadata(env, "demo", name)
    assert ranged.file.core_metadata_sha256 == hashlib.sha256(wheel_metadata(other)).hexdigest()

    env.index.routes[f"/files/{name}"] = Reply(200, data)
    assert await env.fetch("demo", name) == data  # the wheel itself is verified by its hash
    verified = hashlib.sha256(wheel_metadata(data)).hexdigest()
    assert any("backfilled_metadata_mismatch" in r.getMessage() for r in caplog.records)
    assert (await env.project("demo")).files[0].core_metadata_sha256 == verified
    assert (await fetch_metadata(env, "demo", name)).file.core_metadata_sha256 == verified


async def test_upstream_state_is_recorded_without_nats(
    engines: Engines, index: LoopbackIndex, tmp_path: Path
) -> None:
    """NATS is unreachable here, yet the listing is stored and a local upload of a name just
    served from upstream is refused at once: nothing waits for an event."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    database_url = await create_database(engines.database_url, name)
    try:
        await migrate(database_url)
        meta_settings = MetadataSettings(
            database_url=database_url,  # type: ignore[arg-type]
            **tls_settings("metadata"),
            listen_addr="127.0.0.1:0",
            shutdown_grace=0.5,
            nats_url="nats://127.0.0.1:9",
        )
        async with metadata_server(meta_settings) as meta_port:
            settings = ConnectorSettings(
                listen_addr="127.0.0.1:0",
                **tls_settings("connector"),
                metadata_addr=f"127.0.0.1:{meta_port}",
                blob_addr="127.0.0.1:9",
                connectors_ttl=0.0,
                shutdown_grace=0.5,
            )
            async with (
                running_connector(settings) as running,
                service_channel(f"127.0.0.1:{meta_port}") as channel,
                service_channel(f"127.0.0.1:{running.port}") as connector_channel,
            ):
                metadata = metadata_pb2_grpc.MetadataServiceStub(channel)
                upstream = upstream_pb2_grpc.UpstreamServiceStub(channel)
                await metadata.CreateFeed(
                    metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="main"))
                )
                serve(index, "requests", [wheel(tmp_path, "requests")])
                await upstream.AddConnector(
                    upstream_pb2.AddConnectorRequest(
                        connector=upstream_pb2.Connector(feed="main", url=index.url)
                    )
                )

                async def policy() -> upstream_pb2.OriginPolicy:
                    reply = await upstream.GetOriginPolicy(
                        upstream_pb2.GetOriginPolicyRequest(feed="main", project="requests")
                    )
                    return reply.policy

                assert (await policy()).publish_allowed
                await connector_pb2_grpc.ConnectorServiceStub(connector_channel).GetUpstreamProject(
                    connector_pb2.GetUpstreamProjectRequest(feed="main", project="requests")
                )
                state = await upstream.GetUpstreamState(
                    upstream_pb2.GetUpstreamStateRequest(feed="main", project="requests")
                )
                assert [len(listing.files) for listing in state.listings] == [1]
                refused = await policy()
                assert not refused.publish_allowed
                assert "mirrored from upstream" in refused.publish_reason
    finally:
        await drop_database(engines.database_url, name)
