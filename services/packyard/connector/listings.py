"""Project listings from upstream: cached, revalidated, single-flight, stale on failure.

For one (feed, project) the connectors are consulted in priority order and the first that
knows the project answers (the safer reading of "several upstreams": a later, lower-priority
upstream cannot add files to a name an earlier one serves). Per connector a listing is:

- fresh within its TTL (an upstream 404 within the negative TTL): served as is;
- otherwise revalidated with If-None-Match / If-Modified-Since; a 304 keeps it;
- when the upstream fails (down, slow, 5xx, circuit open), served stale within the max-stale
  window and flagged so the gateway can say so;
- an ``X-PyPI-Last-Serial`` older than the cached one keeps the cached listing (devpi).

The metadata service is the only store: each answer starts from its state of the project, and
what was fetched is recorded there (``RecordListing``) before it is answered, so every replica
and every restart sees it. This process keeps no upstream state; the per-project lock, taken
before the state is read, makes a burst of requests cost one upstream fetch.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from packyard.common.errors import NotFound, Unavailable
from packyard.common.metrics import record_cache_lookup
from packyard.common.settings import redact_url
from packyard.connector.breaker import CircuitBreakers
from packyard.connector.descriptions import Describer
from packyard.connector.errors import UpstreamFailed, UpstreamTimeout
from packyard.connector.file_facts import with_file_facts
from packyard.connector.health import HealthReporter
from packyard.connector.http import (
    ListingResponse,
    UpstreamDown,
    UpstreamHttp,
    allowed_origins,
)
from packyard.connector.metadata_client import MetadataClient
from packyard.connector.models import (
    Connector,
    FoundFile,
    Listing,
    OfferedFile,
    ProjectAnswer,
    ProjectStatus,
    UpstreamState,
)
from packyard.connector.settings import ConnectorSettings
from packyard.connector.single_flight import KeyedLocks
from packyard.protocol.file_filters import FileFilter, keeps
from packyard.protocol.offer_merge import OriginPolicy, name_selected, offered_files
from packyard.protocol.upstream_parse import UpstreamFile, UpstreamParseError, parse_project_page

log = logging.getLogger(__name__)

_STATUS = {
    "active": ProjectStatus.ACTIVE,
    "archived": ProjectStatus.ARCHIVED,
    "quarantined": ProjectStatus.QUARANTINED,
    "deprecated": ProjectStatus.DEPRECATED,
}


def offered_file(feed: str, project: str, f: UpstreamFile) -> OfferedFile:
    """An upstream page entry (not cached yet: upstream_url is set)."""
    wheel = f.filename.endswith(".whl")
    return OfferedFile(
        feed=feed,
        project=project,
        version=f.version,
        filename=f.filename,
        size=f.size or 0,
        sha256=f.hashes.get("sha256", ""),
        md5=f.hashes.get("md5", ""),
        blake2b_256=f.hashes.get("blake2b_256", ""),
        requires_python=f.requires_python or "",
        yanked=f.yanked is not False,
        yanked_reason=f.yanked if isinstance(f.yanked, str) else "",
        upload_time=f.upload_time.astimezone(UTC) if f.upload_time is not None else None,
        packagetype="bdist_wheel" if wheel else "sdist",
        python_version=f.filename[: -len(".whl")].split("-")[-3] if wheel else "source",
        core_metadata_sha256=(
            f.core_metadata.get("sha256", "") if isinstance(f.core_metadata, dict) else ""
        ),
        upstream_url=f.url,
    )


def content_serial(
    found: bool, files: tuple[OfferedFile, ...], versions: tuple[str, ...], status: ProjectStatus
) -> int:
    """A number that changes exactly when the content changes (pages' ETags); the same on
    every replica for the same content."""
    body = repr((found, files, versions, int(status))).encode()
    return int.from_bytes(hashlib.sha256(body).digest()[:6], "big")


def _fetch_serial() -> int:
    return time.time_ns() // 1000


class Listings:
    def __init__(
        self,
        metadata: MetadataClient,
        http: UpstreamHttp,
        breakers: CircuitBreakers,
        settings: ConnectorSettings,
        clock: Callable[[], float] = time.time,
        describer: Describer | None = None,
        health: HealthReporter | None = None,
    ) -> None:
        self._metadata = metadata
        self._describer = describer
        self._health = health
        self._http = http
        self._breakers = breakers
        self._settings = settings
        self._clock = clock
        self._locks = KeyedLocks()
        self.upstream_fetches = 0

    async def project(self, feed: str, project: str) -> ProjectAnswer:
        # The connectors first: they are cached here, so a feed (or name) no connector serves
        # costs no call for the project's state.
        connectors = [
            c
            for c in await self._metadata.connectors(feed)
            if name_selected(c.include, c.exclude, project)
        ]
        if not connectors:
            raise NotFound(f"Feed '{feed}' has no connector for '{project}'.")
        lock = self._locks.lock(feed, project)
        failures: list[Exception] = []
        async with lock:
            state = await self._metadata.state(feed, project)
            if not state.policy.upstream_allowed:
                raise NotFound(state.policy.upstream_reason or f"'{project}' is not looked up.")
            for connector in connectors:
                try:
                    listing, stale = await self._listing(
                        feed, project, connector, state.listings.get(connector.id)
                    )
                except (Unavailable, UpstreamFailed, UpstreamTimeout) as exc:
                    failures.append(exc)
                    continue
                if listing.found:
                    await self._record_origin(feed, project, listing, state.policy)
                    return _answer(listing, connector, stale, state)
        if failures:
            raise failures[0]
        raise NotFound(f"'{project}' was not found upstream.")

    async def _record_origin(
        self, feed: str, project: str, listing: Listing, policy: OriginPolicy
    ) -> None:
        """Before a project is first served from upstream, make sure it is recorded as such (a
        local upload of the name is refused from then on). Recording its listing did that,
        unless that record failed or the listing came from the store."""
        if not listing.files or policy.first_from_upstream or policy.has_hosted:
            return
        await self._metadata.record_origin(feed, project)

    async def find_file(self, feed: str, project: str, filename: str) -> FoundFile:
        answer = await self.project(feed, project)
        for info in answer.files:
            if info.filename == filename:
                backfilled = answer.backfilled.get(filename) if info.upstream_url else None
                return FoundFile(answer.connector, info, backfilled)
        raise NotFound(f"File '{filename}' not found.")

    # -- one connector ----------------------------------------------------------------------

    def _fresh(self, listing: Listing, connector: Connector) -> bool:
        ttl = connector.ttl_seconds if listing.found else self._settings.upstream_negative_ttl
        return self._clock() - listing.fetched.timestamp() < ttl

    async def _listing(
        self, feed: str, project: str, connector: Connector, known: Listing | None
    ) -> tuple[Listing, bool]:
        # A hit is a listing answered without asking the upstream because it is fresh.
        fresh = known is not None and self._fresh(known, connector)
        record_cache_lookup("listing", fresh, feed)
        if known is not None and fresh:
            return known, False
        if not self._breakers.allow(connector.id):
            self._report_failure(connector, "circuit open")
            return self._stale_or_raise(known, connector, Unavailable(
                "Upstream temporarily unavailable (circuit open); try again later."
            ))  # fmt: skip
        try:
            async with asyncio.timeout(self._settings.upstream_timeout):
                fetched = await self._fetch(feed, project, connector, known)
        except (UpstreamDown, TimeoutError, UpstreamFailed) as exc:
            self._breakers.failure(connector.id)
            self._report_failure(connector, f"{type(exc).__name__}: {exc}")
            log.warning(
                "upstream.listing_failed",
                extra={"feed": feed, "project": project, "connector": connector.id,
                       "url": redact_url(connector.url), "error": f"{type(exc).__name__}: {exc}"},
            )  # fmt: skip
            return self._stale_or_raise(known, connector, _as_error(exc))
        self._breakers.success(connector.id)
        if self._health is not None:
            self._health.success(connector.id)
        await self._record(feed, project, known, fetched)
        if self._describer is not None and fetched.found and fetched.files:
            self._describer.listing_fetched(feed, project, connector)
        return fetched, False

    def _report_failure(self, connector: Connector, error: str) -> None:
        if self._health is not None:
            self._health.failure(connector.id, error, self._breakers.is_open(connector.id))

    def _stale_or_raise(
        self, known: Listing | None, connector: Connector, error: Exception
    ) -> tuple[Listing, bool]:
        if known is not None and known.found:
            age = self._clock() - known.fetched.timestamp()
            if age < connector.ttl_seconds + self._settings.upstream_max_stale:
                return known, True
        raise error

    async def _fetch(
        self, feed: str, project: str, connector: Connector, known: Listing | None
    ) -> Listing:
        revalidate = known is not None and known.found
        self.upstream_fetches += 1
        response = await self._http.get_listing(
            connector,
            project,
            etag=known.etag if revalidate and known else "",
            last_modified=known.last_modified if revalidate and known else "",
            max_bytes=self._settings.upstream_max_listing_bytes,
        )
        serial, fetched = _fetch_serial(), datetime.fromtimestamp(self._clock(), UTC)
        not_modified = response.status == 304 or (
            known is not None
            and known.found
            and response.status == 200
            and 0 < response.last_serial < known.upstream_serial
        )
        if not_modified and known is not None:
            return replace(known, connector=connector.id, serial=serial, fetched=fetched)
        if response.status != 200:
            return Listing(connector=connector.id, found=False, fetched=fetched, serial=serial)
        files, versions, status = self._parse(feed, project, connector, response.url, response)
        files = await with_file_facts(
            self._http, connector, files, known.files if known is not None else ()
        )
        return Listing(
            connector=connector.id,
            found=True,
            fetched=fetched,
            serial=serial,
            files=files,
            versions=versions,
            etag=response.etag,
            last_modified=response.last_modified,
            upstream_serial=response.last_serial,
            status=status,
        )

    def _parse(
        self, feed: str, project: str, connector: Connector, url: str, response: ListingResponse
    ) -> tuple[tuple[OfferedFile, ...], tuple[str, ...], ProjectStatus]:
        try:
            page = parse_project_page(
                response.body, response.content_type, url, project, allowed_origins(connector)
            )
        except UpstreamParseError as exc:
            raise UpstreamFailed(f"Upstream project page is unreadable: {exc}") from None
        for dropped in page.dropped:
            log.warning(
                "upstream.entry_dropped",
                extra={"feed": feed, "project": project, "connector": connector.id,
                       "entry": dropped.reference[:200], "reason": dropped.reason},
            )  # fmt: skip
        files = []
        rule = FileFilter(connector.python_versions, connector.platforms)
        filtered: list[UpstreamFile] = []
        for entry in page.files:
            if not keeps(rule, entry.filename, entry.requires_python or ""):
                filtered.append(entry)  # not for this team's Pythons or platforms
                continue
            if "sha256" not in entry.hashes:
                # Without the index's sha256 nothing could verify the bytes we would cache.
                log.warning(
                    "upstream.entry_dropped",
                    extra={"feed": feed, "project": project, "entry": entry.filename,
                           "reason": "no sha256 in the upstream index"},
                )  # fmt: skip
                continue
            files.append(offered_file(feed, project, entry))
        status = _STATUS.get(page.status or "", ProjectStatus.UNSPECIFIED)
        return tuple(files), _versions_left(page.versions, filtered, files), status

    async def _record(
        self, feed: str, project: str, previous: Listing | None, listing: Listing
    ) -> None:
        """Store the fetched listing in the metadata service (which tells the gateways when
        its content changed). A failure costs only a refetch: the listing is still answered."""
        try:
            await self._metadata.record_listing(feed, project, listing)
        except Unavailable:
            log.warning(
                "upstream.listing_not_recorded",
                extra={"feed": feed, "project": project, "connector": listing.connector},
            )
        changed = previous is None or _content(previous) != _content(listing)
        log.info(
            "upstream.listing_fetched",
            extra={"feed": feed, "project": project, "connector": listing.connector,
                   "found": listing.found, "files": len(listing.files), "changed": changed},
        )  # fmt: skip


def _versions_left(
    versions: Sequence[str], filtered: Sequence[UpstreamFile], kept: Sequence[OfferedFile]
) -> tuple[str, ...]:
    """The versions a listing still shows: a version whose files the connector's filter all
    removed goes too (a filter leaves no trace of what it removed)."""
    gone = {e.version for e in filtered} - {f.version for f in kept}
    return tuple(v for v in versions if v not in gone)


def _content(listing: Listing) -> int:
    return content_serial(listing.found, listing.files, listing.versions, listing.status)


def _answer(
    listing: Listing, connector: Connector, stale: bool, state: UpstreamState
) -> ProjectAnswer:
    backfilled = {name: b.sha256 for name, b in state.backfilled.items()}
    files = offered_files(listing.files, state.cached, backfilled)
    return ProjectAnswer(
        files=files,
        versions=list(listing.versions),
        stale=stale,
        connector=connector,
        # Over what is answered (cached hashes, known metadata), so a page's ETag changes
        # whenever its content does.
        serial=content_serial(listing.found, tuple(files), listing.versions, listing.status),
        merge_with_hosted=state.policy.merge_with_hosted,
        fetched=listing.fetched,
        status=listing.status,
        backfilled=state.backfilled,
    )


def _as_error(exc: Exception) -> Exception:
    if isinstance(exc, UpstreamFailed):
        return exc
    if isinstance(exc, TimeoutError) or (isinstance(exc, UpstreamDown) and exc.timeout):
        return UpstreamTimeout("Upstream index timed out.")
    return Unavailable("Upstream index unavailable; try again later.")
