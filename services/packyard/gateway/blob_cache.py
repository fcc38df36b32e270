"""Copies of immutable blobs on the gateway's disk: a download is then one StatBlob call and a
file read, instead of every byte crossing gateway → blob (gRPC) → S3.

A blob is named by its sha256 and never changes, so a copy whose bytes were hashed to that
name while it was written stays right for ever. What may change is whether it may be served:
its object may be deleted (garbage collection) or quarantined (the stored bytes failed their
hash). So a route asks the blob service for the object's state before it serves a copy
(``StatBlob``: not found → 404, DATA_LOSS → 502) and drops the copy when that fails; a copy
never outlives its object. Ranges are read from the blob service as before.

Bounded by ``max_bytes``: the least recently served copies are removed first. The directory
belongs to this process (made at start, removed at exit): several gateway processes never
share an index of what is on disk.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)


class BlobCache:
    def __init__(self, parent: str, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._dir = Path(tempfile.mkdtemp(prefix="packyard-blobs-", dir=parent or None))
        self._sizes: OrderedDict[str, int] = OrderedDict()  # sha256 -> size, oldest use first
        self._filling: set[str] = set()
        self._used = 0

    def lookup(self, sha256: str) -> Path | None:
        """The copy of ``sha256`` if this gateway has one (counts as a use)."""
        if sha256 not in self._sizes:
            return None
        self._sizes.move_to_end(sha256)
        return self._path(sha256)

    def drop(self, sha256: str) -> None:
        size = self._sizes.pop(sha256, None)
        if size is not None:
            self._used -= size
            self._path(sha256).unlink(missing_ok=True)

    def filling(self, sha256: str, size: int, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """``chunks`` (the whole blob, as served) passed through, and kept when they hash to
        ``sha256``. A blob larger than a quarter of the bound, or already being kept by another
        download, is passed through only."""
        if sha256 in self._sizes or sha256 in self._filling or size > self.max_bytes // 4:
            return chunks
        return self._fill(sha256, size, chunks)

    async def _fill(
        self, sha256: str, size: int, chunks: AsyncIterator[bytes]
    ) -> AsyncIterator[bytes]:
        self._filling.add(sha256)
        partial = self._dir / f"{sha256}.part"
        out = _open_for_writing(partial)
        digest, written, complete = hashlib.sha256(), 0, False
        try:
            async for chunk in chunks:
                # Written to the OS's page cache; the event loop is not held for long.
                out.write(chunk)
                digest.update(chunk)
                written += len(chunk)
                yield chunk
            complete = True
        finally:
            out.close()
            self._filling.discard(sha256)
            if complete and written == size and digest.hexdigest() == sha256:
                partial.replace(self._path(sha256))
                self._keep(sha256, size)
            else:
                # An aborted download or bytes that do not match their name: never kept.
                partial.unlink(missing_ok=True)

    def _keep(self, sha256: str, size: int) -> None:
        self._sizes[sha256] = size
        self._used += size
        while self._used > self.max_bytes and self._sizes:
            oldest = next(iter(self._sizes))
            self.drop(oldest)

    def _path(self, sha256: str) -> Path:
        return self._dir / sha256

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
        self._sizes.clear()
        self._used = 0


def _open_for_writing(path: Path) -> IO[bytes]:
    return open(path, "xb")
