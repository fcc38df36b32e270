"""A wheel's METADATA from its upstream with HTTP range requests, without the whole wheel.

Three small reads in the usual case: the archive's tail (end-of-central-directory record and,
for most wheels, the central directory too), the central directory if it was not in the tail,
and the METADATA member's local header with its compressed bytes. ``protocol.zip_tail`` does
the parsing and bounds every size before it is asked for.
"""

from __future__ import annotations

from packyard.connector.http import RangeReply, UpstreamHttp
from packyard.connector.models import Connector
from packyard.protocol.zip_tail import (
    MAX_CENTRAL_DIRECTORY,
    TAIL_SIZE,
    Span,
    ZipTailError,
    central_directory_span,
    data_span,
    inflate,
    metadata_member,
)

# The tail is asked for in a size that holds the whole central directory of most wheels.
_FIRST_READ = 256 * 1024
_MAX_READ = MAX_CENTRAL_DIRECTORY + TAIL_SIZE


class RangesUnsupported(Exception):
    """The upstream did not answer a range request with that range."""


async def read_wheel_metadata(http: UpstreamHttp, connector: Connector, url: str) -> bytes:
    """The METADATA member's bytes. RangesUnsupported when the upstream ignores ranges,
    ZipTailError when the archive is not a readable wheel (the caller falls back to the
    whole file either way)."""

    async def read(spec: str) -> RangeReply:
        reply = await http.get_range(connector, url, spec, max_bytes=_MAX_READ)
        if reply is None:
            raise RangesUnsupported(url)
        return reply

    first = await read(f"-{_FIRST_READ}")
    total = first.total
    if first.start + len(first.body) != total:
        raise ZipTailError("the tail answer does not end at the end of the archive")
    window = _Window(first.start, first.body)
    directory = central_directory_span(first.body, total)

    async def span(wanted: Span) -> bytes:
        end = min(wanted.end, total)
        if wanted.start < 0 or wanted.start >= end:
            raise ZipTailError("range outside the archive")
        cached = window.get(wanted.start, end)
        if cached is not None:
            return cached
        reply = await read(f"{wanted.start}-{end - 1}")
        if reply.start != wanted.start or len(reply.body) != end - wanted.start:
            raise ZipTailError("the upstream answered another range")
        return reply.body

    member = metadata_member(await span(directory))
    local = await span(member.local_span())
    data = data_span(member, local)
    offset = data.start - member.header_offset
    if offset + data.length <= len(local):
        compressed = local[offset : offset + data.length]
    else:
        compressed = await span(data)
    return inflate(member, compressed)


class _Window:
    """Bytes already read (the tail), so a span inside them costs no request."""

    def __init__(self, start: int, body: bytes) -> None:
        self._start = start
        self._body = body

    def get(self, start: int, end: int) -> bytes | None:
        if start >= self._start and end <= self._start + len(self._body):
            return self._body[start - self._start : end - self._start]
        return None
