"""Admin page of one feed: ``/admin/feeds/FEED`` — its retention rules (with a dry-run preview
of what they would remove), promotion policy, supply-chain policy and webhooks.

The page reads through the admin API's own route functions (gateway/admin/), so it shows what
``packyard retention``, ``packyard promotion policy`` and ``packyard advisories policy`` show,
to the same callers: the feed's administrators.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from packyard.gateway.admin import advisories as advisories_api
from packyard.gateway.admin import governance as governance_api
from packyard.gateway.admin import webhooks as webhooks_api
from packyard.gateway.auth.credentials import Right
from packyard.gateway.auth.guards import require_feed_right
from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.ui.admin_forms import (
    AdminRoute,
    admin_caller,
    admin_page,
    checked,
    posted_form,
)

router = APIRouter(route_class=AdminRoute)
RECENT_DELIVERIES = 20
ACTIONS = ["ignore", "warn", "block"]


async def feed_page(
    feed: str, request: Request, backends: BackendsDep, auth: AuthDep, **context: Any
) -> Response:
    principal = await admin_caller(request)
    caller = await require_feed_right(request, feed, Right.ADMIN)
    # A gateway without the advisory service has no supply-chain policy to show or edit.
    supply = (
        await advisories_api.get_policy(feed, caller, backends)
        if backends.advisories is not None
        else None
    )
    webhooks = await webhooks_api.list_webhooks(feed, caller, backends)
    context.setdefault("done", "")
    context.setdefault("preview", None)
    return admin_page(
        request,
        principal,
        "admin/feed.html",
        "feeds",
        feed=feed,
        retention=await governance_api.get_retention(feed, caller, backends),
        promotion=await governance_api.get_policy(feed, request, auth, backends),
        supply=supply,
        actions=ACTIONS,
        webhooks=webhooks,
        webhook_urls={w.id: w.url for w in webhooks},
        deliveries=await webhooks_api.list_deliveries(
            feed, caller, backends, limit=RECENT_DELIVERIES
        ),
        **context,
    )


@router.get("/admin/feeds/{feed}", include_in_schema=False)
async def feed(
    feed: str, request: Request, backends: BackendsDep, auth: AuthDep, done: str = ""
) -> Response:
    return await feed_page(feed, request, backends, auth, done=done)


@router.post("/admin/feeds/{feed}/retention/preview", include_in_schema=False)
async def retention_preview(
    feed: str, request: Request, backends: BackendsDep, auth: AuthDep
) -> Response:
    """What the saved rules would remove now; nothing is removed (the API's dry run)."""
    fields = await posted_form(request)
    caller = await require_feed_right(request, feed, Right.ADMIN)
    preview = await governance_api.run_retention(
        feed,
        request,
        caller,
        backends,
        dry_run=True,
        include_promoted=checked(fields, "include_promoted"),
    )
    return await feed_page(feed, request, backends, auth, preview=preview)
