"""Distribution files and their PEP 658 metadata, streamed from the blob service.

Exact Content-Length, no Content-Encoding (an archive must arrive byte-for-byte), strong
ETags (the sha256), single byte ranges (uv and poetry read wheel metadata that way), and HEAD
with the same headers.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from packyard_rpc.v1 import blob_pb2, common_pb2

from packyard.common.errors import NotFound
from packyard.gateway.backends import Backends
from packyard.gateway.blob_cache import BlobCache
from packyard.gateway.deps import AuthDep, BackendsDep, BlobCacheDep, DownloadsDep
from packyard.gateway.downloads import DownloadCounter
from packyard.gateway.page_cache import page_cache
from packyard.gateway.pypi.offer import (
    cache_upstream_file,
    file_chunks,
    is_uncached_upstream,
    kept_file,
    load_file,
    open_upstream_file,
    read_small_blob,
    upstream_metadata,
)
from packyard.gateway.pypi.supply import check_download
from packyard.gateway.responses import error_response
from packyard.protocol.caching import if_none_match_matches
from packyard.protocol.names import normalize
from packyard.protocol.ranges import RangeNotSatisfiable, content_range, parse_range

router = APIRouter()

IMMUTABLE = "public, max-age=31536000, immutable"
METADATA_SUFFIX = ".metadata"
# A core-metadata file up to this size is read whole in one RPC (its length is then known
# without asking the blob service for it); METADATA is a few KB, rarely more.
SMALL_METADATA = 256 * 1024
# A local copy up to this size is read whole in one hop to a worker thread and sent as one
# body; a larger one goes through FileResponse (a thread hop per chunk, or the server's own
# file path where it has one).
SMALL_LOCAL_COPY = 256 * 1024
# A local copy up to this size is read on the event loop itself.
INLINE_READ = 64 * 1024


@router.api_route("/pypi/{feed}/packages/{project}/{filename}", methods=["GET", "HEAD"])
async def download(
    feed: str,
    project: str,
    filename: str,
    request: Request,
    backends: BackendsDep,
    auth: AuthDep,
    downloads: DownloadsDep,
    blob_cache: BlobCacheDep,
) -> Response:
    await auth.readable_feed(request, feed)
    dist_name = filename.removesuffix(METADATA_SUFFIX)
    info = await load_file(
        backends, feed, dist_name, project=normalize(project), pages=page_cache(request)
    )
    if info.project != normalize(project):
        raise NotFound(f"File '{filename}' not found.")
    return await _answer(request, backends, downloads, blob_cache, feed, filename, info)


async def hot_download(request: Request, feed: str, project: str, filename: str) -> Response | None:
    """The route's answer (``_answer``) to a whole GET of a file or metadata file this gateway
    knows well, without routing: its row kept in the page cache (a hosted file) and its bytes
    in a local copy, so the answer needs no metadata or blob call. None for anything else,
    which the route then decides. The caller has decided access."""
    state = request.state
    blob_cache: BlobCache | None = state.blob_cache
    info = kept_file(page_cache(request), feed, project, filename.removesuffix(METADATA_SUFFIX))
    if info is None or blob_cache is None or "range" in request.headers:
        return None
    is_metadata = filename.endswith(METADATA_SUFFIX)
    sha256 = info.core_metadata_sha256 if is_metadata else info.hashes.sha256
    if not sha256 or blob_cache.lookup(sha256) is None:
        return None
    return await _answer(request, state.backends, state.downloads, blob_cache, feed, filename, info)


async def _answer(
    request: Request,
    backends: Backends,
    downloads: DownloadCounter,
    blob_cache: BlobCache | None,
    feed: str,
    filename: str,
    info: common_pb2.FileInfo,
) -> Response:
    """The answer for ``filename`` (a file, or its ``.metadata`` file) of the file ``info``."""
    is_metadata = filename.endswith(METADATA_SUFFIX)
    local_copies: BlobCache | None = None
    if not is_metadata:
        # A version the feed's block policy holds back (its metadata stays readable, so pip
        # resolves, shows the yank reason naming the advisory, then meets this refusal).
        await check_download(backends, page_cache(request), feed, info)
    if is_metadata and info.origin == common_pb2.ORIGIN_UPSTREAM:
        # Fetched from the upstream (or taken from the cached wheel) on first use.
        info, metadata_size = await upstream_metadata(backends, info)
        sha256, size, media_type = info.core_metadata_sha256, metadata_size, "text/plain"
    elif is_metadata:
        if not info.core_metadata_sha256:
            raise NotFound(f"'{info.filename}' has no metadata file.")
        # The size is needed only for a range or HEAD: a revalidation or a plain GET of the
        # (small) file skips asking the blob service for it.
        headers = _file_headers(f'"{info.core_metadata_sha256}"', filename)
        if if_none_match_matches(request.headers.get("if-none-match"), headers["ETag"]):
            return Response(status_code=304, headers=headers)
        whole = await _whole_metadata(request, backends, blob_cache, info.core_metadata_sha256)
        if whole is not None:
            return Response(whole, headers=headers, media_type="text/plain")
        stat = await backends.blob.stat_blob(
            blob_pb2.StatBlobRequest(sha256=info.core_metadata_sha256)
        )
        sha256, size, media_type = info.core_metadata_sha256, stat.blob.size, "text/plain"
    else:
        if is_uncached_upstream(info):
            if request.method == "GET" and "range" not in request.headers:
                # The first download, streamed while it is cached, counts like any other.
                first = await _upstream_response(backends, info, filename)
                downloads.count(request.method, first.status_code, info, info.hashes.sha256)
                return first
            info = await cache_upstream_file(backends, info)
        sha256, size, media_type = info.hashes.sha256, info.size, _media_type(filename)
        # Distribution files only: a metadata file is a few KB, already read in one call.
        local_copies = blob_cache
    response = await _blob_response(
        request, backends, info, filename, sha256, size, media_type, local_copies
    )
    downloads.count(request.method, response.status_code, info, sha256)
    return response


async def _blob_response(
    request: Request,
    backends: BackendsDep,
    info: common_pb2.FileInfo,
    filename: str,
    sha256: str,
    size: int,
    media_type: str,
    blob_cache: BlobCache | None = None,
) -> Response:
    etag = f'"{sha256}"'
    headers = _file_headers(etag, filename)
    if if_none_match_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    try:
        byte_range = parse_range(request.headers.get("range"), size)
    except RangeNotSatisfiable:
        return error_response(
            416, "Requested range not satisfiable.", request, {"Content-Range": f"bytes */{size}"}
        )
    status, start, length = 200, 0, size
    if byte_range is not None:
        start, end = byte_range
        status, length = 206, end - start + 1
        headers["Content-Range"] = content_range(start, end, size)
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=media_type)
    if blob_cache is not None and byte_range is None:
        # The metadata answer above decided that this file may be served; a local copy holds
        # its verified bytes, so no blob call is needed (blob_cache.py).
        local = await _local_response(blob_cache, sha256, size, headers, media_type)
        if local is not None:
            return local
    chunks = file_chunks(backends, info, sha256, start, length)
    if blob_cache is not None and byte_range is None:
        chunks = blob_cache.filling(sha256, size, chunks)
    return StreamingResponse(
        await _primed(chunks, length),
        status_code=status,
        headers=headers,
        media_type=media_type,
    )


class LocalFileResponse(FileResponse):
    # Fewer, larger reads (each one is a hop to a worker thread); where the server can send
    # a file itself (ASGI pathsend), Starlette hands it the path instead.
    chunk_size = 1024 * 1024


async def _local_response(
    blob_cache: BlobCache, sha256: str, size: int, headers: dict[str, str], media_type: str
) -> Response | None:
    """The whole file from this gateway's copy, or None when it has none."""
    if size <= SMALL_LOCAL_COPY:
        body = await _read_local(blob_cache, sha256)
        if body is None:
            return None
        return Response(body, headers=headers, media_type=media_type)
    path = blob_cache.lookup(sha256)
    if path is None:
        return None
    try:
        stat = await asyncio.to_thread(os.stat, path)
    except FileNotFoundError:
        return None
    return LocalFileResponse(path, headers=headers, media_type=media_type, stat_result=stat)


def _file_headers(etag: str, filename: str) -> dict[str, str]:
    return {
        "ETag": etag,
        "Cache-Control": IMMUTABLE,
        "Accept-Ranges": "bytes",
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
    }


async def _whole_metadata(
    request: Request, backends: BackendsDep, blob_cache: BlobCache | None, sha256: str
) -> bytes | None:
    """A plain GET of a small core-metadata file: its bytes, from the local copy or read in
    one RPC (and then kept). None for HEAD and ranges (answered from the size), or a large
    file."""
    if request.method != "GET" or "range" in request.headers:
        return None
    if blob_cache is not None:
        local = await _read_local(blob_cache, sha256)
        if local is not None:
            return local
    whole = await read_small_blob(backends, sha256, SMALL_METADATA)
    if whole is not None and blob_cache is not None:
        await blob_cache.keep_bytes(sha256, whole)
    return whole


async def _read_local(blob_cache: BlobCache, sha256: str) -> bytes | None:
    """The bytes of this gateway's copy of ``sha256``, or None when it has none (or another
    download's eviction removed it just now)."""
    path = blob_cache.lookup(sha256)
    if path is None:
        return None
    try:
        size = blob_cache.size(sha256)
        if size is not None and size <= INLINE_READ:
            # A copy this small is read in less time than the hop to a worker thread takes
            # (the hop was most of a hot .metadata file's cost, issue 13); it was written
            # moments or minutes ago and sits in the OS's page cache.
            return path.read_bytes()
        return await asyncio.to_thread(path.read_bytes)
    except FileNotFoundError:
        return None


async def _upstream_response(
    backends: BackendsDep, info: common_pb2.FileInfo, filename: str
) -> Response:
    """A first download: streamed from the upstream through the connector while it caches."""
    described, chunks = await open_upstream_file(backends, info)
    headers = {
        "ETag": f'"{described.hashes.sha256}"',
        "Cache-Control": IMMUTABLE,
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
    }
    if described.size:
        headers["Content-Length"] = str(described.size)
    return StreamingResponse(chunks, headers=headers, media_type=_media_type(filename))


async def _primed(chunks: AsyncIterator[bytes], length: int) -> AsyncIterator[bytes]:
    """Pull the first chunk before the status line goes out, so a missing object or a store
    that is down becomes a clean error status instead of a truncated 200. When that chunk is
    the whole body (most files, every metadata file), also wait for the stream's end: a blob
    service dying between the last byte and the call's status is then a 503 too, not a
    connection reset after the headers."""
    first = await anext(chunks, b"")
    if len(first) >= length:
        extra = await anext(chunks, b"")
        if not extra:
            return _just(first)
        first += extra  # more than announced: let the client see it as before

    async def rest() -> AsyncIterator[bytes]:
        if first:
            yield first
        async for chunk in chunks:
            yield chunk

    return rest()


async def _just(body: bytes) -> AsyncIterator[bytes]:
    if body:
        yield body


def _media_type(filename: str) -> str:
    if filename.endswith(".whl"):
        return "application/zip"
    if filename.endswith(".tar.gz"):
        # Not "application/gzip" with Content-Encoding: clients must get the archive as stored.
        return "application/gzip"
    return "application/octet-stream"
