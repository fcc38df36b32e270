"""Pages one worker of a gateway loaded, offered to its other workers.

Each worker (workers.py) keeps its own page cache, and the kernel hands a client's connection
to any of them: a pip run whose connection lands on the worker that did not serve the last
run met a cold cache, and paid a metadata round trip for every page and file row (the bench's
pip and uv rows swung between about 1x and 2.4x nginx from run to run; issue 13). Now a
worker that keeps a page also writes it here, a file per page in a directory the supervisor
makes before it forks (removed when it exits), and a worker that does not have a page looks
here before it loads it.

A page found here is used only if it may be: it was read (its ``Ticket``'s time, on the host's
monotonic clock, which every process shares) after the last drop of its project or feed that
this worker knows of, and it is younger than the page cache's TTL. So it is never older than
what the worker's own cache could have kept; a worker that has not yet heard of a change
would have served its own copy just the same. Files are written whole and renamed into place
(a reader never sees half a page); pages older than the TTL are swept away, and the directory
is kept under the page cache's memory budget, oldest first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import queue
import shutil
import struct
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PageKey = tuple[str, str, str]

_MAGIC = b"PKP3"
_MAX_QUEUED = 1000
# magic, read_at, basis (-1: none), renewable, length of the media type and of the headers
_HEAD = struct.Struct("<4sdq?HI")


def _name(key: PageKey) -> str:
    return hashlib.sha256("\0".join(key).encode()).hexdigest()


@dataclass(frozen=True)
class SharedPage:
    """A page as page_cache.py keeps it, and when its data was read."""

    read_at: float
    basis: int | None  # the feed's change serial read before the page (page_cache.py)
    body: bytes
    media_type: str
    headers: Mapping[str, str]
    renewable: bool = False


def encode(page: SharedPage) -> bytes:
    media = page.media_type.encode()
    headers = json.dumps(dict(page.headers)).encode()
    basis = -1 if page.basis is None else page.basis
    head = _HEAD.pack(_MAGIC, page.read_at, basis, page.renewable, len(media), len(headers))
    return b"".join([head, media, headers, page.body])


def decode(data: bytes) -> SharedPage | None:
    """The page in ``data``, or None for anything that is not one written by ``encode``."""
    try:
        magic, read_at, basis, renewable, media_len, headers_len = _HEAD.unpack_from(data)
        if magic != _MAGIC:
            return None
        start = _HEAD.size
        media = data[start : start + media_len].decode()
        headers = json.loads(data[start + media_len : start + media_len + headers_len])
    except (struct.error, ValueError):
        return None
    body = data[start + media_len + headers_len :]
    basis_or_none = None if basis < 0 else basis
    return SharedPage(read_at, basis_or_none, body, media, headers, renewable)


class SharedPages:
    def __init__(
        self, directory: Path, ttl: float, max_bytes: int, *, background: bool = True
    ) -> None:
        self.directory = directory
        self._ttl = ttl
        self._max_bytes = max_bytes
        self._next_sweep = 0.0
        # Writes leave the event loop: a page load keeps up to 100 file rows besides the page,
        # and writing them inline held a worker's loop for milliseconds (a p99 step every
        # reload). One writer thread per worker, started on its first offer (after the fork);
        # a full queue drops the offer (the other workers then load the page themselves).
        self._background = background
        self._queue: queue.Queue[tuple[Path, bytes, float]] | None = None
        self._writer_pid = 0

    @classmethod
    def create(cls, parent: str, ttl: float, max_bytes: int) -> SharedPages:
        """A new directory (owner only) under ``parent`` ("" = the system's temporary one)."""
        directory = Path(tempfile.mkdtemp(prefix="packyard-pages-", dir=parent or None))
        return cls(directory, ttl, max_bytes)

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def offer(self, key: PageKey, page: SharedPage, now: float) -> None:
        """Write ``page`` for the other workers (in the background); never raises."""
        item = (self.directory / _name(key), encode(page), now)
        if not self._background:
            self._write(*item)
            return
        if self._queue is None or self._writer_pid != os.getpid():
            self._queue, self._writer_pid = queue.Queue(_MAX_QUEUED), os.getpid()
            threading.Thread(
                target=self._write_queued, args=(self._queue,), daemon=True,
                name="packyard-shared-pages",
            ).start()  # fmt: skip
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(item)

    def _write_queued(self, items: queue.Queue[tuple[Path, bytes, float]]) -> None:
        while True:
            self._write(*items.get())

    def _write(self, path: Path, data: bytes, now: float) -> None:
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            temporary.write_bytes(data)
            os.replace(temporary, path)
        except OSError as exc:
            log.debug("shared_pages.write_failed", extra={"error": str(exc)})
            temporary.unlink(missing_ok=True)
        if now >= self._next_sweep:
            self._next_sweep = now + max(self._ttl, 1.0)
            self.sweep()

    def take(self, key: PageKey, *, read_after: float, now: float) -> SharedPage | None:
        """The page under ``key`` if it was read after ``read_after`` and is younger than the
        TTL; else None."""
        try:
            data = (self.directory / _name(key)).read_bytes()
        except OSError:
            return None
        page = decode(data)
        if page is None or page.read_at <= read_after or page.read_at + self._ttl <= now:
            return None
        return page

    def sweep(self) -> None:
        """Remove pages past the TTL (and half-written files of a killed worker), then the
        oldest until the directory fits the budget."""
        # Files carry their modification time (wall clock): a page written more than a TTL
        # ago can no longer be taken by anyone.
        cutoff = time.time() - self._ttl - 1.0
        kept: list[tuple[float, int, Path]] = []
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            return
        for entry in entries:
            try:
                stat = entry.stat()
            except OSError:
                continue
            path = Path(entry.path)
            if stat.st_mtime < cutoff:
                path.unlink(missing_ok=True)
            else:
                kept.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in kept)
        for _, size, path in sorted(kept):
            if total <= self._max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
