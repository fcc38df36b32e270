"""gRPC ProvenanceService: decode, check the caller's right, one domain call."""

from __future__ import annotations

import asyncpg
import grpc
from packyard_rpc.v1 import provenance_pb2 as pb
from packyard_rpc.v1 import provenance_pb2_grpc

from packyard.common.rights import Right
from packyard.metadata.callers import caller
from packyard.metadata.provenance.service import ProvenanceService
from packyard.protocol.filenames import parse_distribution_filename

PROVENANCE_SERVICE_NAME = "packyard.rpc.v1.ProvenanceService"

Context = grpc.aio.ServicerContext


class ProvenanceServicer(provenance_pb2_grpc.ProvenanceServiceServicer):
    def __init__(self, service: ProvenanceService) -> None:
        self._service = service

    async def RecordProvenance(
        self, request: pb.RecordProvenanceRequest, context: Context
    ) -> pb.RecordProvenanceResponse:
        caller().require_right(request.feed, Right.PUBLISH)
        project = parse_distribution_filename(request.filename).project
        await self._service.record(request.feed, request.filename, project, request.provenance)
        return pb.RecordProvenanceResponse()

    async def GetProvenance(
        self, request: pb.GetProvenanceRequest, context: Context
    ) -> pb.GetProvenanceResponse:
        await caller().require_read(request.feed)
        found = await self._service.get(request.feed, request.filename)
        return pb.GetProvenanceResponse(provenance=found)

    async def ListProvenance(
        self, request: pb.ListProvenanceRequest, context: Context
    ) -> pb.ListProvenanceResponse:
        await caller().require_read(request.feed)
        names = await self._service.filenames(request.feed, request.project)
        return pb.ListProvenanceResponse(filenames=names)


def add_provenance_service(
    server: grpc.aio.Server, pool: asyncpg.Pool, acquire_timeout: float
) -> str:
    """Serve ProvenanceService on ``server``; returns its name for the health service."""
    provenance_pb2_grpc.add_ProvenanceServiceServicer_to_server(
        ProvenanceServicer(ProvenanceService(pool, acquire_timeout=acquire_timeout)), server
    )
    return PROVENANCE_SERVICE_NAME
