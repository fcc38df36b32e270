"""The gRPC clients the gateway holds: one channel per service for the process lifetime."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc

from packyard.common.grpc import check_health, insecure_channel
from packyard.gateway.settings import GatewaySettings
from packyard.rpc.v1 import blob_pb2_grpc, connector_pb2_grpc, metadata_pb2_grpc


@dataclass(frozen=True)
class Backends:
    metadata: metadata_pb2_grpc.MetadataServiceStub
    blob: blob_pb2_grpc.BlobServiceStub
    connector: connector_pb2_grpc.ConnectorServiceStub
    addrs: dict[str, str]
    timeout: float

    async def unhealthy(self) -> list[str]:
        """Names of the services that do not report SERVING."""
        return [name for name, addr in self.addrs.items() if not await check_health(addr)]


@contextlib.asynccontextmanager
async def open_backends(settings: GatewaySettings) -> AsyncIterator[Backends]:
    addrs = {
        "metadata": settings.metadata_addr,
        "blob": settings.blob_addr,
        "connector": settings.connector_addr,
    }
    channels: dict[str, grpc.aio.Channel] = {n: insecure_channel(a) for n, a in addrs.items()}
    try:
        yield Backends(
            metadata=metadata_pb2_grpc.MetadataServiceStub(channels["metadata"]),
            blob=blob_pb2_grpc.BlobServiceStub(channels["blob"]),
            connector=connector_pb2_grpc.ConnectorServiceStub(channels["connector"]),
            addrs=addrs,
            timeout=settings.rpc_timeout,
        )
    finally:
        for channel in channels.values():
            await channel.close(grace=None)
