"""Lifecycle of the metadata service: pool, gRPC server with health, graceful stop.

``running_server`` is the in-process shape tests use (listen on port 0, get the port back);
``serve`` adds waiting for SIGTERM/SIGINT and is what ``packyard metadata`` runs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import asyncpg
from packyard_rpc.v1 import access_pb2_grpc, metadata_pb2_grpc

from packyard.common.dependency_health import Dependency, DependencyHealth
from packyard.common.grpc import (
    new_server,
    start_server,
    stop_server,
    wait_for_termination_signal,
)
from packyard.common.outbox import JetStreamPublisher
from packyard.common.settings import redact_url
from packyard.metadata import db
from packyard.metadata.access.login_failures import LoginFailures
from packyard.metadata.access.models import NewKey
from packyard.metadata.access.principals import PrincipalResolver
from packyard.metadata.access.service import AccessService
from packyard.metadata.access.servicer import SERVICE_NAME as ACCESS_SERVICE_NAME
from packyard.metadata.access.servicer import AccessServicer
from packyard.metadata.access.sessions import Sessions
from packyard.metadata.advisories.servicer import add_advisory_service
from packyard.metadata.caller_interceptor import CallerInterceptor
from packyard.metadata.callers import FeedVisibility
from packyard.metadata.catalog.servicer import add_catalog_service
from packyard.metadata.gc.jobs import start_storage_jobs
from packyard.metadata.governance_server import start_governance
from packyard.metadata.index.service import MetadataService
from packyard.metadata.index.servicer import SERVICE_NAME, MetadataServicer
from packyard.metadata.outbox.relay import OutboxRelay
from packyard.metadata.outbox.servicer import add_change_service
from packyard.metadata.provenance.servicer import add_provenance_service
from packyard.metadata.secret_keys import SecretKeys
from packyard.metadata.settings import MetadataSettings
from packyard.metadata.upstream_server import start_upstream

log = logging.getLogger(__name__)


@asynccontextmanager
async def running_server(settings: MetadataSettings) -> AsyncIterator[int]:
    """Serve MetadataService until the block exits; yields the bound port."""
    async with AsyncExitStack() as stack:
        pool = await db.create_pool(settings)
        stack.push_async_callback(db.close_pool, pool)
        # The domains write change events into the outbox table; this sends them to NATS,
        # where gateways drop cached pages and authentications on them.
        start_relay(stack, pool, settings)
        access = AccessService(
            pool,
            acquire_timeout=settings.db_connect_timeout,
            login_failures=LoginFailures(settings.auth_failure_limit, settings.auth_failure_window),
        )
        secret_keys = secret_keys_of(settings)
        principals = PrincipalResolver(
            access,
            secret_keys,
            FeedVisibility(pool, acquire_timeout=settings.db_connect_timeout),
        )
        server = new_server(CallerInterceptor(principals.resolve))
        metadata = MetadataService(pool, acquire_timeout=settings.db_connect_timeout)
        if settings.admin_key is not None:
            await ensure_admin_key(access, settings.admin_key.get_secret_value())
        sessions = Sessions(pool, access, acquire_timeout=settings.db_connect_timeout)
        access_servicer = AccessServicer(access, principals, sessions)
        access_pb2_grpc.add_AccessServiceServicer_to_server(access_servicer, server)
        metadata_pb2_grpc.add_MetadataServiceServicer_to_server(
            MetadataServicer(metadata, keys=access_servicer), server
        )
        catalog = add_catalog_service(server, pool, settings.db_connect_timeout)
        upstream = await start_upstream(server, pool, settings, secret_keys)
        changes = add_change_service(server, pool, settings.db_connect_timeout)
        governance = start_governance(stack, server, pool, settings, secret_keys)
        advisories = add_advisory_service(server, pool, settings.db_connect_timeout)
        provenance = add_provenance_service(server, pool, settings.db_connect_timeout)
        await start_storage_jobs(stack, pool, settings)
        port, health = await start_server(
            server,
            settings.listen_addr,
            [
                SERVICE_NAME,
                ACCESS_SERVICE_NAME,
                catalog,
                upstream,
                changes,
                *governance,
                advisories,
                provenance,
            ],
            settings.tls(),
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


def secret_keys_of(settings: MetadataSettings) -> SecretKeys:
    value = settings.secret_key.get_secret_value() if settings.secret_key else None
    keys = SecretKeys.from_setting(value)
    if not keys.configured:
        log.warning(
            "metadata.no_secret_key",
            extra={"detail": "principal tokens signed with a per-process key (one replica only)"},
        )
    return keys


def start_relay(stack: AsyncExitStack, pool: asyncpg.Pool, settings: MetadataSettings) -> None:
    """Relay the outbox to NATS until the stack closes (nothing to do without a NATS URL: the
    rows wait in the table)."""
    if not settings.nats_url:
        return
    publisher = JetStreamPublisher(
        settings.nats_connect_url, "packyard-metadata-changes", settings.stream_settings()
    )
    relay = OutboxRelay(
        pool,
        publisher,
        poll_interval=settings.outbox_poll_interval,
        acquire_timeout=settings.db_connect_timeout,
        listen_dsn=settings.database_url.get_secret_value(),
    )
    relay.start()
    stack.push_async_callback(relay.stop)


def _ping(pool: asyncpg.Pool) -> Callable[[], Awaitable[object]]:
    async def ping() -> object:
        async with pool.acquire(timeout=1.0) as conn:
            return await conn.fetchval("SELECT 1", timeout=1.0)

    return ping


async def ensure_admin_key(access: AccessService, key: str) -> None:
    """Store PACKYARD_ADMIN_KEY as a global administrator's key (a no-op once stored)."""
    issued = await access.create_key(NewKey(name="admin", is_admin=True, key=key), audit=None)
    if issued.created:
        log.info("metadata.admin_key_created", extra={"prefix": issued.info.prefix})


async def serve(settings: MetadataSettings) -> None:
    """Serve until SIGTERM or SIGINT, then stop gracefully."""
    async with running_server(settings):
        await wait_for_termination_signal()
    log.info("metadata.stopped")
