"""Admin forms of one feed's webhooks: add one (its secret typed once, never shown again) and
remove one. The feed's admin page lists them with their recent deliveries.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from packyard.gateway.admin import webhooks as webhooks_api
from packyard.gateway.auth.credentials import Right
from packyard.gateway.auth.guards import require_feed_right
from packyard.gateway.deps import BackendsDep
from packyard.gateway.ui.admin_feed_policies import back_to_feed, listed
from packyard.gateway.ui.admin_forms import AdminRoute, body_of, posted_form

router = APIRouter(route_class=AdminRoute)


@router.post("/admin/feeds/{feed}/webhooks", include_in_schema=False)
async def add_webhook(feed: str, request: Request, backends: BackendsDep) -> Response:
    fields = await posted_form(request)
    caller = await require_feed_right(request, feed, Right.ADMIN)
    body = body_of(
        webhooks_api.WebhookCreate,
        url=fields.get("url", "").strip(),
        secret=fields.get("secret", ""),
        events=listed(fields.get("events", "")),
    )
    added = await webhooks_api.create_webhook(feed, body, caller, backends)
    return back_to_feed(feed, f"Webhook to {added.url} added to '{feed}'.", "webhooks")


@router.post("/admin/feeds/{feed}/webhooks/{webhook_id}/remove", include_in_schema=False)
async def remove_webhook(
    feed: str, webhook_id: int, request: Request, backends: BackendsDep
) -> Response:
    await posted_form(request)
    caller = await require_feed_right(request, feed, Right.ADMIN)
    await webhooks_api.delete_webhook(feed, webhook_id, caller, backends)
    return back_to_feed(feed, f"Webhook removed from '{feed}'.", "webhooks")
