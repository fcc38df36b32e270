"""Wiring of the upstream side into the metadata process."""

from __future__ import annotations

import asyncpg
import grpc

from packyard.metadata.settings import MetadataSettings
from packyard.metadata.upstream.service import UpstreamStore
from packyard.metadata.upstream.servicer import SERVICE_NAME, UpstreamServicer
from packyard.rpc.v1 import upstream_pb2_grpc


def start_upstream(server: grpc.aio.Server, pool: asyncpg.Pool, settings: MetadataSettings) -> str:
    """Register UpstreamService on ``server``; returns the service name for health reporting."""
    store = UpstreamStore(pool, acquire_timeout=settings.db_connect_timeout)
    upstream_pb2_grpc.add_UpstreamServiceServicer_to_server(UpstreamServicer(store), server)
    return SERVICE_NAME
