"""ConnectorService: the gRPC face of upstream proxying (decode, one domain call, encode)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from packyard.connector.files import FileFetcher
from packyard.connector.listings import Listings
from packyard.rpc.v1 import common_pb2, connector_pb2, connector_pb2_grpc

SERVICE_NAME = "packyard.rpc.v1.ConnectorService"


class ConnectorServicer(connector_pb2_grpc.ConnectorServiceServicer):
    def __init__(self, listings: Listings, files: FileFetcher) -> None:
        self._listings = listings
        self._files = files

    async def GetUpstreamProject(
        self,
        request: connector_pb2.GetUpstreamProjectRequest,
        context: grpc.aio.ServicerContext,
    ) -> connector_pb2.GetUpstreamProjectResponse:
        answer = await self._listings.project(request.feed, request.project)
        fetched = Timestamp()
        fetched.FromDatetime(answer.fetched)
        return connector_pb2.GetUpstreamProjectResponse(
            files=answer.files,
            versions=answer.versions,
            stale=answer.stale,
            connector=answer.connector.id,
            serial=answer.serial,
            merge_with_hosted=answer.merge_with_hosted,
            fetched=fetched,
            status=answer.status,  # type: ignore[arg-type]
        )

    async def FetchFile(
        self, request: connector_pb2.FetchFileRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[connector_pb2.FetchFileResponse]:
        async for part in self._files.stream(request.feed, request.project, request.filename):
            if isinstance(part, common_pb2.FileInfo):
                yield connector_pb2.FetchFileResponse(file=part)
            else:
                yield connector_pb2.FetchFileResponse(chunk=part)

    async def FetchMetadata(
        self, request: connector_pb2.FetchMetadataRequest, context: grpc.aio.ServicerContext
    ) -> connector_pb2.FetchMetadataResponse:
        info, size = await self._files.ensure_metadata(
            request.feed, request.project, request.filename
        )
        return connector_pb2.FetchMetadataResponse(file=info, metadata_size=size)
