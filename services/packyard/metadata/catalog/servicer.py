"""gRPC CatalogService: decode the request, make one domain call, encode the reply."""

from __future__ import annotations

import asyncpg
import grpc
from packyard_rpc.v1 import catalog_pb2, catalog_pb2_grpc, common_pb2

from packyard.common.errors import InvalidArgument
from packyard.common.pb_fields import to_pb
from packyard.metadata import page_tokens
from packyard.metadata.callers import caller
from packyard.metadata.catalog.models import (
    CatalogProject,
    ProjectOrder,
    ProjectOrigin,
)
from packyard.metadata.catalog.service import CatalogService
from packyard.metadata.pb_common import STATUS_TO_PB

CATALOG_SERVICE_NAME = "packyard.rpc.v1.CatalogService"

_ORDER_FROM_PB = {
    catalog_pb2.PROJECT_ORDER_UNSPECIFIED: ProjectOrder.NAME,
    catalog_pb2.PROJECT_ORDER_NAME: ProjectOrder.NAME,
    catalog_pb2.PROJECT_ORDER_LAST_UPLOAD: ProjectOrder.LAST_UPLOAD,
    catalog_pb2.PROJECT_ORDER_DOWNLOADS: ProjectOrder.DOWNLOADS,
    catalog_pb2.PROJECT_ORDER_ORIGIN: ProjectOrder.ORIGIN,
}

Context = grpc.aio.ServicerContext


_ORIGIN_TO_PB = {
    ProjectOrigin.HOSTED: common_pb2.ORIGIN_HOSTED,
    ProjectOrigin.UPSTREAM: common_pb2.ORIGIN_UPSTREAM,
}
_ORIGIN_FROM_PB = {pb: origin for origin, pb in _ORIGIN_TO_PB.items()}


def _project_to_pb(project: CatalogProject) -> catalog_pb2.CatalogProject:
    return to_pb(
        catalog_pb2.CatalogProject,
        project,
        status=STATUS_TO_PB[project.status],
        origin=_ORIGIN_TO_PB[project.origin],
        connector=project.connector_id,
    )


def _token_offset(token: str, scope: str) -> int:
    # These orders (downloads, last upload) have no unique key to resume after, so the token
    # holds an offset; a project added meanwhile can shift one item between pages.
    after = page_tokens.decode(token, scope)
    if not after.isdigit():
        raise InvalidArgument("Invalid page_token.")
    return int(after)


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(self, service: CatalogService) -> None:
        self._service = service

    async def Search(
        self, request: catalog_pb2.SearchRequest, context: Context
    ) -> catalog_pb2.SearchResponse:
        feeds = await caller().readable(list(request.feeds))
        found = await self._service.search(request.query, feeds, request.limit)
        return catalog_pb2.SearchResponse(projects=[_project_to_pb(p) for p in found])

    async def ListFeedProjects(
        self, request: catalog_pb2.ListFeedProjectsRequest, context: Context
    ) -> catalog_pb2.ListFeedProjectsResponse:
        await caller().require_read(request.feed)
        # A token is good only for the list it came from: same feed, order and origin.
        scope = f"ListFeedProjects:{request.feed}:{request.order}:{request.origin}"
        page = await self._service.list_projects(
            request.feed,
            _ORDER_FROM_PB.get(request.order, ProjectOrder.NAME),
            request.page,
            request.page_size,
            _ORIGIN_FROM_PB.get(request.origin),
            offset=_token_offset(request.page_token, scope) if request.page_token else None,
        )
        following = page_tokens.encode(scope, str(page.end)) if page.end < page.total else ""
        return catalog_pb2.ListFeedProjectsResponse(
            projects=[_project_to_pb(p) for p in page.projects],
            total=page.total,
            next_page_token=following,
        )

    async def GetFeedStats(
        self, request: catalog_pb2.GetFeedStatsRequest, context: Context
    ) -> catalog_pb2.GetFeedStatsResponse:
        feeds = await caller().readable(list(request.feeds))
        stats = await self._service.feed_stats(feeds)
        return catalog_pb2.GetFeedStatsResponse(
            stats=[to_pb(catalog_pb2.FeedStats, s) for s in stats]
        )

    async def RecordDownloads(
        self, request: catalog_pb2.RecordDownloadsRequest, context: Context
    ) -> catalog_pb2.RecordDownloadsResponse:
        recorded = await self._service.record_downloads(
            [(c.feed, c.filename, c.count) for c in request.counts]
        )
        return catalog_pb2.RecordDownloadsResponse(recorded=recorded)

    async def GetDownloadCounts(
        self, request: catalog_pb2.GetDownloadCountsRequest, context: Context
    ) -> catalog_pb2.GetDownloadCountsResponse:
        await caller().require_read(request.feed)
        counts = await self._service.download_counts(request.feed, request.project)
        return catalog_pb2.GetDownloadCountsResponse(project=counts.project, files=counts.files)

    async def ListRecentReleases(
        self, request: catalog_pb2.ListRecentReleasesRequest, context: Context
    ) -> catalog_pb2.ListRecentReleasesResponse:
        await caller().require_read(request.feed)
        entries = await self._service.recent_releases(request.feed, request.project, request.limit)
        return catalog_pb2.ListRecentReleasesResponse(
            releases=[to_pb(catalog_pb2.ReleaseEntry, e) for e in entries]
        )


def add_catalog_service(server: grpc.aio.Server, pool: asyncpg.Pool, acquire_timeout: float) -> str:
    """Serve CatalogService on ``server``; returns its name for the health service."""
    catalog_pb2_grpc.add_CatalogServiceServicer_to_server(
        CatalogServicer(CatalogService(pool, acquire_timeout=acquire_timeout)), server
    )
    return CATALOG_SERVICE_NAME
