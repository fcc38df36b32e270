"""The web UI's connector health page: ``/feeds/FEED/connectors/`` (feed administrators).

Whether each upstream answers, its last error and when, its circuit, since when its answers are
stale, and what it has cached; the same as ``GET /api/v1/feeds/FEED/connectors/health``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from packyard_rpc.v1 import upstream_pb2

from packyard.common.settings import redact_url
from packyard.gateway.auth.credentials import Right, has_right
from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.ui.access import feed_not_found, visible_feed
from packyard.gateway.ui.render import render_page
from packyard.gateway.ui.routing import HtmlRoute

router = APIRouter(route_class=HtmlRoute)


def _state(h: upstream_pb2.ConnectorHealth) -> str:
    if h.breaker_open:
        return "circuit open"
    if h.HasField("stale_since"):
        return "failing"
    return "ok" if h.HasField("last_success") else "unknown"


@router.get("/feeds/{feed}/connectors/", include_in_schema=False)
async def connectors_page(
    feed: str, request: Request, backends: BackendsDep, auth: AuthDep
) -> Response:
    principal = await auth.principal(request)
    found = await visible_feed(auth, feed, principal)
    if not has_right(principal, feed, Right.ADMIN):
        raise feed_not_found(feed)  # as the admin API's refusal would, without the details
    reply = await backends.upstream.get_connector_health(
        upstream_pb2.GetConnectorHealthRequest(feed=feed)
    )
    rows = [
        {
            "id": h.connector,
            "url": redact_url(h.url),
            "state": _state(h),
            "last_success": h.last_success if h.HasField("last_success") else None,
            "last_error": h.last_error,
            "last_error_at": h.last_error_at if h.HasField("last_error_at") else None,
            "stale_since": h.stale_since if h.HasField("stale_since") else None,
            "cached_files": h.cached_files,
            "cached_bytes": h.cached_bytes,
        }
        for h in reply.connectors
    ]
    return render_page(
        request,
        "connectors.html",
        feed=found,
        connectors=rows,
        principal=principal.name if principal else "",
        query="",
        search_feed=feed,
    )
