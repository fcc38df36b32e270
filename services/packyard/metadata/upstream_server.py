"""Wiring of the upstream side into the metadata process."""

from __future__ import annotations

import logging

import asyncpg
import grpc
from packyard_rpc.v1 import upstream_pb2_grpc

from packyard.common.errors import Unavailable
from packyard.metadata import db
from packyard.metadata.secret_keys import SecretKeys
from packyard.metadata.settings import MetadataSettings
from packyard.metadata.upstream.credentials import count_plaintext, seal_stored
from packyard.metadata.upstream.service import UpstreamStore
from packyard.metadata.upstream.servicer import SERVICE_NAME, UpstreamServicer

log = logging.getLogger(__name__)


async def _seal_legacy_credentials(
    pool: asyncpg.Pool, settings: MetadataSettings, secret_keys: SecretKeys
) -> None:
    async with db.connection(pool, settings.db_connect_timeout) as conn:
        if secret_keys.configured:
            sealed = await seal_stored(conn, secret_keys, rotate=False)
            if sealed:
                log.info("upstream.credentials_sealed", extra={"rows": sealed})
        elif await count_plaintext(conn):
            log.warning(
                "upstream.credentials_in_clear",
                extra={
                    "detail": "without PACKYARD_SECRET_KEY connector credentials stay in the clear"
                },
            )


async def start_upstream(
    server: grpc.aio.Server,
    pool: asyncpg.Pool,
    settings: MetadataSettings,
    secret_keys: SecretKeys,
) -> str:
    """Register UpstreamService on ``server``; returns the service name for health reporting.
    Credentials stored before encryption existed are sealed here, on the first start with a
    key."""
    try:
        await _seal_legacy_credentials(pool, settings, secret_keys)
    except Unavailable:
        # The service starts without its database (it answers UNAVAILABLE until it is back);
        # legacy rows are then sealed on the next start.
        log.warning("upstream.credentials_not_sealed", extra={"detail": "database unavailable"})
    store = UpstreamStore(
        pool,
        acquire_timeout=settings.db_connect_timeout,
        secret_keys=secret_keys,
    )
    upstream_pb2_grpc.add_UpstreamServiceServicer_to_server(UpstreamServicer(store), server)
    return SERVICE_NAME
