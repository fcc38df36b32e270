"""ConnectorService: projects and files of a feed's upstream indexes, fetched and verified."""

from __future__ import annotations

import grpc
from packyard_rpc.v1 import connector_pb2 as pb
from packyard_rpc.v1 import connector_pb2_grpc

from packyard.common.errors import BadGateway, PackyardError
from packyard.gateway.clients.calls import Client, ServerStream, Unary, status_error

# Backfilling an upstream file's metadata may download the whole file first.
METADATA_TIMEOUT = 600.0


def connector_error(exc: grpc.aio.AioRpcError) -> PackyardError:
    """DATA_LOSS is the connector's word for an upstream answer that must not be served."""
    if exc.code() == grpc.StatusCode.DATA_LOSS:
        return BadGateway(exc.details() or "Bad upstream response.")
    return status_error(exc)


class ConnectorClient(Client, stub=connector_pb2_grpc.ConnectorServiceStub):
    errors = staticmethod(connector_error)

    get_upstream_project = Unary[pb.GetUpstreamProjectRequest, pb.GetUpstreamProjectResponse]()
    fetch_metadata = Unary[pb.FetchMetadataRequest, pb.FetchMetadataResponse](
        min_timeout=METADATA_TIMEOUT
    )
    # A file streamed to an HTTP client: as long as it takes to read, so no deadline.
    fetch_file = ServerStream[pb.FetchFileRequest, pb.FetchFileResponse](deadline=False)
