"""What a feed offers: the one place routes ask for a project's files or for one file.

Hosted data comes from the metadata service, upstream data from the connector service, and
they merge here, so the simple pages, the JSON API and the file routes all see one view.
The dependency-confusion rules (``protocol.offer_merge``, which the connector and the metadata
service's origin controls apply too; this is the last line) decide the merge:

- a project with hosted files shows only hosted files, unless the origin controls allow
  merging (``merge_with_hosted``);
- when both are shown, a hosted file wins over an upstream file of the same filename;
- an upstream failure never hides hosted files: a hosted project is served without upstream
  files then, an upstream-only project gets 502/503/504;
- a listing served from cache because its upstream failed carries ``X-Packyard-Stale: true``.

A feed without connectors has nothing upstream: given the page cache, the connector is not
asked at all. Whether a feed has connectors is kept in the page cache next to the feed's pages
(variant ``connectors``): a connector change drops every page of its feed, so this fact is
exactly as fresh as the pages, and is not used while the cache is off or disconnected.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import UTC
from email.utils import format_datetime

from packyard_rpc.v1 import (
    blob_pb2,
    common_pb2,
    connector_pb2,
    metadata_pb2,
    upstream_pb2,
)

from packyard.common.errors import NotFound, PackyardError, PermissionDenied
from packyard.gateway.backends import Backends
from packyard.gateway.clients.calls import if_found
from packyard.gateway.page_cache import CachedPage, PageCache, Ticket
from packyard.gateway.pypi.supply import apply_policy
from packyard.protocol.offer_merge import (
    View,
    merged_files,
    merged_serial,
    merged_versions,
    view,
)
from packyard.protocol.upstream_description import described_versions

log = logging.getLogger(__name__)

STALE_HEADER = "X-Packyard-Stale"
STALE_SINCE_HEADER = "X-Packyard-Stale-Since"


async def _hosted_project(
    backends: Backends, feed: str, project: str
) -> metadata_pb2.Project | None:
    reply = await if_found(
        backends.metadata.get_project(metadata_pb2.GetProjectRequest(feed=feed, project=project))
    )
    return reply.project if reply is not None else None


async def _upstream_project(
    backends: Backends, feed: str, project: str
) -> connector_pb2.GetUpstreamProjectResponse | None:
    return await if_found(
        backends.connector.get_upstream_project(
            connector_pb2.GetUpstreamProjectRequest(feed=feed, project=project)
        )
    )


def _from_upstream(
    feed: str, project: str, upstream: connector_pb2.GetUpstreamProjectResponse
) -> metadata_pb2.Project:
    return metadata_pb2.Project(
        feed=feed,
        name=project,
        display_name=project,
        status=upstream.status or common_pb2.PROJECT_STATUS_ACTIVE,
        serial=upstream.serial,
        versions=upstream.versions,
        files=upstream.files,
    )


def _merged(
    hosted: metadata_pb2.Project, upstream: connector_pb2.GetUpstreamProjectResponse
) -> metadata_pb2.Project:
    merged = metadata_pb2.Project()
    merged.CopyFrom(hosted)
    del merged.files[:]
    merged.files.extend(merged_files(hosted.files, upstream.files))
    del merged.versions[:]
    merged.versions.extend(merged_versions(hosted.versions, upstream.versions))
    merged.serial = merged_serial(hosted.serial, upstream.serial)
    return merged


# The page cache variant under (feed, "") that says whether the feed has connectors.
CONNECTORS_VARIANT = "connectors"
# The page cache variant under (feed, project) that holds a hosted file's row, by filename.
FILE_VARIANT_PREFIX = "file:"
_FILE_ROW_TYPE = "application/x-protobuf"
# File rows kept with one project page load, at most.
KEPT_ROWS_PER_PAGE = 100


async def feed_has_connectors(backends: Backends, pages: PageCache | None, feed: str) -> bool:
    """False only when the feed is known (through the page cache) to have no connectors; when
    in doubt True, so the connector is asked as it would be without this shortcut."""
    if pages is None or not pages.enabled:
        return True

    async def load() -> CachedPage:
        reply = await backends.upstream.list_connectors(
            upstream_pb2.ListConnectorsRequest(feed=feed)
        )
        return CachedPage(b"1" if reply.connectors else b"0", "text/plain", renewable=True)

    try:
        # Concurrent page loads that miss share one call (page_cache.py).
        kept = await pages.load((feed, "", CONNECTORS_VARIANT), load)
    except PackyardError:
        return True
    return kept.body != b"0"


async def _nothing_upstream() -> None:
    return None


async def load_project_with_headers(
    backends: Backends, feed: str, project: str, pages: PageCache | None = None
) -> tuple[metadata_pb2.Project, dict[str, str]]:
    """The project with every file the feed offers for it, and response headers to add.

    With ``pages`` (the gateway's page cache), a feed without connectors costs no connector
    call. The feed's vulnerability policy (supply.py) applies to hosted and upstream files."""
    found, headers = await _load_project_with_headers(backends, feed, project, pages)
    return await apply_policy(backends, pages, found, headers)


async def _load_project_with_headers(
    backends: Backends, feed: str, project: str, pages: PageCache | None
) -> tuple[metadata_pb2.Project, dict[str, str]]:
    ticket = pages.ticket() if pages is not None else None
    hosted_call = asyncio.ensure_future(_hosted_project(backends, feed, project))
    try:
        has_connectors = await feed_has_connectors(backends, pages, feed)
    except BaseException:
        hosted_call.cancel()
        raise
    upstream_call = asyncio.ensure_future(
        _upstream_project(backends, feed, project) if has_connectors else _nothing_upstream()
    )
    try:
        hosted = await hosted_call
    except BaseException:
        upstream_call.cancel()
        raise
    # PEP 792: a quarantined project's files are not served (GetFile does not find them).
    if (
        pages is not None
        and ticket is not None
        and hosted is not None
        and hosted.status != common_pb2.PROJECT_STATUS_QUARANTINED
    ):
        keep_file_rows(pages, ticket, feed, project, hosted.files)
    try:
        upstream = await upstream_call
    except Exception as exc:
        if hosted is None:
            raise
        # Upstream trouble never hides hosted files.
        log.warning(
            "offer.upstream_failed",
            extra={"feed": feed, "project": project, "error": type(exc).__name__},
        )
        upstream = None
    shown = view(
        hosted=hosted is not None,
        upstream=upstream is not None,
        merge_with_hosted=upstream is not None and upstream.merge_with_hosted,
    )
    if shown is View.HOSTED and hosted is not None:
        return hosted, {}
    if upstream is None:
        raise NotFound(f"Project '{project}' not found.")
    headers = {}
    if upstream.stale:
        headers[STALE_HEADER] = "true"
        # Since when: the last time the upstream answered for this listing.
        headers[STALE_SINCE_HEADER] = format_datetime(
            upstream.fetched.ToDatetime(tzinfo=UTC), usegmt=True
        )
    if shown is View.MERGED and hosted is not None:
        return _merged(hosted, upstream), headers
    return _from_upstream(feed, project, upstream), headers


async def load_project(
    backends: Backends, feed: str, project: str, pages: PageCache | None = None
) -> metadata_pb2.Project:
    """The project with every file the feed offers for it; NotFound if none."""
    found, _ = await load_project_with_headers(backends, feed, project, pages)
    return found


def _core_metadata(d: upstream_pb2.UpstreamDescription, version: str) -> common_pb2.CoreMetadata:
    return common_pb2.CoreMetadata(
        name=d.display_name,
        version=version,
        summary=d.summary,
        description=d.description,
        description_content_type=d.description_content_type,
        license=d.license,
        requires_python=d.requires_python,
        requires_dist=d.requires_dist,
        project_urls=[f"{u.label}, {u.url}" for u in d.project_urls],
    )


async def with_upstream_description(
    backends: Backends, project: metadata_pb2.Project
) -> metadata_pb2.Project:
    """An upstream project (no hosted release) with what describes it (the upstream's JSON
    API, or a cached wheel's METADATA) as the core metadata of the releases it describes
    (``described_versions``). For the JSON API and the web UI; pip's pages never need it."""
    if project.releases or not project.files:
        return project
    if any(f.origin != common_pb2.ORIGIN_UPSTREAM for f in project.files):
        return project
    reply = await if_found(
        backends.upstream.get_upstream_description(
            upstream_pb2.GetUpstreamDescriptionRequest(feed=project.feed, project=project.name)
        )
    )
    if reply is None or not reply.description.HasField("described"):
        return project
    described = metadata_pb2.Project()
    described.CopyFrom(project)
    d = reply.description
    for version in described_versions(list(project.versions), d.version):
        described.releases[version].CopyFrom(_core_metadata(d, version))
    if d.display_name:
        described.display_name = d.display_name
    return described


async def list_projects(backends: Backends, feed: str) -> list[metadata_pb2.ProjectSummary]:
    summaries: list[metadata_pb2.ProjectSummary] = []
    async for batch in backends.metadata.list_projects(metadata_pb2.ListProjectsRequest(feed=feed)):
        summaries.extend(batch.projects)
    return summaries


async def load_file(
    backends: Backends,
    feed: str,
    filename: str,
    project: str | None = None,
    pages: PageCache | None = None,
) -> common_pb2.FileInfo:
    """One file of the feed by its filename: hosted, else cached from upstream, else (with
    ``project``) offered by the project's upstream listing. NotFound if none. With ``pages``,
    a feed known to have no connectors is not looked up upstream."""
    hosted = await _hosted_file(backends, pages, feed, filename, project)
    if hosted is not None:
        return hosted
    cached = await if_found(
        backends.upstream.get_cached_file(
            upstream_pb2.GetCachedFileRequest(feed=feed, filename=filename)
        )
    )
    if cached is not None:
        return cached.file
    if project and await feed_has_connectors(backends, pages, feed):
        upstream = await _upstream_project(backends, feed, project)
        if upstream is not None and upstream.status == common_pb2.PROJECT_STATUS_QUARANTINED:
            # PEP 792: nothing of it is offered, not even a file cached before the quarantine.
            raise NotFound(f"Project '{project}' is quarantined: its files are not served.")
        for info in upstream.files if upstream is not None else ():
            if info.filename == filename:
                return info
    raise NotFound(f"File '{filename}' not found.")


def _file_key(feed: str, project: str, filename: str) -> tuple[str, str, str]:
    return (feed, project, FILE_VARIANT_PREFIX + filename)


def keep_file_rows(
    pages: PageCache, ticket: Ticket, feed: str, project: str, files: Sequence[common_pb2.FileInfo]
) -> None:
    """Keep the rows of a hosted project's files, read with its page: the downloads that
    follow a page (pip and uv fetch a ``.metadata`` file and a wheel after each) then make no
    metadata call. Only the last ``KEPT_ROWS_PER_PAGE`` (the newest uploads; a huge project's
    old files are rarely fetched and would only crowd the cache)."""
    for info in files[-KEPT_ROWS_PER_PAGE:]:
        if info.project == project and info.origin != common_pb2.ORIGIN_UPSTREAM:
            pages.put(
                _file_key(feed, project, info.filename),
                ticket,
                CachedPage(info.SerializeToString(), _FILE_ROW_TYPE, renewable=True),
            )


def kept_file(
    pages: PageCache, feed: str, project: str, filename: str
) -> common_pb2.FileInfo | None:
    """The row of a hosted file of ``project`` this gateway keeps (see ``_hosted_file``)."""
    hit = pages.get(_file_key(feed, project, filename))
    return common_pb2.FileInfo.FromString(hit.body) if hit is not None else None


async def _hosted_file(
    backends: Backends, pages: PageCache | None, feed: str, filename: str, project: str | None
) -> common_pb2.FileInfo | None:
    """A hosted file's row, kept in the page cache beside its project's pages.

    Everything in the row that a download depends on (the file itself, its yank, its project's
    status) changes only with a change of the project, and every such change drops the
    project's pages on every gateway: the row is exactly as fresh as the project's pages. With
    it kept, a download of a hot file makes no metadata call (issue 13: that call was most of
    a small download's time). Only a row found under the project named in the URL is kept, so
    the project's drop reaches it; a missing file is not kept (an upload must show at once).
    """
    ticket = None
    if pages is not None and project:
        kept = kept_file(pages, feed, project, filename)
        if kept is not None:
            return kept
        ticket = pages.ticket()
    reply = await if_found(
        backends.metadata.get_file(metadata_pb2.GetFileRequest(feed=feed, filename=filename))
    )
    if reply is None:
        return None
    if pages is not None and project and ticket is not None:
        keep_file_rows(pages, ticket, feed, project, [reply.file])
    return reply.file


def is_uncached_upstream(info: common_pb2.FileInfo) -> bool:
    return info.origin == common_pb2.ORIGIN_UPSTREAM and bool(info.upstream_url)


async def open_upstream_file(
    backends: Backends, info: common_pb2.FileInfo
) -> tuple[common_pb2.FileInfo, AsyncIterator[bytes]]:
    """Start streaming an upstream file through the connector (which caches it meanwhile).

    The file's description and its first chunk arrive before this returns, so a refusal (hash
    mismatch of a small file, disallowed redirect, upstream down) is still a clean error
    status. A failure later aborts the response: the client sees a broken transfer, never a
    complete wrong file.
    """
    parts = backends.connector.fetch_file(
        connector_pb2.FetchFileRequest(feed=info.feed, project=info.project, filename=info.filename)
    )
    head = await anext(parts)
    first = await anext(parts, None)

    async def chunks() -> AsyncIterator[bytes]:
        if first is not None:
            yield first.chunk
        try:
            async for part in parts:
                yield part.chunk
        except PackyardError as exc:
            log.warning(
                "offer.upstream_stream_aborted",
                extra={"feed": info.feed, "file": info.filename, "reason": exc.message},
            )
            raise

    return head.file, chunks()


async def cache_upstream_file(backends: Backends, info: common_pb2.FileInfo) -> common_pb2.FileInfo:
    """Fetch an upstream file into the cache without serving it; returns the cached file."""
    async for _ in backends.connector.fetch_file(
        connector_pb2.FetchFileRequest(feed=info.feed, project=info.project, filename=info.filename)
    ):
        pass
    return await load_file(backends, info.feed, info.filename, project=info.project)


async def upstream_metadata(
    backends: Backends, info: common_pb2.FileInfo
) -> tuple[common_pb2.FileInfo, int]:
    """An upstream file's PEP 658 metadata, fetched or backfilled into the blob service once;
    returns the file (with core_metadata_sha256) and the metadata's size."""
    reply = await backends.connector.fetch_metadata(
        connector_pb2.FetchMetadataRequest(
            feed=info.feed, project=info.project, filename=info.filename
        )
    )
    return reply.file, reply.metadata_size


async def check_publish_allowed(backends: Backends, feed: str, project: str) -> None:
    """PermissionDenied when the origin controls refuse a local upload of ``project`` (a name
    first pulled from upstream, unless an administrator allowed publishing it)."""
    reply = await backends.upstream.get_origin_policy(
        upstream_pb2.GetOriginPolicyRequest(feed=feed, project=project)
    )
    if not reply.policy.publish_allowed:
        raise PermissionDenied(reply.policy.publish_reason)


def file_chunks(
    backends: Backends, info: common_pb2.FileInfo, sha256: str, offset: int, length: int
) -> AsyncIterator[bytes]:
    """The bytes of a stored object (the file itself, or its metadata when ``sha256`` says so)."""
    return _blob_chunks(backends, sha256, offset, length)


async def read_small_blob(backends: Backends, sha256: str, limit: int) -> bytes | None:
    """The whole stored object in one RPC (no separate stat for its size), or None when it is
    larger than ``limit`` bytes (then at most ``limit + 1`` bytes were read)."""
    body = bytearray()
    async for part in backends.blob.get_blob(
        blob_pb2.GetBlobRequest(sha256=sha256, offset=0, length=limit + 1)
    ):
        body += part.chunk
        if len(body) > limit:
            return None
    return bytes(body)


async def _blob_chunks(
    backends: Backends, sha256: str, offset: int, length: int
) -> AsyncIterator[bytes]:
    if length == 0:
        return
    async for part in backends.blob.stream_blob(
        blob_pb2.GetBlobRequest(sha256=sha256, offset=offset, length=length)
    ):
        yield part.chunk
