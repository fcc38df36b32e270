"""The UI's admin forms: yank, unyank and delete a release, delete a file.

The same right as the admin API (yank, gateway/auth/guards.py) and the same audit context;
each form must also pass the CSRF check (gateway/ui/csrf.py). Success redirects (303) back to
the page the form was on.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from packyard_rpc.v1 import common_pb2, metadata_pb2

from packyard.gateway.auth.guards import Right, audit_context, require_feed_right
from packyard.gateway.deps import BackendsDep
from packyard.gateway.page_cache import drop_file_pages, drop_pages
from packyard.gateway.ui.csrf import check_same_origin
from packyard.gateway.ui.render import path_part
from packyard.gateway.ui.routing import HtmlRoute
from packyard.protocol.names import normalize

router = APIRouter(route_class=HtmlRoute)

MAX_REASON = 500


async def _form(request: Request, feed: str) -> tuple[common_pb2.AuditContext, dict[str, str]]:
    """Check right and origin; the audit context and the form fields."""
    principal = await require_feed_right(request, feed, Right.YANK)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    check_same_origin(request, fields.get("csrf", ""))
    return audit_context(request, principal), fields


def _project_url(feed: str, project: str, version: str = "") -> str:
    tail = f"{path_part(version)}/" if version else ""
    return f"/feeds/{path_part(feed)}/projects/{path_part(project)}/{tail}"


@router.post("/feeds/{feed}/projects/{project}/{version}/yank", include_in_schema=False)
async def yank(
    feed: str, project: str, version: str, request: Request, backends: BackendsDep
) -> Response:
    return await _set_yanked(feed, project, version, True, request, backends)


@router.post("/feeds/{feed}/projects/{project}/{version}/unyank", include_in_schema=False)
async def unyank(
    feed: str, project: str, version: str, request: Request, backends: BackendsDep
) -> Response:
    return await _set_yanked(feed, project, version, False, request, backends)


async def _set_yanked(
    feed: str, project: str, version: str, yanked: bool, request: Request, backends: BackendsDep
) -> Response:
    audit, fields = await _form(request, feed)
    name = normalize(project)
    await backends.metadata.set_release_yanked(
        metadata_pb2.SetReleaseYankedRequest(
            feed=feed,
            project=name,
            version=version,
            yanked=yanked,
            reason=fields.get("reason", "").strip()[:MAX_REASON] if yanked else "",
            audit=audit,
        )
    )
    drop_pages(request, feed, name)
    return RedirectResponse(_project_url(feed, name, version), 303)


@router.post("/feeds/{feed}/projects/{project}/{version}/delete", include_in_schema=False)
async def delete_release(
    feed: str, project: str, version: str, request: Request, backends: BackendsDep
) -> Response:
    audit, _ = await _form(request, feed)
    name = normalize(project)
    await backends.metadata.delete_release(
        metadata_pb2.DeleteReleaseRequest(feed=feed, project=name, version=version, audit=audit)
    )
    drop_pages(request, feed, name)
    return RedirectResponse(_project_url(feed, name), 303)


@router.post("/feeds/{feed}/files/{filename}/delete", include_in_schema=False)
async def delete_file(
    feed: str, filename: str, request: Request, backends: BackendsDep
) -> Response:
    audit, fields = await _form(request, feed)
    await backends.metadata.delete_file(
        metadata_pb2.DeleteFileRequest(feed=feed, filename=filename, audit=audit)
    )
    drop_file_pages(request, feed, filename)
    # Back to the page the form was on, if that is a page of this site.
    back = fields.get("next", "")
    if not back.startswith("/feeds/") or "//" in back or "\\" in back:
        back = f"/feeds/{path_part(feed)}/"
    return RedirectResponse(back, 303)
