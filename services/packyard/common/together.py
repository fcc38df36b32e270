"""Awaiting several things at once without letting timing decide the outcome.

- ``in_order``: run awaitables together; their results, or the error of the first listed one
  that failed (an upload's checks, a wheel's two S3 writes: whichever finishes first, the
  client sees the same refusal, and nothing is left running behind the caller).
- ``SingleFlight``: one call per key at a time, its outcome shared by every caller that asks
  meanwhile (a burst of requests that miss the same cache entry makes one call).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


async def in_order(*awaitables: Awaitable[Any]) -> list[Any]:
    """Run ``awaitables`` together; their results, or the first listed one's error."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


class SingleFlight:
    def __init__(self) -> None:
        self._running: dict[Hashable, tuple[Hashable, asyncio.Future[Any]]] = {}

    def running(self, key: Hashable) -> bool:
        return key in self._running

    def start(
        self, key: Hashable, call: Callable[[], Awaitable[T]], *, epoch: Hashable = None
    ) -> asyncio.Future[T]:
        """``call()`` running for ``key``: the one already running, or a new one when none is
        or the running one's ``epoch`` differs (something changed since it began); later
        callers then join the new one."""
        running = self._running.get(key)
        if running is None or running[0] != epoch:
            task: asyncio.Future[Any] = asyncio.ensure_future(call())
            running = (epoch, task)
            self._running[key] = running

            def done(finished: asyncio.Future[Any], started: Any = running) -> None:
                if self._running.get(key) is started:
                    del self._running[key]
                if not finished.cancelled():
                    finished.exception()  # retrieved: each waiter raises it itself

            task.add_done_callback(done)
        return running[1]

    async def run(
        self, key: Hashable, call: Callable[[], Awaitable[T]], *, epoch: Hashable = None
    ) -> T:
        """The outcome of ``start``'s call. Shielded: a caller that goes away does not cancel
        the call the others wait for."""
        return await asyncio.shield(self.start(key, call, epoch=epoch))
