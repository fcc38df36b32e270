"""Admin page: feeds — create one, change its settings (description, anonymous read, limits).

A global administrator creates feeds; a feed administrator changes its own feeds' settings
(the admin API's rights: POST /api/v1/feeds, PATCH /api/v1/feeds/{feed}).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from packyard.gateway.admin import routes as admin_api
from packyard.gateway.admin.schemas import FeedCreate, FeedSettings
from packyard.gateway.auth.credentials import Right, has_right
from packyard.gateway.auth.guards import require_admin, require_feed_right
from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.ui.admin_forms import (
    AdminRoute,
    admin_caller,
    admin_page,
    back_to,
    body_of,
    checked,
    posted_form,
)
from packyard.gateway.ui.render import path_part

router = APIRouter(route_class=AdminRoute)


@router.get("/admin/feeds", include_in_schema=False)
async def feeds(request: Request, backends: BackendsDep, auth: AuthDep, done: str = "") -> Response:
    principal = await admin_caller(request)
    listed = await admin_api.list_feeds(request, backends, auth)
    rows = [f for f in listed if has_right(principal, f.name, Right.ADMIN)]
    return admin_page(request, principal, "admin/feeds.html", "feeds", feeds=rows, done=done)


@router.post("/admin/feeds", include_in_schema=False)
async def create_feed(request: Request, backends: BackendsDep) -> Response:
    fields = await posted_form(request)
    caller = await require_admin(request)
    body = body_of(
        FeedCreate,
        name=fields.get("name", "").strip(),
        description=fields.get("description", ""),
        anonymous_read=checked(fields, "anonymous_read"),
    )
    created = await admin_api.create_feed(body, request, caller, backends)
    return back_to("/admin/feeds", f"Feed '{created.name}' created.")


@router.post("/admin/feeds/{feed}/settings", include_in_schema=False)
async def feed_settings(feed: str, request: Request, backends: BackendsDep) -> Response:
    fields = await posted_form(request)
    caller = await require_feed_right(request, feed, Right.ADMIN)
    size = fields.get("max_file_size", "").strip()
    body = body_of(
        FeedSettings,
        description=fields.get("description", ""),
        anonymous_read=checked(fields, "anonymous_read"),
        max_file_size=size or None,
    )
    await admin_api.update_feed(feed, body, request, caller, backends)
    return back_to("/admin/feeds", f"Settings of '{feed}' saved.", f"feed-{path_part(feed)}")
