"""Each connector's health, reported to the metadata service (its one store) for the admin
API, CLI and UI: whether its upstream answers, its last error, whether its circuit is open.

Reported off the request path and throttled per connector: every change between answering and
failing at once, the same state again at most every ``interval`` seconds (so "last success"
is at most that old while an upstream answers). A lost report costs only freshness.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from packyard.common.errors import PackyardError
from packyard.connector.metadata_client import MetadataClient

log = logging.getLogger(__name__)

REPORT_INTERVAL = 5.0


class HealthReporter:
    def __init__(
        self,
        metadata: MetadataClient,
        interval: float = REPORT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metadata = metadata
        self._interval = interval
        self._clock = clock
        # connector id -> (answering?, when last reported); bounded by the connectors.
        self._reported: dict[str, tuple[bool, float]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def success(self, connector_id: str) -> None:
        self._report(connector_id, True, "", False)

    def failure(self, connector_id: str, error: str, breaker_open: bool) -> None:
        self._report(connector_id, False, error, breaker_open)

    async def idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _report(self, connector_id: str, success: bool, error: str, breaker_open: bool) -> None:
        now = self._clock()
        previous = self._reported.get(connector_id)
        if previous is not None and previous[0] == success and now - previous[1] < self._interval:
            return
        if len(self._reported) >= 4096:
            self._reported.clear()
        self._reported[connector_id] = (success, now)
        self._spawn(self._send(connector_id, success, error, breaker_open))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, connector_id: str, success: bool, error: str, breaker_open: bool) -> None:
        try:
            await self._metadata.record_health(connector_id, success, error, breaker_open)
        except PackyardError as exc:
            self._reported.pop(connector_id, None)  # report again next time
            log.info(
                "upstream.health_not_recorded",
                extra={"connector": connector_id, "error": type(exc).__name__},
            )
