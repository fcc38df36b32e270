"""The admin API, ``/api/v1/…``: feeds, permissions, releases, files, project status, audit.

Every route checks the caller's right first (gateway/auth/guards.py), then makes one gRPC call
to the metadata process; errors go through the one mapping in gateway/responses.py. Users
and keys are in principals.py, included here; connectors are in connectors.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from packyard_rpc.v1 import access_pb2, common_pb2, metadata_pb2

from packyard.common.errors import PermissionDenied
from packyard.common.pb_fields import to_pb
from packyard.gateway.admin import advisories, principals
from packyard.gateway.admin.schemas import (
    RIGHT_TO_PB,
    AuditEventOut,
    DeletedOut,
    FeedCreate,
    FeedOut,
    FeedSettings,
    PermissionOut,
    PermissionSet,
    StatusBody,
    StatusOut,
    YankBody,
    YankOut,
)
from packyard.gateway.auth.authenticator import forget_authentications
from packyard.gateway.auth.credentials import can_read, has_right
from packyard.gateway.auth.guards import (
    AdminDep,
    FeedAdminDep,
    FeedYankDep,
    Right,
    audit_context,
    require_feed_right,
    require_principal,
)
from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.page_cache import drop_file_pages, drop_pages
from packyard.protocol.names import normalize

router = APIRouter(prefix="/api/v1")
router.include_router(principals.router)
router.include_router(advisories.router)

_FEEDS = "feeds"
_PACKAGES = "releases and files"
_STATUS_TO_PB = {
    "active": common_pb2.PROJECT_STATUS_ACTIVE,
    "archived": common_pb2.PROJECT_STATUS_ARCHIVED,
    "quarantined": common_pb2.PROJECT_STATUS_QUARANTINED,
    "deprecated": common_pb2.PROJECT_STATUS_DEPRECATED,
}


# Feeds.


@router.get("/feeds", tags=[_FEEDS], summary="Feeds the caller may read")
async def list_feeds(request: Request, backends: BackendsDep, auth: AuthDep) -> list[FeedOut]:
    principal = await auth.principal(request)
    reply = await backends.metadata.list_feeds(metadata_pb2.ListFeedsRequest())
    return [FeedOut.from_pb(f) for f in reply.feeds if can_read(principal, f)]


@router.post("/feeds", tags=[_FEEDS], status_code=201, summary="Create a feed (admin)")
async def create_feed(
    body: FeedCreate, request: Request, caller: AdminDep, backends: BackendsDep
) -> FeedOut:
    reply = await backends.metadata.create_feed(
        metadata_pb2.CreateFeedRequest(
            feed=to_pb(metadata_pb2.Feed, body),  # an unset setting is the default
            audit=audit_context(request, caller),
        )
    )
    return FeedOut.from_pb(reply.feed)


@router.get("/feeds/{feed}", tags=[_FEEDS], summary="Show a feed")
async def show_feed(feed: str, request: Request, auth: AuthDep) -> FeedOut:
    return FeedOut.from_pb(await auth.readable_feed(request, feed))


@router.patch("/feeds/{feed}", tags=[_FEEDS], summary="Change a feed's settings (feed admin)")
async def update_feed(
    feed: str, body: FeedSettings, request: Request, caller: FeedAdminDep, backends: BackendsDep
) -> FeedOut:
    changes = body.model_dump(exclude_none=True)
    reply = await backends.metadata.update_feed(
        metadata_pb2.UpdateFeedRequest(
            feed=metadata_pb2.Feed(name=feed, **changes),
            update_mask=sorted(changes),
            audit=audit_context(request, caller),
        )
    )
    forget_authentications(request)
    drop_pages(request, feed)
    return FeedOut.from_pb(reply.feed)


@router.delete(
    "/feeds/{feed}", tags=[_FEEDS], status_code=204, summary="Delete a feed and its files (admin)"
)
async def delete_feed(
    feed: str, request: Request, caller: AdminDep, backends: BackendsDep
) -> Response:
    await backends.metadata.delete_feed(
        metadata_pb2.DeleteFeedRequest(name=feed, audit=audit_context(request, caller))
    )
    forget_authentications(request)
    drop_pages(request, feed)
    return Response(status_code=204)


# Permissions of a feed.


@router.get("/feeds/{feed}/permissions", tags=[_FEEDS], summary="Who may do what (feed admin)")
async def list_permissions(
    feed: str, caller: FeedAdminDep, backends: BackendsDep
) -> list[PermissionOut]:
    reply = await backends.access.list_permissions(access_pb2.ListPermissionsRequest(feed=feed))
    return [PermissionOut.from_pb(p) for p in reply.permissions]


@router.put(
    "/feeds/{feed}/permissions/{subject}",
    tags=[_FEEDS],
    summary="Give a user (NAME) or a key (key:PREFIX) a right on the feed (feed admin)",
)
async def set_permission(
    feed: str,
    subject: str,
    body: PermissionSet,
    request: Request,
    caller: FeedAdminDep,
    backends: BackendsDep,
) -> PermissionOut:
    reply = await backends.access.set_permission(
        access_pb2.SetPermissionRequest(
            permission=access_pb2.Permission(
                subject=subject, feed=feed, right=RIGHT_TO_PB[body.right]
            ),
            audit=audit_context(request, caller),
        )
    )
    forget_authentications(request)
    return PermissionOut.from_pb(reply.permission)


@router.delete(
    "/feeds/{feed}/permissions/{subject}",
    tags=[_FEEDS],
    status_code=204,
    summary="Take a subject's right on the feed away (feed admin)",
)
async def delete_permission(
    feed: str, subject: str, request: Request, caller: FeedAdminDep, backends: BackendsDep
) -> Response:
    await backends.access.delete_permission(
        access_pb2.DeletePermissionRequest(
            subject=subject, feed=feed, audit=audit_context(request, caller)
        )
    )
    forget_authentications(request)
    return Response(status_code=204)


# Releases, files and projects.


async def _yank(
    feed: str, project: str, version: str, reason: str, yanked: bool, request: Request,
    backends: BackendsDep,
) -> YankOut:  # fmt: skip
    caller = await require_feed_right(request, feed, Right.YANK)
    name = normalize(project)
    reply = await backends.metadata.set_release_yanked(
        metadata_pb2.SetReleaseYankedRequest(
            feed=feed,
            project=name,
            version=version,
            yanked=yanked,
            reason=reason,
            audit=audit_context(request, caller),
        )
    )
    drop_pages(request, feed, name)
    return YankOut(feed=feed, project=name, version=version, yanked=yanked, files=reply.files)


@router.post(
    "/feeds/{feed}/projects/{project}/releases/{version}/yank",
    tags=[_PACKAGES],
    summary="Yank a release (PEP 592; yank right)",
)
async def yank_release(
    feed: str, project: str, version: str, request: Request, backends: BackendsDep,
    body: YankBody | None = None,
) -> YankOut:  # fmt: skip
    reason = body.reason if body is not None else ""
    return await _yank(feed, project, version, reason, True, request, backends)


@router.post(
    "/feeds/{feed}/projects/{project}/releases/{version}/unyank",
    tags=[_PACKAGES],
    summary="Unyank a release (yank right)",
)
async def unyank_release(
    feed: str, project: str, version: str, request: Request, backends: BackendsDep
) -> YankOut:
    return await _yank(feed, project, version, "", False, request, backends)


@router.delete(
    "/feeds/{feed}/projects/{project}/releases/{version}",
    tags=[_PACKAGES],
    summary="Delete every file of a release; the filenames stay reserved (yank right)",
)
async def delete_release(
    feed: str,
    project: str,
    version: str,
    request: Request,
    caller: FeedYankDep,
    backends: BackendsDep,
) -> DeletedOut:
    name = normalize(project)
    reply = await backends.metadata.delete_release(
        metadata_pb2.DeleteReleaseRequest(
            feed=feed, project=name, version=version, audit=audit_context(request, caller)
        )
    )
    drop_pages(request, feed, name)
    return DeletedOut(deleted=f"{name}=={version}", files=reply.files)


@router.delete(
    "/feeds/{feed}/files/{filename}",
    tags=[_PACKAGES],
    summary="Delete one file; its filename stays reserved (yank right)",
)
async def delete_file(
    feed: str, filename: str, request: Request, caller: FeedYankDep, backends: BackendsDep
) -> DeletedOut:
    await backends.metadata.delete_file(
        metadata_pb2.DeleteFileRequest(
            feed=feed, filename=filename, audit=audit_context(request, caller)
        )
    )
    drop_file_pages(request, feed, filename)
    return DeletedOut(deleted=filename)


@router.put(
    "/feeds/{feed}/projects/{project}/status",
    tags=[_PACKAGES],
    summary="Set a project's PEP 792 status (feed admin)",
)
async def set_project_status(
    feed: str,
    project: str,
    body: StatusBody,
    request: Request,
    caller: FeedAdminDep,
    backends: BackendsDep,
) -> StatusOut:
    name = normalize(project)
    await backends.metadata.set_project_status(
        metadata_pb2.SetProjectStatusRequest(
            feed=feed,
            project=name,
            status=_STATUS_TO_PB[body.status],
            reason=body.reason,
            audit=audit_context(request, caller),
        )
    )
    drop_pages(request, feed, name)
    return StatusOut(feed=feed, project=name, status=body.status, reason=body.reason)


# Audit log.


@router.get(
    "/audit",
    tags=["audit"],
    summary="The audit log, newest first (admin; a feed admin with ?feed=)",
)
async def list_audit(
    request: Request,
    backends: BackendsDep,
    feed: str = "",
    actor: str = "",
    action: str = "",
    before: Annotated[int, Query(ge=0, description="events older than this id")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEventOut]:
    caller = await require_principal(request)
    if not caller.is_admin and not (feed and has_right(caller, feed, Right.ADMIN)):
        raise PermissionDenied(
            f"'{caller.name}' may read the audit log only of feeds it administers (?feed=)."
        )
    reply = await backends.access.list_audit_events(
        access_pb2.ListAuditEventsRequest(
            feed=feed, actor=actor, action=action, before_id=before, limit=limit
        )
    )
    return [AuditEventOut.from_pb(e) for e in reply.events]
