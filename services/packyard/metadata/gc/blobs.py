"""The collector's and scrubber's view of the bucket: BlobService RPCs, as plain Python."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
from packyard_rpc.v1 import blob_pb2, blob_pb2_grpc

from packyard.common.errors import error_for_status

_TIMEOUT = 60.0
# Re-hashing reads the whole object; allow a slow store a while for a large one.
_VERIFY_TIMEOUT = 3600.0


@dataclass(frozen=True)
class Listed:
    sha256: str
    size: int
    age_seconds: int


@dataclass(frozen=True)
class Verified:
    intact: bool
    quarantined: bool
    size: int


class BlobClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = blob_pb2_grpc.BlobServiceStub(channel)

    async def objects(
        self, page_size: int = 1000, *, quarantined: bool = False
    ) -> AsyncIterator[Listed]:
        token = ""
        while True:
            try:
                reply = await self._stub.ListBlobs(
                    blob_pb2.ListBlobsRequest(
                        page_token=token, page_size=page_size, quarantined=quarantined
                    ),
                    timeout=_TIMEOUT,
                )
            except grpc.aio.AioRpcError as exc:
                raise error_for_status(exc.code(), exc.details() or "") from None
            for blob in reply.blobs:
                yield Listed(blob.sha256, blob.size, blob.age_seconds)
            token = reply.next_page_token
            if not token:
                return

    async def delete(self, sha256: str, older_than_seconds: int) -> bool:
        try:
            reply = await self._stub.DeleteBlob(
                blob_pb2.DeleteBlobRequest(sha256=sha256, older_than_seconds=older_than_seconds),
                timeout=_TIMEOUT,
            )
        except grpc.aio.AioRpcError as exc:
            raise error_for_status(exc.code(), exc.details() or "") from None
        return reply.deleted

    async def verify(self, sha256: str) -> Verified:
        try:
            reply = await self._stub.VerifyBlob(
                blob_pb2.VerifyBlobRequest(sha256=sha256), timeout=_VERIFY_TIMEOUT
            )
        except grpc.aio.AioRpcError as exc:
            raise error_for_status(exc.code(), exc.details() or "") from None
        return Verified(reply.intact, reply.quarantined, reply.size)
