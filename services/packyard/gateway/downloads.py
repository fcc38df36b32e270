"""Download counting off the download path: an in-memory tally flushed in batches.

A download adds one to a dict entry (no I/O, no await); a background task sends the tally to
CatalogService every few seconds. A failed flush keeps its counts for the next one, up to a
bound, so a metadata outage loses at most the counts beyond it and never slows a download.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable

import grpc

from packyard.rpc.v1 import catalog_pb2, catalog_pb2_grpc

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 2.0
# Distinct files waiting to be flushed; beyond this, new files are not counted until a flush
# succeeds (memory stays bounded whatever happens to the metadata service).
MAX_PENDING = 50_000
_BATCH = 5_000  # CatalogService accepts up to 10,000 counts per call

StubFactory = Callable[[], catalog_pb2_grpc.CatalogServiceStub]


class DownloadCounter:
    def __init__(
        self, stub: StubFactory, *, interval: float = FLUSH_INTERVAL, timeout: float = 10.0
    ) -> None:
        self._stub = stub
        self._interval = interval
        self._timeout = timeout
        self._pending: Counter[tuple[str, str]] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def pending(self) -> int:
        return sum(self._pending.values())

    def add(self, feed: str, filename: str) -> None:
        key = (feed, filename)
        if key not in self._pending and len(self._pending) >= MAX_PENDING:
            return
        self._pending[key] += 1
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.flush()

    async def flush(self) -> int:
        """Send what was counted; returns the downloads the catalog recorded."""
        async with self._lock:
            batch, self._pending = self._pending, Counter()
            recorded = 0
            items = list(batch.items())
            for start in range(0, len(items), _BATCH):
                chunk = items[start : start + _BATCH]
                try:
                    recorded += await self._send(chunk)
                except (grpc.aio.AioRpcError, OSError) as exc:
                    log.warning("downloads.flush_failed", extra={"error": type(exc).__name__})
                    for key, count in items[start:]:
                        if key in self._pending or len(self._pending) < MAX_PENDING:
                            self._pending[key] += count
                    break
            return recorded

    async def _send(self, chunk: list[tuple[tuple[str, str], int]]) -> int:
        reply = await self._stub().RecordDownloads(
            catalog_pb2.RecordDownloadsRequest(
                counts=[
                    catalog_pb2.DownloadCount(feed=feed, filename=filename, count=count)
                    for (feed, filename), count in chunk
                ]
            ),
            timeout=self._timeout,
        )
        return int(reply.recorded)

    async def close(self) -> None:
        """Stop the background task and flush once more."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._pending:
            await self.flush()
