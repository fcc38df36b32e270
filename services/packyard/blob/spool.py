"""Spooling an upload to a local temporary file while hashing it and enforcing its size limit.

Memory stays at one chunk whatever the file size; the file is removed when the block exits,
however it exits (error, limit, client cancel).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from packyard.blob.digests import Digests, Hasher
from packyard.common.errors import InvalidArgument

ONE_MIB = 1024 * 1024


@dataclass(frozen=True)
class SpooledFile:
    path: Path
    size: int
    digests: Digests


def too_large_message(max_size: int) -> str:
    limit = f"{max_size // ONE_MIB} MB" if max_size >= ONE_MIB else f"{max_size} bytes"
    return f"File too large. Limit is {limit}."


def _write_and_hash(out: BinaryIO, hasher: Hasher, chunk: bytes) -> None:
    # One thread hop per chunk: hashlib and file writes release the GIL for large buffers.
    out.write(chunk)
    hasher.update(chunk)


@contextlib.asynccontextmanager
async def spooled(
    chunks: AsyncIterable[bytes], spool_dir: str | None, max_size: int
) -> AsyncIterator[SpooledFile]:
    """Write ``chunks`` to a temporary file; ``max_size`` 0 means no limit.

    Raises InvalidArgument as soon as the stream goes over ``max_size``, without reading on.
    """
    fd, name = tempfile.mkstemp(prefix="packyard-upload-", dir=spool_dir)
    path = Path(name)
    try:
        hasher = Hasher()
        size = 0
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if max_size and size > max_size:
                    raise InvalidArgument(too_large_message(max_size))
                await asyncio.to_thread(_write_and_hash, out, hasher, chunk)
        yield SpooledFile(path=path, size=size, digests=hasher.digests())
    finally:
        # Synchronous on purpose: an unlink is cheap, and an await here could be cancelled
        # a second time and leave the file behind.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
