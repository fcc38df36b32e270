"""Upstream files: streamed to the caller while they are written to the blob service.

The blob service gets the upstream index's sha256 as the expected digest, so it commits the
object only if the bytes match; the connector also hashes as it goes. The last part of the
file is held back until the blob service has committed: a caller never receives a complete
file that failed verification (on a mismatch the stream ends with DATA_LOSS instead, and for
files up to one chunk nothing at all has been sent, so the gateway can still answer 502).
One fetch per (feed, filename) at a time; later callers find the file cached.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import weakref
from collections.abc import AsyncIterator
from email.parser import BytesHeaderParser

import grpc
import httpx
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from packyard.common.errors import NotFound, Unavailable
from packyard.common.events import FILE_CACHED, INDEX_CHANGED, subject
from packyard.common.grpc import CHUNK_SIZE
from packyard.common.metrics import record_cache_lookup
from packyard.common.settings import redact_url
from packyard.connector.errors import UpstreamFailed, UpstreamTimeout
from packyard.connector.http import UpstreamDown, UpstreamHttp
from packyard.connector.listings import Listings
from packyard.connector.metadata_ranges import RangesUnsupported, read_wheel_metadata
from packyard.connector.publisher import EventPublisher
from packyard.protocol.zip_tail import ZipTailError
from packyard.rpc.v1 import blob_pb2, blob_pb2_grpc, common_pb2, events_pb2, upstream_pb2

log = logging.getLogger(__name__)

_QUEUE_DEPTH = 8
_NO_RANGES_MEMORY = 600.0


class FileFetcher:
    def __init__(
        self,
        listings: Listings,
        http: UpstreamHttp,
        blob: blob_pb2_grpc.BlobServiceStub,
        publisher: EventPublisher,
        *,
        max_size: int,
        rpc_timeout: float,
    ) -> None:
        self._listings = listings
        self._http = http
        self._blob = blob
        self._publisher = publisher
        self._max_size = max_size
        self._rpc_timeout = rpc_timeout
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._metadata_locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self.upstream_fetches = 0
        self.metadata_range_reads = 0
        self._no_ranges: dict[str, float] = {}  # connector id -> until when not to try ranges

    async def stream(
        self, feed: str, project: str, filename: str
    ) -> AsyncIterator[common_pb2.FileInfo | bytes]:
        """The file's FileInfo, then its bytes; cached on the way when not cached yet."""
        connector, entry = await self._listings.find_file(feed, project, filename)
        if not entry.upstream_url:
            record_cache_lookup("file", True, feed)
            async for part in self._from_blob(entry):
                yield part
            return
        lock = self._locks.setdefault((feed, filename), asyncio.Lock())
        async with lock:
            cached = self._listings.cached_in_memory(feed, filename)
            record_cache_lookup("file", cached is not None, feed)
            if cached is not None:
                async for part in self._from_blob(cached):
                    yield part
                return
            async for part in self._fetch(connector, entry):
                yield part

    async def ensure_cached(self, feed: str, project: str, filename: str) -> common_pb2.FileInfo:
        info: common_pb2.FileInfo | None = None
        async for part in self.stream(feed, project, filename):
            if isinstance(part, common_pb2.FileInfo):
                info = part
        cached = self._listings.cached_in_memory(feed, filename)
        assert info is not None
        return cached or info

    async def _from_blob(
        self, info: common_pb2.FileInfo
    ) -> AsyncIterator[common_pb2.FileInfo | bytes]:
        yield info
        async for part in self._blob.GetBlob(blob_pb2.GetBlobRequest(sha256=info.hashes.sha256)):
            yield part.chunk

    async def _fetch(
        self, connector: upstream_pb2.Connector, entry: common_pb2.FileInfo
    ) -> AsyncIterator[common_pb2.FileInfo | bytes]:
        expected = entry.hashes.sha256
        if not expected:
            raise UpstreamFailed(f"The upstream index gives no sha256 for '{entry.filename}'.")
        self.upstream_fetches += 1
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(_QUEUE_DEPTH)
        put = asyncio.create_task(self._put(queue, entry))
        try:
            async with self._http.open_file(connector, entry.upstream_url) as response:
                length = response.headers.get("content-length", "")
                first = common_pb2.FileInfo()
                first.CopyFrom(entry)
                if length.isdigit():
                    if int(length) > self._max_size:
                        raise UpstreamFailed(f"Upstream file '{entry.filename}' is too large.")
                    first.size = int(length)
                yield first
                digest = hashlib.sha256()
                size, held, buffer = 0, b"", bytearray()
                async for data in _body(response):
                    size += len(data)
                    if size > self._max_size:
                        raise UpstreamFailed(f"Upstream file '{entry.filename}' is too large.")
                    digest.update(data)
                    buffer += data
                    while len(buffer) >= CHUNK_SIZE:
                        chunk = bytes(buffer[:CHUNK_SIZE])
                        del buffer[:CHUNK_SIZE]
                        await _feed(queue, put, chunk)
                        if held:
                            yield held
                        held = chunk
            if buffer:
                await _feed(queue, put, bytes(buffer))
            await _feed(queue, put, None)
            if digest.hexdigest() != expected:
                raise self._mismatch(entry, digest.hexdigest())
            stored = await put
        except BaseException as exc:
            put.cancel()
            with contextlib.suppress(BaseException):
                await put
            if isinstance(exc, UpstreamDown):
                raise _down(exc) from None
            raise
        cached = self._register(entry, stored, connector.id)
        log.info(
            "upstream.file_cached",
            extra={"feed": entry.feed, "file": entry.filename, "size": cached.size},
        )
        # Only now does the caller get the end of the file.
        for part in (held, bytes(buffer)):
            for start in range(0, len(part), CHUNK_SIZE):
                yield part[start : start + CHUNK_SIZE]

    def _mismatch(self, entry: common_pb2.FileInfo, actual: str) -> UpstreamFailed:
        log.warning(
            "supply_chain.upstream_hash_mismatch",
            extra={
                "feed": entry.feed,
                "project": entry.project,
                "file": entry.filename,
                "url": redact_url(entry.upstream_url),
                "expected_sha256": entry.hashes.sha256,
                "actual_sha256": actual,
            },
        )
        return UpstreamFailed(f"Upstream file hash mismatch for '{entry.filename}'.")

    async def _put(
        self, queue: asyncio.Queue[bytes | None], entry: common_pb2.FileInfo
    ) -> blob_pb2.PutBlobResponse:
        async def requests() -> AsyncIterator[blob_pb2.PutBlobRequest]:
            yield blob_pb2.PutBlobRequest(
                header=blob_pb2.PutBlobHeader(
                    expected=common_pb2.Hashes(sha256=entry.hashes.sha256),
                    max_size=self._max_size,
                    filename=entry.filename,
                )
            )
            while (chunk := await queue.get()) is not None:
                yield blob_pb2.PutBlobRequest(chunk=chunk)

        try:
            return await self._blob.PutBlob(requests(), timeout=max(self._rpc_timeout, 600.0))
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise self._mismatch(entry, "(refused by the blob service)") from None
            raise Unavailable("Storage temporarily unavailable.") from None

    def _register(
        self, entry: common_pb2.FileInfo, stored: blob_pb2.PutBlobResponse, connector_id: str
    ) -> common_pb2.FileInfo:
        cached = common_pb2.FileInfo()
        cached.CopyFrom(entry)
        cached.size = stored.blob.size
        cached.hashes.CopyFrom(stored.blob.hashes)
        if stored.HasField("core_metadata"):
            # PEP 658 backfill: the wheel's own METADATA, whatever the upstream offered.
            cached.core_metadata_sha256 = stored.core_metadata.hashes.sha256
        ranged = self._listings.backfilled(entry.feed, entry.filename)
        if ranged is not None and ranged.sha256 != cached.core_metadata_sha256:
            # What range requests read is not covered by the index hash; the verified wheel's
            # own METADATA wins (the cached file's, which every answer prefers).
            log.warning(
                "supply_chain.backfilled_metadata_mismatch",
                extra={"feed": entry.feed, "file": entry.filename,
                       "ranged_sha256": ranged.sha256,
                       "verified_sha256": cached.core_metadata_sha256},
            )  # fmt: skip
        cached.upstream_url = ""
        self._listings.remember_cached(cached)
        self._publisher.publish(
            subject(FILE_CACHED, entry.feed),
            f"cached:{entry.feed}:{entry.filename}:{cached.hashes.sha256}",
            events_pb2.FileCached(
                feed=entry.feed, file=cached, connector=connector_id
            ).SerializeToString(deterministic=True),
        )
        self._page_changed(entry.feed, entry.project, f"cached:{entry.filename}")
        return cached

    def _page_changed(self, feed: str, project: str, what: str) -> None:
        """Pages show cached files and known metadata differently (hashes, PEP 658): gateways
        drop theirs for the project."""
        self._publisher.publish(
            subject(INDEX_CHANGED, feed),
            f"index:{feed}:{project}:{what}",
            events_pb2.IndexChanged(feed=feed, project=project).SerializeToString(
                deterministic=True
            ),
        )

    # -- PEP 658 metadata ---------------------------------------------------------------------

    async def ensure_metadata(
        self, feed: str, project: str, filename: str
    ) -> tuple[common_pb2.FileInfo, int]:
        """The file (with core_metadata_sha256) once its METADATA is in the blob service.

        In order: METADATA already stored; the upstream's own PEP 658 file; for a wheel whose
        upstream offers none, the METADATA member read with range requests (a few KiB instead
        of the wheel); failing that (no range support, unreadable archive), the whole wheel,
        cached and verified, from which the blob service extracts it.
        """
        connector, entry = await self._listings.find_file(feed, project, filename)
        sha = entry.core_metadata_sha256
        backfilled = self._listings.backfilled(feed, filename) if entry.upstream_url else None
        if sha:
            size = await self._stat(sha)
            if size is not None:
                return entry, size
            if entry.upstream_url and (backfilled is None or backfilled.sha256 != sha):
                return entry, await self._fetch_metadata(connector, entry)
        if not filename.endswith(".whl"):
            raise NotFound(f"'{filename}' has no metadata file.")
        if entry.upstream_url:
            found = await self._backfill(connector, entry)
            if found is not None:
                return found
        # The whole wheel: cached, verified; the blob service extracts its METADATA.
        cached = await self.ensure_cached(feed, project, filename)
        size = None
        if cached.core_metadata_sha256:
            size = await self._stat(cached.core_metadata_sha256)
        if size is None:
            raise NotFound(f"'{filename}' has no metadata file.")
        return cached, size

    async def _backfill(
        self, connector: upstream_pb2.Connector, entry: common_pb2.FileInfo
    ) -> tuple[common_pb2.FileInfo, int] | None:
        """METADATA of an uncached upstream wheel by range requests, stored under its own
        sha256 and recorded; None when the whole wheel must be fetched instead."""
        feed, filename = entry.feed, entry.filename
        lock = self._metadata_locks.setdefault((feed, filename), asyncio.Lock())
        async with lock:
            known = self._listings.backfilled(feed, filename)
            if known is not None:
                size = await self._stat(known.sha256)
                if size is not None:
                    return _with_metadata(entry, known.sha256), size
            if self._listings.cached_in_memory(feed, filename) is not None:
                return None
            if self._no_ranges.get(connector.id, 0.0) > time.monotonic():
                return None
            self.metadata_range_reads += 1
            try:
                data = await read_wheel_metadata(self._http, connector, entry.upstream_url)
            except UpstreamDown as exc:
                raise _down(exc) from None
            except (RangesUnsupported, ZipTailError) as exc:
                if isinstance(exc, RangesUnsupported):
                    # Not worth a wasted request per wheel: ask again in a while.
                    self._no_ranges[connector.id] = time.monotonic() + _NO_RANGES_MEMORY
                log.info(
                    "upstream.metadata_ranges_unusable",
                    extra={"feed": feed, "file": filename, "reason": f"{type(exc).__name__}"
                           f": {exc}"},
                )  # fmt: skip
                return None
            if not _describes(data, filename):
                log.warning(
                    "upstream.metadata_ranges_mismatch",
                    extra={"feed": feed, "file": filename,
                           "reason": "METADATA names another project or version"},
                )  # fmt: skip
                return None
            digest = hashlib.sha256(data).hexdigest()
            await self._put_small(digest, data)
            stored = await self._listings.record_backfilled(
                feed,
                entry.project,
                connector.id,
                upstream_pb2.BackfilledMetadata(filename=filename, sha256=digest, size=len(data)),
            )
            log.info(
                "upstream.metadata_backfilled",
                extra={"feed": feed, "file": filename, "size": len(data), "sha256": digest},
            )
            self._page_changed(feed, entry.project, f"metadata:{filename}:{stored.sha256}")
            size = len(data) if stored.sha256 == digest else await self._stat(stored.sha256)
            if size is None:
                return None
            return _with_metadata(entry, stored.sha256), size

    async def _put_small(self, sha256: str, data: bytes) -> None:
        async def requests() -> AsyncIterator[blob_pb2.PutBlobRequest]:
            yield blob_pb2.PutBlobRequest(
                header=blob_pb2.PutBlobHeader(expected=common_pb2.Hashes(sha256=sha256))
            )
            yield blob_pb2.PutBlobRequest(chunk=data)

        try:
            await self._blob.PutBlob(requests(), timeout=self._rpc_timeout)
        except grpc.aio.AioRpcError:
            raise Unavailable("Storage temporarily unavailable.") from None

    async def _stat(self, sha256: str) -> int | None:
        try:
            reply = await self._blob.StatBlob(
                blob_pb2.StatBlobRequest(sha256=sha256), timeout=self._rpc_timeout
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise Unavailable("Storage temporarily unavailable.") from None
        return reply.blob.size

    async def _fetch_metadata(
        self, connector: upstream_pb2.Connector, entry: common_pb2.FileInfo
    ) -> int:
        url = entry.upstream_url + ".metadata"
        try:
            async with self._http.open_file(connector, url) as response:
                body = bytearray()
                async for data in _body(response):
                    body += data
                    if len(body) > 16 * 1024 * 1024:
                        raise UpstreamFailed("Upstream metadata file is too large.")
        except UpstreamDown as exc:
            raise _down(exc) from None
        actual = hashlib.sha256(body).hexdigest()
        if actual != entry.core_metadata_sha256:
            raise self._mismatch(entry, actual)

        async def requests() -> AsyncIterator[blob_pb2.PutBlobRequest]:
            yield blob_pb2.PutBlobRequest(
                header=blob_pb2.PutBlobHeader(
                    expected=common_pb2.Hashes(sha256=entry.core_metadata_sha256)
                )
            )
            yield blob_pb2.PutBlobRequest(chunk=bytes(body))

        stored = await self._blob.PutBlob(requests(), timeout=self._rpc_timeout)
        return stored.blob.size


def _with_metadata(entry: common_pb2.FileInfo, sha256: str) -> common_pb2.FileInfo:
    info = common_pb2.FileInfo()
    info.CopyFrom(entry)
    info.core_metadata_sha256 = sha256
    return info


def _describes(metadata: bytes, filename: str) -> bool:
    """Does the METADATA name the wheel's own project and version? (The one check possible
    before the wheel itself is verified; pip 26 refuses a mismatch later anyway.)"""
    try:
        name, version, _, _ = parse_wheel_filename(filename)
        headers = BytesHeaderParser().parsebytes(metadata)
        return (
            canonicalize_name(headers.get("Name", "")) == name
            and Version(headers.get("Version", "")) == version
        )
    except (InvalidWheelFilename, InvalidVersion, ValueError):
        return False


async def _feed(
    queue: asyncio.Queue[bytes | None], put: asyncio.Task[object], item: bytes | None
) -> None:
    """Hand a chunk to the blob upload, failing fast if that upload already failed."""
    if put.done():
        put.result()  # raises the blob service's error
        raise Unavailable("Storage upload ended early.")
    await queue.put(item)


async def _body(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for data in response.aiter_raw():
            yield data
    except httpx.TimeoutException:
        raise UpstreamTimeout("Upstream timed out while sending a file.") from None
    except httpx.HTTPError as exc:
        raise UpstreamFailed(f"Upstream transfer failed ({type(exc).__name__}).") from None


def _down(exc: UpstreamDown) -> Exception:
    if exc.timeout:
        return UpstreamTimeout("Upstream timed out.")
    return Unavailable("Upstream unavailable; try again later.")
