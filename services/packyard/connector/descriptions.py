"""Describing projects served from upstream: summary, description, license, Requires-Python,
dependencies, project URLs, recorded in the metadata service for the UI and the JSON API.

From the upstream's PyPI JSON API when a listing is fetched (at most once per listing TTL),
else from the METADATA of a wheel the connector read for PEP 658 (cached or backfilled). Both
run off the request path: pip never waits for a description, and a failure only leaves the
project undescribed until the next try.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Coroutine
from typing import Any

from packyard.common.errors import PackyardError
from packyard.connector.blob_client import BlobClient
from packyard.connector.errors import UpstreamFailed
from packyard.connector.http import UpstreamDown, UpstreamHttp, json_api_url
from packyard.connector.metadata_client import MetadataClient
from packyard.connector.models import Connector
from packyard.protocol.upstream_description import (
    UpstreamDescription,
    description_from_json,
    description_from_metadata,
)

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 8 * 1024 * 1024
# (feed, project) described from METADATA by this process: not read again for each .metadata
# request. Bounded; forgetting one costs a blob read and a refused record.
_REMEMBERED = 4096


class Describer:
    def __init__(self, metadata: MetadataClient, http: UpstreamHttp, blob: BlobClient) -> None:
        self._metadata = metadata
        self._http = http
        self._blob = blob
        self._tasks: set[asyncio.Task[None]] = set()
        self._from_metadata: OrderedDict[tuple[str, str], None] = OrderedDict()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait for the descriptions under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def listing_fetched(self, feed: str, project: str, connector: Connector) -> None:
        """A found listing with files was fetched from ``connector``: ask its JSON API."""
        self._spawn(self._from_json(feed, project, connector))

    def metadata_stored(self, feed: str, project: str, connector_id: str, sha256: str) -> None:
        """The METADATA of one of the project's wheels is in the blob service: describe the
        project with it unless something describes it already (the metadata service decides:
        a description from the JSON API is never replaced by one from METADATA)."""
        key = (feed, project)
        if key in self._from_metadata:
            return
        self._from_metadata[key] = None
        if len(self._from_metadata) > _REMEMBERED:
            self._from_metadata.popitem(last=False)
        self._spawn(self._from_metadata_blob(feed, project, connector_id, sha256))

    async def _from_metadata_blob(
        self, feed: str, project: str, connector_id: str, sha256: str
    ) -> None:
        raw = bytearray()
        try:
            async for chunk in self._blob.read(sha256):
                raw += chunk
                if len(raw) > MAX_JSON_BYTES:
                    return
        except Exception as exc:  # a blob outage: the next .metadata request tries again
            self._from_metadata.pop((feed, project), None)
            log.info("upstream.description_unread", extra={"error": type(exc).__name__})
            return
        await self._record(feed, project, connector_id, description_from_metadata(bytes(raw)))

    async def _from_json(self, feed: str, project: str, connector: Connector) -> None:
        try:
            body = await self._http.get_json(
                connector, json_api_url(connector, project), max_bytes=MAX_JSON_BYTES
            )
        except (UpstreamDown, UpstreamFailed) as exc:
            log.info(
                "upstream.description_unavailable",
                extra={"feed": feed, "project": project, "error": type(exc).__name__},
            )
            return
        described = description_from_json(body) if body is not None else None
        if described is None:
            return  # no JSON API: a wheel's METADATA describes the project once read
        await self._record(feed, project, connector.id, described)

    async def _record(
        self, feed: str, project: str, connector_id: str, described: UpstreamDescription
    ) -> None:
        try:
            await self._metadata.record_description(feed, project, connector_id, described)
        except PackyardError as exc:
            log.info(
                "upstream.description_not_recorded",
                extra={"feed": feed, "project": project, "error": type(exc).__name__},
            )
