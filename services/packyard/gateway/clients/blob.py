"""BlobService: the stored bytes of files and their metadata."""

from __future__ import annotations

from collections.abc import AsyncIterator

from packyard_rpc.v1 import blob_pb2 as pb
from packyard_rpc.v1 import blob_pb2_grpc

from packyard.gateway.clients.calls import Client, ServerStream, Unary

# An upload streams the whole file: it gets at least this long, whatever the RPC timeout.
UPLOAD_TIMEOUT = 600.0


class BlobClient(Client, stub=blob_pb2_grpc.BlobServiceStub):
    put_blob = Unary[AsyncIterator[pb.PutBlobRequest], pb.PutBlobResponse](
        min_timeout=UPLOAD_TIMEOUT
    )
    stat_blob = Unary[pb.StatBlobRequest, pb.StatBlobResponse]()
    # A small object read whole, within the RPC timeout.
    get_blob = ServerStream[pb.GetBlobRequest, pb.GetBlobResponse]()
    # A download: as long as the HTTP client takes to read it, so no deadline.
    stream_blob = ServerStream[pb.GetBlobRequest, pb.GetBlobResponse](rpc="GetBlob", deadline=False)
