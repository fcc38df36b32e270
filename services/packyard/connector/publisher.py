"""Publishing the connector's events to JetStream, with an in-memory outbox.

Events are queued and a background task publishes them in order, each with its deterministic
``Nats-Msg-Id``. While NATS is down the queue holds them (bounded; the oldest are dropped
first and counted) and they go out when NATS is back, so the metadata cache catches up. A
dropped event costs only a refetch: the connector's answers never depend on the cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass

from nats.aio.client import Client as NATS

from packyard.common.events import MSG_ID_HEADER, connect_with_retry, ensure_stream
from packyard.common.telemetry import inject_headers, producer_span

log = logging.getLogger(__name__)

_PUBLISH_TIMEOUT = 2.0


@dataclass(frozen=True)
class _Pending:
    subject: str
    payload: bytes
    headers: dict[str, str]


class EventPublisher:
    def __init__(self, nats_url: str | None, *, max_pending: int = 10_000) -> None:
        self._url = nats_url
        self._queue: deque[_Pending] = deque(maxlen=max_pending)
        self._wakeup = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.dropped = 0

    @property
    def pending(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        if self._url:
            self._task = asyncio.create_task(self._run(), name="connector-event-publisher")

    async def stop(self, drain_timeout: float = 2.0) -> None:
        """Try to flush what is queued for a moment, then stop."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(drain_timeout):
                while self._queue and not self._task.done():  # noqa: ASYNC110 - bounded poll
                    await asyncio.sleep(0.05)
        self._stop.set()
        self._wakeup.set()
        try:
            await asyncio.wait_for(self._task, 3.0)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def publish(self, subject: str, msg_id: str, payload: bytes) -> None:
        """Queue an event; never blocks and never fails the caller."""
        with producer_span(subject):
            headers = dict(inject_headers({}))
        headers[MSG_ID_HEADER] = msg_id
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
            log.warning("events.outbox_full", extra={"subject": subject})
        self._queue.append(_Pending(subject, payload, headers))
        self._wakeup.set()

    async def _run(self) -> None:
        assert self._url is not None
        nc = await connect_with_retry(self._url, "packyard-connector", self._stop)
        if nc is None:
            return
        try:
            await self._drain_forever(nc)
        finally:
            with contextlib.suppress(Exception):
                await nc.drain()

    async def _drain_forever(self, nc: NATS) -> None:
        js = nc.jetstream()
        declared = False
        while not self._stop.is_set():
            if not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            try:
                if not declared:
                    await ensure_stream(js)
                    declared = True
                item = self._queue[0]
                await js.publish(
                    item.subject, item.payload, timeout=_PUBLISH_TIMEOUT, headers=item.headers
                )
            except Exception as exc:  # NATS down or restarting: keep the event, retry
                log.debug("events.publish_retry", extra={"error": f"{type(exc).__name__}"})
                declared = False  # a NATS that lost its data needs the stream again
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 0.5)
                continue
            # The head may have been dropped by an overflow meanwhile; pop only what was sent.
            if self._queue and self._queue[0] is item:
                self._queue.popleft()
            self.published += 1
