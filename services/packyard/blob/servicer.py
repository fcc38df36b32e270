"""gRPC edge of the blob service: decode, one call to BlobService, encode."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

import grpc
from packyard_rpc.v1 import blob_pb2, blob_pb2_grpc, common_pb2

from packyard.blob.digests import Digests
from packyard.blob.service import BlobService
from packyard.blob.store import StoredBlob
from packyard.common.errors import InvalidArgument


def _to_pb(blob: StoredBlob) -> blob_pb2.BlobInfo:
    d = blob.digests
    return blob_pb2.BlobInfo(
        hashes=common_pb2.Hashes(sha256=d.sha256, blake2b_256=d.blake2b_256, md5=d.md5),
        size=blob.size,
    )


def _digests_from_pb(hashes: common_pb2.Hashes) -> Digests:
    return Digests(sha256=hashes.sha256, blake2b_256=hashes.blake2b_256, md5=hashes.md5)


async def _chunks(requests: AsyncIterator[blob_pb2.PutBlobRequest]) -> AsyncIterator[bytes]:
    async for request in requests:
        if request.WhichOneof("part") == "header":
            raise InvalidArgument("Only the first message may be the header.")
        yield request.chunk


class BlobServicer(blob_pb2_grpc.BlobServiceServicer):
    def __init__(self, service: BlobService) -> None:
        self._service = service

    async def PutBlob(
        self,
        request_iterator: AsyncIterable[blob_pb2.PutBlobRequest],
        context: grpc.aio.ServicerContext,
    ) -> blob_pb2.PutBlobResponse:
        requests = aiter(request_iterator)
        first = await anext(requests, None)
        if first is None or first.WhichOneof("part") != "header":
            raise InvalidArgument("The first message must be the header.")
        header = first.header
        result = await self._service.put(
            _chunks(requests),
            expected=_digests_from_pb(header.expected),
            max_size=header.max_size,
            filename=header.filename,
        )
        return blob_pb2.PutBlobResponse(
            blob=_to_pb(result.blob),
            created=result.created,
            core_metadata=_to_pb(result.core_metadata) if result.core_metadata else None,
        )

    async def GetBlob(
        self, request: blob_pb2.GetBlobRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[blob_pb2.GetBlobResponse]:
        async for chunk in self._service.read(request.sha256, request.offset, request.length):
            yield blob_pb2.GetBlobResponse(chunk=chunk)

    async def StatBlob(
        self, request: blob_pb2.StatBlobRequest, context: grpc.aio.ServicerContext
    ) -> blob_pb2.StatBlobResponse:
        return blob_pb2.StatBlobResponse(blob=_to_pb(await self._service.stat(request.sha256)))

    async def DeleteBlob(
        self, request: blob_pb2.DeleteBlobRequest, context: grpc.aio.ServicerContext
    ) -> blob_pb2.DeleteBlobResponse:
        deleted = await self._service.delete(request.sha256, request.older_than_seconds)
        return blob_pb2.DeleteBlobResponse(deleted=deleted)

    async def ListBlobs(
        self, request: blob_pb2.ListBlobsRequest, context: grpc.aio.ServicerContext
    ) -> blob_pb2.ListBlobsResponse:
        found, next_token = await self._service.list_page(
            request.page_token, request.page_size, quarantined=request.quarantined
        )
        return blob_pb2.ListBlobsResponse(
            blobs=[
                blob_pb2.ListedBlob(sha256=o.sha256, size=o.size, age_seconds=int(o.age_seconds))
                for o in found
            ],
            next_page_token=next_token,
        )

    async def VerifyBlob(
        self, request: blob_pb2.VerifyBlobRequest, context: grpc.aio.ServicerContext
    ) -> blob_pb2.VerifyBlobResponse:
        result = await self._service.verify(request.sha256)
        return blob_pb2.VerifyBlobResponse(
            intact=result.intact, quarantined=result.quarantined, size=result.size
        )
