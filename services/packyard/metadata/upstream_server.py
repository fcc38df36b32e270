"""Wiring of the upstream side into the metadata process: servicer and event consumer."""

from __future__ import annotations

from contextlib import AsyncExitStack

import asyncpg
import grpc

from packyard.metadata.consumer import EventConsumer
from packyard.metadata.settings import MetadataSettings
from packyard.metadata.upstream_service import UpstreamStore
from packyard.metadata.upstream_servicer import SERVICE_NAME, UpstreamServicer
from packyard.rpc.v1 import upstream_pb2_grpc


async def start_upstream(
    stack: AsyncExitStack, server: grpc.aio.Server, pool: asyncpg.Pool, settings: MetadataSettings
) -> str:
    """Register UpstreamService on ``server`` and start the consumer until ``stack`` closes;
    returns the service name for health reporting."""
    store = UpstreamStore(pool, acquire_timeout=settings.db_connect_timeout)
    upstream_pb2_grpc.add_UpstreamServiceServicer_to_server(UpstreamServicer(store), server)
    if settings.consume_events:
        consumer = EventConsumer(settings.nats_connect_url, store, durable=settings.consumer_name)
        consumer.start()
        stack.push_async_callback(consumer.stop)
    return SERVICE_NAME
