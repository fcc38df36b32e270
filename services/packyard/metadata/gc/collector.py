"""Garbage collection: remove objects no row references, once they are old enough.

Safety against uploads in flight rests on the grace period. An upload stores its object
first and registers the file row after, so an object younger than the grace is never
removed, whether or not a row names it yet. A deduplicated upload reuses an existing object:
the blob service touches it (resetting its age), and DeleteBlob re-checks the age at the
moment of deletion, so an object touched after the listing survives too. The references are
read after the listing, so a row committed while the bucket was being listed still counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import asyncpg

from packyard.common.errors import NotFound
from packyard.common.metrics import record_collected
from packyard.metadata.gc.blobs import BlobClient, Listed
from packyard.metadata.gc.references import (
    insert_audit,
    prune_deleted,
    referenced_digests,
    try_lock,
)

log = logging.getLogger(__name__)

# pg advisory lock keys: one collector and one scrubber per database.
GC_LOCK = 0x70796763  # "pygc"
ACTOR = "packyard-gc"


@dataclass(frozen=True)
class Census:
    objects: int
    bytes: int
    referenced: int
    unreferenced: int
    unreferenced_bytes: int
    young: int  # unreferenced but inside the grace period

    def line(self) -> str:
        return (
            f"objects={self.objects} bytes={self.bytes} referenced={self.referenced} "
            f"unreferenced={self.unreferenced} ({self.unreferenced_bytes} bytes, "
            f"{self.young} within the grace period)"
        )


@dataclass
class Collection:
    """One run: the census before, what would go (dry run) or went."""

    census: Census
    candidates: list[Listed] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    dry_run: bool = False
    locked_out: bool = False  # another replica holds the lock; nothing was done


def take_census(listed: list[Listed], referenced: set[str], grace: float) -> Census:
    unreferenced = [b for b in listed if b.sha256 not in referenced]
    return Census(
        objects=len(listed),
        bytes=sum(b.size for b in listed),
        referenced=len(listed) - len(unreferenced),
        unreferenced=len(unreferenced),
        unreferenced_bytes=sum(b.size for b in unreferenced),
        young=sum(1 for b in unreferenced if b.age_seconds <= grace),
    )


def collectable(listed: list[Listed], referenced: set[str], grace: float) -> list[Listed]:
    """Objects no row references whose last write is older than ``grace`` seconds."""
    return [b for b in listed if b.sha256 not in referenced and b.age_seconds > grace]


class GarbageCollector:
    def __init__(
        self, pool: asyncpg.Pool, blobs: BlobClient, *, grace: float, retention: float
    ) -> None:
        self._pool = pool
        self._blobs = blobs
        self.grace = grace
        self.retention = retention

    async def census(self) -> Census:
        listed = [b async for b in self._blobs.objects()]
        async with self._pool.acquire() as conn:
            referenced = await referenced_digests(conn, self.retention)
        return take_census(listed, referenced, self.grace)

    async def run(self, *, dry_run: bool = False) -> Collection:
        async with self._pool.acquire() as lock_conn, lock_conn.transaction():
            if not await try_lock(lock_conn, GC_LOCK):
                log.info("gc.skipped_locked")
                return Collection(census=Census(0, 0, 0, 0, 0, 0), locked_out=True)
            # Listing first, references second: see the module docstring.
            listed = [b async for b in self._blobs.objects()]
            async with self._pool.acquire() as conn:
                referenced = await referenced_digests(conn, self.retention)
            result = Collection(
                census=take_census(listed, referenced, self.grace),
                candidates=collectable(listed, referenced, self.grace),
                dry_run=dry_run,
            )
            if dry_run:
                return result
            for blob in result.candidates:
                try:
                    deleted = await self._blobs.delete(blob.sha256, int(self.grace))
                except NotFound:
                    continue
                if deleted:
                    result.removed.append(blob.sha256)
            await prune_deleted(lock_conn, self.retention)
            if result.removed:
                await insert_audit(
                    lock_conn,
                    ACTOR,
                    "blob.collected",
                    f"{len(result.removed)} objects",
                    f"{sum(b.size for b in result.candidates if b.sha256 in result.removed)} bytes",
                )
        record_collected("unreferenced", len(result.removed))
        log.info(
            "gc.finished",
            extra={
                "objects": result.census.objects,
                "unreferenced": result.census.unreferenced,
                "removed": len(result.removed),
            },
        )
        return result
