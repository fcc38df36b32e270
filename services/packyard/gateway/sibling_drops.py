"""Drops of cached pages shared at once between the workers of one gateway.

A gateway of several workers (workers.py) is one server to its users: a project page fetched
just after an upload or a deletion through the same URL must show it, whichever worker answers.
Each worker also learns of every change from its change event, but that takes milliseconds,
and a client that uploads, then reads at once on another connection, lands on another worker
within them. So a worker that changed something writes the (feed, project) it dropped into a
small ring in memory shared by all the workers (made by the supervisor before it forks); every
worker reads the ring's new entries before it looks into or stores in its page cache, and
drops the same pages. Reading costs one 8-byte comparison when nothing changed.

A worker that fell more than a ring behind (or met a name too long for a slot) drops all its
pages instead: correctness never depends on the ring's size.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import struct
from collections.abc import Iterator

SLOTS = 1024
SLOT_BYTES = 512
_COUNTER = struct.Struct("<Q")
_LENGTH = struct.Struct("<H")
_HEADER = 64  # the counter, alone on its cache line
# The lock is held for microseconds; a worker killed while holding it would hold it for ever.
# Past this wait a writer leaves the news to the change event and a reader drops its whole
# cache: slower, never wrong, and no worker's event loop waits on a dead one.
LOCK_WAIT = 0.05


class SiblingDrops:
    """The ring; made before the fork, so every worker maps the same memory and lock."""

    def __init__(self) -> None:
        self._memory = mmap.mmap(-1, _HEADER + SLOTS * SLOT_BYTES)  # shared, anonymous
        self._lock = multiprocessing.get_context("fork").Lock()

    def written(self) -> int:
        """How many drops were ever published (read without the lock: 8 aligned bytes)."""
        return int(_COUNTER.unpack_from(self._memory, 0)[0])

    def publish(self, feed: str, project: str) -> None:
        """Tell the other workers that this worker dropped (feed, project) ("" = the feed)."""
        entry = f"{os.getpid()}\n{feed}\n{project}".encode()
        if len(entry) > SLOT_BYTES - _LENGTH.size:
            entry = b""  # read as "drop everything"
        if not self._lock.acquire(timeout=LOCK_WAIT):
            return  # see LOCK_WAIT: the change event still reaches the other workers
        try:
            written = self.written()
            offset = _HEADER + (written % SLOTS) * SLOT_BYTES
            _LENGTH.pack_into(self._memory, offset, len(entry))
            self._memory[offset + _LENGTH.size : offset + _LENGTH.size + len(entry)] = entry
            _COUNTER.pack_into(self._memory, 0, written + 1)
        finally:
            self._lock.release()

    def read_since(self, seen: int) -> tuple[int, list[tuple[str, str, str] | None]]:
        """The count written now and the entries (pid, feed, project) after the first ``seen``;
        ``[None]`` ("drop everything") when they cannot be read: overwritten already, or the
        lock not had within ``LOCK_WAIT``."""
        if not self._lock.acquire(timeout=LOCK_WAIT):
            return self.written(), [None]
        try:
            written = self.written()
            if written - seen > SLOTS:
                return written, [None]
            return written, [_entry(self._memory, n) for n in range(seen, written)]
        finally:
            self._lock.release()

    def reader(self) -> SiblingReader:
        """A reader that starts at the ring's present end (one per worker)."""
        return SiblingReader(self, self.written())


class SiblingReader:
    def __init__(self, ring: SiblingDrops, seen: int) -> None:
        self._ring = ring
        self._seen = seen

    def news(self) -> Iterator[tuple[str, str] | None]:
        """The drops published since the last call, oldest first; None means "drop all"."""
        if self._ring.written() == self._seen:  # the common case, without the lock
            return
        self._seen, entries = self._ring.read_since(self._seen)
        me = str(os.getpid())
        for entry in entries:
            if entry is None or entry[0] != me:  # this worker's own drops are done already
                yield None if entry is None else (entry[1], entry[2])


def _entry(memory: mmap.mmap, number: int) -> tuple[str, str, str] | None:
    offset = _HEADER + (number % SLOTS) * SLOT_BYTES
    (length,) = _LENGTH.unpack_from(memory, offset)
    if length == 0:
        return None
    start = offset + _LENGTH.size
    pid, feed, project = memory[start : start + length].decode().split("\n", 2)
    return pid, feed, project
