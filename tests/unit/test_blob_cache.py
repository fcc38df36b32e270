"""The gateway's local copies of blobs: kept only when the bytes hash to their name, bounded,
and dropped on request."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

from packyard.gateway.blob_cache import BlobCache


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 7):
        yield data[start : start + 7]


def _serve(cache: BlobCache, sha256: str, data: bytes) -> bytes:
    async def run() -> bytes:
        return b"".join([c async for c in cache.filling(sha256, len(data), _chunks(data))])

    return asyncio.run(run())


def test_a_copy_is_kept_after_a_whole_read_and_matches(tmp_path: Path) -> None:
    cache = BlobCache(str(tmp_path), 1000)
    data = b"wheel bytes" * 5
    sha = hashlib.sha256(data).hexdigest()
    assert cache.lookup(sha) is None
    assert _serve(cache, sha, data) == data
    local = cache.lookup(sha)
    assert local is not None and local.read_bytes() == data
    cache.drop(sha)
    assert cache.lookup(sha) is None and not local.exists()


def test_bytes_that_do_not_match_their_name_are_passed_on_but_never_kept(tmp_path: Path) -> None:
    cache = BlobCache(str(tmp_path), 1000)
    data = b"rotten" * 5
    wrong = hashlib.sha256(b"other").hexdigest()
    assert _serve(cache, wrong, data) == data
    assert cache.lookup(wrong) is None
    assert not list(Path(tmp_path).glob("*/*"))


def test_the_least_recently_served_copy_goes_first(tmp_path: Path) -> None:
    cache = BlobCache(str(tmp_path), 100)
    blobs = [bytes([n]) * 25 for n in range(3)]
    shas = [hashlib.sha256(b).hexdigest() for b in blobs]
    for sha, data in zip(shas[:2], blobs[:2], strict=True):
        _serve(cache, sha, data)
    cache.lookup(shas[0])  # used again: the second is now the oldest
    for n in range(3, 5):
        data = bytes([n]) * 25
        _serve(cache, hashlib.sha256(data).hexdigest(), data)
    _serve(cache, shas[2], blobs[2])
    assert cache.lookup(shas[1]) is None
    assert cache.lookup(shas[0]) is not None


def test_close_removes_the_directory(tmp_path: Path) -> None:
    cache = BlobCache(str(tmp_path), 1000)
    data = b"x" * 10
    _serve(cache, hashlib.sha256(data).hexdigest(), data)
    cache.close()
    assert not list(Path(tmp_path).iterdir())


def test_bytes_in_hand_are_kept_only_when_they_match_their_name(tmp_path: Path) -> None:
    cache = BlobCache(str(tmp_path), 1000)
    data = b"Metadata-Version: 2.4\nName: demo\n"
    sha = hashlib.sha256(data).hexdigest()
    wrong = hashlib.sha256(b"other").hexdigest()
    asyncio.run(cache.keep_bytes(wrong, data))
    assert cache.lookup(wrong) is None
    asyncio.run(cache.keep_bytes(sha, data))
    local = cache.lookup(sha)
    assert local is not None and local.read_bytes() == data
    # Written under a temporary name, renamed when complete: nothing else is left.
    assert [p.name for p in local.parent.iterdir()] == [sha]


# -- copies shared by the workers of one gateway (worker_shares.py; issue 13) ----------------


def test_a_copy_one_worker_kept_serves_the_other(tmp_path: Path) -> None:
    first = BlobCache("", 1000, shared_root=tmp_path)
    second = BlobCache("", 1000, shared_root=tmp_path)
    data = b"wheel bytes" * 5
    sha = hashlib.sha256(data).hexdigest()
    assert second.lookup(sha) is None
    _serve(first, sha, data)
    linked = second.lookup(sha)
    assert linked is not None and linked.read_bytes() == data
    assert second.size(sha) == len(data)
    # The link is the second worker's own copy: the first removing its name changes nothing.
    first.drop(sha)
    assert second.lookup(sha) == linked and linked.read_bytes() == data


def test_each_worker_keeps_its_own_budget(tmp_path: Path) -> None:
    first = BlobCache("", 100, shared_root=tmp_path)
    second = BlobCache("", 100, shared_root=tmp_path)
    blobs = [bytes([n]) * 20 for n in range(3)]
    digests = [hashlib.sha256(b).hexdigest() for b in blobs]
    for sha, data in zip(digests, blobs, strict=True):
        _serve(first, sha, data)
    for sha in digests:
        assert second.lookup(sha) is not None
    # The second worker's budget holds 5 copies of 20 bytes (a quarter of 100 each is the
    # largest it keeps): a sixth blob pushes out its least recently used one, in its
    # directory only.
    extra = [bytes([n]) * 20 for n in range(3, 6)]
    for data in extra:
        _serve(second, hashlib.sha256(data).hexdigest(), data)
    assert second.lookup(digests[0]) is not None  # linked again from the first worker
    assert all(first.lookup(sha) is not None for sha in digests)


def test_a_half_written_copy_of_a_sibling_is_never_taken(tmp_path: Path) -> None:
    first = BlobCache("", 1000, shared_root=tmp_path)
    second = BlobCache("", 1000, shared_root=tmp_path)
    data = b"wheel bytes" * 5
    sha = hashlib.sha256(data).hexdigest()
    (first._dir / f"{sha}.part").write_bytes(data[:10])  # a download still arriving
    assert second.lookup(sha) is None


def test_the_directories_of_dead_workers_are_removed_by_a_new_one(tmp_path: Path) -> None:
    dead = tmp_path / "worker-999999999-abc"
    dead.mkdir()
    (dead / ("0" * 64)).write_bytes(b"orphan")
    alive = BlobCache("", 1000, shared_root=tmp_path)
    assert not dead.exists()
    assert alive.lookup("0" * 64) is None
