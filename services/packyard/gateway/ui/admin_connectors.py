"""Admin page: connectors — each feed's upstream indexes in priority order; add and remove one
(global administrators, as /api/v1/feeds/{feed}/connectors), each with its health as
/api/v1/feeds/{feed}/connectors/health reports it (state, last success and error, stale since,
what it has cached).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from packyard.gateway.admin import connectors as connectors_api
from packyard.gateway.admin import routes as admin_api
from packyard.gateway.auth.guards import require_admin
from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.ui.admin_forms import (
    AdminRoute,
    admin_caller,
    admin_page,
    back_to,
    body_of,
    posted_form,
)

router = APIRouter(route_class=AdminRoute)


@router.get("/admin/connectors", include_in_schema=False)
async def connectors(
    request: Request, backends: BackendsDep, auth: AuthDep, done: str = ""
) -> Response:
    principal = await admin_caller(request)
    caller = await require_admin(request)
    feeds = [f.name for f in await admin_api.list_feeds(request, backends, auth)]
    by_feed = {feed: await connectors_api.list_connectors(feed, caller, backends) for feed in feeds}
    health = {
        h.connector: h
        for feed in feeds
        for h in await connectors_api.connector_health(feed, caller, backends)
    }
    return admin_page(
        request,
        principal,
        "admin/connectors.html",
        "connectors",
        by_feed=by_feed,
        health=health,
        done=done,
    )


@router.post("/admin/connectors", include_in_schema=False)
async def add_connector(request: Request, backends: BackendsDep) -> Response:
    fields = await posted_form(request)
    caller = await require_admin(request)
    feed = fields.get("feed", "")
    body = body_of(
        connectors_api.ConnectorIn,
        url=fields.get("url", "").strip(),
        priority=fields.get("priority", "") or 100,
    )
    added = await connectors_api.add_connector(feed, body, request, caller, backends)
    return back_to("/admin/connectors", f"Connector to {added.url} added to '{feed}'.")


@router.post("/admin/connectors/{feed}/{connector_id}/remove", include_in_schema=False)
async def remove_connector(
    feed: str, connector_id: str, request: Request, backends: BackendsDep
) -> Response:
    await posted_form(request)
    caller = await require_admin(request)
    await connectors_api.remove_connector(feed, connector_id, request, caller, backends)
    return back_to("/admin/connectors", f"Connector removed from '{feed}'.")
