"""The outbox relay's publisher: sends one stored event to JetStream and says what became of it.

The events themselves wait in PostgreSQL (``metadata/outbox``), not here: this only connects
(retrying until stopped; nats-py then reconnects forever), declares the ``PACKYARD`` stream
with the configured settings (again after every reconnect, for a NATS that lost it) and
publishes with the event's own ``Nats-Msg-Id``, waiting for the stream's acknowledgement.

``publish`` answers ``SENT`` (the stream has it; a duplicate within the duplicate window
counts as sent), ``RETRY`` (no acknowledgement: NATS away, slow, or the stream missing) or
``DEAD``: an error that retrying cannot fix (a payload over the server's ``max_payload``, a
subject or header NATS refuses). The caller keeps a ``RETRY`` event and marks a ``DEAD`` one.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Callable, Mapping

from nats.aio.client import Client as NATS
from nats.errors import BadHeaderError, BadSubjectError, MaxPayloadError
from nats.js.errors import NoStreamResponseError

from packyard.common.events import MSG_ID_HEADER, StreamSettings, connect_with_retry, ensure_stream

log = logging.getLogger(__name__)

# Errors of the message itself: sending it again fails again.
_NOT_RETRIABLE: tuple[type[Exception], ...] = (MaxPayloadError, BadSubjectError, BadHeaderError)
ACK_TIMEOUT = 2.0  # seconds to wait for the stream's acknowledgement

# connect_with_retry's shape: (url, client name, stop, *, reconnected_cb=...) -> client or None
Connect = Callable[..., Awaitable[NATS | None]]


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"


class JetStreamPublisher:
    def __init__(
        self,
        nats_url: str,
        client_name: str,
        stream: StreamSettings,
        *,
        connect: Connect = connect_with_retry,
        ack_timeout: float = ACK_TIMEOUT,
    ) -> None:
        self._url = nats_url
        self._name = client_name
        self._stream = stream
        self._connect = connect
        self._ack_timeout = ack_timeout
        self._nc: NATS | None = None
        self.last_error = ""

    async def connect(self, stop: asyncio.Event) -> bool:
        """Connect, retrying until connected (True) or ``stop`` is set (False)."""
        nc = await self._connect(self._url, self._name, stop, reconnected_cb=self.declare_stream)
        if nc is None:
            return False
        self._nc = nc
        await self.declare_stream()
        return True

    async def close(self) -> None:
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.drain()
            self._nc = None

    async def declare_stream(self) -> None:
        if self._nc is None:
            return
        try:
            await ensure_stream(self._nc.jetstream(), self._stream)
        except Exception as exc:  # NATS without JetStream, or gone again: publishes will retry
            log.warning("events.stream_not_declared", extra={"error": type(exc).__name__})

    async def publish(
        self, subject: str, payload: bytes, msg_id: str, headers: Mapping[str, str]
    ) -> Outcome:
        if self._nc is None:
            return Outcome.RETRY
        js = self._nc.jetstream()
        try:
            await js.publish(
                subject,
                payload,
                timeout=self._ack_timeout,
                headers={**headers, MSG_ID_HEADER: msg_id},
            )
        except _NOT_RETRIABLE as exc:
            self.last_error = type(exc).__name__
            return Outcome.DEAD
        except NoStreamResponseError:
            # Nobody stores packyard.>: a NATS that lost the stream (or was replaced).
            self.last_error = "NoStreamResponseError"
            await self.declare_stream()
            return Outcome.RETRY
        except Exception as exc:  # timeout, disconnected, closed: keep the event, retry later
            self.last_error = type(exc).__name__
            return Outcome.RETRY
        return Outcome.SENT
