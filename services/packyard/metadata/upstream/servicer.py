"""gRPC UpstreamService: proto <-> domain for connectors, the upstream cache and origin rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC

import grpc
from packyard_rpc.v1 import common_pb2, upstream_pb2, upstream_pb2_grpc

from packyard.common.errors import InvalidArgument, PermissionDenied
from packyard.common.pb_fields import from_pb, to_pb
from packyard.common.rights import Right
from packyard.metadata.callers import caller
from packyard.metadata.update_masks import update_paths
from packyard.metadata.upstream.models import (
    BackfilledMetadata,
    CachedFile,
    Connector,
    Credentials,
    FeedOrigin,
    Listing,
    OriginPolicy,
    ServedProject,
)
from packyard.metadata.upstream.service import UpstreamStore
from packyard.protocol.json_api import latest_version
from packyard.protocol.upstream_description import UpstreamDescription

SERVICE_NAME = "packyard.rpc.v1.UpstreamService"

_SETTING = {
    upstream_pb2.ORIGIN_SETTING_UNSET: None,
    upstream_pb2.ORIGIN_SETTING_ALLOW: True,
    upstream_pb2.ORIGIN_SETTING_BLOCK: False,
}


_STATUS_TEXT = {
    common_pb2.PROJECT_STATUS_ACTIVE: "active",
    common_pb2.PROJECT_STATUS_ARCHIVED: "archived",
    common_pb2.PROJECT_STATUS_QUARANTINED: "quarantined",
    common_pb2.PROJECT_STATUS_DEPRECATED: "deprecated",
}


def connector_to_pb(c: Connector, *, with_secrets: bool = False) -> upstream_pb2.Connector:
    pb = to_pb(upstream_pb2.Connector, c)
    if with_secrets and c.credentials is not None:
        pb.username, pb.password = c.credentials.username, c.credentials.password
    return pb


def connector_from_pb(pb: upstream_pb2.Connector) -> Connector:
    return from_pb(
        Connector,
        pb,
        simple_path=pb.simple_path or "/simple",
        credentials=Credentials(pb.username, pb.password) if pb.username else None,
    )


def policy_to_pb(p: OriginPolicy) -> upstream_pb2.OriginPolicy:
    return to_pb(upstream_pb2.OriginPolicy, p)


def listing_to_pb(row: Listing) -> upstream_pb2.UpstreamListing:
    pb = upstream_pb2.UpstreamListing.FromString(row.payload)
    pb.connector, pb.found = row.connector_id, row.found
    pb.etag, pb.last_modified = row.etag, row.last_modified
    pb.serial, pb.upstream_serial = row.serial, row.upstream_serial
    pb.fetched.FromDatetime(row.fetched)
    return pb


def listing_from_pb(pb: upstream_pb2.UpstreamListing) -> Listing:
    """What is stored of a listing: its content as one payload, the fields the cache works on
    as columns."""
    payload = upstream_pb2.UpstreamListing(
        files=pb.files, versions=pb.versions, status=pb.status
    ).SerializeToString(deterministic=True)
    return Listing(
        connector_id=pb.connector,
        found=pb.found,
        payload=payload,
        etag=pb.etag,
        last_modified=pb.last_modified,
        upstream_serial=pb.upstream_serial,
        fetched=pb.fetched.ToDatetime(tzinfo=UTC),
        serial=pb.serial,
        has_files=len(pb.files) > 0,
        latest_version=latest_version(pb.versions) if pb.versions else "",
        status=_STATUS_TEXT.get(pb.status, "active"),
    )


def description_from_pb(pb: upstream_pb2.UpstreamDescription) -> UpstreamDescription:
    return from_pb(
        UpstreamDescription,
        pb,
        project_urls=tuple((u.label, u.url) for u in pb.project_urls),
    )


def served_to_pb(served: ServedProject) -> upstream_pb2.UpstreamDescription:
    pb = to_pb(
        upstream_pb2.UpstreamDescription,
        served.description,
        project_urls=[
            upstream_pb2.ProjectUrl(label=label, url=url)
            for label, url in served.description.project_urls
        ],
        connector=served.connector_id,
        latest_version=served.latest_version,
    )
    if served.described is not None:
        pb.described.FromDatetime(served.described)
    return pb


def cached_to_pb(row: CachedFile) -> common_pb2.FileInfo:
    return common_pb2.FileInfo.FromString(row.payload)


def backfilled_to_pb(row: BackfilledMetadata) -> upstream_pb2.BackfilledMetadata:
    return to_pb(upstream_pb2.BackfilledMetadata, row)


def _feed_origin_pb(o: FeedOrigin) -> upstream_pb2.FeedOrigin:
    return to_pb(upstream_pb2.FeedOrigin, o)


class UpstreamServicer(upstream_pb2_grpc.UpstreamServiceServicer):
    def __init__(self, store: UpstreamStore) -> None:
        self._store = store

    async def AddConnector(
        self, request: upstream_pb2.AddConnectorRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.AddConnectorResponse:
        caller().require_right(request.connector.feed, Right.ADMIN)
        added = await self._store.add_connector(connector_from_pb(request.connector))
        return upstream_pb2.AddConnectorResponse(connector=connector_to_pb(added))

    async def UpdateConnector(
        self, request: upstream_pb2.UpdateConnectorRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.UpdateConnectorResponse:
        caller().require_right(request.connector.feed, Right.ADMIN)
        updated = await self._store.update_connector(
            connector_from_pb(request.connector),
            update_paths(
                request.update_mask,
                request.field_mask if request.HasField("field_mask") else None,
            ),
        )
        return upstream_pb2.UpdateConnectorResponse(connector=connector_to_pb(updated))

    async def RemoveConnector(
        self, request: upstream_pb2.RemoveConnectorRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.RemoveConnectorResponse:
        caller().require_right(request.feed, Right.ADMIN)
        await self._store.remove_connector(request.feed, request.id)
        return upstream_pb2.RemoveConnectorResponse()

    async def ListConnectors(
        self, request: upstream_pb2.ListConnectorsRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.ListConnectorsResponse:
        # Credentials go only to the connector service, which needs them upstream.
        if request.include_credentials and not caller().service:
            raise PermissionDenied("Only the connector service reads credentials.")
        # The read path asks whether a feed has upstream indexes.
        await caller().require_read(request.feed)
        found = await self._store.list_connectors(
            request.feed, with_secrets=request.include_credentials
        )
        return upstream_pb2.ListConnectorsResponse(
            connectors=[connector_to_pb(c, with_secrets=request.include_credentials) for c in found]
        )

    async def GetUpstreamState(
        self, request: upstream_pb2.GetUpstreamStateRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.GetUpstreamStateResponse:
        state = await self._store.state(request.feed, request.project)
        return upstream_pb2.GetUpstreamStateResponse(
            policy=policy_to_pb(state.policy),
            listings=[listing_to_pb(row) for row in state.listings],
            cached_files=[cached_to_pb(row) for row in state.cached_files],
            backfilled=[backfilled_to_pb(row) for row in state.backfilled],
        )

    async def GetCachedFile(
        self, request: upstream_pb2.GetCachedFileRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.GetCachedFileResponse:
        await caller().require_read(request.feed)
        found = await self._store.cached_file(request.feed, request.filename)
        return upstream_pb2.GetCachedFileResponse(file=cached_to_pb(found))

    async def RecordUpstreamOrigin(
        self, request: upstream_pb2.RecordUpstreamOriginRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.RecordUpstreamOriginResponse:
        policy = await self._store.record_upstream_origin(request.feed, request.project)
        return upstream_pb2.RecordUpstreamOriginResponse(policy=policy_to_pb(policy))

    async def RecordListing(
        self, request: upstream_pb2.RecordListingRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.RecordListingResponse:
        recorded = await self._store.record_listing(
            request.feed, request.project, listing_from_pb(request.listing)
        )
        return upstream_pb2.RecordListingResponse(recorded=recorded)

    async def RecordCachedFile(
        self, request: upstream_pb2.RecordCachedFileRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.RecordCachedFileResponse:
        info = request.file
        stored = await self._store.record_cached_file(
            CachedFile(
                feed=request.feed,
                filename=info.filename,
                project=info.project,
                sha256=info.hashes.sha256,
                payload=info.SerializeToString(deterministic=True),
                connector_id=request.connector,
                size=max(info.size, 0),
            )
        )
        return upstream_pb2.RecordCachedFileResponse(file=cached_to_pb(stored))

    async def RecordBackfilledMetadata(
        self,
        request: upstream_pb2.RecordBackfilledMetadataRequest,
        context: grpc.aio.ServicerContext,
    ) -> upstream_pb2.RecordBackfilledMetadataResponse:
        backfilled = from_pb(
            BackfilledMetadata,
            request.metadata,
            feed=request.feed,
            project=request.project,
            connector_id=request.connector,
        )
        stored = await self._store.record_backfilled(backfilled)
        return upstream_pb2.RecordBackfilledMetadataResponse(metadata=backfilled_to_pb(stored))

    async def RecordUpstreamDescription(
        self,
        request: upstream_pb2.RecordUpstreamDescriptionRequest,
        context: grpc.aio.ServicerContext,
    ) -> upstream_pb2.RecordUpstreamDescriptionResponse:
        recorded = await self._store.record_description(
            request.feed, request.project, description_from_pb(request.description)
        )
        return upstream_pb2.RecordUpstreamDescriptionResponse(recorded=recorded)

    async def GetUpstreamDescription(
        self,
        request: upstream_pb2.GetUpstreamDescriptionRequest,
        context: grpc.aio.ServicerContext,
    ) -> upstream_pb2.GetUpstreamDescriptionResponse:
        await caller().require_read(request.feed)
        served = await self._store.served_project(request.feed, request.project)
        return upstream_pb2.GetUpstreamDescriptionResponse(description=served_to_pb(served))

    async def RecordConnectorHealth(
        self,
        request: upstream_pb2.RecordConnectorHealthRequest,
        context: grpc.aio.ServicerContext,
    ) -> upstream_pb2.RecordConnectorHealthResponse:
        await self._store.record_health(
            request.connector, request.success, request.error, request.breaker_open
        )
        return upstream_pb2.RecordConnectorHealthResponse()

    async def GetConnectorHealth(
        self, request: upstream_pb2.GetConnectorHealthRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.GetConnectorHealthResponse:
        caller().require_right(request.feed, Right.ADMIN)
        found = await self._store.connector_health(request.feed)
        return upstream_pb2.GetConnectorHealthResponse(
            connectors=[
                to_pb(upstream_pb2.ConnectorHealth, h, connector=h.connector_id) for h in found
            ]
        )

    async def ListNameListsDue(
        self, request: upstream_pb2.ListNameListsDueRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.ListNameListsDueResponse:
        due = await self._store.name_lists_due(request.older_than_seconds)
        return upstream_pb2.ListNameListsDueResponse(
            due=[
                upstream_pb2.NameListDue(
                    connector=connector_to_pb(c, with_secrets=True), etag=etag, last_modified=lm
                )
                for c, etag, lm in due
            ]
        )

    async def RecordUpstreamNames(
        self,
        request_iterator: AsyncIterator[upstream_pb2.RecordUpstreamNamesRequest],
        context: grpc.aio.ServicerContext,
    ) -> upstream_pb2.RecordUpstreamNamesResponse:
        first: upstream_pb2.RecordUpstreamNamesRequest | None = None
        names: list[str] = []
        async for part in request_iterator:
            first = first or part
            names.extend(part.names)
        if first is None or not first.connector:
            raise InvalidArgument("The first message names the connector.")
        count = await self._store.record_names(
            first.connector,
            first.etag,
            first.last_modified,
            None if first.not_modified else names,
        )
        return upstream_pb2.RecordUpstreamNamesResponse(names=count)

    async def GetOriginPolicy(
        self, request: upstream_pb2.GetOriginPolicyRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.GetOriginPolicyResponse:
        await caller().require_read(request.feed)
        policy = await self._store.policy(request.feed, request.project)
        return upstream_pb2.GetOriginPolicyResponse(policy=policy_to_pb(policy))

    async def SetProjectOrigin(
        self, request: upstream_pb2.SetProjectOriginRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.SetProjectOriginResponse:
        caller().require_right(request.feed, Right.ADMIN)
        policy = await self._store.set_project_origin(
            request.feed, request.project, _SETTING[request.upstream], _SETTING[request.publish]
        )
        return upstream_pb2.SetProjectOriginResponse(policy=policy_to_pb(policy))

    async def SetFeedOrigin(
        self, request: upstream_pb2.SetFeedOriginRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.SetFeedOriginResponse:
        caller().require_right(request.origin.feed, Right.ADMIN)
        stored = await self._store.set_feed_origin(from_pb(FeedOrigin, request.origin))
        return upstream_pb2.SetFeedOriginResponse(origin=_feed_origin_pb(stored))

    async def GetFeedOrigin(
        self, request: upstream_pb2.GetFeedOriginRequest, context: grpc.aio.ServicerContext
    ) -> upstream_pb2.GetFeedOriginResponse:
        caller().require_right(request.feed, Right.ADMIN)
        stored = await self._store.feed_origin(request.feed)
        return upstream_pb2.GetFeedOriginResponse(origin=_feed_origin_pb(stored))
