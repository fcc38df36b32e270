"""The metadata service's database: the pool every domain shares and how a connection is taken.

A database that cannot be reached is always ``Unavailable`` (callers retry), never INTERNAL;
``connection`` is the one place that decides it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import asyncpg

from packyard.common.errors import Unavailable
from packyard.common.telemetry import instrument_asyncpg
from packyard.metadata.settings import MetadataSettings

log = logging.getLogger(__name__)

_POOL_CLOSE_TIMEOUT = 10.0

# Failures that mean "the database is not there right now", as opposed to a bug or a
# constraint: they become UNAVAILABLE so callers retry instead of reporting INTERNAL.
DATABASE_DOWN: tuple[type[BaseException], ...] = (
    OSError,  # includes TimeoutError and ConnectionError
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    # A connection lost mid-statement or mid-transaction (the server was killed).
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)


@asynccontextmanager
async def connection(
    pool: asyncpg.Pool, acquire_timeout: float
) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection for the block; ``Unavailable`` when the database is down."""
    try:
        async with pool.acquire(timeout=acquire_timeout) as conn:
            yield conn
    except DATABASE_DOWN as exc:
        log.warning("database.unavailable", extra={"error": type(exc).__name__})
        raise Unavailable("Database unavailable") from exc


async def keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset on release: nothing beyond asyncpg's own rollback of an open transaction.

    asyncpg's default sends ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` on
    every release, one more round trip per RPC. The service leaves no session state on pooled
    connections: settings are ``SET LOCAL`` (transaction-scoped), there are no session advisory
    locks (migrations take theirs on a connection of their own), no LISTEN and no cursors
    outside transactions (tests/unit/test_metadata_session_state.py keeps it so).
    """


async def create_pool(settings: MetadataSettings) -> asyncpg.Pool:
    instrument_asyncpg()
    pool = await asyncpg.create_pool(
        settings.database_url.get_secret_value(),
        min_size=settings.db_pool_min_size,
        max_size=max(settings.db_pool_max_size, settings.db_pool_min_size),
        timeout=settings.db_connect_timeout,
        command_timeout=settings.db_command_timeout,
        server_settings={"application_name": "packyard-metadata"},
        reset=keep_session,
    )
    assert pool is not None
    return pool


async def close_pool(pool: asyncpg.Pool) -> None:
    try:
        await asyncio.wait_for(pool.close(), _POOL_CLOSE_TIMEOUT)
    except TimeoutError:
        pool.terminate()


class PooledService:
    """Base of the domain services: the shared pool, and ``_connection()`` to take from it."""

    def __init__(self, pool: asyncpg.Pool, *, acquire_timeout: float = 5.0) -> None:
        self._pool = pool
        self._acquire_timeout = acquire_timeout

    def _connection(self) -> AbstractAsyncContextManager[asyncpg.Connection]:
        return connection(self._pool, self._acquire_timeout)
