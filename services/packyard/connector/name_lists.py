"""Upstream project-name lists: for each connector that keeps one, the upstream's root index
(PEP 691 JSON or PEP 503 HTML, every project name) is fetched on a schedule, revalidated with
its ETag / Last-Modified, and stored in the metadata service, whose search then finds names
nobody here has used yet ("upstream, not yet cached").

Which lists are due is the metadata service's answer (it stores when each was refreshed), so
several connector replicas share the work loosely: a list refreshed twice is only wasted work.
"""

from __future__ import annotations

import asyncio
import logging

from packyard.common.errors import PackyardError
from packyard.common.settings import redact_url
from packyard.connector.errors import UpstreamFailed
from packyard.connector.http import UpstreamDown, UpstreamHttp
from packyard.connector.metadata_client import MetadataClient
from packyard.connector.models import Connector
from packyard.protocol.offer_merge import name_selected
from packyard.protocol.root_index import parse_root_index
from packyard.protocol.upstream_parse import UpstreamParseError

log = logging.getLogger(__name__)

# How often the refresher asks which lists are due (one indexed query; a list itself is
# refreshed every ``interval``), so a connector added with a name list gets it within seconds.
CHECK_EVERY = 5.0


class NameListRefresher:
    def __init__(
        self, metadata: MetadataClient, http: UpstreamHttp, *, interval: float, max_bytes: int
    ) -> None:
        self._metadata = metadata
        self._http = http
        self._interval = interval
        self._max_bytes = max_bytes

    async def run(self) -> None:
        """Refresh due lists until cancelled."""
        while True:
            try:
                await self.refresh_due()
            except PackyardError as exc:  # metadata unreachable: next round
                log.info("upstream.name_lists_unavailable", extra={"error": type(exc).__name__})
            await asyncio.sleep(min(self._interval, CHECK_EVERY))

    async def refresh_due(self) -> int:
        """Refresh every list that is due; returns how many were refreshed."""
        done = 0
        for connector, etag, last_modified in await self._metadata.name_lists_due(self._interval):
            if await self.refresh(connector, etag, last_modified) is not None:
                done += 1
        return done

    async def refresh(
        self, connector: Connector, etag: str = "", last_modified: str = ""
    ) -> int | None:
        """Fetch and store one connector's list; its size, or None when the upstream failed."""
        try:
            page = await self._http.get_root_index(
                connector, etag=etag, last_modified=last_modified, max_bytes=self._max_bytes
            )
            names = None if page.status == 304 else parse_root_index(page.body, page.content_type)
        except (UpstreamDown, UpstreamFailed, UpstreamParseError, TimeoutError) as exc:
            log.warning(
                "upstream.name_list_failed",
                extra={"connector": connector.id, "url": redact_url(connector.url),
                       "error": f"{type(exc).__name__}: {exc}"},
            )  # fmt: skip
            return None
        if page.status == 404:
            names = []
        if names is not None:
            # Only names the connector serves: search never offers one it would not fetch.
            names = [n for n in names if name_selected(connector.include, connector.exclude, n)]
        count = await self._metadata.record_names(
            connector.id, page.etag, page.last_modified, names
        )
        log.info(
            "upstream.name_list_refreshed",
            extra={"connector": connector.id, "names": count, "unchanged": names is None},
        )
        return count
