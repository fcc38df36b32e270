"""Scrubbing: re-hash every stored object at a bounded rate, so bit rot and tampering are
found before a client asks for the bytes.

The blob service does the hashing (VerifyBlob) and quarantines an object whose bytes no
longer match its key; this side paces the pass, and reports each finding in the log, the
metrics and the audit log (which the metadata service owns).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import asyncpg

from packyard.common.errors import NotFound
from packyard.common.metrics import record_scrubbed
from packyard.metadata.gc.blobs import BlobClient
from packyard.metadata.gc.references import audited_quarantines, insert_audit, try_lock

log = logging.getLogger(__name__)

SCRUB_LOCK = 0x70797363  # "pysc"
ACTOR = "packyard-scrubber"


@dataclass
class ScrubPass:
    checked: int = 0
    bytes: int = 0
    quarantined: list[str] = field(default_factory=list)
    locked_out: bool = False


def pause_after(size: int, bytes_per_second: float, objects_per_minute: float) -> float:
    """Seconds to wait after verifying one object of ``size`` bytes to stay within both rates
    (a rate of 0 is no limit)."""
    by_bytes = size / bytes_per_second if bytes_per_second > 0 else 0.0
    by_count = 60.0 / objects_per_minute if objects_per_minute > 0 else 0.0
    return max(by_bytes, by_count)


class Scrubber:
    def __init__(
        self,
        pool: asyncpg.Pool,
        blobs: BlobClient,
        *,
        bytes_per_second: float,
        objects_per_minute: float,
    ) -> None:
        self._pool = pool
        self._blobs = blobs
        self.bytes_per_second = bytes_per_second
        self.objects_per_minute = objects_per_minute

    async def run(self) -> ScrubPass:
        """One pass over the bucket."""
        result = ScrubPass()
        async with self._pool.acquire() as lock_conn, lock_conn.transaction():
            if not await try_lock(lock_conn, SCRUB_LOCK):
                result.locked_out = True
                return result
            async for listed in self._blobs.objects():
                try:
                    verified = await self._blobs.verify(listed.sha256)
                except NotFound:
                    continue  # collected meanwhile
                result.checked += 1
                result.bytes += verified.size
                record_scrubbed(verified.intact)
                if not verified.intact:
                    result.quarantined.append(listed.sha256)
                    await self._report(listed.sha256, listed.size)
                await asyncio.sleep(
                    pause_after(verified.size, self.bytes_per_second, self.objects_per_minute)
                )
            await self._report_found_by_reads()
        log.info(
            "scrub.finished",
            extra={
                "checked": result.checked,
                "bytes": result.bytes,
                "quarantined": len(result.quarantined),
            },
        )
        return result

    async def _report(self, sha256: str, size: int, found_by: str = "the scrubber") -> None:
        log.error("scrub.blob_quarantined", extra={"sha256": sha256, "size": size})
        async with self._pool.acquire() as conn:
            await insert_audit(
                conn,
                ACTOR,
                "blob.quarantined",
                sha256,
                f"Stored bytes failed their sha256 check ({found_by}); the object was quarantined.",
            )

    async def _report_found_by_reads(self) -> None:
        """Audit objects a download found altered (the blob service quarantined them and
        logged it, but has no audit log of its own)."""
        async with self._pool.acquire() as conn:
            audited = await audited_quarantines(conn)
        async for listed in self._blobs.objects(quarantined=True):
            if listed.sha256 not in audited:
                await self._report(listed.sha256, listed.size, "found by a download")
