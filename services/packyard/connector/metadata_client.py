"""What the connector asks and tells the metadata service, the one store of upstream state:
a feed's connectors (cached briefly), the state of one project, and the records of what the
connector fetched and verified. Converts between protobuf and the connector's values."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import grpc
from google.protobuf.message import Message
from packyard_rpc.v1 import upstream_pb2, upstream_pb2_grpc

from packyard.common.errors import NotFound, error_for_status
from packyard.connector.convert import (
    backfilled_from_pb,
    backfilled_to_pb,
    connector_from_pb,
    description_to_pb,
    file_from_pb,
    file_to_pb,
    listing_to_pb,
    state_from_pb,
)
from packyard.connector.models import Backfilled, Connector, Listing, OfferedFile, UpstreamState
from packyard.protocol.upstream_description import UpstreamDescription

Reply = TypeVar("Reply")
# Names per message of a streamed name list: far below gRPC's 4 MiB message cap.
NAMES_PER_MESSAGE = 20_000


def _domain_error(exc: grpc.aio.AioRpcError) -> Exception:
    return error_for_status(exc.code(), exc.details() or exc.code().name)


class MetadataClient:
    def __init__(
        self, stub: upstream_pb2_grpc.UpstreamServiceStub, *, ttl: float, timeout: float
    ) -> None:
        self._stub = stub
        self._ttl = ttl
        self._timeout = timeout
        # Configuration, not upstream state: a feed's connectors for ``ttl`` seconds.
        self._connectors: dict[str, tuple[float, list[Connector]]] = {}

    async def _call(self, rpc: Callable[..., Awaitable[Reply]], request: Message) -> Reply:
        try:
            return await rpc(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            raise _domain_error(exc) from None

    async def connectors(self, feed: str) -> list[Connector]:
        """The feed's connectors with credentials, in priority order."""
        hit = self._connectors.get(feed)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        reply = await self._call(
            self._stub.ListConnectors,
            upstream_pb2.ListConnectorsRequest(feed=feed, include_credentials=True),
        )
        found = [connector_from_pb(c) for c in reply.connectors]
        if len(self._connectors) >= 1024:  # bounded: feeds are few, but never grow forever
            self._connectors.clear()
        self._connectors[feed] = (now + self._ttl, found)
        return found

    async def state(self, feed: str, project: str) -> UpstreamState:
        reply = await self._call(
            self._stub.GetUpstreamState,
            upstream_pb2.GetUpstreamStateRequest(feed=feed, project=project),
        )
        return state_from_pb(reply)

    async def cached_file(self, feed: str, filename: str) -> OfferedFile | None:
        try:
            reply = await self._call(
                self._stub.GetCachedFile,
                upstream_pb2.GetCachedFileRequest(feed=feed, filename=filename),
            )
        except NotFound:
            return None
        return file_from_pb(reply.file)

    async def record_listing(self, feed: str, project: str, listing: Listing) -> bool:
        """Store a fetched listing (idempotent); False when a newer one is stored already."""
        reply = await self._call(
            self._stub.RecordListing,
            upstream_pb2.RecordListingRequest(
                feed=feed, project=project, listing=listing_to_pb(listing)
            ),
        )
        return reply.recorded

    async def record_cached_file(self, connector: str, cached: OfferedFile) -> OfferedFile:
        """Store a verified, cached upstream file; returns the record that stands."""
        reply = await self._call(
            self._stub.RecordCachedFile,
            upstream_pb2.RecordCachedFileRequest(
                feed=cached.feed, connector=connector, file=file_to_pb(cached)
            ),
        )
        return file_from_pb(reply.file)

    async def record_origin(self, feed: str, project: str) -> None:
        """Record synchronously that ``project`` is served from upstream (idempotent)."""
        await self._call(
            self._stub.RecordUpstreamOrigin,
            upstream_pb2.RecordUpstreamOriginRequest(feed=feed, project=project),
        )

    async def record_backfilled(
        self, feed: str, project: str, connector: str, metadata: Backfilled
    ) -> Backfilled:
        """Record METADATA read with range requests; returns the record that is stored."""
        reply = await self._call(
            self._stub.RecordBackfilledMetadata,
            upstream_pb2.RecordBackfilledMetadataRequest(
                feed=feed,
                project=project,
                connector=connector,
                metadata=backfilled_to_pb(metadata),
            ),
        )
        return backfilled_from_pb(reply.metadata)

    async def record_description(
        self, feed: str, project: str, connector: str, described: UpstreamDescription
    ) -> bool:
        """Describe a project served from upstream; False when the record was refused."""
        reply = await self._call(
            self._stub.RecordUpstreamDescription,
            upstream_pb2.RecordUpstreamDescriptionRequest(
                feed=feed,
                project=project,
                description=description_to_pb(described, connector),
            ),
        )
        return reply.recorded

    async def record_health(
        self, connector: str, success: bool, error: str, breaker_open: bool
    ) -> None:
        await self._call(
            self._stub.RecordConnectorHealth,
            upstream_pb2.RecordConnectorHealthRequest(
                connector=connector, success=success, error=error, breaker_open=breaker_open
            ),
        )

    async def name_lists_due(self, older_than: float) -> list[tuple[Connector, str, str]]:
        """(connector, ETag, Last-Modified) of each name list due for a refresh."""
        reply = await self._call(
            self._stub.ListNameListsDue,
            upstream_pb2.ListNameListsDueRequest(older_than_seconds=int(older_than)),
        )
        return [(connector_from_pb(d.connector), d.etag, d.last_modified) for d in reply.due]

    async def record_names(
        self, connector: str, etag: str, last_modified: str, names: list[str] | None
    ) -> int:
        """Replace the connector's name list (None: the upstream said it is unchanged)."""

        async def parts() -> AsyncIterator[upstream_pb2.RecordUpstreamNamesRequest]:
            yield upstream_pb2.RecordUpstreamNamesRequest(
                connector=connector, etag=etag, last_modified=last_modified,
                not_modified=names is None,
            )  # fmt: skip
            for start in range(0, len(names or ()), NAMES_PER_MESSAGE):
                chunk = (names or [])[start : start + NAMES_PER_MESSAGE]
                yield upstream_pb2.RecordUpstreamNamesRequest(names=chunk)

        try:
            # A whole list takes longer than one small call: minutes for PyPI's.
            reply = await self._stub.RecordUpstreamNames(parts(), timeout=self._timeout * 30)
        except grpc.aio.AioRpcError as exc:
            raise _domain_error(exc) from None
        return reply.names
