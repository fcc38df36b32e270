"""Copies of immutable blobs on the gateway's disk: once a file was served whole, the next
download is a file read, with no blob call at all (gateway → blob gRPC → S3 cost two hops and
an S3 HEAD and GET per download, whatever the file's size).

A blob is named by its sha256 and never changes, so a copy whose bytes were hashed to that
name before it was kept stays right for ever and needs no revalidation. Whether a file may be
served (deleted, yanked, blocked, its project quarantined) is the metadata answer's to decide,
and that answer precedes every download (the route's authorization and file lookup); the cache
only says where the bytes are. A copy is written under a temporary name and renamed into place
after its hash matched, so a reader never sees part of one.

Bounded by ``max_bytes`` (the worker's share of the gateway's budget, workers.py): the least
recently served copies are removed first. The directory belongs to this process (made at
start, removed at exit): several gateway processes never share an index of what is on disk.

The workers of one gateway share their copies (worker_shares.py): each has a directory of its
own under a root the supervisor made, and a worker that has no copy of a blob looks into its
siblings' directories and hard-links one it finds into its own. The link is its copy from then
on: a sibling that removes its name later frees nothing under this worker, and each worker
still removes only its own names, within its own share of the budget.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)


class BlobCache:
    def __init__(self, parent: str, max_bytes: int, *, shared_root: Path | None = None) -> None:
        self.max_bytes = max_bytes
        self._shared_root = shared_root
        if shared_root is None:
            self._dir = Path(tempfile.mkdtemp(prefix="packyard-blobs-", dir=parent or None))
        else:
            _remove_dead_siblings(shared_root)
            self._dir = Path(tempfile.mkdtemp(prefix=f"worker-{os.getpid()}-", dir=shared_root))
        self._sizes: OrderedDict[str, int] = OrderedDict()  # sha256 -> size, oldest use first
        self._filling: set[str] = set()
        self._used = 0

    def lookup(self, sha256: str) -> Path | None:
        """The copy of ``sha256`` if this gateway has one (counts as a use)."""
        if sha256 not in self._sizes:
            return self._from_siblings(sha256)
        self._sizes.move_to_end(sha256)
        return self._path(sha256)

    def _from_siblings(self, sha256: str) -> Path | None:
        """A sibling worker's copy, linked into this worker's directory (see the docstring)."""
        if self._shared_root is None or sha256 in self._filling:
            return None
        own = self._path(sha256)
        try:
            siblings = [e.path for e in os.scandir(self._shared_root) if e.path != str(self._dir)]
        except OSError:
            return None
        for sibling in siblings:
            try:
                os.link(os.path.join(sibling, sha256), own)
                size = own.stat().st_size
            except FileExistsError:
                own.unlink(missing_ok=True)  # not in the index: left by an earlier failure
                continue
            except OSError:
                continue  # not there, or removed by its owner just now
            self._keep(sha256, size)
            return own if sha256 in self._sizes else None
        return None

    def size(self, sha256: str) -> int | None:
        """The size of this gateway's copy of ``sha256``, if it has one."""
        return self._sizes.get(sha256)

    def drop(self, sha256: str) -> None:
        size = self._sizes.pop(sha256, None)
        if size is not None:
            self._used -= size
            self._path(sha256).unlink(missing_ok=True)

    def filling(self, sha256: str, size: int, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """``chunks`` (the whole blob, as served) passed through, and kept when they hash to
        ``sha256``. A blob larger than a quarter of the bound, or already being kept by another
        download, is passed through only."""
        if not self._may_keep(sha256, size):
            return chunks
        return self._fill(sha256, size, chunks)

    def _may_keep(self, sha256: str, size: int) -> bool:
        """Not kept or being kept already, and at most a quarter of the bound."""
        return (
            sha256 not in self._sizes
            and sha256 not in self._filling
            and size <= self.max_bytes // 4
        )

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

    async def keep_bytes(self, sha256: str, data: bytes) -> None:
        """Keep ``data`` (a whole blob already read, e.g. a core-metadata file) when it hashes
        to ``sha256`` and fits the rules of ``filling``."""
        size = len(data)
        if not self._may_keep(sha256, size) or hashlib.sha256(data).hexdigest() != sha256:
            return
        self._filling.add(sha256)
        try:
            partial = self._dir / f"{sha256}.part"
            await asyncio.to_thread(_write_atomically, partial, self._path(sha256), data)
        except OSError as exc:
            # A full or failing disk costs the copy, never the download.
            log.warning("blob_cache.write_failed", extra={"error": str(exc)})
            return
        finally:
            self._filling.discard(sha256)
        self._keep(sha256, size)

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


def _remove_dead_siblings(root: Path) -> None:
    """Directories of workers that died (a restarted worker starts a new one)."""
    for entry in os.scandir(root):
        pid = entry.name.split("-")[1] if entry.name.startswith("worker-") else ""
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(entry.path, ignore_errors=True)


def _open_for_writing(path: Path) -> IO[bytes]:
    return open(path, "xb")


def _write_atomically(partial: Path, final: Path, data: bytes) -> None:
    try:
        with _open_for_writing(partial) as out:
            out.write(data)
        partial.replace(final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
