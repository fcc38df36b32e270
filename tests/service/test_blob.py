"""BlobService in process, over gRPC, against a real S3 server (the `engines` fixture)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import socket
import tracemalloc
import zipfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from minio import Minio
from packyard.blob.server import SERVICE_NAME, running_server
from packyard.blob.settings import BlobSettings
from packyard.common.grpc import CHUNK_SIZE, check_health
from packyard_rpc.v1 import blob_pb2, blob_pb2_grpc, common_pb2

from tests.fixtures.polling import eventually
from tests.fixtures.tls import service_channel, tls_files, tls_settings

pytestmark = pytest.mark.service

MIB = 1024 * 1024
PREFIX = "blobtest/"


def _secret(value: Any) -> str:
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


@dataclass
class Blob:
    stub: blob_pb2_grpc.BlobServiceStub
    addr: str
    bucket: Minio
    bucket_name: str
    spool: Path

    def keys(self) -> list[str]:
        return [
            o.object_name or ""
            for o in self.bucket.list_objects(self.bucket_name, prefix=PREFIX, recursive=True)
        ]


def hashes_of(data: bytes) -> common_pb2.Hashes:
    return common_pb2.Hashes(
        sha256=hashlib.sha256(data).hexdigest(),
        blake2b_256=hashlib.blake2b(data, digest_size=32).hexdigest(),
        md5=hashlib.md5(data).hexdigest(),
    )


def leftovers(spool: Path) -> list[str]:
    """Upload files under the spool directory (in-flight or leaked uploads); each server
    spools into a locked directory of its own below it (common/spool_dirs.py)."""
    return [p.name for p in spool.rglob("*") if p.is_file() and p.name != ".lock"]


def key_of(sha256: str) -> str:
    return f"{PREFIX}sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def chunked(data: bytes, size: int = CHUNK_SIZE) -> Iterable[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), size):
        yield bytes(view[start : start + size])


async def put_requests(
    data: bytes,
    expected: common_pb2.Hashes | None = None,
    max_size: int = 0,
    filename: str = "",
) -> AsyncIterator[blob_pb2.PutBlobRequest]:
    header = blob_pb2.PutBlobHeader(expected=expected, max_size=max_size, filename=filename)
    yield blob_pb2.PutBlobRequest(header=header)
    for chunk in chunked(data):
        yield blob_pb2.PutBlobRequest(chunk=chunk)


async def get_bytes(blob: Blob, sha256: str, offset: int = 0, length: int = 0) -> bytes:
    request = blob_pb2.GetBlobRequest(sha256=sha256, offset=offset, length=length)
    return b"".join([reply.chunk async for reply in blob.stub.GetBlob(request)])


async def assert_not_stored(blob: Blob, sha256: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await blob.stub.StatBlob(blob_pb2.StatBlobRequest(sha256=sha256))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert key_of(sha256) not in blob.keys()


def settings_for(engines: Any, bucket: str, spool: Path, **extra: Any) -> BlobSettings:
    values: dict[str, Any] = {
        "s3_endpoint": engines.s3_endpoint,
        "s3_access_key": engines.s3_access_key,
        "s3_secret_key": _secret(engines.s3_secret_key),
        "s3_secure": engines.s3_secure,
        "s3_bucket": bucket,
        "key_prefix": PREFIX,
        "listen_addr": "127.0.0.1:0",
        "spool_dir": str(spool),
        "shutdown_grace": 1.0,
        **tls_settings("blob"),
    }
    values.update(extra)
    return BlobSettings(**values)


@contextlib.asynccontextmanager
async def _open(settings: BlobSettings, engines: Any, **kwargs: Any) -> AsyncIterator[Blob]:
    raw = Minio(
        engines.s3_endpoint,
        access_key=engines.s3_access_key,
        secret_key=_secret(engines.s3_secret_key),
        secure=engines.s3_secure,
    )
    async with running_server(settings, **kwargs) as port:
        addr = f"127.0.0.1:{port}"
        async with service_channel(addr) as channel:
            yield Blob(
                blob_pb2_grpc.BlobServiceStub(channel),
                addr,
                raw,
                settings.s3_bucket,
                Path(settings.spool_dir or ""),
            )


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    path = tmp_path / "spool"
    path.mkdir()
    return path


@pytest.fixture
async def blob(engines: Any, s3_bucket: str, spool: Path) -> AsyncIterator[Blob]:
    async with _open(settings_for(engines, s3_bucket, spool), engines) as opened:
        yield opened
    # Whatever a test did, no upload is left behind in the spool directory.
    assert leftovers(spool) == []


async def test_put_then_get_roundtrip_with_all_digests(blob: Blob) -> None:
    data = os.urandom(2 * CHUNK_SIZE + 123)
    expected = hashes_of(data)

    reply = await blob.stub.PutBlob(put_requests(data, expected, filename="x-1.0.tar.gz"))

    assert reply.created
    assert reply.blob.hashes == expected
    assert reply.blob.size == len(data)
    assert not reply.HasField("core_metadata")
    stat = await blob.stub.StatBlob(blob_pb2.StatBlobRequest(sha256=expected.sha256))
    assert stat.blob == reply.blob
    assert await get_bytes(blob, expected.sha256) == data
    assert blob.keys() == [key_of(expected.sha256)]


async def test_health_reports_the_blob_service(blob: Blob) -> None:
    assert SERVICE_NAME == "packyard.rpc.v1.BlobService"
    assert await check_health(blob.addr, tls_files("gateway"), SERVICE_NAME)
    assert await check_health(blob.addr, tls_files("gateway"), "packyard.dependency.s3")


async def test_expected_digests_are_case_insensitive(blob: Blob) -> None:
    data = b"upper case hex digests are accepted"
    expected = hashes_of(data)
    upper = common_pb2.Hashes(sha256=expected.sha256.upper(), md5=expected.md5.upper())

    reply = await blob.stub.PutBlob(put_requests(data, upper))

    assert reply.blob.hashes == expected


@pytest.mark.parametrize("wrong", ["sha256", "blake2b_256", "md5"])
async def test_digest_mismatch_is_rejected_and_nothing_stored(blob: Blob, wrong: str) -> None:
    data = os.urandom(100_000)
    expected = hashes_of(data)
    setattr(expected, wrong, hashes_of(b"something else").__getattribute__(wrong))

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await blob.stub.PutBlob(put_requests(data, expected))

    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details() == (
        "The digest supplied does not match a digest calculated from the uploaded file."
    )
    await assert_not_stored(blob, hashlib.sha256(data).hexdigest())
    assert blob.keys() == []


async def test_size_limit_is_enforced_while_streaming(blob: Blob) -> None:
    never = asyncio.Event()

    async def over_limit_then_stall() -> AsyncIterator[blob_pb2.PutBlobRequest]:
        yield blob_pb2.PutBlobRequest(header=blob_pb2.PutBlobHeader(max_size=MIB))
        yield blob_pb2.PutBlobRequest(chunk=b"x" * MIB)
        yield blob_pb2.PutBlobRequest(chunk=b"y")
        # The stream stays open: a server that checked the size only at the end would hang.
        await never.wait()

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await asyncio.wait_for(blob.stub.PutBlob(over_limit_then_stall()), timeout=10)

    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details() == "File too large. Limit is 1 MB."
    assert blob.keys() == []


async def test_size_limit_ends_an_endless_stream(blob: Blob) -> None:
    async def endless() -> AsyncIterator[blob_pb2.PutBlobRequest]:
        yield blob_pb2.PutBlobRequest(header=blob_pb2.PutBlobHeader(max_size=2 * MIB))
        while True:
            yield blob_pb2.PutBlobRequest(chunk=b"x" * CHUNK_SIZE)

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await asyncio.wait_for(blob.stub.PutBlob(endless()), timeout=10)

    # While the client is still writing, grpcio's asyncio client may replace the server's
    # INVALID_ARGUMENT with INTERNAL "Internal error from Core" (grpc/grpc#36066); what
    # matters here is that the server ended the call and stored nothing.
    assert info.value.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.INTERNAL)
    assert blob.keys() == []


async def test_a_file_of_exactly_max_size_is_accepted(blob: Blob) -> None:
    data = os.urandom(MIB)
    reply = await blob.stub.PutBlob(put_requests(data, max_size=MIB))
    assert reply.blob.size == MIB


@pytest.mark.parametrize("first", [b"chunk first", None])
async def test_header_must_come_first(blob: Blob, first: bytes | None) -> None:
    async def requests() -> AsyncIterator[blob_pb2.PutBlobRequest]:
        if first is not None:
            yield blob_pb2.PutBlobRequest(chunk=first)
            yield blob_pb2.PutBlobRequest(header=blob_pb2.PutBlobHeader())

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await blob.stub.PutBlob(requests())

    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details() == "The first message must be the header."
    assert blob.keys() == []


async def test_identical_put_is_stored_once(blob: Blob) -> None:
    data = os.urandom(50_000)

    first = await blob.stub.PutBlob(put_requests(data))
    second = await blob.stub.PutBlob(put_requests(data))

    assert first.created
    assert not second.created
    assert second.blob == first.blob
    assert blob.keys() == [key_of(first.blob.hashes.sha256)]


async def test_concurrent_identical_puts_store_one_object(blob: Blob) -> None:
    data = os.urandom(30_000)

    replies = await asyncio.gather(*(blob.stub.PutBlob(put_requests(data)) for _ in range(8)))

    assert {r.blob.SerializeToString() for r in replies} == {replies[0].blob.SerializeToString()}
    assert any(r.created for r in replies)
    assert blob.keys() == [key_of(hashlib.sha256(data).hexdigest())]
    assert await get_bytes(blob, hashlib.sha256(data).hexdigest()) == data


async def test_identical_multipart_put_is_stored_once(
    engines: Any, s3_bucket: str, spool: Path
) -> None:
    # Larger than one part: looked up first, then stored in parts.
    settings = settings_for(engines, s3_bucket, spool, s3_part_size=5 * MIB)
    data = os.urandom(5 * MIB + 1)
    async with _open(settings, engines) as blob:
        first = await blob.stub.PutBlob(put_requests(data, hashes_of(data)))
        second = await blob.stub.PutBlob(put_requests(data))

        assert first.created and not second.created
        assert second.blob == first.blob
        assert blob.keys() == [key_of(first.blob.hashes.sha256)]
        assert await get_bytes(blob, first.blob.hashes.sha256) == data


async def test_empty_blob(blob: Blob) -> None:
    reply = await blob.stub.PutBlob(put_requests(b""))
    assert reply.blob.size == 0
    assert reply.blob.hashes.sha256 == hashlib.sha256(b"").hexdigest()
    assert await get_bytes(blob, reply.blob.hashes.sha256) == b""


async def test_ranged_gets(blob: Blob) -> None:
    data = os.urandom(CHUNK_SIZE + 1000)
    sha = (await blob.stub.PutBlob(put_requests(data))).blob.hashes.sha256

    assert await get_bytes(blob, sha, offset=10, length=20) == data[10:30]
    # Across the boundary between two 1 MiB messages.
    assert await get_bytes(blob, sha, CHUNK_SIZE - 5, 10) == data[CHUNK_SIZE - 5 : CHUNK_SIZE + 5]
    assert await get_bytes(blob, sha, offset=len(data) - 7) == data[-7:]
    assert await get_bytes(blob, sha, offset=0, length=0) == data
    # A length past the end is cut at the end, as HTTP ranges are.
    assert await get_bytes(blob, sha, offset=len(data) - 3, length=100) == data[-3:]


@pytest.mark.parametrize(("offset", "length"), [(-1, 0), (0, -1), (100, 0), (101, 5)])
async def test_bad_ranges_are_invalid(blob: Blob, offset: int, length: int) -> None:
    sha = (await blob.stub.PutBlob(put_requests(os.urandom(100)))).blob.hashes.sha256

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await get_bytes(blob, sha, offset, length)

    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_missing_blob_is_not_found(blob: Blob) -> None:
    sha = hashlib.sha256(b"never stored").hexdigest()

    for call in (
        blob.stub.StatBlob(blob_pb2.StatBlobRequest(sha256=sha)),
        get_bytes(blob, sha),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await call
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        assert info.value.details() == f"Blob {sha} not found."


async def test_a_malformed_digest_is_invalid(blob: Blob) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await blob.stub.StatBlob(blob_pb2.StatBlobRequest(sha256="../../etc/passwd"))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_delete(blob: Blob) -> None:
    sha = (await blob.stub.PutBlob(put_requests(b"short-lived"))).blob.hashes.sha256

    first = await blob.stub.DeleteBlob(blob_pb2.DeleteBlobRequest(sha256=sha))
    second = await blob.stub.DeleteBlob(blob_pb2.DeleteBlobRequest(sha256=sha))

    assert first.deleted
    assert not second.deleted
    await assert_not_stored(blob, sha)


async def test_a_corrupted_object_fails_a_whole_download(blob: Blob) -> None:
    data = os.urandom(CHUNK_SIZE + 10)
    sha = (await blob.stub.PutBlob(put_requests(data))).blob.hashes.sha256
    rotten = bytes([data[0] ^ 1]) + data[1:]
    blob.bucket.put_object(blob.bucket_name, key_of(sha), io.BytesIO(rotten), len(rotten))

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await get_bytes(blob, sha)

    assert info.value.code() == grpc.StatusCode.DATA_LOSS


async def test_large_upload_streams_in_bounded_memory(
    engines: Any, s3_bucket: str, spool: Path
) -> None:
    part_size = 5 * MIB  # the S3 minimum: makes the upload multipart with several parts
    settings = settings_for(engines, s3_bucket, spool, s3_part_size=part_size)
    data = os.urandom(20 * MIB + 17)
    expected = hashes_of(data)
    async with _open(settings, engines) as blob:
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            reply = await blob.stub.PutBlob(put_requests(data, expected))
            put_peak = tracemalloc.get_traced_memory()[1] - base

            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            digest = hashlib.sha256()
            messages = 0
            request = blob_pb2.GetBlobRequest(sha256=expected.sha256)
            async for message in blob.stub.GetBlob(request):
                assert len(message.chunk) <= CHUNK_SIZE
                digest.update(message.chunk)
                messages += 1
            get_peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()

        assert reply.blob.hashes == expected
        assert digest.hexdigest() == expected.sha256
        assert messages == 21
        # Bounded by the part size (client and server both in this process), not the file.
        assert put_peak < 2 * part_size + 4 * MIB, put_peak
        assert get_peak < 8 * MIB, get_peak
    assert leftovers(spool) == []


def make_wheel(metadata: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("demo/__init__.py", "VALUE = 1\n")
        zf.writestr("demo-1.0.dist-info/METADATA", metadata)
        zf.writestr(
            "demo-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        zf.writestr("demo-1.0.dist-info/RECORD", "")
    return buffer.getvalue()


async def test_wheel_metadata_is_stored_as_its_own_blob(blob: Blob) -> None:
    metadata = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nSummary: caf\xc3\xa9\n"
    wheel = make_wheel(metadata)

    reply = await blob.stub.PutBlob(
        put_requests(wheel, hashes_of(wheel), filename="demo-1.0-py3-none-any.whl")
    )

    assert reply.HasField("core_metadata")
    assert reply.core_metadata.hashes == hashes_of(metadata)
    assert reply.core_metadata.size == len(metadata)
    assert await get_bytes(blob, reply.core_metadata.hashes.sha256) == metadata
    assert sorted(blob.keys()) == sorted(
        [key_of(hashlib.sha256(wheel).hexdigest()), key_of(hashlib.sha256(metadata).hexdigest())]
    )

    again = await blob.stub.PutBlob(put_requests(wheel, filename="demo-1.0-py3-none-any.whl"))
    assert not again.created
    assert again.core_metadata == reply.core_metadata


async def test_a_wheel_that_is_not_a_zip_is_rejected(blob: Blob) -> None:
    data = b"this is not a zip file" * 100

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await blob.stub.PutBlob(put_requests(data, filename="demo-1.0-py3-none-any.whl"))

    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (info.value.details() or "").startswith("Invalid distribution file.")
    assert blob.keys() == []


async def test_client_cancel_removes_the_spooled_upload(blob: Blob) -> None:
    release = asyncio.Event()

    async def stalled() -> AsyncIterator[blob_pb2.PutBlobRequest]:
        yield blob_pb2.PutBlobRequest(header=blob_pb2.PutBlobHeader())
        yield blob_pb2.PutBlobRequest(chunk=b"partial upload")
        await release.wait()

    call = blob.stub.PutBlob(stalled())

    async def spooling() -> bool:
        return bool(leftovers(blob.spool))

    async def cleaned() -> bool:
        return not leftovers(blob.spool)

    await eventually(spooling, what="the upload spooling")
    assert len(leftovers(blob.spool)) == 1

    call.cancel()
    await eventually(cleaned, what="the spool file removed")
    assert blob.keys() == []


async def test_a_download_abandoned_midway_leaves_the_service_working(blob: Blob) -> None:
    data = os.urandom(4 * CHUNK_SIZE)
    sha = (await blob.stub.PutBlob(put_requests(data))).blob.hashes.sha256

    for _ in range(3):
        call = blob.stub.GetBlob(blob_pb2.GetBlobRequest(sha256=sha))
        first = await call.read()
        assert first.chunk == data[:CHUNK_SIZE]
        call.cancel()

    assert await get_bytes(blob, sha) == data


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_storage_down_is_unavailable(spool: Path, engines: Any) -> None:
    down = settings_for(engines, "packyard", spool, s3_endpoint=f"127.0.0.1:{closed_port()}")
    sha = hashlib.sha256(b"x").hexdigest()
    async with _open(down, engines, ensure_bucket=False) as blob:
        calls = [
            blob.stub.PutBlob(put_requests(b"x")),
            blob.stub.StatBlob(blob_pb2.StatBlobRequest(sha256=sha)),
            get_bytes(blob, sha),
            blob.stub.DeleteBlob(blob_pb2.DeleteBlobRequest(sha256=sha)),
        ]
        for call in calls:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
            assert info.value.details() == "Storage temporarily unavailable"
    assert leftovers(spool) == []


async def test_health_says_not_serving_while_storage_is_down(spool: Path, engines: Any) -> None:
    down = settings_for(engines, "packyard", spool, s3_endpoint=f"127.0.0.1:{closed_port()}")
    async with _open(down, engines, ensure_bucket=False) as blob:
        deadline = asyncio.get_running_loop().time() + 10
        while await check_health(blob.addr, tls_files("gateway")):
            assert asyncio.get_running_loop().time() < deadline, "still SERVING without S3"
            await asyncio.sleep(0.1)
        assert not await check_health(blob.addr, tls_files("gateway"), SERVICE_NAME)
        assert not await check_health(blob.addr, tls_files("gateway"), "packyard.dependency.s3")


async def _has_spool_file(spool: Path) -> bool:
    return bool(leftovers(spool))


async def test_stopping_lets_an_upload_in_flight_finish(
    engines: Any, s3_bucket: str, spool: Path
) -> None:
    """SIGTERM's path (stop with grace): a PutBlob already streaming completes and is stored."""
    data = os.urandom(3 * CHUNK_SIZE)
    settings = settings_for(engines, s3_bucket, spool, shutdown_grace=10.0)
    started = asyncio.Event()
    server = running_server(settings)
    port = await server.__aenter__()
    stopping: asyncio.Task[Any] | None = None
    try:
        async with service_channel(f"127.0.0.1:{port}") as channel:
            stub = blob_pb2_grpc.BlobServiceStub(channel)

            async def slowly() -> AsyncIterator[blob_pb2.PutBlobRequest]:
                async for request in put_requests(data, hashes_of(data)):
                    yield request
                    started.set()
                    await asyncio.sleep(0.2)

            call = stub.PutBlob(slowly())
            await started.wait()
            # Stop only once the server is handling the upload (its spool file exists): a call
            # that has not reached the server yet is refused by a stopping server, rightly.
            await eventually(lambda: _has_spool_file(spool), what="the upload being spooled")
            stopping = asyncio.create_task(server.__aexit__(None, None, None))
            reply = await call
    finally:
        if stopping is None:
            await server.__aexit__(None, None, None)
        else:
            await stopping
    assert reply.blob.size == len(data)
    assert reply.blob.hashes.sha256 == hashlib.sha256(data).hexdigest()
    assert key_of(reply.blob.hashes.sha256) in [
        o.object_name
        for o in Minio(
            engines.s3_endpoint,
            access_key=engines.s3_access_key,
            secret_key=_secret(engines.s3_secret_key),
            secure=engines.s3_secure,
        ).list_objects(s3_bucket, prefix=PREFIX, recursive=True)
    ]
