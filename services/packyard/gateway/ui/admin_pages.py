"""The admin pages of the web UI, ``/admin/…``: one router for the app to include."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from packyard.gateway.ui import (
    admin_audit,
    admin_connectors,
    admin_feed_page,
    admin_feed_policies,
    admin_feeds,
    admin_keys,
    admin_users,
    admin_webhooks,
)
from packyard.gateway.ui.admin_forms import AdminRoute

router = APIRouter(route_class=AdminRoute)
for _module in (
    admin_feeds,
    admin_feed_page,
    admin_feed_policies,
    admin_webhooks,
    admin_keys,
    admin_users,
    admin_connectors,
    admin_audit,
):
    router.include_router(_module.router)


@router.get("/admin/", include_in_schema=False)
async def admin_home() -> Response:
    return RedirectResponse("/admin/feeds", 303)
