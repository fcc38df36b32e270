"""The web UI: feeds, a feed's projects, project and version pages, search, sign-in.

Server-rendered HTML (templates/, autoescaped) with one stylesheet and one small script.
Every page carries the CSP and nosniff headers, errors included (HtmlRoute). The JSON search
API, XML-RPC search, RSS and the admin forms are routers of their own, included here so the
app factory registers the whole UI with one line.
"""

from __future__ import annotations

import math
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from packyard_rpc.v1 import catalog_pb2, common_pb2, metadata_pb2

from packyard.common.errors import NotFound
from packyard.gateway.clients.calls import if_found
from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.pypi.offer import load_project, with_upstream_description
from packyard.gateway.pypi.supply import vulnerabilities_by_version
from packyard.gateway.ui import (
    actions,
    admin_pages,
    api,
    connectors,
    oidc_pages,
    promotion,
    rss,
    sign_in_pages,
    xmlrpc,
)
from packyard.gateway.ui.access import may_yank, readable_feeds, visible_feed
from packyard.gateway.ui.csrf import form_token
from packyard.gateway.ui.origins import (
    ORIGIN_FILTER_VALUES,
    ORIGIN_FILTERS,
    ORIGIN_TEXT,
    origin_filter,
)
from packyard.gateway.ui.project import (
    STATUS_TEXT,
    file_rows,
    find_version,
    index_url,
    install_lines,
    latest_version,
    project_links,
    version_rows,
)
from packyard.gateway.ui.render import SECURITY_HEADERS, render_page
from packyard.gateway.ui.routing import HtmlRoute
from packyard.protocol.names import normalize

SORTS = [
    ("name", "name"),
    ("updated", "last upload"),
    ("downloads", "downloads"),
    ("origin", "origin"),
]
SORT_ORDER = {
    "name": catalog_pb2.PROJECT_ORDER_NAME,
    "updated": catalog_pb2.PROJECT_ORDER_LAST_UPLOAD,
    "downloads": catalog_pb2.PROJECT_ORDER_DOWNLOADS,
    "origin": catalog_pb2.PROJECT_ORDER_ORIGIN,
}
PAGE_SIZE = 50
SEARCH_LIMIT = 50
_STATIC = {"ui.css": "text/css; charset=utf-8", "ui.js": "text/javascript; charset=utf-8"}


router = APIRouter(route_class=HtmlRoute)
for _module in (
    api,
    xmlrpc,
    rss,
    actions,
    connectors,
    promotion,
    sign_in_pages,
    oidc_pages,
    admin_pages,
):
    router.include_router(_module.router)


def _page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1_000_000))
    except ValueError:
        return 1


@router.get("/", include_in_schema=False)
async def feeds_page(request: Request, backends: BackendsDep, auth: AuthDep) -> Response:
    principal = await auth.principal(request)
    feeds = await readable_feeds(backends, principal)
    stats = await backends.catalog.get_feed_stats(
        catalog_pb2.GetFeedStatsRequest(feeds=[f.name for f in feeds])
    )
    by_feed = {s.feed: s for s in stats.stats}
    rows = [
        {
            "name": feed.name,
            "description": feed.description,
            "public": feed.anonymous_read,
            "projects": by_feed[feed.name].projects if feed.name in by_feed else 0,
            "downloads": by_feed[feed.name].downloads if feed.name in by_feed else 0,
            "last_upload": by_feed[feed.name].last_upload
            if feed.name in by_feed and by_feed[feed.name].HasField("last_upload")
            else None,
        }
        for feed in feeds
    ]
    return render_page(
        request,
        "feeds.html",
        feeds=rows,
        principal=principal.name if principal else "",
        query="",
        search_feed="",
    )


@router.get("/search", include_in_schema=False)
async def search_page(
    request: Request, backends: BackendsDep, auth: AuthDep, q: str = "", feed: str = ""
) -> Response:
    principal = await auth.principal(request)
    if feed:
        names = [(await visible_feed(auth, feed, principal)).name]
    else:
        names = [f.name for f in await readable_feeds(backends, principal)]
    results: list[catalog_pb2.CatalogProject] = []
    if q.strip():
        reply = await backends.catalog.search(
            catalog_pb2.SearchRequest(query=q, feeds=names, limit=SEARCH_LIMIT)
        )
        results = list(reply.projects)
    return render_page(
        request,
        "search.html",
        results=results,
        principal=principal.name if principal else "",
        query=q,
        search_feed=feed,
    )


@router.get("/feeds/{feed}", include_in_schema=False)
async def feed_no_slash(feed: str) -> Response:
    return RedirectResponse(f"/feeds/{feed}/", 301)


@router.get("/feeds/{feed}/", include_in_schema=False)
async def feed_page(
    feed: str,
    request: Request,
    backends: BackendsDep,
    auth: AuthDep,
    sort: str = "name",
    page: str = "1",
    origin: str = "",
) -> Response:
    principal = await auth.principal(request)
    found = await visible_feed(auth, feed, principal)
    sort = sort if sort in SORT_ORDER else "name"
    origin = origin if origin in ORIGIN_FILTER_VALUES else ""
    number = _page_number(page)
    reply = await backends.catalog.list_feed_projects(
        catalog_pb2.ListFeedProjectsRequest(
            feed=feed,
            order=SORT_ORDER[sort],
            page=number,
            page_size=PAGE_SIZE,
            origin=origin_filter(origin),
        )
    )
    projects = [
        {
            "name": p.name,
            "display_name": p.display_name,
            "latest_version": p.latest_version,
            "summary": p.summary,
            "last_upload": p.last_upload if p.HasField("last_upload") else None,
            "downloads": p.downloads,
            "status_text": STATUS_TEXT.get(p.status, ""),
            "origin": ORIGIN_TEXT.get(p.origin, "hosted"),
            "connector": p.connector,
        }
        for p in reply.projects
    ]
    return render_page(
        request,
        "feed.html",
        feed=found,
        projects=projects,
        total=reply.total,
        page=number,
        pages=max(1, math.ceil(reply.total / PAGE_SIZE)),
        sort=sort,
        sorts=SORTS,
        origin=origin,
        origins=ORIGIN_FILTERS,
        index_url=index_url(str(request.base_url), found),
        principal=principal.name if principal else "",
        query="",
        search_feed=feed,
    )


@router.get("/feeds/{feed}/projects/{project}/", include_in_schema=False)
async def project_page(
    feed: str, project: str, request: Request, backends: BackendsDep, auth: AuthDep
) -> Response:
    return await _project_page(feed, project, None, request, backends, auth)


@router.get("/feeds/{feed}/projects/{project}/{version}/", include_in_schema=False)
async def version_page(
    feed: str, project: str, version: str, request: Request, backends: BackendsDep, auth: AuthDep
) -> Response:
    return await _project_page(feed, project, version, request, backends, auth)


async def _downloads(
    request: Request, backends: BackendsDep, feed: str, project: str
) -> catalog_pb2.GetDownloadCountsResponse:
    counts = await if_found(
        backends.catalog.get_download_counts(
            catalog_pb2.GetDownloadCountsRequest(feed=feed, project=project)
        )
    )
    return counts if counts is not None else catalog_pb2.GetDownloadCountsResponse()


async def _project_page(
    feed: str,
    project: str,
    version: str | None,
    request: Request,
    backends: BackendsDep,
    auth: AuthDep,
) -> Response:
    canonical = normalize(project)
    if canonical != project:
        tail = f"{version}/" if version else ""
        return RedirectResponse(f"/feeds/{feed}/projects/{canonical}/{tail}", 301)
    principal = await auth.principal(request)
    found_feed = await visible_feed(auth, feed, principal)
    found: metadata_pb2.Project = await with_upstream_description(
        backends, await load_project(backends, feed, canonical)
    )
    rows = version_rows(found)
    if not rows:
        raise NotFound(f"Project '{canonical}' not found.")
    latest = latest_version(rows)
    shown = latest if version is None else find_version(rows, version)
    if shown is None:
        raise NotFound(f"Release '{version}' of '{canonical}' not found.")
    if version is not None and shown != version:
        return RedirectResponse(f"/feeds/{feed}/projects/{canonical}/{shown}/", 301)
    meta = found.releases.get(shown, common_pb2.CoreMetadata())
    counts = await _downloads(request, backends, feed, canonical)
    files = file_rows(found, shown, dict(counts.files))
    row = next(r for r in rows if r.version == shown)
    pip_line, uv_line = install_lines(
        index_url(str(request.base_url), found_feed), canonical, version and shown
    )
    yanked_reason = next((f.yanked_reason for f in found.files if f.version == shown), "")
    can_yank = may_yank(principal, feed)
    targets = await promotion.targets_for(backends, principal, feed)
    known = await vulnerabilities_by_version(backends, feed, canonical, [shown])
    # Imported on the first project page: readme_renderer and nh3 are about 7 MB (issue 13).
    from packyard.gateway.ui.readme import render_readme

    return render_page(
        request,
        "project.html",
        feed=found_feed,
        project=found,
        display_name=found.display_name or found.name,
        version=shown,
        latest=latest,
        is_latest=shown == latest,
        meta=meta,
        author=meta.author or meta.maintainer,
        readme=render_readme(meta.description, meta.description_content_type),
        links=project_links(meta),
        versions=rows,
        files=files,
        downloads_total=counts.project,
        release_yanked=row.yanked,
        vulnerabilities=known.get(shown, []),
        yanked_reason=yanked_reason if row.yanked else "",
        status_text=STATUS_TEXT.get(found.status, ""),
        status_reason=found.status_reason,
        install_pip=pip_line,
        install_uv=uv_line,
        can_yank=can_yank,
        promote_targets=targets,
        token=form_token(request) if can_yank or targets else "",
        principal=principal.name if principal else "",
        query="",
        search_feed=feed,
    )


def _static_files() -> dict[str, bytes]:
    folder = resources.files("packyard.gateway.ui") / "static"
    return {name: (folder / name).read_bytes() for name in _STATIC}


_STATIC_CONTENT = _static_files()


@router.get("/static/{name}", include_in_schema=False)
async def static(name: str) -> Response:
    if name not in _STATIC:
        raise NotFound("Not found.")
    return Response(
        _STATIC_CONTENT[name],
        media_type=_STATIC[name],
        headers={**SECURITY_HEADERS, "Cache-Control": "public, max-age=300"},
    )
