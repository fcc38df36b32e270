"""Admin page: API keys — create one (its secret shown on this one page, never again), list,
revoke. The admin API's rules decide (POST/GET/DELETE /api/v1/keys): an administrator mints
any key, a feed administrator standalone keys with rights on its own feeds only.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from packyard.gateway.admin import principals as keys_api
from packyard.gateway.admin.schemas import Grant, KeyCreate
from packyard.gateway.auth.guards import require_principal
from packyard.gateway.deps import BackendsDep
from packyard.gateway.ui.admin_forms import (
    AdminRoute,
    admin_caller,
    admin_page,
    back_to,
    body_of,
    checked,
    posted_form,
)

router = APIRouter(route_class=AdminRoute)
RIGHTS = ["read", "publish", "yank", "admin", "promote"]


async def _page(request: Request, backends: BackendsDep, **context: object) -> Response:
    principal = await admin_caller(request)
    listed = []
    # An administrator sees every key, a user its own; a standalone key or a directory user
    # owns none (it still creates standalone keys for its feeds).
    if principal.is_admin or principal.user:
        listed = await keys_api.list_keys(principal, backends, include_revoked=True)
    context.setdefault("created", None)
    context.setdefault("done", "")
    return admin_page(
        request, principal, "admin/keys.html", "keys", keys=listed, rights=RIGHTS, **context
    )


@router.get("/admin/keys", include_in_schema=False)
async def keys(request: Request, backends: BackendsDep, done: str = "") -> Response:
    return await _page(request, backends, done=done)


@router.post("/admin/keys", include_in_schema=False)
async def create_key(request: Request, backends: BackendsDep) -> Response:
    fields = await posted_form(request)
    caller = await require_principal(request)
    feed = fields.get("feed", "").strip()
    grants = [body_of(Grant, feed=feed, right=fields.get("right", "read"))] if feed else []
    body = body_of(
        KeyCreate,
        name=fields.get("name", "").strip(),
        admin=checked(fields, "admin"),
        permissions=grants,
    )
    created = await keys_api.create_key(body, request, caller, backends)
    # The secret is on this response only: no redirect, and the page is never cached.
    return await _page(request, backends, created=created)


@router.post("/admin/keys/{prefix}/revoke", include_in_schema=False)
async def revoke_key(prefix: str, request: Request, backends: BackendsDep) -> Response:
    await posted_form(request)
    caller = await require_principal(request)
    revoked = await keys_api.revoke_key(prefix, request, caller, backends)
    return back_to("/admin/keys", f"Key {revoked.prefix} ({revoked.name}) revoked.")
