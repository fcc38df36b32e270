"""JSON behind the UI: search across readable feeds, a feed's project listing, download
counts. Errors are the gateway's usual JSON/text answers (gateway/responses.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from google.protobuf.timestamp_pb2 import Timestamp
from packyard_rpc.v1 import catalog_pb2

from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.ui.access import readable_feeds, visible_feed
from packyard.gateway.ui.origins import ORIGIN_TEXT, origin_filter
from packyard.gateway.ui.project import STATUS_TEXT
from packyard.gateway.ui.render import path_part
from packyard.protocol.names import normalize

router = APIRouter(prefix="/api/v1", tags=["catalog"])

SORT_ORDER = {
    "name": catalog_pb2.PROJECT_ORDER_NAME,
    "updated": catalog_pb2.PROJECT_ORDER_LAST_UPLOAD,
    "downloads": catalog_pb2.PROJECT_ORDER_DOWNLOADS,
    "origin": catalog_pb2.PROJECT_ORDER_ORIGIN,
}


def _iso(ts: Timestamp, present: bool) -> str | None:
    if not present:
        return None
    return ts.ToDatetime().isoformat(timespec="seconds") + "Z"


def _project_json(base: str, p: catalog_pb2.CatalogProject) -> dict[str, Any]:
    return {
        "feed": p.feed,
        "name": p.name,
        "display_name": p.display_name,
        "version": p.latest_version,
        "summary": p.summary,
        "last_upload": _iso(p.last_upload, p.HasField("last_upload")),
        "downloads": p.downloads,
        "status": STATUS_TEXT.get(p.status, "active"),
        "origin": ORIGIN_TEXT.get(p.origin, "hosted"),
        "connector": p.connector or None,
        # A name from the upstream's project list: installable, never served here yet.
        "cached": not p.not_cached,
        "url": f"{base}/feeds/{path_part(p.feed)}/projects/{path_part(p.name)}/",
        "index_url": f"{base}/pypi/{path_part(p.feed)}/simple/",
    }


@router.get("/search", summary="Search the projects of every feed the caller may read")
async def search(
    request: Request,
    backends: BackendsDep,
    auth: AuthDep,
    q: str = "",
    feed: str = "",
    limit: int = 20,
) -> dict[str, Any]:
    principal = await auth.principal(request)
    if feed:
        feeds = [(await visible_feed(auth, feed, principal)).name]
    else:
        feeds = [f.name for f in await readable_feeds(backends, principal)]
    reply = await backends.catalog.search(
        catalog_pb2.SearchRequest(query=q, feeds=feeds, limit=max(1, min(limit, 100)))
    )
    base = str(request.base_url).rstrip("/")
    return {"query": q, "results": [_project_json(base, p) for p in reply.projects]}


@router.get("/feeds/{feed}/catalog", summary="A page of a feed's projects, sorted")
async def feed_catalog(
    feed: str,
    request: Request,
    backends: BackendsDep,
    auth: AuthDep,
    sort: str = "name",
    page: int = 1,
    per_page: int = 50,
    origin: str = "",
) -> dict[str, Any]:
    """Hosted projects and those served from upstream (``origin`` says which, ``connector``
    through which connector); ``origin=hosted|upstream`` keeps one kind."""
    principal = await auth.principal(request)
    await visible_feed(auth, feed, principal)
    reply = await backends.catalog.list_feed_projects(
        catalog_pb2.ListFeedProjectsRequest(
            feed=feed,
            order=SORT_ORDER.get(sort, catalog_pb2.PROJECT_ORDER_NAME),
            page=max(1, page),
            page_size=max(1, min(per_page, 200)),
            origin=origin_filter(origin),
        )
    )
    base = str(request.base_url).rstrip("/")
    return {
        "feed": feed,
        "total": reply.total,
        "page": max(1, page),
        "projects": [_project_json(base, p) for p in reply.projects],
    }


@router.get(
    "/feeds/{feed}/projects/{project}/downloads",
    summary="Downloads of a project and of each of its files",
)
async def downloads(
    feed: str, project: str, request: Request, backends: BackendsDep, auth: AuthDep
) -> dict[str, Any]:
    principal = await auth.principal(request)
    await visible_feed(auth, feed, principal)
    name = normalize(project)
    reply = await backends.catalog.get_download_counts(
        catalog_pb2.GetDownloadCountsRequest(feed=feed, project=name)
    )
    return {"feed": feed, "project": name, "downloads": reply.project, "files": dict(reply.files)}
