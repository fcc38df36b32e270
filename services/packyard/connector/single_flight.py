"""One asyncio.Lock per key (feed and project, or feed and filename), kept while in use.

A fetch runs once per key at a time: concurrent callers wait on the lock and then find the
first one's result. A lock lives as long as someone holds or waits on it (weak values), so
the table never outgrows the fetches in flight.
"""

from __future__ import annotations

import asyncio
import weakref


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def lock(self, feed: str, name: str) -> asyncio.Lock:
        return self._locks.setdefault((feed, name), asyncio.Lock())
