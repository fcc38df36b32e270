"""Wakes the outbox relay when a transaction that wrote events commits.

The ``outbox`` table's insert trigger sends ``NOTIFY packyard_outbox``, which PostgreSQL
delivers on commit. LISTEN is session state, so this listens on a connection of its own
(``asyncpg.connect``), never on a shared one (tests/unit/test_metadata_session_state.py). When
the connection is lost it connects again; meanwhile the relay's poll carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

log = logging.getLogger(__name__)

CHANNEL = "packyard_outbox"
_CHECK = 2.0  # seconds between looks at the listening connection
_RETRY = 2.0


async def listen(dsn: str, wake: asyncio.Event, stop: asyncio.Event) -> None:
    """Set ``wake`` on every notification until ``stop`` is set."""

    def notified(*_: object) -> None:
        wake.set()

    while not stop.is_set():
        conn: asyncpg.Connection | None = None
        try:
            conn = await asyncpg.connect(
                dsn, timeout=5.0, server_settings={"application_name": "packyard-outbox"}
            )
            await conn.add_listener(CHANNEL, notified)
            wake.set()  # anything committed while not listening is waiting
            while not stop.is_set() and not conn.is_closed():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), _CHECK)
        except Exception as exc:  # database away: poll meanwhile, try again
            log.info("outbox.listen_failed", extra={"error": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), _RETRY)
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), 2.0)
