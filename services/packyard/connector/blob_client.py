"""What the connector asks the blob service: store bytes under an expected sha256 (the blob
service commits only if they match), stat and read stored objects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
from packyard_rpc.v1 import blob_pb2, blob_pb2_grpc, common_pb2

from packyard.common.errors import Unavailable

# A whole file may take long to upload; the RPC deadline must not cut it short.
_PUT_FILE_TIMEOUT = 600.0


class DigestRefused(Exception):
    """The blob service refused the bytes: they do not have the expected digest."""


@dataclass(frozen=True, slots=True)
class Stored:
    size: int
    sha256: str
    md5: str
    blake2b_256: str
    core_metadata_sha256: str  # the wheel's METADATA, extracted by the blob service; "" if none


class BlobClient:
    def __init__(self, stub: blob_pb2_grpc.BlobServiceStub, *, timeout: float) -> None:
        self._stub = stub
        self._timeout = timeout

    async def put(
        self,
        chunks: AsyncIterator[bytes],
        *,
        sha256: str,
        max_size: int = 0,
        filename: str = "",
    ) -> Stored:
        """Store the bytes if their sha256 is ``sha256`` (DigestRefused if not)."""

        async def requests() -> AsyncIterator[blob_pb2.PutBlobRequest]:
            yield blob_pb2.PutBlobRequest(
                header=blob_pb2.PutBlobHeader(
                    expected=common_pb2.Hashes(sha256=sha256), max_size=max_size, filename=filename
                )
            )
            async for chunk in chunks:
                yield blob_pb2.PutBlobRequest(chunk=chunk)

        timeout = max(self._timeout, _PUT_FILE_TIMEOUT) if filename else self._timeout
        try:
            reply = await self._stub.PutBlob(requests(), timeout=timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise DigestRefused(exc.details() or "digest mismatch") from None
            raise Unavailable("Storage temporarily unavailable.") from None
        hashes = reply.blob.hashes
        return Stored(
            size=reply.blob.size,
            sha256=hashes.sha256,
            md5=hashes.md5,
            blake2b_256=hashes.blake2b_256,
            core_metadata_sha256=(
                reply.core_metadata.hashes.sha256 if reply.HasField("core_metadata") else ""
            ),
        )

    async def put_small(self, sha256: str, data: bytes) -> Stored:
        async def one() -> AsyncIterator[bytes]:
            yield data

        return await self.put(one(), sha256=sha256)

    async def stat(self, sha256: str) -> int | None:
        """The stored object's size, None if there is none."""
        try:
            reply = await self._stub.StatBlob(
                blob_pb2.StatBlobRequest(sha256=sha256), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise Unavailable("Storage temporarily unavailable.") from None
        return reply.blob.size

    async def read(self, sha256: str) -> AsyncIterator[bytes]:
        async for part in self._stub.GetBlob(blob_pb2.GetBlobRequest(sha256=sha256)):
            yield part.chunk
