"""Upstream files: streamed to the caller while they are written to the blob service.

The blob service gets the upstream index's sha256 as the expected digest, so it commits the
object only if the bytes match; the connector also hashes as it goes. The last part of the
file is held back until the blob service has committed and the metadata service has recorded
the cached file: a caller never receives a complete file that failed verification (on a
mismatch the stream ends with DATA_LOSS instead, and for files up to one chunk nothing at all
has been sent, so the gateway can still answer 502). One fetch per (feed, filename) at a time
in this process; a later caller finds the file recorded as cached.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx

from packyard.common.errors import Unavailable
from packyard.common.grpc import CHUNK_SIZE
from packyard.common.metrics import record_cache_lookup
from packyard.common.settings import redact_url
from packyard.connector.blob_client import BlobClient, DigestRefused, Stored
from packyard.connector.errors import UpstreamFailed, UpstreamTimeout
from packyard.connector.http import UpstreamDown, UpstreamHttp
from packyard.connector.listings import Listings
from packyard.connector.metadata_client import MetadataClient
from packyard.connector.models import FoundFile, OfferedFile
from packyard.connector.single_flight import KeyedLocks
from packyard.protocol.offer_merge import with_cached

log = logging.getLogger(__name__)

_QUEUE_DEPTH = 8


class FileFetcher:
    def __init__(
        self,
        listings: Listings,
        http: UpstreamHttp,
        blob: BlobClient,
        metadata: MetadataClient,
        *,
        max_size: int,
    ) -> None:
        self._listings = listings
        self._http = http
        self._blob = blob
        self._metadata = metadata
        self._max_size = max_size
        self._locks = KeyedLocks()
        self.upstream_fetches = 0

    async def stream(
        self, feed: str, project: str, filename: str
    ) -> AsyncIterator[OfferedFile | bytes]:
        """The file's description, then its bytes; cached on the way when not cached yet."""
        found = await self._listings.find_file(feed, project, filename)
        entry = found.file
        if not entry.upstream_url:
            record_cache_lookup("file", True, feed)
            async for part in self._from_blob(entry):
                yield part
            return
        lock = self._locks.lock(feed, filename)
        async with lock:
            # Another request of this process may have cached it while this one waited.
            cached = await self._recorded(feed, filename)
            record_cache_lookup("file", cached is not None, feed)
            if cached is not None:
                async for part in self._from_blob(with_cached(entry, cached)):
                    yield part
                return
            async for part in self._fetch(found):
                yield part

    async def ensure_cached(self, feed: str, project: str, filename: str) -> OfferedFile:
        """The file as cached (fetched, verified and recorded first if it was not)."""
        async for _ in self.stream(feed, project, filename):
            pass
        return (await self._listings.find_file(feed, project, filename)).file

    async def _recorded(self, feed: str, filename: str) -> OfferedFile | None:
        try:
            return await self._metadata.cached_file(feed, filename)
        except Unavailable:
            return None  # only a cost: the file is fetched (and deduplicated) again

    async def _from_blob(self, info: OfferedFile) -> AsyncIterator[OfferedFile | bytes]:
        yield info
        async for chunk in self._blob.read(info.sha256):
            yield chunk

    async def _fetch(self, found: FoundFile) -> AsyncIterator[OfferedFile | bytes]:
        entry = found.file
        if not entry.sha256:
            raise UpstreamFailed(f"The upstream index gives no sha256 for '{entry.filename}'.")
        self.upstream_fetches += 1
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(_QUEUE_DEPTH)
        put = asyncio.create_task(self._put(queue, entry))
        try:
            async with self._http.open_file(found.connector, entry.upstream_url) as response:
                length = response.headers.get("content-length", "")
                first = entry
                if length.isdigit():
                    if int(length) > self._max_size:
                        raise UpstreamFailed(f"Upstream file '{entry.filename}' is too large.")
                    first = replace(entry, size=int(length))
                yield first
                digest = hashlib.sha256()
                size, held, buffer = 0, b"", bytearray()
                async for data in body(response):
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
            if digest.hexdigest() != entry.sha256:
                raise mismatch(entry, digest.hexdigest())
            stored = await put
        except BaseException as exc:
            put.cancel()
            with contextlib.suppress(BaseException):
                await put
            if isinstance(exc, UpstreamDown):
                raise down(exc) from None
            raise
        cached = await self._register(found, stored)
        log.info(
            "upstream.file_cached",
            extra={"feed": entry.feed, "file": entry.filename, "size": cached.size},
        )
        # Only now does the caller get the end of the file.
        for part in (held, bytes(buffer)):
            for start in range(0, len(part), CHUNK_SIZE):
                yield part[start : start + CHUNK_SIZE]

    async def _put(self, queue: asyncio.Queue[bytes | None], entry: OfferedFile) -> Stored:
        async def chunks() -> AsyncIterator[bytes]:
            while (chunk := await queue.get()) is not None:
                yield chunk

        try:
            return await self._blob.put(
                chunks(), sha256=entry.sha256, max_size=self._max_size, filename=entry.filename
            )
        except DigestRefused:
            raise mismatch(entry, "(refused by the blob service)") from None

    async def _register(self, found: FoundFile, stored: Stored) -> OfferedFile:
        """Record the verified, stored file in the metadata service (which tells the gateways
        that the project's pages changed)."""
        entry = found.file
        # The stored size and hashes; PEP 658 backfill: the wheel's own METADATA, whatever the
        # upstream offered.
        cached = with_cached(entry, stored)
        ranged = found.backfilled
        if ranged is not None and ranged.sha256 != cached.core_metadata_sha256:
            # What range requests read is not covered by the index hash; the verified wheel's
            # own METADATA wins (the cached file's, which every answer prefers).
            log.warning(
                "supply_chain.backfilled_metadata_mismatch",
                extra={"feed": entry.feed, "file": entry.filename,
                       "ranged_sha256": ranged.sha256,
                       "verified_sha256": cached.core_metadata_sha256},
            )  # fmt: skip
        try:
            return await self._metadata.record_cached_file(found.connector.id, cached)
        except Unavailable:
            # The bytes are verified and stored: serve them; the next request stores the record.
            log.warning(
                "upstream.cached_file_not_recorded",
                extra={"feed": entry.feed, "file": entry.filename},
            )
            return cached


def mismatch(entry: OfferedFile, actual: str) -> UpstreamFailed:
    log.warning(
        "supply_chain.upstream_hash_mismatch",
        extra={
            "feed": entry.feed,
            "project": entry.project,
            "file": entry.filename,
            "url": redact_url(entry.upstream_url),
            "expected_sha256": entry.sha256,
            "actual_sha256": actual,
        },
    )
    return UpstreamFailed(f"Upstream file hash mismatch for '{entry.filename}'.")


async def _feed(
    queue: asyncio.Queue[bytes | None], put: asyncio.Task[Stored], item: bytes | None
) -> None:
    """Hand a chunk to the blob upload, failing fast if that upload already failed."""
    if put.done():
        put.result()  # raises the blob service's error
        raise Unavailable("Storage upload ended early.")
    await queue.put(item)


async def body(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for data in response.aiter_raw():
            yield data
    except httpx.TimeoutException:
        raise UpstreamTimeout("Upstream timed out while sending a file.") from None
    except httpx.HTTPError as exc:
        raise UpstreamFailed(f"Upstream transfer failed ({type(exc).__name__}).") from None


def down(exc: UpstreamDown) -> Exception:
    if exc.timeout:
        return UpstreamTimeout("Upstream timed out.")
    return Unavailable("Upstream unavailable; try again later.")
