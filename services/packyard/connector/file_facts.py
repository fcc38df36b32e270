"""PEP 700 for every upstream: each file of a listing gets a size and an upload time.

A PEP 691 JSON index gives both; a PEP 503 HTML page (pypiserver, a static index, PyTorch's
wheel index) gives neither, and a client that filters by upload time (``uv --exclude-newer``)
would then hide every file. So a file the index says nothing about is asked with a HEAD
request: its size from Content-Length, its upload time from Last-Modified. What an earlier
listing learned is carried over for the same filename and sha256, so a refresh HEADs only new
files. Upstreams that answer neither header leave the file without them (the page then omits
``upload-time`` and gives ``size`` 0, as before); a HEAD that fails changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from packyard.connector.errors import UpstreamFailed
from packyard.connector.http import UpstreamDown, UpstreamHttp
from packyard.connector.models import Connector, OfferedFile

# At most this many HEAD requests per listing fetch, this many at once: a project with
# thousands of files (numpy) is completed over a few refreshes, newest files first.
MAX_HEADS = 64
CONCURRENCY = 8


def lacks_facts(f: OfferedFile) -> bool:
    return bool(f.upstream_url) and (not f.size or f.upload_time is None)


def carried_over(
    files: Sequence[OfferedFile], previous: Sequence[OfferedFile]
) -> tuple[OfferedFile, ...]:
    """``files`` with the size and upload time an earlier listing learned for the same bytes."""
    known = {(f.filename, f.sha256): f for f in previous}
    completed = []
    for f in files:
        earlier = known.get((f.filename, f.sha256))
        if earlier is not None and lacks_facts(f):
            f = replace(
                f,
                size=f.size or earlier.size,
                upload_time=f.upload_time or earlier.upload_time,
            )
        completed.append(f)
    return tuple(completed)


async def with_file_facts(
    http: UpstreamHttp,
    connector: Connector,
    files: Sequence[OfferedFile],
    previous: Sequence[OfferedFile] = (),
) -> tuple[OfferedFile, ...]:
    """Every file with a size and upload time, as far as the upstream tells them."""
    completed = list(carried_over(files, previous))
    missing = [i for i, f in enumerate(completed) if lacks_facts(f)][-MAX_HEADS:]
    if not missing:
        return tuple(completed)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def ask(f: OfferedFile) -> OfferedFile:
        async with gate:
            try:
                facts = await http.head_file(connector, f.upstream_url)
            except (UpstreamDown, UpstreamFailed):
                return f
        return replace(
            f,
            size=f.size or facts.size or 0,
            upload_time=f.upload_time or facts.last_modified,
        )

    answers = await asyncio.gather(*(ask(completed[i]) for i in missing))
    for i, answer in zip(missing, answers, strict=True):
        completed[i] = answer
    return tuple(completed)
