"""gRPC MetadataService: decode the request, make one domain call, encode the reply.

Errors are PackyardError raised by the domain; the ErrorInterceptor turns them into statuses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from packyard_rpc.v1 import access_pb2, common_pb2, metadata_pb2, metadata_pb2_grpc

from packyard.common.pb_fields import from_pb, to_pb
from packyard.common.rights import Right
from packyard.metadata import page_tokens
from packyard.metadata.access.interface import DeprecatedKeyRpcs
from packyard.metadata.callers import caller
from packyard.metadata.index.models import (
    CoreMetadata,
    Feed,
    FileRecord,
    Origin,
    Project,
    ProjectStatus,
    ProjectSummary,
)
from packyard.metadata.index.service import MetadataService
from packyard.metadata.pb_common import STATUS_TO_PB, audit_from_pb
from packyard.metadata.update_masks import update_paths

SERVICE_NAME = "packyard.rpc.v1.MetadataService"

_STATUS_TO_PB = STATUS_TO_PB
# UNSPECIFIED means active (common.proto).
_STATUS_FROM_PB = {pb: status for status, pb in _STATUS_TO_PB.items()} | {
    common_pb2.PROJECT_STATUS_UNSPECIFIED: ProjectStatus.ACTIVE
}
_ORIGIN_TO_PB = {
    Origin.HOSTED: common_pb2.ORIGIN_HOSTED,
    Origin.UPSTREAM: common_pb2.ORIGIN_UPSTREAM,
}
_ORIGIN_FROM_PB = {pb: origin for origin, pb in _ORIGIN_TO_PB.items()} | {
    common_pb2.ORIGIN_UNSPECIFIED: Origin.HOSTED
}


def _feed_to_pb(feed: Feed) -> metadata_pb2.Feed:
    return to_pb(metadata_pb2.Feed, feed)


def _feed_from_pb(pb: metadata_pb2.Feed) -> Feed:
    return from_pb(Feed, pb, created=None)  # the database says when a feed was created


def _file_to_pb(file: FileRecord) -> common_pb2.FileInfo:
    return to_pb(
        common_pb2.FileInfo,
        file,
        hashes=to_pb(common_pb2.Hashes, file),
        origin=_ORIGIN_TO_PB[file.origin],
    )


def _file_from_pb(feed: str, pb: common_pb2.FileInfo) -> FileRecord:
    # Whether a file is yanked, and when it was uploaded, are the server's to say.
    return from_pb(
        FileRecord,
        pb,
        feed=feed,
        sha256=pb.hashes.sha256,
        blake2b_256=pb.hashes.blake2b_256,
        md5=pb.hashes.md5,
        yanked=False,
        yanked_reason="",
        upload_time=None,
        origin=_ORIGIN_FROM_PB.get(pb.origin, Origin.HOSTED),
    )


def _metadata_to_pb(metadata: CoreMetadata) -> common_pb2.CoreMetadata:
    return to_pb(common_pb2.CoreMetadata, metadata)


def _metadata_from_pb(pb: common_pb2.CoreMetadata) -> CoreMetadata:
    return from_pb(CoreMetadata, pb)


def _project_to_pb(project: Project) -> metadata_pb2.Project:
    return to_pb(
        metadata_pb2.Project,
        project,
        status=_STATUS_TO_PB[project.status],
        files=[_file_to_pb(f) for f in project.files],
        releases={v: _metadata_to_pb(m) for v, m in project.releases.items()},
    )


def _summary_to_pb(summary: ProjectSummary) -> metadata_pb2.ProjectSummary:
    return to_pb(metadata_pb2.ProjectSummary, summary, status=_STATUS_TO_PB[summary.status])


Context = grpc.aio.ServicerContext

# AIP-158 page sizes (a request without page_size or page_token still gets everything).
FEEDS_PAGE_SIZE = 100
MAX_FEEDS_PAGE_SIZE = 1000
PROJECTS_PAGE_SIZE = 1000
MAX_PROJECTS_PAGE_SIZE = 10_000


class MetadataServicer(metadata_pb2_grpc.MetadataServiceServicer):
    def __init__(self, service: MetadataService, keys: DeprecatedKeyRpcs) -> None:
        self._service = service
        self._keys = keys

    async def CreateFeed(
        self, request: metadata_pb2.CreateFeedRequest, context: Context
    ) -> metadata_pb2.CreateFeedResponse:
        caller().require_admin()
        feed, created = await self._service.create_feed(
            _feed_from_pb(request.feed),
            if_not_exists=request.if_not_exists,
            audit=audit_from_pb(request.audit),
        )
        return metadata_pb2.CreateFeedResponse(feed=_feed_to_pb(feed), created=created)

    async def GetFeed(
        self, request: metadata_pb2.GetFeedRequest, context: Context
    ) -> metadata_pb2.GetFeedResponse:
        # The gateway reads every feed's settings: they decide who may read it.
        if not caller().is_gateway:
            await caller().require_read(request.name)
        feed = await self._service.get_feed(request.name)
        return metadata_pb2.GetFeedResponse(feed=_feed_to_pb(feed))

    async def ListFeeds(
        self, request: metadata_pb2.ListFeedsRequest, context: Context
    ) -> metadata_pb2.ListFeedsResponse:
        wanted = page_tokens.page_request(
            request.page_size,
            request.page_token,
            "ListFeeds",
            default=FEEDS_PAGE_SIZE,
            maximum=MAX_FEEDS_PAGE_SIZE,
        )
        feeds = [f for f in await self._service.list_feeds() if f.name > wanted.after]
        if not caller().is_gateway:
            readable = set(await caller().readable([f.name for f in feeds]))
            feeds = [f for f in feeds if f.name in readable]
        # Feeds are few (one query, filtered by rights), so a page is a slice by name.
        feeds.sort(key=lambda f: f.name)
        following = ""
        if wanted.size is not None and len(feeds) > wanted.size:
            feeds = feeds[: wanted.size]
            following = page_tokens.encode("ListFeeds", feeds[-1].name)
        return metadata_pb2.ListFeedsResponse(
            feeds=[_feed_to_pb(f) for f in feeds], next_page_token=following
        )

    async def ListProjects(
        self, request: metadata_pb2.ListProjectsRequest, context: Context
    ) -> AsyncIterator[metadata_pb2.ListProjectsResponse]:
        await caller().require_read(request.feed)
        scope = f"ListProjects:{request.feed}"
        wanted = page_tokens.page_request(
            request.page_size,
            request.page_token,
            scope,
            default=PROJECTS_PAGE_SIZE,
            maximum=MAX_PROJECTS_PAGE_SIZE,
        )
        async for batch, more in self._service.list_projects(
            request.feed, after=wanted.after, limit=wanted.size
        ):
            yield metadata_pb2.ListProjectsResponse(
                projects=[_summary_to_pb(p) for p in batch],
                next_page_token=page_tokens.encode(scope, batch[-1].name) if more else "",
            )

    async def GetProject(
        self, request: metadata_pb2.GetProjectRequest, context: Context
    ) -> metadata_pb2.GetProjectResponse:
        await caller().require_read(request.feed)
        project = await self._service.get_project(request.feed, request.project)
        return metadata_pb2.GetProjectResponse(project=_project_to_pb(project))

    async def GetFile(
        self, request: metadata_pb2.GetFileRequest, context: Context
    ) -> metadata_pb2.GetFileResponse:
        await caller().require_read(request.feed)
        file = await self._service.get_file(request.feed, request.filename)
        return metadata_pb2.GetFileResponse(file=_file_to_pb(file))

    async def RegisterFile(
        self, request: metadata_pb2.RegisterFileRequest, context: Context
    ) -> metadata_pb2.RegisterFileResponse:
        caller().require_right(request.feed, Right.PUBLISH)
        registration = await self._service.register_file(
            _file_from_pb(request.feed, request.file),
            _metadata_from_pb(request.metadata),
            request.uploader,
            # Every upload made for a principal is audited (its name, never the request's).
            audit_from_pb(request.audit)
            if request.HasField("audit") or caller().principal is not None
            else None,
        )
        return metadata_pb2.RegisterFileResponse(
            file=_file_to_pb(registration.file), created=registration.created
        )

    async def SetReleaseYanked(
        self, request: metadata_pb2.SetReleaseYankedRequest, context: Context
    ) -> metadata_pb2.SetReleaseYankedResponse:
        caller().require_right(request.feed, Right.YANK)
        files = await self._service.set_release_yanked(
            request.feed,
            request.project,
            request.version,
            yanked=request.yanked,
            reason=request.reason,
            audit=audit_from_pb(request.audit),
        )
        return metadata_pb2.SetReleaseYankedResponse(files=files)

    async def SetProjectStatus(
        self, request: metadata_pb2.SetProjectStatusRequest, context: Context
    ) -> metadata_pb2.SetProjectStatusResponse:
        caller().require_right(request.feed, Right.ADMIN)
        status = _STATUS_FROM_PB.get(request.status, ProjectStatus.ACTIVE)
        project = await self._service.set_project_status(
            request.feed,
            request.project,
            status,
            request.reason,
            audit=audit_from_pb(request.audit),
        )
        return metadata_pb2.SetProjectStatusResponse(project=_project_to_pb(project))

    async def DeleteFile(
        self, request: metadata_pb2.DeleteFileRequest, context: Context
    ) -> metadata_pb2.DeleteFileResponse:
        caller().require_right(request.feed, Right.YANK)
        await self._service.delete_file(
            request.feed, request.filename, audit=audit_from_pb(request.audit)
        )
        return metadata_pb2.DeleteFileResponse()

    # Deprecated (AccessService has both): answered by the access domain for one more release.

    async def CreateApiKey(
        self, request: metadata_pb2.CreateApiKeyRequest, context: Context
    ) -> metadata_pb2.CreateApiKeyResponse:
        caller().require_admin()
        return await self._keys.CreateApiKey(request, context)

    async def Authenticate(
        self, request: access_pb2.AuthenticateRequest, context: Context
    ) -> access_pb2.AuthenticateResponse:
        return await self._keys.Authenticate(request, context)

    async def UpdateFeed(
        self, request: metadata_pb2.UpdateFeedRequest, context: Context
    ) -> metadata_pb2.UpdateFeedResponse:
        caller().require_right(request.feed.name, Right.ADMIN)
        feed = await self._service.update_feed(
            _feed_from_pb(request.feed),
            update_paths(
                request.update_mask,
                request.field_mask if request.HasField("field_mask") else None,
            ),
            audit=audit_from_pb(request.audit),
        )
        return metadata_pb2.UpdateFeedResponse(feed=_feed_to_pb(feed))

    async def DeleteFeed(
        self, request: metadata_pb2.DeleteFeedRequest, context: Context
    ) -> metadata_pb2.DeleteFeedResponse:
        caller().require_admin()
        await self._service.delete_feed(request.name, audit=audit_from_pb(request.audit))
        return metadata_pb2.DeleteFeedResponse()

    async def DeleteRelease(
        self, request: metadata_pb2.DeleteReleaseRequest, context: Context
    ) -> metadata_pb2.DeleteReleaseResponse:
        caller().require_right(request.feed, Right.YANK)
        files = await self._service.delete_release(
            request.feed, request.project, request.version, audit=audit_from_pb(request.audit)
        )
        return metadata_pb2.DeleteReleaseResponse(files=files)
