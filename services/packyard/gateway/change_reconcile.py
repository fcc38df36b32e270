"""Reconciliation: repairs a page cache that missed a change event.

Every change to a feed's pages raises the feed's change serial in the database and its
``packyard.index.changed`` event carries that serial. Every ``PACKYARD_RECONCILE_INTERVAL``
seconds the gateway asks the metadata service for all feeds' serials (one small query,
``ChangeService.GetChangeSerials``) and drops the pages of a feed when a serial of the previous
round never came by event: a change committed at least one interval ago whose event is lost
(or still stuck). Changes newer than one round are left to their events, which usually are a
few milliseconds behind. So a lost event costs at most two intervals (or the page TTL, if
shorter), and nothing when events flow.

``SerialLedger`` is the bookkeeping, free of I/O; ``Reconciler`` runs it on a timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from packyard.common.errors import PackyardError
from packyard.gateway.page_cache import PageCache

log = logging.getLogger(__name__)

FetchSerials = Callable[[], Awaitable[Mapping[str, int]]]


class SerialLedger:
    """Which change serials events brought, against the serials the database reported."""

    def __init__(self) -> None:
        self._marks: dict[str, int] = {}  # serials up to here are settled, per feed
        self._seen: dict[str, set[int]] = {}  # serials above the mark that events brought
        self._previous: Mapping[str, int] | None = None

    def seen(self, feed: str, serial: int) -> None:
        if serial > self._marks.get(feed, 0):
            self._seen.setdefault(feed, set()).add(serial)

    def reset(self) -> None:
        """Start over (the cache was emptied: nothing older can be stale in it)."""
        self._marks.clear()
        self._seen.clear()
        self._previous = None

    def check(self, current: Mapping[str, int]) -> list[str]:
        """Feeds with a serial from the previous round that no event brought; then this round
        becomes the previous one."""
        stale: list[str] = []
        if self._previous is None:
            # First round: what came before is in no cached page's past (the cache is younger).
            self._marks = dict(current)
        else:
            for feed, serial in self._previous.items():
                mark = self._marks.get(feed, 0)
                if serial <= mark:
                    continue
                seen = self._seen.get(feed, set())
                if sum(1 for s in seen if mark < s <= serial) < serial - mark:
                    stale.append(feed)
                self._marks[feed] = serial
                self._seen[feed] = {s for s in seen if s > serial}
        self._previous = dict(current)
        return sorted(stale)


class Reconciler:
    def __init__(self, pages: PageCache, fetch: FetchSerials, interval: float) -> None:
        self._pages = pages
        self._fetch = fetch
        self._interval = interval
        self._ledger = SerialLedger()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.repairs = 0  # feeds whose pages were dropped for a missed event

    def start(self) -> None:
        if self._interval > 0:
            self._task = asyncio.create_task(self._run(), name="gateway-reconciler")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def seen(self, feed: str, serial: int) -> None:
        self._ledger.seen(feed, serial)

    def reset(self) -> None:
        self._ledger.reset()

    async def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)
            if self._stop.is_set():
                return
            if not self._pages.enabled:
                # No cache (events not arriving): nothing can be stale; start over when back.
                self._ledger.reset()
                continue
            await self.reconcile()

    async def reconcile(self) -> list[str]:
        """One round: ask for the serials, drop the pages of feeds that missed an event."""
        try:
            current = await self._fetch()
        except PackyardError as exc:  # metadata away: try next round
            log.info("events.reconcile_failed", extra={"error": type(exc).__name__})
            return []
        except Exception:  # a bug must not end the reconciler; the TTL still bounds pages
            log.exception("events.reconcile_failed")
            return []
        # Also the basis of the pages read from now on (page_cache.py's revalidation).
        self._pages.note_serials(current)
        stale = self._ledger.check(current)
        for feed in stale:
            self._pages.drop(feed)
        if stale:
            self.repairs += len(stale)
            log.warning("events.reconciled", extra={"feeds": stale})
        return stale
