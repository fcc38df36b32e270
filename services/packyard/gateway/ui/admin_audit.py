"""Admin page: the audit log, newest first, filtered by feed, actor and action; older pages
by id. An administrator reads all of it, a feed administrator its feeds' events (the rule of
GET /api/v1/audit).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from packyard.gateway.admin import routes as admin_api
from packyard.gateway.deps import BackendsDep
from packyard.gateway.ui.admin_forms import AdminRoute, admin_caller, admin_page

router = APIRouter(route_class=AdminRoute)
PAGE = 100


@router.get("/admin/audit", include_in_schema=False)
async def audit(
    request: Request,
    backends: BackendsDep,
    feed: str = "",
    actor: str = "",
    action: str = "",
    before: int = 0,
) -> Response:
    principal = await admin_caller(request)
    if not principal.is_admin and not feed:
        # A feed administrator reads one feed's log at a time: its first feed to begin with.
        feed = principal.admin_feeds[0] if principal.admin_feeds else ""
    events = await admin_api.list_audit(
        request, backends, feed=feed, actor=actor, action=action, before=max(0, before),
        limit=PAGE,
    )  # fmt: skip
    older = events[-1].id if len(events) == PAGE else 0
    return admin_page(
        request,
        principal,
        "admin/audit.html",
        "audit",
        events=events,
        feed=feed,
        actor=actor,
        action=action,
        older=older,
        done="",
    )
