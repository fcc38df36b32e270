"""Run the collector and the scrubber periodically in the metadata process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from packyard.common.errors import PackyardError

log = logging.getLogger(__name__)


async def every(seconds: float, job: Callable[[], Awaitable[object]], name: str) -> None:
    """Run ``job`` every ``seconds`` (the first run after one interval) until cancelled; a
    failed run is logged and retried at the next interval."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await job()
        except (
            PackyardError,
            OSError,
            TimeoutError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
        ) as exc:
            log.warning(f"{name}.failed", extra={"error": type(exc).__name__, "detail": str(exc)})


class Periodic:
    """Background tasks, started and cancelled with the server."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, seconds: float, job: Callable[[], Awaitable[object]], name: str) -> None:
        if seconds > 0:
            self._tasks.append(asyncio.create_task(every(seconds, job, name), name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
