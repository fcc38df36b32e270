"""A bounded in-memory outbox drained to NATS in order by one background task.

``publish`` never blocks and never fails its caller. While NATS is down the queue holds the
messages (bounded: when full the oldest is dropped and counted) and nats-py buffers them while
it reconnects; they go out when NATS is back. Publishing is on core NATS; the PACKYARD stream
(declared on every connection, for a NATS that lost it) captures ``packyard.>``, and every
message carries a deterministic ``Nats-Msg-Id`` (derived from its subject and payload) so a
retried publish is stored once.

An error that retrying cannot fix (a payload over the server's ``max_payload``, a subject or
header NATS refuses) drops that message with a log line and a metric instead of holding up
every message behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nats.aio.client import Client as NATS
from nats.errors import BadHeaderError, BadSubjectError, MaxPayloadError

from packyard.common.events import MSG_ID_HEADER, connect_with_retry, ensure_stream
from packyard.common.metrics import record_event_dropped
from packyard.common.telemetry import inject_headers, producer_span

log = logging.getLogger(__name__)

_RETRY_DELAY = 0.5
# Errors of the message itself: sending it again fails again.
_NOT_RETRIABLE: tuple[type[Exception], ...] = (MaxPayloadError, BadSubjectError, BadHeaderError)


def message_id(subject: str, payload: bytes) -> str:
    """The same message always gets the same id (``events.proto``)."""
    return hashlib.sha256(subject.encode() + b"\0" + payload).hexdigest()[:32]


# connect_with_retry's shape: (url, client name, stop, *, reconnected_cb=...) -> client or None
Connect = Callable[..., Awaitable[NATS | None]]


@dataclass(frozen=True, slots=True)
class Pending:
    subject: str
    payload: bytes
    headers: dict[str, str]


class Outbox:
    def __init__(
        self,
        nats_url: str | None,
        client_name: str,
        *,
        max_pending: int = 10_000,
        connect: Connect = connect_with_retry,
    ) -> None:
        self._url = nats_url
        self._name = client_name
        self._connect = connect
        self._queue: deque[Pending] = deque(maxlen=max_pending)
        self._wakeup = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._nc: NATS | None = None
        self.published = 0
        self.dropped = 0  # by overflow or as not retriable

    @property
    def pending(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        if self._url:
            self._task = asyncio.create_task(self._run(), name=f"{self._name}-outbox")

    async def stop(self, drain_timeout: float = 1.0) -> None:
        """Send what is queued for a moment (the last changes before a restart), then stop."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(drain_timeout):
                while self._queue and self._connected():  # noqa: ASYNC110 - bounded poll
                    await asyncio.sleep(0.05)
        self._stop.set()
        self._wakeup.set()
        try:
            await asyncio.wait_for(self._task, 3.0)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected and not self._task_done()

    def _task_done(self) -> bool:
        return self._task is None or self._task.done()

    def publish(self, subject: str, payload: bytes) -> None:
        """Queue a message (nothing happens without a NATS URL)."""
        if self._task is None:
            return
        with producer_span(subject):
            headers = dict(inject_headers({}))
        headers[MSG_ID_HEADER] = message_id(subject, payload)
        if len(self._queue) == self._queue.maxlen:
            self._drop(self._queue[0], "outbox_full")
        self._queue.append(Pending(subject, payload, headers))
        self._wakeup.set()

    def _drop(self, item: Pending, reason: str) -> None:
        self.dropped += 1
        record_event_dropped(reason)
        log.warning("events.dropped", extra={"subject": item.subject, "reason": reason})

    async def _run(self) -> None:
        assert self._url is not None
        nc = await self._connect(
            self._url, self._name, self._stop, reconnected_cb=self._declare_stream
        )
        if nc is None:
            return
        self._nc = nc
        await self._declare_stream()
        try:
            await self._publish_forever(nc)
        finally:
            with contextlib.suppress(Exception):
                await nc.drain()

    async def _publish_forever(self, nc: NATS) -> None:
        while not self._stop.is_set():
            if not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            item = self._queue[0]
            try:
                # A reconnecting client buffers the message and sends it once connected.
                await nc.publish(item.subject, item.payload, headers=item.headers)
            except _NOT_RETRIABLE as exc:
                self._pop(item)
                self._drop(item, type(exc).__name__)
                continue
            except Exception as exc:  # buffer full or closed: keep the message, retry
                log.debug("events.publish_retry", extra={"error": type(exc).__name__})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), _RETRY_DELAY)
                continue
            self._pop(item)
            self.published += 1

    async def _declare_stream(self) -> None:
        """The stream only records the messages; gateways get them on core NATS either way."""
        if self._nc is None:
            return
        try:
            await ensure_stream(self._nc.jetstream())
        except Exception as exc:  # NATS without JetStream, or gone again: publish regardless
            log.warning("events.stream_not_declared", extra={"error": type(exc).__name__})

    def _pop(self, item: Pending) -> None:
        # The head may have been dropped by an overflow meanwhile; pop only what was handled.
        if self._queue and self._queue[0] is item:
            self._queue.popleft()
