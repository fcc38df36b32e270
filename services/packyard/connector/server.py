"""Lifecycle of the connector service: channels, the upstream HTTP client, the event
publisher, and the gRPC server with health."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from packyard.common.grpc import insecure_channel, new_server, start_server, stop_server
from packyard.common.telemetry import instrument_httpx
from packyard.connector.breaker import CircuitBreakers
from packyard.connector.directory import Directory
from packyard.connector.files import FileFetcher
from packyard.connector.http import UpstreamHttp, new_client
from packyard.connector.listings import Listings
from packyard.connector.publisher import EventPublisher
from packyard.connector.servicer import SERVICE_NAME, ConnectorServicer
from packyard.connector.settings import ConnectorSettings
from packyard.rpc.v1 import blob_pb2_grpc, connector_pb2_grpc, upstream_pb2_grpc


@dataclass
class RunningConnector:
    port: int
    listings: Listings
    files: FileFetcher
    publisher: EventPublisher


@contextlib.asynccontextmanager
async def running_connector(settings: ConnectorSettings) -> AsyncIterator[RunningConnector]:
    """Serve until the block exits; yields the bound port and the domain objects (for tests)."""
    async with contextlib.AsyncExitStack() as stack:
        metadata = await stack.enter_async_context(insecure_channel(settings.metadata_addr))
        blob = await stack.enter_async_context(insecure_channel(settings.blob_addr))
        public = await stack.enter_async_context(new_client(settings.upstream_timeout))
        internal = await stack.enter_async_context(
            new_client(settings.upstream_timeout, allow_private=True)
        )
        for client in (public, internal):
            instrument_httpx(client)
        http = UpstreamHttp(public, internal, max_redirects=settings.upstream_max_redirects)
        publisher = EventPublisher(settings.nats_connect_url or None)
        publisher.start()
        stack.push_async_callback(publisher.stop)
        directory = Directory(
            upstream_pb2_grpc.UpstreamServiceStub(metadata),
            ttl=settings.connectors_ttl,
            timeout=settings.rpc_timeout,
        )
        breakers = CircuitBreakers(settings.breaker_failures, settings.breaker_cooldown)
        listings = Listings(directory, http, publisher, breakers, settings)
        files = FileFetcher(
            listings,
            http,
            blob_pb2_grpc.BlobServiceStub(blob),
            publisher,
            max_size=settings.upstream_max_file_size,
            rpc_timeout=settings.rpc_timeout,
        )
        server = new_server()
        connector_pb2_grpc.add_ConnectorServiceServicer_to_server(
            ConnectorServicer(listings, files), server
        )
        port, health = await start_server(server, settings.listen_addr, [SERVICE_NAME])
        stack.push_async_callback(stop_server, server, health, settings.shutdown_grace)
        yield RunningConnector(port, listings, files, publisher)


@contextlib.asynccontextmanager
async def running_server(settings: ConnectorSettings) -> AsyncIterator[int]:
    """Serve until the block exits; yields the bound port."""
    async with running_connector(settings) as running:
        yield running.port
