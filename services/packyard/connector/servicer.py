"""ConnectorService: the gRPC face of upstream proxying (decode, one domain call, encode)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from packyard_rpc.v1 import connector_pb2, connector_pb2_grpc

from packyard.connector.convert import file_to_pb
from packyard.connector.core_metadata import CoreMetadataFetcher
from packyard.connector.files import FileFetcher
from packyard.connector.listings import Listings
from packyard.connector.models import OfferedFile

SERVICE_NAME = "packyard.rpc.v1.ConnectorService"


class ConnectorServicer(connector_pb2_grpc.ConnectorServiceServicer):
    def __init__(
        self, listings: Listings, files: FileFetcher, core_metadata: CoreMetadataFetcher
    ) -> None:
        self._listings = listings
        self._files = files
        self._core_metadata = core_metadata

    async def GetUpstreamProject(
        self,
        request: connector_pb2.GetUpstreamProjectRequest,
        context: grpc.aio.ServicerContext,
    ) -> connector_pb2.GetUpstreamProjectResponse:
        answer = await self._listings.project(request.feed, request.project)
        fetched = Timestamp()
        fetched.FromDatetime(answer.fetched)
        return connector_pb2.GetUpstreamProjectResponse(
            files=[file_to_pb(f) for f in answer.files],
            versions=answer.versions,
            stale=answer.stale,
            connector=answer.connector.id,
            serial=answer.serial,
            merge_with_hosted=answer.merge_with_hosted,
            fetched=fetched,
            status=int(answer.status),  # type: ignore[arg-type]
        )

    async def FetchFile(
        self, request: connector_pb2.FetchFileRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[connector_pb2.FetchFileResponse]:
        async for part in self._files.stream(request.feed, request.project, request.filename):
            if isinstance(part, OfferedFile):
                yield connector_pb2.FetchFileResponse(file=file_to_pb(part))
            else:
                yield connector_pb2.FetchFileResponse(chunk=part)

    async def FetchMetadata(
        self, request: connector_pb2.FetchMetadataRequest, context: grpc.aio.ServicerContext
    ) -> connector_pb2.FetchMetadataResponse:
        info, size = await self._core_metadata.ensure(
            request.feed, request.project, request.filename
        )
        return connector_pb2.FetchMetadataResponse(file=file_to_pb(info), metadata_size=size)
