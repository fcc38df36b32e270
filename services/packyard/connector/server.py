"""Lifecycle of the connector service: channels to the metadata and blob services, the
upstream HTTP clients, and the gRPC server with health."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from packyard_rpc.v1 import blob_pb2_grpc, connector_pb2_grpc, upstream_pb2_grpc

from packyard.common.grpc import new_server, secure_channel, start_server, stop_server
from packyard.common.telemetry import instrument_httpx
from packyard.connector.blob_client import BlobClient
from packyard.connector.breaker import CircuitBreakers
from packyard.connector.core_metadata import CoreMetadataFetcher
from packyard.connector.descriptions import Describer
from packyard.connector.files import FileFetcher
from packyard.connector.health import HealthReporter
from packyard.connector.http import UpstreamHttp, new_client
from packyard.connector.listings import Listings
from packyard.connector.metadata_client import MetadataClient
from packyard.connector.name_lists import NameListRefresher
from packyard.connector.servicer import SERVICE_NAME, ConnectorServicer
from packyard.connector.settings import ConnectorSettings


@dataclass
class RunningConnector:
    port: int
    listings: Listings
    files: FileFetcher
    core_metadata: CoreMetadataFetcher
    name_lists: NameListRefresher


@contextlib.asynccontextmanager
async def running_connector(settings: ConnectorSettings) -> AsyncIterator[RunningConnector]:
    """Serve until the block exits; yields the bound port and the domain objects (for tests)."""
    async with contextlib.AsyncExitStack() as stack:
        tls = settings.tls()
        metadata_channel = await stack.enter_async_context(
            secure_channel(settings.metadata_addr, tls)
        )
        blob_channel = await stack.enter_async_context(secure_channel(settings.blob_addr, tls))
        public = await stack.enter_async_context(new_client(settings.upstream_timeout))
        internal = await stack.enter_async_context(
            new_client(settings.upstream_timeout, allow_private=True)
        )
        for client in (public, internal):
            instrument_httpx(client)
        http = UpstreamHttp(public, internal, max_redirects=settings.upstream_max_redirects)
        metadata = MetadataClient(
            upstream_pb2_grpc.UpstreamServiceStub(metadata_channel),
            ttl=settings.connectors_ttl,
            timeout=settings.rpc_timeout,
        )
        blob = BlobClient(blob_pb2_grpc.BlobServiceStub(blob_channel), timeout=settings.rpc_timeout)
        breakers = CircuitBreakers(settings.breaker_failures, settings.breaker_cooldown)
        describer = Describer(metadata, http, blob)
        listings = Listings(
            metadata, http, breakers, settings, describer=describer, health=HealthReporter(metadata)
        )
        files = FileFetcher(
            listings, http, blob, metadata, max_size=settings.upstream_max_file_size
        )
        core_metadata = CoreMetadataFetcher(listings, files, http, blob, metadata, describer)
        server = new_server()
        connector_pb2_grpc.add_ConnectorServiceServicer_to_server(
            ConnectorServicer(listings, files, core_metadata), server
        )
        port, health = await start_server(
            server, settings.listen_addr, [SERVICE_NAME], settings.tls()
        )
        stack.push_async_callback(stop_server, server, health, settings.shutdown_grace)
        names = NameListRefresher(
            metadata, http,
            interval=settings.name_list_interval, max_bytes=settings.name_list_max_bytes,
        )  # fmt: skip
        if settings.name_list_interval > 0:
            refresher = asyncio.get_running_loop().create_task(names.run())
            stack.callback(refresher.cancel)
        yield RunningConnector(port, listings, files, core_metadata, names)


@contextlib.asynccontextmanager
async def running_server(settings: ConnectorSettings) -> AsyncIterator[int]:
    """Serve until the block exits; yields the bound port."""
    async with running_connector(settings) as running:
        yield running.port
