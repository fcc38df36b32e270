"""RSS of a feed's newest releases and of one project's releases, as PyPI publishes them.

Same access as the simple API: a private feed needs credentials that may read it.
"""

from __future__ import annotations

from datetime import UTC

from fastapi import APIRouter, Request
from fastapi.responses import Response
from packyard_rpc.v1 import catalog_pb2

from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.ui.render import path_part
from packyard.gateway.ui.syndication import RssItem, render_rss
from packyard.protocol.names import normalize

router = APIRouter()

RSS_TYPE = "application/rss+xml; charset=utf-8"
FEED_ITEMS = 40


def _items(base: str, releases: list[catalog_pb2.ReleaseEntry]) -> list[RssItem]:
    return [
        RssItem(
            title=f"{r.display_name or r.project} {r.version}",
            link=(
                f"{base}/feeds/{path_part(r.feed)}/projects/{path_part(r.project)}/"
                f"{path_part(r.version)}/"
            ),
            description=r.summary,
            published=r.uploaded.ToDatetime(tzinfo=UTC) if r.HasField("uploaded") else None,
            author=r.author,
        )
        for r in releases
    ]


async def _recent(
    request: Request, backends: BackendsDep, feed: str, project: str
) -> list[catalog_pb2.ReleaseEntry]:
    reply = await backends.catalog.list_recent_releases(
        catalog_pb2.ListRecentReleasesRequest(feed=feed, project=project, limit=FEED_ITEMS)
    )
    return list(reply.releases)


@router.get("/pypi/{feed}/rss/updates.xml", tags=["rss"], summary="Newest releases of a feed")
async def feed_updates(
    feed: str, request: Request, backends: BackendsDep, auth: AuthDep
) -> Response:
    await auth.readable_feed(request, feed)
    base = str(request.base_url).rstrip("/")
    body = render_rss(
        f"Packyard: newest releases in {feed}",
        f"{base}/feeds/{path_part(feed)}/",
        f"The {FEED_ITEMS} newest releases in the feed {feed}.",
        _items(base, await _recent(request, backends, feed, "")),
    )
    return Response(body, media_type=RSS_TYPE, headers={"Cache-Control": "no-cache"})


@router.get(
    "/pypi/{feed}/rss/project/{project}/releases.xml",
    tags=["rss"],
    summary="Releases of one project",
)
async def project_releases(
    feed: str, project: str, request: Request, backends: BackendsDep, auth: AuthDep
) -> Response:
    await auth.readable_feed(request, feed)
    name = normalize(project)
    base = str(request.base_url).rstrip("/")
    body = render_rss(
        f"Packyard: releases of {name} in {feed}",
        f"{base}/feeds/{path_part(feed)}/projects/{path_part(name)}/",
        f"The newest releases of {name} in the feed {feed}.",
        _items(base, await _recent(request, backends, feed, name)),
    )
    return Response(body, media_type=RSS_TYPE, headers={"Cache-Control": "no-cache"})
