"""The outbox relay: a background task of every metadata replica that sends committed event
rows to JetStream, oldest first, and deletes each once the stream acknowledged it.

Nothing is lost to a crash or an outage: a row leaves the table only after its
acknowledgement, in the transaction that claimed it. A relay that dies between the publish and
that commit leaves the row (its locks go with its connection) and the next relay sends it again
with the same ``Nats-Msg-Id``, which the stream's duplicate window stores once. Replicas do not
fight: each claims its batch with ``FOR UPDATE SKIP LOCKED``. A row NATS can never take is
marked dead (log line ``events.dropped``, metric ``packyard.events.dropped``) and announced on
``packyard.dead.outbox``. The relay wakes when a transaction that wrote events commits
(``wakeup``: LISTEN/NOTIFY), polls the table every ``PACKYARD_OUTBOX_POLL_INTERVAL`` seconds
besides (one indexed query), and goes on at once while rows are waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from packyard_rpc.v1 import events_pb2

from packyard.common.errors import Unavailable
from packyard.common.events import DEAD_OUTBOX
from packyard.common.metrics import record_event_dropped
from packyard.common.outbox import JetStreamPublisher, Outcome
from packyard.metadata import db
from packyard.metadata.outbox import repository as repo
from packyard.metadata.outbox import wakeup
from packyard.metadata.outbox.repository import PendingEvent

log = logging.getLogger(__name__)

BATCH = 100
# A failed batch because the database is away (it rolls back: nothing is lost).
_DATABASE_AWAY: tuple[type[BaseException], ...] = (Unavailable, *db.DATABASE_DOWN)
_MAX_BACKOFF = 5.0


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        publisher: JetStreamPublisher,
        *,
        poll_interval: float = 0.2,
        acquire_timeout: float = 5.0,
        batch: int = BATCH,
        listen_dsn: str = "",
    ) -> None:
        self._pool = pool
        self._publisher = publisher
        self._poll = poll_interval
        self._acquire_timeout = acquire_timeout
        self._batch = batch
        self._listen_dsn = listen_dsn
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self.sent = 0
        self.dead = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="metadata-outbox-relay")
        if self._listen_dsn:
            self._listener = asyncio.create_task(
                wakeup.listen(self._listen_dsn, self._wake, self._stop),
                name="metadata-outbox-wakeup",
            )

    async def stop(self) -> None:
        """Stop between batches (a batch in flight commits or rolls back, nothing is lost)."""
        self._stop.set()
        self._wake.set()
        for task in (self._task, self._listener):
            if task is None:
                continue
            try:
                await asyncio.wait_for(task, 5.0)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._publisher.close()

    async def _run(self) -> None:
        if not await self._publisher.connect(self._stop):
            return
        delay = self._poll
        while not self._stop.is_set():
            self._wake.clear()
            try:
                handled, blocked = await self.relay_batch()
            except _DATABASE_AWAY as exc:
                log.warning("outbox.database_unavailable", extra={"error": type(exc).__name__})
                handled, blocked = 0, True
            except Exception:  # a bug must not end the relay: the rows wait, it tries again
                log.exception("outbox.relay_failed")
                handled, blocked = 0, True
            if handled and not blocked:
                delay = self._poll
                continue  # more may be waiting
            if blocked:  # NATS or the database away: back off
                delay = min(max(delay, self._poll) * 2, _MAX_BACKOFF)
            else:
                delay = self._poll
            if blocked:
                await self._sleep(delay)  # a notification must not hurry a backoff
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def relay_batch(self) -> tuple[int, bool]:
        """Send one batch; returns (rows handled, whether a row had to wait for NATS)."""
        async with db.connection(self._pool, self._acquire_timeout) as conn:
            async with conn.transaction():
                rows = await repo.claim(conn, self._batch)
                sent: list[int] = []
                dead: list[PendingEvent] = []
                blocked = False
                for row in rows:
                    outcome = await self._publisher.publish(
                        row.subject, row.payload, row.msg_id, row.headers
                    )
                    if outcome is Outcome.SENT:
                        sent.append(row.id)
                    elif outcome is Outcome.DEAD:
                        dead.append(row)
                    else:
                        # Keep order per relay: what follows waits for this row.
                        await repo.count_attempt(conn, row.id)
                        blocked = True
                        break
                await repo.delete(conn, sent)
                await repo.mark_dead(conn, [row.id for row in dead])
        self.sent += len(sent)
        for row in dead:
            await self._bury(row)
        if blocked:
            log.info("outbox.waiting", extra={"error": self._publisher.last_error})
        return len(sent) + len(dead), blocked

    async def _bury(self, row: PendingEvent) -> None:
        reason = self._publisher.last_error or "unsendable"
        self.dead += 1
        record_event_dropped(reason)
        log.warning(
            "events.dropped",
            extra={"subject": row.subject, "msg_id": row.msg_id, "reason": reason},
        )
        notice = events_pb2.DeadEvent(
            subject=row.subject, msg_id=row.msg_id, reason=reason, size=len(row.payload)
        )
        # Best effort: the row stays marked dead in the table either way.
        await self._publisher.publish(
            DEAD_OUTBOX, notice.SerializeToString(), f"dead-{row.msg_id}", {}
        )
