"""What the connector asks the metadata service: a feed's connectors (cached briefly), the
cached state of one project, and cached files."""

from __future__ import annotations

import time

import grpc

from packyard.common.errors import error_for_status
from packyard.rpc.v1 import common_pb2, upstream_pb2, upstream_pb2_grpc


def _domain_error(exc: grpc.aio.AioRpcError) -> Exception:
    return error_for_status(exc.code(), exc.details() or exc.code().name)


class Directory:
    def __init__(
        self, stub: upstream_pb2_grpc.UpstreamServiceStub, *, ttl: float, timeout: float
    ) -> None:
        self._stub = stub
        self._ttl = ttl
        self._timeout = timeout
        self._connectors: dict[str, tuple[float, list[upstream_pb2.Connector]]] = {}

    async def connectors(self, feed: str) -> list[upstream_pb2.Connector]:
        """The feed's connectors with credentials, in priority order."""
        hit = self._connectors.get(feed)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            reply = await self._stub.ListConnectors(
                upstream_pb2.ListConnectorsRequest(feed=feed, include_credentials=True),
                timeout=self._timeout,
            )
        except grpc.aio.AioRpcError as exc:
            raise _domain_error(exc) from None
        found = list(reply.connectors)
        self._connectors[feed] = (now + self._ttl, found)
        return found

    async def state(self, feed: str, project: str) -> upstream_pb2.GetUpstreamStateResponse:
        try:
            return await self._stub.GetUpstreamState(
                upstream_pb2.GetUpstreamStateRequest(feed=feed, project=project),
                timeout=self._timeout,
            )
        except grpc.aio.AioRpcError as exc:
            raise _domain_error(exc) from None

    async def cached_file(self, feed: str, filename: str) -> common_pb2.FileInfo | None:
        try:
            reply = await self._stub.GetCachedFile(
                upstream_pb2.GetCachedFileRequest(feed=feed, filename=filename),
                timeout=self._timeout,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise _domain_error(exc) from None
        return reply.file

    async def record_origin(self, feed: str, project: str) -> None:
        """Record synchronously that ``project`` is served from upstream (idempotent)."""
        try:
            await self._stub.RecordUpstreamOrigin(
                upstream_pb2.RecordUpstreamOriginRequest(feed=feed, project=project),
                timeout=self._timeout,
            )
        except grpc.aio.AioRpcError as exc:
            raise _domain_error(exc) from None

    async def record_backfilled(
        self, feed: str, project: str, connector: str, metadata: upstream_pb2.BackfilledMetadata
    ) -> upstream_pb2.BackfilledMetadata:
        """Record METADATA read with range requests; returns the record that is stored."""
        try:
            reply = await self._stub.RecordBackfilledMetadata(
                upstream_pb2.RecordBackfilledMetadataRequest(
                    feed=feed, project=project, connector=connector, metadata=metadata
                ),
                timeout=self._timeout,
            )
        except grpc.aio.AioRpcError as exc:
            raise _domain_error(exc) from None
        return reply.metadata
