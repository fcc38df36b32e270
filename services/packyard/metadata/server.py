"""Lifecycle of the metadata service: pool, gRPC server with health, graceful stop.

``running_server`` is the in-process shape tests use (listen on port 0, get the port back);
``serve`` adds waiting for SIGTERM/SIGINT and is what ``packyard metadata`` runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import asyncpg

from packyard.common.dependency_health import Dependency, DependencyHealth
from packyard.common.grpc import (
    new_server,
    start_server,
    stop_server,
    wait_for_termination_signal,
)
from packyard.common.settings import redact_url
from packyard.common.telemetry import instrument_asyncpg
from packyard.metadata.access_service import AccessService
from packyard.metadata.access_servicer import SERVICE_NAME as ACCESS_SERVICE_NAME
from packyard.metadata.access_servicer import AccessServicer
from packyard.metadata.catalog_servicer import add_catalog_service
from packyard.metadata.change_events import ChangeAnnouncer, ChangeInterceptor
from packyard.metadata.models import NewApiKey
from packyard.metadata.service import MetadataService
from packyard.metadata.servicer import SERVICE_NAME, MetadataServicer
from packyard.metadata.settings import MetadataSettings
from packyard.metadata.upstream_server import start_upstream
from packyard.rpc.v1 import access_pb2_grpc, metadata_pb2_grpc

log = logging.getLogger(__name__)

_POOL_CLOSE_TIMEOUT = 10.0


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


async def _close_pool(pool: asyncpg.Pool) -> None:
    try:
        await asyncio.wait_for(pool.close(), _POOL_CLOSE_TIMEOUT)
    except TimeoutError:
        pool.terminate()


@asynccontextmanager
async def running_server(settings: MetadataSettings) -> AsyncIterator[int]:
    """Serve MetadataService until the block exits; yields the bound port."""
    async with AsyncExitStack() as stack:
        pool = await create_pool(settings)
        stack.push_async_callback(_close_pool, pool)
        # Gateways drop cached pages and authentications on these events.
        changes = ChangeAnnouncer(settings.nats_url)
        changes.start()
        stack.push_async_callback(changes.stop)
        server = new_server(ChangeInterceptor(changes))
        access = AccessService(
            pool, acquire_timeout=settings.db_connect_timeout, on_change=changes.access_changed
        )
        metadata = MetadataService(pool, acquire_timeout=settings.db_connect_timeout, access=access)
        if settings.admin_key is not None:
            await ensure_admin_key(metadata, settings.admin_key.get_secret_value())
        metadata_pb2_grpc.add_MetadataServiceServicer_to_server(MetadataServicer(metadata), server)
        access_pb2_grpc.add_AccessServiceServicer_to_server(AccessServicer(access), server)
        catalog = add_catalog_service(server, pool, settings.db_connect_timeout)
        upstream = await start_upstream(stack, server, pool, settings)
        port, health = await start_server(
            server, settings.listen_addr, [SERVICE_NAME, ACCESS_SERVICE_NAME, catalog, upstream]
        )
        stack.push_async_callback(stop_server, server, health, settings.shutdown_grace)
        # Without PostgreSQL nothing can be answered: NOT_SERVING until it is back.
        database = DependencyHealth("metadata", health, [Dependency("postgres", _ping(pool))])
        await database.start()
        stack.push_async_callback(database.stop)
        log.info(
            "metadata.serving",
            extra={
                "addr": settings.listen_addr,
                "port": port,
                "database": redact_url(settings.database_url.get_secret_value()),
            },
        )
        yield port


def _ping(pool: asyncpg.Pool) -> Callable[[], Awaitable[object]]:
    async def ping() -> object:
        async with pool.acquire(timeout=1.0) as conn:
            return await conn.fetchval("SELECT 1", timeout=1.0)

    return ping


async def ensure_admin_key(metadata: MetadataService, key: str) -> None:
    """Store PACKYARD_ADMIN_KEY as a global administrator's key (a no-op once stored)."""
    issued = await metadata.create_api_key(NewApiKey(name="admin", is_admin=True, key=key))
    if issued.created:
        log.info("metadata.admin_key_created", extra={"prefix": issued.prefix})


async def serve(settings: MetadataSettings) -> None:
    """Serve until SIGTERM or SIGINT, then stop gracefully."""
    async with running_server(settings):
        await wait_for_termination_signal()
    log.info("metadata.stopped")
