"""ConnectorService: the gRPC face of upstream proxying.

No feed has connectors yet (they arrive with the connector issue), so every project and file
is unknown upstream: the gateway then answers from hosted data alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from packyard.common.errors import NotFound
from packyard.rpc.v1 import connector_pb2, connector_pb2_grpc


class ConnectorServicer(connector_pb2_grpc.ConnectorServiceServicer):
    async def GetUpstreamProject(
        self,
        request: connector_pb2.GetUpstreamProjectRequest,
        context: grpc.aio.ServicerContext,
    ) -> connector_pb2.GetUpstreamProjectResponse:
        raise NotFound(f"Feed '{request.feed}' has no connector that knows '{request.project}'.")

    async def FetchFile(
        self, request: connector_pb2.FetchFileRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[connector_pb2.FetchFileResponse]:
        raise NotFound(f"Feed '{request.feed}' has no connector that serves '{request.filename}'.")
        yield  # pragma: no cover - makes this an async generator, as the RPC streams
