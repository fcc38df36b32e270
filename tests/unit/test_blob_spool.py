"""Spooling an upload to a temporary file: hashing, size limit, cleanup."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from packyard.blob.spool import spooled, too_large_message
from packyard.common.errors import InvalidArgument


def leftovers(spool: Path) -> list[str]:
    return [p.name for p in spool.iterdir()]


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_spooled_file_has_the_bytes_and_digests(tmp_path: Path) -> None:
    async with spooled(chunks(b"abc", b"", b"def"), str(tmp_path), 0) as upload:
        assert upload.path.read_bytes() == b"abcdef"
        assert upload.size == 6
        assert upload.digests.sha256 == hashlib.sha256(b"abcdef").hexdigest()
        assert upload.digests.md5 == hashlib.md5(b"abcdef").hexdigest()
    assert leftovers(tmp_path) == []


async def test_limit_is_checked_before_the_rest_is_read(tmp_path: Path) -> None:
    pulled: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            pulled.append(1)
            yield b"x" * 400

    with pytest.raises(InvalidArgument, match=r"^File too large\. Limit is 1000 bytes\.$"):
        async with spooled(endless(), str(tmp_path), 1000):
            pass
    assert len(pulled) == 3
    assert leftovers(tmp_path) == []


async def test_exactly_the_limit_is_fine(tmp_path: Path) -> None:
    async with spooled(chunks(b"x" * 10), str(tmp_path), 10) as upload:
        assert upload.size == 10


async def test_file_removed_when_the_block_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        async with spooled(chunks(b"data"), str(tmp_path), 0):
            raise RuntimeError("verification failed")
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (100 * 1024 * 1024, "File too large. Limit is 100 MB."),
        (512, "File too large. Limit is 512 bytes."),
    ],
)
def test_too_large_message(limit: int, message: str) -> None:
    assert too_large_message(limit) == message
