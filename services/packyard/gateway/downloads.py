"""Download counting off the download path: an in-memory tally flushed in batches.

The file route counts (``count``); the UI shows the totals CatalogService keeps. The gateway's
lifespan owns the one counter and flushes it at shutdown.

A download adds one to a dict entry (no I/O, no await); a background task sends the tally to
CatalogService every few seconds. A failed flush keeps its counts for the next one, up to a
bound, so a metadata outage loses at most the counts beyond it and never slows a download.

Each flush is a trace of its own (a ``downloads.flush`` span), linked to the requests whose
downloads it records (a few of them), never a part of the request that started the task.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import Counter

from opentelemetry import trace
from packyard_rpc.v1 import catalog_pb2, common_pb2

from packyard.common.errors import PackyardError
from packyard.common.telemetry import tracer
from packyard.gateway.clients.catalog import CatalogClient

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 2.0
# Distinct files waiting to be flushed; beyond this, new files are not counted until a flush
# succeeds (memory stays bounded whatever happens to the metadata service).
MAX_PENDING = 50_000
_BATCH = 5_000  # CatalogService accepts up to 10,000 counts per call
# Requests a flush's span links to: enough to find examples, bounded per span.
MAX_LINKS = 16


class DownloadCounter:
    def __init__(self, catalog: CatalogClient, *, interval: float = FLUSH_INTERVAL) -> None:
        self._catalog = catalog
        self._interval = interval
        self._pending: Counter[tuple[str, str]] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._links: list[trace.Link] = []

    @property
    def pending(self) -> int:
        return sum(self._pending.values())

    def count(self, method: str, status: int, info: common_pb2.FileInfo, sha256: str) -> None:
        """Count a download answered in full (200 to a GET of the file itself).

        Range requests (uv and pip reading a wheel's metadata), HEAD and .metadata files are
        not downloads.
        """
        if method == "GET" and status == 200 and sha256 == info.hashes.sha256:
            self.add(info.feed, info.filename)

    def add(self, feed: str, filename: str) -> None:
        key = (feed, filename)
        if key not in self._pending and len(self._pending) >= MAX_PENDING:
            return
        self._pending[key] += 1
        if len(self._links) < MAX_LINKS:
            counted_in = trace.get_current_span().get_span_context()
            if counted_in.is_valid and counted_in.trace_flags.sampled:
                self._links.append(trace.Link(counted_in))
        if self._task is None:
            # The flusher outlives the request that starts it, so it must not inherit that
            # request's context: its principal token (clients/principal.py) soon expires, and
            # recording downloads acts for nobody.
            self._task = asyncio.get_running_loop().create_task(
                self._run(), context=contextvars.Context()
            )

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.flush()

    async def flush(self) -> int:
        """Send what was counted, in a trace of its own; returns the downloads recorded."""
        if not self._pending:
            return 0  # no empty trace every interval
        links, self._links = self._links, []
        # A fresh context: the flush is never a child of whatever span the caller is in.
        with tracer(__name__).start_as_current_span(
            "downloads.flush", context=trace.set_span_in_context(trace.INVALID_SPAN), links=links
        ):
            return await self._flush()

    async def _flush(self) -> int:
        async with self._lock:
            batch, self._pending = self._pending, Counter()
            recorded = 0
            items = list(batch.items())
            for start in range(0, len(items), _BATCH):
                chunk = items[start : start + _BATCH]
                try:
                    recorded += await self._send(chunk)
                except PackyardError as exc:
                    log.warning("downloads.flush_failed", extra={"error": type(exc).__name__})
                    for key, count in items[start:]:
                        if key in self._pending or len(self._pending) < MAX_PENDING:
                            self._pending[key] += count
                    break
            return recorded

    async def _send(self, chunk: list[tuple[tuple[str, str], int]]) -> int:
        reply = await self._catalog.record_downloads(
            catalog_pb2.RecordDownloadsRequest(
                counts=[
                    catalog_pb2.DownloadCount(feed=feed, filename=filename, count=count)
                    for (feed, filename), count in chunk
                ]
            )
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
