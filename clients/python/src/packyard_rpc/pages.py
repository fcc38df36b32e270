"""Every item of a paged List* call (AIP-158): ask page after page, following
``next_page_token`` until it comes back empty. Each page is its own call with its own
deadline and retries, so a long listing never hangs on one deadline."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from packyard_rpc.v1 import catalog_pb2, metadata_pb2


def iter_feeds(metadata: Any, page_size: int = 100) -> Iterator[metadata_pb2.Feed]:
    """The feeds the key may read, by name; ``metadata`` is ``client.metadata``."""
    token = ""
    while True:
        reply = metadata.ListFeeds(
            metadata_pb2.ListFeedsRequest(page_size=page_size, page_token=token)
        )
        yield from reply.feeds
        token = reply.next_page_token
        if not token:
            return


def iter_projects(
    metadata: Any, feed: str, page_size: int = 1000
) -> Iterator[metadata_pb2.ProjectSummary]:
    """The projects of ``feed``, by name; ``metadata`` is ``client.metadata``."""
    token = ""
    while True:
        request = metadata_pb2.ListProjectsRequest(feed=feed, page_size=page_size, page_token=token)
        token = ""
        for reply in metadata.ListProjects(request):
            yield from reply.projects
            token = reply.next_page_token or token
        if not token:
            return


def iter_feed_projects(
    catalog: Any, request: catalog_pb2.ListFeedProjectsRequest
) -> Iterator[catalog_pb2.CatalogProject]:
    """The projects of ``request.feed`` in its order and origin; ``catalog`` is
    ``client.catalog``. ``request.page_size`` sets the page (0 = the server's 50)."""
    page = catalog_pb2.ListFeedProjectsRequest()
    page.CopyFrom(request)
    while True:
        reply = catalog.ListFeedProjects(page)
        yield from reply.projects
        if not reply.next_page_token:
            return
        page.page_token = reply.next_page_token


async def aiter_projects(
    metadata: Any, feed: str, page_size: int = 1000
) -> AsyncIterator[metadata_pb2.ProjectSummary]:
    """iter_projects for ``AsyncClient``."""
    token = ""
    while True:
        request = metadata_pb2.ListProjectsRequest(feed=feed, page_size=page_size, page_token=token)
        token = ""
        async for reply in metadata.ListProjects(request):
            for project in reply.projects:
                yield project
            token = reply.next_page_token or token
        if not token:
            return


async def aiter_feed_projects(
    catalog: Any, request: catalog_pb2.ListFeedProjectsRequest
) -> AsyncIterator[catalog_pb2.CatalogProject]:
    """iter_feed_projects for ``AsyncClient``."""
    page = catalog_pb2.ListFeedProjectsRequest()
    page.CopyFrom(request)
    while True:
        reply = await catalog.ListFeedProjects(page)
        for project in reply.projects:
            yield project
        if not reply.next_page_token:
            return
        page.page_token = reply.next_page_token
