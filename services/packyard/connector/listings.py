"""Project listings from upstream: cached, revalidated, single-flight, stale on failure.

For one (feed, project) the connectors are consulted in priority order and the first that
knows the project answers (the safer reading of "several upstreams": a later, lower-priority
upstream cannot add files to a name an earlier one serves). Per connector a listing is:

- fresh within its TTL (an upstream 404 within the negative TTL): served as is;
- otherwise revalidated with If-None-Match / If-Modified-Since; a 304 keeps it;
- when the upstream fails (down, slow, 5xx, circuit open), served stale within the max-stale
  window and flagged so the gateway can say so;
- an ``X-PyPI-Last-Serial`` older than the cached one keeps the cached listing (devpi).

Two caches: this process's memory (so a burst costs one fetch even before the event reaches
the database) and the metadata service's table, filled by the ``upstream.refreshed`` events
(shared by every replica, kept across restarts). The newer of the two (by serial) wins.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from packyard.common.errors import NotFound, Unavailable
from packyard.common.events import INDEX_CHANGED, UPSTREAM_REFRESHED, subject
from packyard.common.metrics import record_cache_lookup
from packyard.common.settings import redact_url
from packyard.connector.breaker import CircuitBreakers
from packyard.connector.directory import Directory
from packyard.connector.errors import UpstreamFailed, UpstreamTimeout
from packyard.connector.http import (
    ListingResponse,
    UpstreamDown,
    UpstreamHttp,
    allowed_origins,
)
from packyard.connector.publisher import EventPublisher
from packyard.connector.settings import ConnectorSettings
from packyard.protocol.upstream_parse import UpstreamFile, UpstreamParseError, parse_project_page
from packyard.rpc.v1 import common_pb2, events_pb2, upstream_pb2

log = logging.getLogger(__name__)

_STATUS = {
    "active": common_pb2.PROJECT_STATUS_ACTIVE,
    "archived": common_pb2.PROJECT_STATUS_ARCHIVED,
    "quarantined": common_pb2.PROJECT_STATUS_QUARANTINED,
    "deprecated": common_pb2.PROJECT_STATUS_DEPRECATED,
}
_MAX_MEMORY_ENTRIES = 20_000


@dataclass
class ProjectAnswer:
    files: list[common_pb2.FileInfo]
    versions: list[str]
    stale: bool
    connector: upstream_pb2.Connector
    serial: int
    merge_with_hosted: bool
    fetched: datetime
    status: int


def file_info(feed: str, project: str, f: UpstreamFile) -> common_pb2.FileInfo:
    """An upstream page entry as a FileInfo (not cached yet: upstream_url is set)."""
    info = common_pb2.FileInfo(
        feed=feed,
        project=project,
        version=f.version,
        filename=f.filename,
        size=f.size or 0,
        hashes=common_pb2.Hashes(
            sha256=f.hashes.get("sha256", ""),
            md5=f.hashes.get("md5", ""),
            blake2b_256=f.hashes.get("blake2b_256", ""),
        ),
        requires_python=f.requires_python or "",
        yanked=f.yanked is not False,
        yanked_reason=f.yanked if isinstance(f.yanked, str) else "",
        packagetype="bdist_wheel" if f.filename.endswith(".whl") else "sdist",
        python_version=(
            f.filename[: -len(".whl")].split("-")[-3] if f.filename.endswith(".whl") else "source"
        ),
        core_metadata_sha256=(
            f.core_metadata.get("sha256", "") if isinstance(f.core_metadata, dict) else ""
        ),
        origin=common_pb2.ORIGIN_UPSTREAM,
        upstream_url=f.url,
    )
    if f.upload_time is not None:
        info.upload_time.FromDatetime(f.upload_time.astimezone(UTC).replace(tzinfo=None))
    return info


def content_serial(listing: upstream_pb2.UpstreamListing) -> int:
    """A number that changes exactly when the listing's content changes (pages' ETags)."""
    body = upstream_pb2.UpstreamListing(
        files=listing.files, versions=listing.versions, status=listing.status, found=listing.found
    ).SerializeToString(deterministic=True)
    return int.from_bytes(hashlib.sha256(body).digest()[:6], "big")


def _fetch_serial() -> int:
    return time.time_ns() // 1000


class Listings:
    def __init__(
        self,
        directory: Directory,
        http: UpstreamHttp,
        publisher: EventPublisher,
        breakers: CircuitBreakers,
        settings: ConnectorSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._directory = directory
        self._http = http
        self._publisher = publisher
        self._breakers = breakers
        self._settings = settings
        self._clock = clock
        self._memory: dict[tuple[str, str, str], upstream_pb2.UpstreamListing] = {}
        self._cached_files: dict[tuple[str, str], common_pb2.FileInfo] = {}
        self._backfilled: dict[tuple[str, str], upstream_pb2.BackfilledMetadata] = {}
        self._origins_recorded: set[tuple[str, str]] = set()
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self.upstream_fetches = 0

    # -- cached files (this process) --------------------------------------------------------

    def remember_cached(self, info: common_pb2.FileInfo) -> None:
        if len(self._cached_files) >= _MAX_MEMORY_ENTRIES:
            self._cached_files.clear()
        self._cached_files[(info.feed, info.filename)] = info

    def cached_in_memory(self, feed: str, filename: str) -> common_pb2.FileInfo | None:
        return self._cached_files.get((feed, filename))

    def remember_backfilled(self, feed: str, metadata: upstream_pb2.BackfilledMetadata) -> None:
        if len(self._backfilled) >= _MAX_MEMORY_ENTRIES:
            self._backfilled.clear()
        self._backfilled[(feed, metadata.filename)] = metadata

    async def record_backfilled(
        self, feed: str, project: str, connector: str, metadata: upstream_pb2.BackfilledMetadata
    ) -> upstream_pb2.BackfilledMetadata:
        """Record METADATA read with range requests (for every replica, across restarts);
        returns the record that stands (an earlier one of the same filename wins)."""
        try:
            stored = await self._directory.record_backfilled(feed, project, connector, metadata)
        except Unavailable:
            # Only a cost: another replica or a restart reads the METADATA again.
            log.warning("upstream.backfill_not_recorded", extra={"feed": feed,
                        "file": metadata.filename})  # fmt: skip
            stored = metadata
        self.remember_backfilled(feed, stored)
        return stored

    def backfilled(self, feed: str, filename: str) -> upstream_pb2.BackfilledMetadata | None:
        """METADATA read with range requests for this (not yet cached) upstream wheel."""
        return self._backfilled.get((feed, filename))

    # -- the answer -------------------------------------------------------------------------

    async def project(self, feed: str, project: str) -> ProjectAnswer:
        # The connectors first: they are cached here, so a feed (or name) no connector serves
        # costs no call to the metadata service.
        connectors = [c for c in await self._directory.connectors(feed) if _selected(c, project)]
        if not connectors:
            raise NotFound(f"Feed '{feed}' has no connector for '{project}'.")
        state = await self._directory.state(feed, project)
        if not state.policy.upstream_allowed:
            raise NotFound(state.policy.upstream_reason or f"'{project}' is not looked up.")
        stored = {row.connector: row for row in state.listings}
        for f in state.cached_files:
            self.remember_cached(f)
        for m in state.backfilled:
            self.remember_backfilled(feed, m)
        lock = self._locks.setdefault((feed, project), asyncio.Lock())
        failures: list[Exception] = []
        async with lock:
            for connector in connectors:
                try:
                    listing, stale = await self._listing(
                        feed, project, connector, stored.get(connector.id)
                    )
                except (Unavailable, UpstreamFailed, UpstreamTimeout) as exc:
                    failures.append(exc)
                    continue
                if listing.found:
                    await self._record_origin(feed, project, listing, state.policy)
                    return self._answer(feed, listing, connector, stale, state.policy)
        if failures:
            raise failures[0]
        raise NotFound(f"'{project}' was not found upstream.")

    async def _record_origin(
        self,
        feed: str,
        project: str,
        listing: upstream_pb2.UpstreamListing,
        policy: upstream_pb2.OriginPolicy,
    ) -> None:
        """Before a project is first served from upstream, record that it was (a local upload
        of the name is refused from then on, without waiting for the event consumer)."""
        key = (feed, project)
        if not listing.files or policy.first_from_upstream or policy.has_hosted:
            return
        if key in self._origins_recorded:
            return
        await self._directory.record_origin(feed, project)
        if len(self._origins_recorded) >= _MAX_MEMORY_ENTRIES:
            self._origins_recorded.clear()
        self._origins_recorded.add(key)

    def _answer(
        self,
        feed: str,
        listing: upstream_pb2.UpstreamListing,
        connector: upstream_pb2.Connector,
        stale: bool,
        policy: upstream_pb2.OriginPolicy,
    ) -> ProjectAnswer:
        files = []
        for entry in listing.files:
            cached = self._cached_files.get((feed, entry.filename))
            if cached is not None:
                files.append(_overlay(entry, cached))
                continue
            backfilled = self._backfilled.get((feed, entry.filename))
            if backfilled is not None and not entry.core_metadata_sha256:
                entry = _with_metadata(entry, backfilled.sha256)
            files.append(entry)
        answered = upstream_pb2.UpstreamListing()
        answered.CopyFrom(listing)
        del answered.files[:]
        answered.files.extend(files)
        return ProjectAnswer(
            files=files,
            versions=list(listing.versions),
            stale=stale,
            connector=connector,
            # Over what is answered (cached hashes, known metadata), so a page's ETag changes
            # whenever its content does.
            serial=content_serial(answered),
            merge_with_hosted=policy.merge_with_hosted,
            fetched=listing.fetched.ToDatetime(tzinfo=UTC),
            status=listing.status,
        )

    async def find_file(
        self, feed: str, project: str, filename: str
    ) -> tuple[upstream_pb2.Connector, common_pb2.FileInfo]:
        answer = await self.project(feed, project)
        for info in answer.files:
            if info.filename == filename:
                return answer.connector, info
        raise NotFound(f"File '{filename}' not found.")

    # -- one connector ----------------------------------------------------------------------

    def _known(
        self, key: tuple[str, str, str], stored: upstream_pb2.UpstreamListing | None
    ) -> upstream_pb2.UpstreamListing | None:
        memory = self._memory.get(key)
        if memory is None or (stored is not None and stored.serial > memory.serial):
            return stored
        return memory

    def _fresh(
        self, listing: upstream_pb2.UpstreamListing, connector: upstream_pb2.Connector
    ) -> bool:
        ttl = connector.ttl_seconds if listing.found else self._settings.upstream_negative_ttl
        return self._clock() - listing.fetched.ToSeconds() < ttl

    async def _listing(
        self,
        feed: str,
        project: str,
        connector: upstream_pb2.Connector,
        stored: upstream_pb2.UpstreamListing | None,
    ) -> tuple[upstream_pb2.UpstreamListing, bool]:
        key = (feed, project, connector.id)
        known = self._known(key, stored)
        # A hit is a listing answered without asking the upstream because it is fresh.
        fresh = known is not None and self._fresh(known, connector)
        record_cache_lookup("listing", fresh, feed)
        if known is not None and fresh:
            return known, False
        if not self._breakers.allow(connector.id):
            return self._stale_or_raise(known, connector, Unavailable(
                "Upstream temporarily unavailable (circuit open); try again later."
            ))  # fmt: skip
        try:
            async with asyncio.timeout(self._settings.upstream_timeout):
                fetched = await self._fetch(feed, project, connector, known)
        except (UpstreamDown, TimeoutError, UpstreamFailed) as exc:
            self._breakers.failure(connector.id)
            log.warning(
                "upstream.listing_failed",
                extra={"feed": feed, "project": project, "connector": connector.id,
                       "url": redact_url(connector.url), "error": f"{type(exc).__name__}: {exc}"},
            )  # fmt: skip
            return self._stale_or_raise(known, connector, _as_error(exc))
        self._breakers.success(connector.id)
        self._store(feed, project, key, known, fetched)
        return fetched, False

    def _stale_or_raise(
        self,
        known: upstream_pb2.UpstreamListing | None,
        connector: upstream_pb2.Connector,
        error: Exception,
    ) -> tuple[upstream_pb2.UpstreamListing, bool]:
        if known is not None and known.found:
            age = self._clock() - known.fetched.ToSeconds()
            if age < connector.ttl_seconds + self._settings.upstream_max_stale:
                return known, True
        raise error

    async def _fetch(
        self,
        feed: str,
        project: str,
        connector: upstream_pb2.Connector,
        known: upstream_pb2.UpstreamListing | None,
    ) -> upstream_pb2.UpstreamListing:
        revalidate = known is not None and known.found
        self.upstream_fetches += 1
        response = await self._http.get_listing(
            connector,
            project,
            etag=known.etag if revalidate and known else "",
            last_modified=known.last_modified if revalidate and known else "",
            max_bytes=self._settings.upstream_max_listing_bytes,
        )
        now = Timestamp()
        now.FromNanoseconds(int(self._clock() * 1e9))
        serial = _fetch_serial()
        not_modified = response.status == 304 or (
            known is not None
            and known.found
            and response.status == 200
            and 0 < response.last_serial < known.upstream_serial
        )
        if not_modified and known is not None:
            listing = upstream_pb2.UpstreamListing()
            listing.CopyFrom(known)
        elif response.status == 200:
            listing = self._parse(feed, project, connector, response.url, response)
            listing.etag, listing.last_modified = response.etag, response.last_modified
            listing.upstream_serial = response.last_serial
        else:
            listing = upstream_pb2.UpstreamListing(found=False)
        listing.connector, listing.serial = connector.id, serial
        listing.fetched.CopyFrom(now)
        return listing

    def _parse(
        self,
        feed: str,
        project: str,
        connector: upstream_pb2.Connector,
        url: str,
        response: ListingResponse,
    ) -> upstream_pb2.UpstreamListing:
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
        for entry in page.files:
            if "sha256" not in entry.hashes:
                # Without the index's sha256 nothing could verify the bytes we would cache.
                log.warning(
                    "upstream.entry_dropped",
                    extra={"feed": feed, "project": project, "entry": entry.filename,
                           "reason": "no sha256 in the upstream index"},
                )  # fmt: skip
                continue
            files.append(file_info(feed, project, entry))
        return upstream_pb2.UpstreamListing(
            found=True,
            files=files,
            versions=list(page.versions),
            status=_STATUS.get(page.status or "", common_pb2.PROJECT_STATUS_UNSPECIFIED),
        )

    def _store(
        self,
        feed: str,
        project: str,
        key: tuple[str, str, str],
        previous: upstream_pb2.UpstreamListing | None,
        listing: upstream_pb2.UpstreamListing,
    ) -> None:
        if len(self._memory) >= _MAX_MEMORY_ENTRIES:
            self._memory.clear()
        self._memory[key] = listing
        event = events_pb2.UpstreamRefreshed(
            feed=feed,
            project=project,
            connector=listing.connector,
            serial=listing.serial,
            files=listing.files,
            versions=listing.versions,
            found=listing.found,
            etag=listing.etag,
            last_modified=listing.last_modified,
            fetched=listing.fetched,
            upstream_serial=listing.upstream_serial,
            status=listing.status,
        )
        self._publisher.publish(
            subject(UPSTREAM_REFRESHED, feed),
            f"refreshed:{feed}:{project}:{listing.connector}:{listing.serial}",
            event.SerializeToString(deterministic=True),
        )
        changed = previous is None or content_serial(previous) != content_serial(listing)
        if changed:
            serial = content_serial(listing)
            self._publisher.publish(
                subject(INDEX_CHANGED, feed),
                f"index:{feed}:{project}:{serial}",
                events_pb2.IndexChanged(
                    feed=feed, project=project, serial=serial
                ).SerializeToString(deterministic=True),
            )
        log.info(
            "upstream.listing_fetched",
            extra={"feed": feed, "project": project, "connector": listing.connector,
                   "found": listing.found, "files": len(listing.files), "changed": changed},
        )  # fmt: skip


def _overlay(entry: common_pb2.FileInfo, cached: common_pb2.FileInfo) -> common_pb2.FileInfo:
    """A listing entry whose bytes are cached: stored hashes, size and metadata; the upstream's
    yank state, requires-python and upload time (an upstream yank is honoured)."""
    merged = common_pb2.FileInfo()
    merged.CopyFrom(entry)
    merged.size = cached.size
    merged.hashes.CopyFrom(cached.hashes)
    merged.core_metadata_sha256 = cached.core_metadata_sha256 or entry.core_metadata_sha256
    merged.upstream_url = ""
    return merged


def _with_metadata(entry: common_pb2.FileInfo, sha256: str) -> common_pb2.FileInfo:
    merged = common_pb2.FileInfo()
    merged.CopyFrom(entry)
    merged.core_metadata_sha256 = sha256
    return merged


def _selected(connector: upstream_pb2.Connector, project: str) -> bool:
    import fnmatch

    if any(fnmatch.fnmatchcase(project, p) for p in connector.exclude):
        return False
    return not connector.include or any(fnmatch.fnmatchcase(project, p) for p in connector.include)


def _as_error(exc: Exception) -> Exception:
    if isinstance(exc, UpstreamFailed):
        return exc
    if isinstance(exc, TimeoutError) or (isinstance(exc, UpstreamDown) and exc.timeout):
        return UpstreamTimeout("Upstream index timed out.")
    return Unavailable("Upstream index unavailable; try again later.")
