"""The gRPC clients the gateway holds: one channel per service for the process lifetime."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc

from packyard.common.grpc import check_health, secure_channel
from packyard.common.tls import TlsFiles
from packyard.gateway.settings import GatewaySettings
from packyard.rpc.v1 import (
    access_pb2_grpc,
    blob_pb2_grpc,
    connector_pb2_grpc,
    metadata_pb2_grpc,
    upstream_pb2_grpc,
)


@dataclass(frozen=True)
class Backends:
    metadata: metadata_pb2_grpc.MetadataServiceStub
    blob: blob_pb2_grpc.BlobServiceStub
    connector: connector_pb2_grpc.ConnectorServiceStub
    addrs: dict[str, str]
    timeout: float
    # Served by the metadata process, on the metadata channel.
    access: access_pb2_grpc.AccessServiceStub
    # UpstreamService (connectors, upstream cache, origin controls), also on the metadata channel.
    upstream: upstream_pb2_grpc.UpstreamServiceStub | None = None
    # The gateway's certificate, for health checks on fresh channels.
    tls: TlsFiles | None = None

    async def unhealthy(self) -> list[str]:
        """Names of the services that do not report SERVING."""
        if self.tls is None:
            return list(self.addrs)
        tls = self.tls
        return [name for name, addr in self.addrs.items() if not await check_health(addr, tls)]


@contextlib.asynccontextmanager
async def open_backends(settings: GatewaySettings) -> AsyncIterator[Backends]:
    addrs = {
        "metadata": settings.metadata_addr,
        "blob": settings.blob_addr,
        "connector": settings.connector_addr,
    }
    tls = settings.tls()
    channels: dict[str, grpc.aio.Channel] = {n: secure_channel(a, tls) for n, a in addrs.items()}
    try:
        yield Backends(
            metadata=metadata_pb2_grpc.MetadataServiceStub(channels["metadata"]),
            blob=blob_pb2_grpc.BlobServiceStub(channels["blob"]),
            connector=connector_pb2_grpc.ConnectorServiceStub(channels["connector"]),
            addrs=addrs,
            timeout=settings.rpc_timeout,
            access=access_pb2_grpc.AccessServiceStub(channels["metadata"]),
            upstream=upstream_pb2_grpc.UpstreamServiceStub(channels["metadata"]),
            tls=tls,
        )
    finally:
        for channel in channels.values():
            await channel.close(grace=None)
