"""Admin page: users and permissions — create a user, disable or enable one (administrators),
and give a user, a directory group or a key a right on a feed (that feed's administrators).

Directory users (LDAP, OpenID Connect) get their rights through their groups: a permission
for ``group:NAME`` holds for every member when it signs in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from packyard.gateway.admin import principals as users_api
from packyard.gateway.admin import routes as admin_api
from packyard.gateway.admin.schemas import PermissionSet, UserCreate, UserUpdate
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

router = APIRouter(route_class=AdminRoute)
RIGHTS = ["read", "publish", "yank", "admin", "promote"]
# What the subject field names, and the admin API's spelling of it.
SUBJECT_KINDS = {"user": "", "group": "group:", "key": "key:"}


@router.get("/admin/users", include_in_schema=False)
async def users(request: Request, backends: BackendsDep, auth: AuthDep, done: str = "") -> Response:
    principal = await admin_caller(request)
    listed = await users_api.list_users(principal, backends) if principal.is_admin else []
    feeds = [
        f.name
        for f in await admin_api.list_feeds(request, backends, auth)
        if has_right(principal, f.name, Right.ADMIN)
    ]
    permissions = [
        p for feed in feeds for p in await admin_api.list_permissions(feed, principal, backends)
    ]
    return admin_page(
        request,
        principal,
        "admin/users.html",
        "users",
        users=listed,
        feeds=feeds,
        permissions=permissions,
        rights=RIGHTS,
        kinds=list(SUBJECT_KINDS),
        done=done,
    )


@router.post("/admin/users", include_in_schema=False)
async def create_user(request: Request, backends: BackendsDep) -> Response:
    fields = await posted_form(request)
    caller = await require_admin(request)
    body = body_of(
        UserCreate,
        name=fields.get("name", "").strip(),
        password=fields.get("password", ""),
        admin=checked(fields, "admin"),
    )
    created = await users_api.create_user(body, request, caller, backends)
    return back_to("/admin/users", f"User '{created.name}' created.")


@router.post("/admin/users/{name}/disabled", include_in_schema=False)
async def set_disabled(name: str, request: Request, backends: BackendsDep) -> Response:
    fields = await posted_form(request)
    caller = await require_admin(request)
    disabled = checked(fields, "disabled")
    await users_api.update_user(name, body_of(UserUpdate, disabled=disabled), request, caller,
                                backends)  # fmt: skip
    return back_to("/admin/users", f"User '{name}' {'disabled' if disabled else 'enabled'}.")


def _subject(fields: dict[str, str]) -> str:
    kind = fields.get("kind", "user")
    return SUBJECT_KINDS.get(kind, "") + fields.get("subject", "").strip()


@router.post("/admin/permissions", include_in_schema=False)
async def set_permission(request: Request, backends: BackendsDep) -> Response:
    fields = await posted_form(request)
    feed = fields.get("feed", "").strip()
    caller = await require_feed_right(request, feed, Right.ADMIN)
    subject = _subject(fields)
    body = body_of(PermissionSet, right=fields.get("right", ""))
    await admin_api.set_permission(feed, subject, body, request, caller, backends)
    return back_to("/admin/users", f"'{subject}' may now {body.right} on '{feed}'.")


@router.post("/admin/permissions/delete", include_in_schema=False)
async def delete_permission(request: Request, backends: BackendsDep) -> Response:
    fields = await posted_form(request)
    feed = fields.get("feed", "")
    subject = fields.get("subject", "")
    caller = await require_feed_right(request, feed, Right.ADMIN)
    await admin_api.delete_permission(feed, subject, request, caller, backends)
    return back_to("/admin/users", f"'{subject}' has no right on '{feed}' any more.")
