"""What the blob service does, in plain async Python: no gRPC types here."""

from __future__ import annotations

import asyncio
import logging
import zipfile
import zlib
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import urllib3

from packyard.blob.digests import DIGEST_MISMATCH, Digests, checked_sha256, digests_of
from packyard.blob.spool import spooled
from packyard.blob.store import (
    BlobCorrupted,
    BlobStore,
    ListedObject,
    ObjectState,
    RangeUnanswered,
    StoredBlob,
    corrupted_message,
)
from packyard.common.errors import InvalidArgument, NotFound
from packyard.common.metrics import record_quarantine
from packyard.common.together import in_order
from packyard.protocol.archives import InvalidDistribution, extract_wheel_metadata

log = logging.getLogger(__name__)

# Errors zipfile raises on archives it cannot read, beyond BadZipFile (unsupported
# compression, encryption, truncated deflate streams).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    EOFError,
    ValueError,
    zlib.error,
)


LIST_PAGE_SIZE = 1000


@dataclass(frozen=True)
class PutResult:
    blob: StoredBlob
    created: bool  # False: an identical object was already stored
    core_metadata: StoredBlob | None  # the wheel's METADATA object


@dataclass(frozen=True)
class Verification:
    intact: bool
    quarantined: bool
    size: int


def looks_altered(state: ObjectState) -> bool:
    """Whether S3's own record of an object disagrees with what we wrote.

    Any rewrite through the S3 API drops or changes our metadata headers or the ETag (the md5
    of a single-part object); such an object is re-hashed before a single byte of it is
    served, ranges included. Bit rot below S3 is the scrubber's to find.
    """
    blob = state.blob
    if state.recorded_sha256 != blob.digests.sha256 or state.recorded_size != blob.size:
        return True
    single_part = "-" not in state.etag and len(state.etag) == 32
    return single_part and bool(blob.digests.md5) and state.etag.lower() != blob.digests.md5


def _wheel_metadata(path: Path) -> bytes | None:
    try:
        return extract_wheel_metadata(path)
    except _ZIP_ERRORS as exc:
        raise InvalidDistribution(f"Invalid distribution file. {exc}") from exc


class BlobService:
    def __init__(self, store: BlobStore, *, spool_dir: str | None, chunk_size: int) -> None:
        self._store = store
        self._spool_dir = spool_dir
        self._chunk_size = chunk_size

    async def put(
        self,
        chunks: AsyncIterable[bytes],
        *,
        expected: Digests,
        max_size: int,
        filename: str,
    ) -> PutResult:
        """Spool, hash and verify the upload; only then store it under its final key."""
        if max_size < 0:
            raise InvalidArgument("max_size must not be negative.")
        async with spooled(chunks, self._spool_dir, max_size) as upload:
            if not upload.digests.matches(expected):
                raise InvalidArgument(DIGEST_MISMATCH)
            blob = StoredBlob(size=upload.size, digests=upload.digests)
            core_metadata = None
            metadata_bytes = None
            if filename.lower().endswith(".whl"):
                # Read before anything is stored: a wheel that is not a readable archive is
                # refused without leaving an object behind.
                metadata_bytes = await asyncio.to_thread(_wheel_metadata, upload.path)
            if metadata_bytes is None:
                created = await self._store_once(blob, upload.path)
            else:
                # The wheel and its METADATA object go up side by side (two S3 round trips
                # cost one; issue 13). A PutBlob succeeds only when both are stored, so no
                # file row ever references a wheel without its METADATA; an object left alone
                # by a failure is the garbage collector's, and the next PutBlob of the wheel
                # stores both again.
                core_metadata = StoredBlob(
                    size=len(metadata_bytes), digests=digests_of(metadata_bytes)
                )
                _, created = await in_order(
                    self._store_once(core_metadata, metadata_bytes),
                    self._store_once(blob, upload.path),
                )
        log.info(
            "blob.stored",
            extra={"sha256": blob.digests.sha256, "size": blob.size, "new_object": created},
        )
        return PutResult(blob=blob, created=created, core_metadata=core_metadata)

    async def _store_once(self, blob: StoredBlob, source: Path | bytes) -> bool:
        # Content addressing makes an existing object under the key identical to ours.
        created = await self._store.put_new(blob, source)
        if not created:
            # The existing object may be old and unreferenced (a deleted file's bytes): restart
            # its garbage-collection grace period, since the caller is about to reference it.
            await self._store.touch(blob.digests.sha256)
        return created

    async def stat(self, sha256: str) -> StoredBlob:
        return (await self._state(checked_sha256(sha256))).blob

    async def _state(self, digest: str) -> ObjectState:
        state = await self._store.state(digest)
        if state is None:
            if await self._store.is_quarantined(digest):
                raise BlobCorrupted(corrupted_message(digest))
            raise NotFound(f"Blob {digest} not found.")
        return state

    async def verify(self, sha256: str, *, found_by: str = "scrub") -> Verification:
        """Re-hash the whole object; quarantine it when its bytes no longer match its key."""
        digest = checked_sha256(sha256)
        try:
            state = await self._state(digest)
        except BlobCorrupted:
            return Verification(intact=False, quarantined=True, size=0)
        try:
            async for _ in self._store.read(digest, 0, 0, self._chunk_size, verify=True):
                pass
        except BlobCorrupted:
            await self._quarantine(digest, found_by)
            return Verification(intact=False, quarantined=True, size=state.blob.size)
        return Verification(intact=True, quarantined=False, size=state.blob.size)

    async def _quarantine(self, digest: str, found_by: str) -> None:
        await self._store.quarantine(digest)
        record_quarantine(found_by)
        log.error("blob.quarantined", extra={"sha256": digest, "found_by": found_by})

    async def read(self, sha256: str, offset: int, length: int) -> AsyncIterator[bytes]:
        """The object's bytes from ``offset`` (``length`` 0: to the end; a longer length is
        cut at the end, as HTTP ranges are). A quarantined object, or one found altered,
        raises BlobCorrupted (DATA_LOSS) instead."""
        digest = checked_sha256(sha256)
        if offset < 0 or length < 0:
            raise InvalidArgument("offset and length must not be negative.")
        state, opened = await self._open(digest, offset, length)
        try:
            blob = state.blob
            if offset >= blob.size and not (offset == 0 and blob.size == 0):
                raise InvalidArgument(
                    f"Range starts at {offset}, past the end of the blob ({blob.size} bytes)."
                )
            if length == 0 or offset + length > blob.size:
                length = blob.size - offset
            whole = offset == 0 and length == blob.size
            if length == 0:
                return
            if looks_altered(state):
                # Re-hashed before a byte is served: the opened GET is not the bytes to send.
                if opened is not None:
                    await self._store.release(opened)
                    opened = None
                if not (await self.verify(digest, found_by="read")).intact:
                    raise BlobCorrupted(corrupted_message(digest))
            if opened is not None:
                chunks = self._store.stream(opened, digest, self._chunk_size, verify=whole)
                opened = None  # stream releases it
            else:
                chunks = self._store.read(digest, offset, length, self._chunk_size, verify=whole)
            try:
                async for chunk in chunks:
                    yield chunk
            except NotFound:
                # Deleted between the stat and the read.
                raise NotFound(f"Blob {digest} not found.") from None
            except BlobCorrupted:
                # Altered below S3 (its records still agree): noticed by this whole read.
                await self._quarantine(digest, "read")
                raise BlobCorrupted(corrupted_message(digest)) from None
        finally:
            if opened is not None:
                await self._store.release(opened)

    async def _open(
        self, digest: str, offset: int, length: int
    ) -> tuple[ObjectState, urllib3.BaseHTTPResponse | None]:
        """S3's record of the object and, for a read from its first byte (a whole download,
        a small file read whole), the GET already answering it: that GET's headers carry the
        same record, so no HEAD goes before it. Other ranges ask with a HEAD first."""
        if offset == 0:
            try:
                opened = await self._store.open_read(digest, length)
            except RangeUnanswered:
                return await self._state(digest), None
            if opened is None:
                await self._state(digest)  # quarantined (DATA_LOSS) or NotFound
                raise NotFound(f"Blob {digest} not found.")
            return opened
        return await self._state(digest), None

    async def delete(self, sha256: str, older_than: float = 0) -> bool:
        """Remove the object; with ``older_than`` > 0 only when it was last written (or
        touched) more than that many seconds ago, so a just-deduplicated upload survives."""
        digest = checked_sha256(sha256)
        if older_than > 0:
            return await self._store.delete_if_older(digest, older_than)
        return await self._store.delete(digest)

    async def list_page(
        self, page_token: str, page_size: int, *, quarantined: bool = False
    ) -> tuple[list[ListedObject], str]:
        if page_token and not page_token.startswith(self._store.list_root(quarantined)):
            raise InvalidArgument("Invalid page token.")
        size = page_size if 0 < page_size <= LIST_PAGE_SIZE else LIST_PAGE_SIZE
        return await self._store.list_page(page_token, size, quarantined=quarantined)
