"""The simple repository API: /pypi/FEED/simple/ and /pypi/FEED/simple/PROJECT/ (PEP 503/691)."""

from __future__ import annotations

import asyncio
import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from packyard_rpc.v1 import common_pb2, metadata_pb2

from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.page_cache import CachedPage, PageCache, PageKey, page_cache
from packyard.gateway.pypi.offer import (
    feed_has_connectors,
    list_projects,
    load_project_with_headers,
)
from packyard.gateway.pypi.pages import index_entries, project_page
from packyard.gateway.pypi.provenance import filenames_with_provenance, provenance_path
from packyard.gateway.responses import error_response
from packyard.protocol.caching import etag_for, if_none_match_matches
from packyard.protocol.names import normalize
from packyard.protocol.negotiation import SimpleFormat, select_simple_format
from packyard.protocol.simple import (
    dumps_json,
    render_index_html_chunks,
    render_index_json_chunks,
    render_project_html,
    render_project_json,
)

router = APIRouter()

# Pages must be revalidated on every use: pip 26.2+ obeys max-age, and a cached page would
# hide a fresh upload. The ETag makes revalidation a cheap 304.
PAGE_CACHE_CONTROL = "no-cache"
# Projects with more files than this render their pages in a worker thread.
RENDER_ON_LOOP_FILES = 100
NOT_ACCEPTABLE = (
    "None of the requested formats is available: "
    "use text/html or application/vnd.pypi.simple.v1+json."
)


def requested_format(request: Request) -> SimpleFormat | None:
    return select_simple_format(request.headers.get("accept"), request.query_params.get("format"))


def project_page_key(feed: str, project: str, fmt: SimpleFormat) -> PageKey:
    return (feed, project, f"simple:{fmt.value}")


def _content_type(fmt: SimpleFormat) -> str:
    return fmt.content_type if fmt.is_json else f"{fmt.content_type}; charset=utf-8"


@router.api_route("/pypi/{feed}/simple/", methods=["GET", "HEAD"])
async def simple_index(
    feed: str, request: Request, backends: BackendsDep, auth: AuthDep
) -> Response:
    await auth.readable_feed(request, feed)
    fmt = requested_format(request)
    if fmt is None:
        return error_response(406, NOT_ACCEPTABLE, request, {"Vary": "Accept"})
    # The whole list is fetched before answering, so a failing backend is an error status
    # and never a 200 with a truncated list; the page itself is rendered as a stream.
    summaries = await list_projects(backends, feed)
    # Any change to a project bumps its serial; a new or removed project changes the count.
    etag = etag_for(
        "index", feed, len(summaries), max((p.serial for p in summaries), default=0), fmt.value
    )
    headers = {"Vary": "Accept", "Cache-Control": PAGE_CACHE_CONTROL, "ETag": etag}
    if if_none_match_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    render = render_index_json_chunks if fmt.is_json else render_index_html_chunks
    # PEP 792: a quarantined project is not offered at all (its status change bumped the
    # serial, so the ETag above already moved).
    listed = [s for s in summaries if s.status != common_pb2.PROJECT_STATUS_QUARANTINED]
    return StreamingResponse(
        render(index_entries(listed)), media_type=_content_type(fmt), headers=headers
    )


@router.api_route("/pypi/{feed}/simple/{project}/", methods=["GET", "HEAD"])
async def simple_project(
    feed: str, project: str, request: Request, backends: BackendsDep, auth: AuthDep
) -> Response:
    canonical = normalize(project)
    if canonical != project:
        return RedirectResponse(_same_query(request, f"/pypi/{feed}/simple/{canonical}/"), 301)
    await auth.readable_feed(request, feed)
    fmt = requested_format(request)
    if fmt is None:
        return error_response(406, NOT_ACCEPTABLE, request, {"Vary": "Accept"})
    # Access was decided above for this request; only the page itself is cached.
    pages = page_cache(request)
    key = project_page_key(feed, canonical, fmt)
    cached = await pages.load(key, lambda: _render_project(backends, pages, feed, canonical, fmt))
    return cached.response(request)


def _rendered(
    found: metadata_pb2.Project, with_provenance: set[str], project: str, fmt: SimpleFormat
) -> tuple[bytes, str]:
    """The page's body and its sha256."""
    page = project_page(
        found,
        {
            f.filename: provenance_path(project, f.version, f.filename)
            for f in found.files
            if f.filename in with_provenance
        },
    )
    content = dumps_json(render_project_json(page)) if fmt.is_json else render_project_html(page)
    body = content if isinstance(content, bytes) else content.encode()
    return body, hashlib.sha256(body).hexdigest()


async def _render_project(
    backends: BackendsDep, pages: PageCache, feed: str, project: str, fmt: SimpleFormat
) -> CachedPage:
    # Both calls at once: a page that is not cached costs one round trip, not two.
    provenance = asyncio.ensure_future(filenames_with_provenance(backends, feed, project))
    try:
        found, extra_headers = await load_project_with_headers(backends, feed, project, pages)
    except BaseException:
        provenance.cancel()
        raise
    with_provenance = await provenance
    # A large page renders in a worker thread: on the event loop a 500-file page held every
    # other request of the worker for its 5-10 ms (issue 13's p99); the interpreter switches
    # threads every few milliseconds, so the loop keeps answering meanwhile.
    if len(found.files) > RENDER_ON_LOOP_FILES:
        body, digest = await asyncio.to_thread(_rendered, found, with_provenance, project, fmt)
    else:
        body, digest = _rendered(found, with_provenance, project, fmt)
    # The body and headers, not only the serial: a feed policy or an advisory import changes
    # the page (yanked for a block, a warning header) without a new upload.
    etag = etag_for(
        "simple", feed, project, found.serial, fmt.value, digest, sorted(extra_headers.items()),
    )  # fmt: skip
    headers = {"Vary": "Accept", "Cache-Control": PAGE_CACHE_CONTROL, "ETag": etag}
    # Catalog's headers (X-Packyard-Stale for a listing served stale) stay with the page.
    headers.update(extra_headers)
    # Only a hosted page can be renewed by its feed's change serial (page_cache.py).
    hosted_only = not await feed_has_connectors(backends, pages, feed)
    return CachedPage(body, _content_type(fmt), headers, renewable=hosted_only)


@router.api_route("/pypi/{feed}/simple", methods=["GET", "HEAD"], include_in_schema=False)
@router.api_route("/pypi/{feed}/simple/{project}", methods=["GET", "HEAD"], include_in_schema=False)
async def add_slash(request: Request) -> Response:
    # PEP 503: pages end in "/"; clients that forget it are sent there (and normalized).
    parts = request.url.path.rstrip("/").split("/")
    if len(parts) == 5:
        parts[4] = normalize(parts[4])
    return RedirectResponse(_same_query(request, "/".join(parts) + "/"), 301)


@router.post("/pypi/{feed}/simple/", include_in_schema=False)
@router.post("/pypi/{feed}/simple/{project}/", include_in_schema=False)
async def post_to_simple(request: Request) -> Response:
    # uv publish turns a 405 into "are you using the simple index URL?".
    return error_response(
        405, "Upload to the /legacy/ URL, not the simple index.", request, {"Allow": "GET, HEAD"}
    )


def _same_query(request: Request, path: str) -> str:
    query = request.url.query
    return f"{path}?{query}" if query else path
