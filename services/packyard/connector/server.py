"""Lifecycle of the connector service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from packyard.common.grpc import new_server, start_server, stop_server
from packyard.connector.servicer import ConnectorServicer
from packyard.connector.settings import ConnectorSettings
from packyard.rpc.v1 import connector_pb2_grpc

SERVICE_NAME = "packyard.rpc.v1.ConnectorService"


@contextlib.asynccontextmanager
async def running_server(settings: ConnectorSettings) -> AsyncIterator[int]:
    """Serve until the block exits; yields the bound port."""
    server = new_server()
    connector_pb2_grpc.add_ConnectorServiceServicer_to_server(ConnectorServicer(), server)
    port, health = await start_server(server, settings.listen_addr, [SERVICE_NAME])
    try:
        yield port
    finally:
        await stop_server(server, health, settings.shutdown_grace)
