"""What the blob service does, in plain async Python: no gRPC types here."""

from __future__ import annotations

import asyncio
import logging
import zipfile
import zlib
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from packyard.blob.digests import DIGEST_MISMATCH, Digests, checked_sha256, digests_of
from packyard.blob.spool import spooled
from packyard.blob.store import BlobStore, StoredBlob
from packyard.common.errors import InvalidArgument, NotFound
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


@dataclass(frozen=True)
class PutResult:
    blob: StoredBlob
    created: bool  # False: an identical object was already stored
    core_metadata: StoredBlob | None  # the wheel's METADATA object


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
            if filename.lower().endswith(".whl"):
                # Stored before the wheel, so a stored wheel always has its METADATA object.
                core_metadata = await self._store_wheel_metadata(upload.path)
            created = await self._store_once(blob, upload.path)
        log.info(
            "blob.stored",
            extra={"sha256": blob.digests.sha256, "size": blob.size, "new_object": created},
        )
        return PutResult(blob=blob, created=created, core_metadata=core_metadata)

    async def _store_wheel_metadata(self, path: Path) -> StoredBlob | None:
        data = await asyncio.to_thread(_wheel_metadata, path)
        if data is None:
            return None
        metadata = StoredBlob(size=len(data), digests=digests_of(data))
        await self._store_once(metadata, data)
        return metadata

    async def _store_once(self, blob: StoredBlob, source: Path | bytes) -> bool:
        # Content addressing makes an existing object under the key identical to ours.
        return await self._store.put_new(blob, source)

    async def stat(self, sha256: str) -> StoredBlob:
        digest = checked_sha256(sha256)
        blob = await self._store.stat(digest)
        if blob is None:
            raise NotFound(f"Blob {digest} not found.")
        return blob

    async def read(self, sha256: str, offset: int, length: int) -> AsyncIterator[bytes]:
        """The object's bytes from ``offset`` (``length`` 0: to the end; a longer length is
        cut at the end, as HTTP ranges are)."""
        blob = await self.stat(sha256)
        if offset < 0 or length < 0:
            raise InvalidArgument("offset and length must not be negative.")
        if offset >= blob.size and not (offset == 0 and blob.size == 0):
            raise InvalidArgument(
                f"Range starts at {offset}, past the end of the blob ({blob.size} bytes)."
            )
        if length == 0 or offset + length > blob.size:
            length = blob.size - offset
        whole = offset == 0 and length == blob.size
        if length == 0:
            return
        try:
            async for chunk in self._store.read(
                blob.digests.sha256, offset, length, self._chunk_size, verify=whole
            ):
                yield chunk
        except NotFound:
            # Deleted between the stat and the read.
            raise NotFound(f"Blob {blob.digests.sha256} not found.") from None

    async def delete(self, sha256: str) -> bool:
        return await self._store.delete(checked_sha256(sha256))
