"""The upstream domain of the metadata service: connectors, cached listings and files, and the
origin controls. Plain async Python over the pool; SQL in repository.py."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import replace
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg
from packaging.utils import canonicalize_name

from packyard.common.errors import AlreadyExists, InvalidArgument, NotFound
from packyard.common.settings import redact_url
from packyard.metadata import audit, change_events, db
from packyard.metadata.secret_keys import SecretKeys
from packyard.metadata.upstream import repository as repo
from packyard.metadata.upstream.credentials import CredentialSealer
from packyard.metadata.upstream.models import (
    BackfilledMetadata,
    CachedFile,
    Connector,
    ConnectorHealth,
    Credentials,
    FeedOrigin,
    Listing,
    OriginPolicy,
    ServedProject,
    UpstreamState,
)
from packyard.protocol.file_filters import check_filter
from packyard.protocol.offer_merge import decide
from packyard.protocol.upstream_description import UpstreamDescription
from packyard.protocol.upstream_parse import origin_of

log = logging.getLogger(__name__)

UPDATABLE = frozenset(
    {"url", "simple_path", "priority", "ttl_seconds", "include", "exclude", "file_hosts",
     "credentials", "name_list", "python_versions", "platforms"}
)  # fmt: skip


def split_credentials(url: str) -> tuple[str, Credentials | None]:
    """``https://u:p@host/x`` -> (``https://host/x``, Credentials): secrets never stay in URLs."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidArgument("The upstream URL must be an absolute http(s) URL.")
    if parts.query or parts.fragment:
        raise InvalidArgument("The upstream URL must not have a query or fragment.")
    credentials = None
    if parts.username is not None:
        credentials = Credentials(unquote(parts.username), unquote(parts.password or ""))
    netloc = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    if ":" in parts.hostname:  # IPv6 literal
        netloc = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", "")), credentials


def _check(connector: Connector) -> Connector:
    url, embedded = split_credentials(connector.url)
    path = connector.simple_path or "/simple"
    if not path.startswith("/") or ".." in path.split("/"):
        raise InvalidArgument("The simple path must start with '/' and not contain '..'.")
    if connector.ttl_seconds < 0:
        raise InvalidArgument("The TTL must not be negative.")
    hosts = []
    for host in connector.file_hosts:
        origin = origin_of(host if "://" in host else f"https://{host}")
        scheme, _, rest = origin.partition("://")
        if scheme not in {"http", "https"} or rest.startswith(":"):
            raise InvalidArgument(f"Invalid file host '{host}'.")
        hosts.append(origin)
    for pattern in (*connector.include, *connector.exclude):
        if not pattern or len(pattern) > 200:
            raise InvalidArgument("Name patterns must be 1 to 200 characters.")
    filter_errors = check_filter(connector.python_versions, connector.platforms)
    if filter_errors:
        raise InvalidArgument(" ".join(filter_errors))
    return replace(
        connector,
        url=url,
        simple_path=path,
        file_hosts=tuple(dict.fromkeys(hosts)),
        credentials=connector.credentials or embedded,
    )


class UpstreamStore(db.PooledService):
    # A change to what a feed offers writes change_events.index_changed (feed, project; project
    # "" for every project of the feed) in its transaction: the gateways drop those pages.

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        acquire_timeout: float = 5.0,
        secret_keys: SecretKeys | None = None,
    ) -> None:
        super().__init__(pool, acquire_timeout=acquire_timeout)
        # Connector credentials are stored encrypted (credentials.py), never in the clear.
        self._sealer = CredentialSealer(secret_keys or SecretKeys.from_setting(None))

    # -- connectors ----------------------------------------------------------------------

    async def add_connector(self, connector: Connector) -> Connector:
        checked = replace(_check(connector), id="c" + secrets.token_hex(6))
        async with self._connection() as conn, conn.transaction():
            if not await repo.feed_exists(conn, checked.feed):
                raise NotFound(f"Feed '{checked.feed}' not found.")
            try:
                await repo.insert_connector(conn, checked)
            except asyncpg.UniqueViolationError:
                raise AlreadyExists(
                    f"Feed '{checked.feed}' already has a connector for {checked.url}"
                    f"{checked.simple_path}."
                ) from None
            await repo.set_credentials(conn, checked.id, self._sealer.seal(checked.credentials))
            stored = await repo.get_connector(conn, checked.feed, checked.id)
            await change_events.index_changed(conn, checked.feed)
        assert stored is not None
        log.info(
            "upstream.connector_added",
            extra={"feed": checked.feed, "connector": checked.id, "url": redact_url(checked.url)},
        )
        return stored

    async def update_connector(self, connector: Connector, mask: Iterable[str]) -> Connector:
        fields = set(mask)
        unknown = fields - UPDATABLE
        if unknown:
            raise InvalidArgument(f"Cannot update: {', '.join(sorted(unknown))}.")
        async with self._connection() as conn, conn.transaction():
            current = await repo.get_connector(conn, connector.feed, connector.id)
            if current is None:
                raise NotFound(f"Connector '{connector.id}' not found in feed '{connector.feed}'.")
            merged = replace(
                current, **{f: getattr(connector, f) for f in fields if f != "credentials"}
            )
            checked = _check(replace(merged, credentials=None))
            try:
                await repo.update_connector(conn, checked)
            except asyncpg.UniqueViolationError:
                raise AlreadyExists("Another connector of the feed has that URL.") from None
            if "credentials" in fields:
                creds = connector.credentials
                keep = creds if creds is not None and creds.username else None
                await repo.set_credentials(conn, current.id, self._sealer.seal(keep))
            stored = await repo.get_connector(conn, connector.feed, connector.id)
            await change_events.index_changed(conn, connector.feed)
        assert stored is not None
        return stored

    async def remove_connector(self, feed: str, id: str) -> None:
        async with self._connection() as conn, conn.transaction():
            if not await repo.delete_connector(conn, feed, id):
                raise NotFound(f"Connector '{id}' not found in feed '{feed}'.")
            await change_events.index_changed(conn, feed)

    async def list_connectors(self, feed: str, *, with_secrets: bool = False) -> list[Connector]:
        async with self._connection() as conn:
            if not await repo.feed_exists(conn, feed):
                raise NotFound(f"Feed '{feed}' not found.")
            found = await repo.list_connectors(conn, feed, with_secrets=with_secrets)
        return [self._sealer.open_connector(c) for c in found]

    # -- cache ---------------------------------------------------------------------------

    async def state(self, feed: str, project: str) -> UpstreamState:
        async with self._connection() as conn:
            policy = await self._policy(conn, feed, project)
            listings = await repo.listings(conn, feed, project)
            cached = await repo.cached_files(conn, feed, project)
            backfilled = await repo.backfilled(conn, feed, project)
        return UpstreamState(policy, listings, cached, backfilled)

    async def cached_file(self, feed: str, filename: str) -> CachedFile:
        async with self._connection() as conn:
            found = await repo.cached_file(conn, feed, filename)
            status = None if found is None else await repo.served_status(conn, feed, found.project)
        if found is None:
            raise NotFound(f"'{filename}' is not cached in feed '{feed}'.")
        if status == "quarantined":
            # PEP 792: not offered at all, not even by a direct URL to bytes already cached.
            raise NotFound(
                f"Project '{found.project}' is quarantined upstream: its files are not served."
            )
        return found

    async def record_listing(self, feed: str, project: str, listing: Listing) -> bool:
        """Store a listing the connector fetched; False when one with a higher serial is stored
        already (idempotent). The gateways are told when its content changed."""
        name = canonicalize_name(project)
        async with self._connection() as conn, conn.transaction():
            previous = next(
                (row for row in await repo.listings(conn, feed, name)
                 if row.connector_id == listing.connector_id),
                None,
            )  # fmt: skip
            recorded = await repo.upsert_listing(conn, feed, name, listing)
            if recorded and listing.found and listing.has_files:
                await repo.mark_from_upstream(conn, feed, name)
                await repo.note_served(
                    conn, feed, name, listing.connector_id, listing.latest_version, listing.status
                )
            elif recorded and listing.found:
                await repo.set_served_status(conn, feed, name, listing.status)
            changed = previous is None or (previous.found, previous.payload) != (
                listing.found,
                listing.payload,
            )
            if recorded and changed:
                await change_events.index_changed(conn, feed, name)
        return recorded

    async def record_upstream_origin(self, feed: str, project: str) -> OriginPolicy:
        """The connector is about to serve ``project`` from upstream: from now on it counts as
        first pulled from upstream (unless it has hosted files). Idempotent."""
        name = canonicalize_name(project)
        async with self._connection() as conn:
            if not await repo.feed_exists(conn, feed):
                raise NotFound(f"Feed '{feed}' not found.")
            await repo.mark_from_upstream(conn, feed, name)
            return await self._policy(conn, feed, name)

    async def record_backfilled(self, metadata: BackfilledMetadata) -> BackfilledMetadata:
        """Record METADATA read out of an upstream wheel; the first record of a filename stays
        (a differing later one is logged). Returns the stored record."""
        if len(metadata.sha256) != 64 or metadata.size < 0 or not metadata.filename:
            raise InvalidArgument("A backfilled metadata record needs a filename, sha256, size.")
        async with self._connection() as conn, conn.transaction():
            stored = await repo.insert_backfilled(conn, metadata)
            if stored.sha256 == metadata.sha256:  # pages now offer the metadata
                await change_events.index_changed(conn, metadata.feed, metadata.project)
        if stored.sha256 != metadata.sha256:
            log.warning(
                "upstream.backfilled_metadata_conflict",
                extra={"feed": metadata.feed, "file": metadata.filename,
                       "kept_sha256": stored.sha256, "offered_sha256": metadata.sha256},
            )  # fmt: skip
        return stored

    async def record_cached_file(self, cached: CachedFile) -> CachedFile:
        """Store an upstream file the connector verified and cached; returns the record that
        stands. A filename already cached with other bytes keeps its first bytes (cached files
        are immutable) and is logged. The gateways are told when the file is new."""
        if len(cached.sha256) != 64 or not cached.filename:
            raise InvalidArgument("A cached file needs a filename and a sha256.")
        async with self._connection() as conn, conn.transaction():
            created = await repo.insert_cached_file(conn, cached)
            if created:
                await change_events.index_changed(conn, cached.feed, cached.project)
            existing = cached if created else await repo.cached_file(conn, cached.feed,
                                                                      cached.filename)  # fmt: skip
        if created:
            return cached
        if existing is None:
            raise NotFound(f"Feed '{cached.feed}' not found.")
        if existing.sha256 != cached.sha256:
            log.warning(
                "upstream.cached_file_conflict",
                extra={
                    "feed": cached.feed,
                    "file": cached.filename,
                    "kept_sha256": existing.sha256,
                    "offered_sha256": cached.sha256,
                },
            )
        return existing

    # -- descriptions --------------------------------------------------------------------

    async def record_description(
        self, feed: str, project: str, description: UpstreamDescription
    ) -> bool:
        """Describe a project the feed served from upstream; False when it did not serve it, or
        when a description from the JSON API stands against one from a wheel's METADATA."""
        name = canonicalize_name(project)
        async with self._connection() as conn, conn.transaction():
            recorded = await repo.describe(conn, feed, name, description)
            if recorded:  # the JSON API shows the description
                await change_events.index_changed(conn, feed, name)
        return recorded

    async def served_project(self, feed: str, project: str) -> ServedProject:
        name = canonicalize_name(project)
        async with self._connection() as conn:
            found = await repo.served_project(conn, feed, name)
        if found is None:
            raise NotFound(f"Feed '{feed}' has not served '{name}' from upstream.")
        return found

    # -- name lists ----------------------------------------------------------------------

    async def name_lists_due(self, older_than: float) -> list[tuple[Connector, str, str]]:
        async with self._connection() as conn:
            due = await repo.name_lists_due(conn, older_than)
        return [(self._sealer.open_connector(c), etag, lm) for c, etag, lm in due]

    async def record_names(
        self, connector_id: str, etag: str, last_modified: str, names: list[str] | None
    ) -> int:
        """Replace a connector's name list (``names`` None: unchanged upstream, keep it)."""
        async with self._connection() as conn, conn.transaction():
            if names is None:
                return await repo.keep_names(conn, connector_id)
            clean: list[str] = sorted({canonicalize_name(n) for n in names if n.strip()})
            return await repo.replace_names(conn, connector_id, etag, last_modified, clean)

    # -- health --------------------------------------------------------------------------

    async def record_health(
        self, connector_id: str, success: bool, error: str, breaker_open: bool
    ) -> None:
        async with self._connection() as conn, conn.transaction():
            change = await repo.record_health(conn, connector_id, success, error, breaker_open)
            if change is not None:
                # An audit row, so feed webhooks hear of it (connector_failing/_recovered).
                await audit.record(
                    conn,
                    None,
                    "connector.failing" if change.failing else "connector.recovered",
                    feed=change.feed,
                    target=change.url,
                    detail=change.error,
                )

    async def connector_health(self, feed: str) -> list[ConnectorHealth]:
        async with self._connection() as conn:
            if not await repo.feed_exists(conn, feed):
                raise NotFound(f"Feed '{feed}' not found.")
            return await repo.connector_health(conn, feed)

    # -- origin controls -----------------------------------------------------------------

    async def _policy(self, conn: asyncpg.Connection, feed: str, project: str) -> OriginPolicy:
        return decide(
            project,
            has_hosted=await repo.has_hosted(conn, feed, project),
            origin=await repo.project_origin(conn, feed, project),
            feed=await repo.feed_origin(conn, feed),
        )

    async def policy(self, feed: str, project: str) -> OriginPolicy:
        async with self._connection() as conn:
            return await self._policy(conn, feed, canonicalize_name(project))

    async def set_project_origin(
        self, feed: str, project: str, allow_upstream: bool | None, allow_publish: bool | None
    ) -> OriginPolicy:
        name = canonicalize_name(project)
        async with self._connection() as conn, conn.transaction():
            if not await repo.feed_exists(conn, feed):
                raise NotFound(f"Feed '{feed}' not found.")
            await repo.set_project_origin(conn, feed, name, allow_upstream, allow_publish)
            policy = await self._policy(conn, feed, name)
            await change_events.index_changed(conn, feed, name)
        log.info(
            "upstream.project_origin_set",
            extra={"feed": feed, "project": name, "upstream": allow_upstream,
                   "publish": allow_publish},
        )  # fmt: skip
        return policy

    async def feed_origin(self, feed: str) -> FeedOrigin:
        async with self._connection() as conn:
            if not await repo.feed_exists(conn, feed):
                raise NotFound(f"Feed '{feed}' not found.")
            return await repo.feed_origin(conn, feed)

    async def set_feed_origin(self, origin: FeedOrigin) -> FeedOrigin:
        prefixes = tuple(dict.fromkeys(p.strip().lower() for p in origin.reserved_prefixes))
        if any(not p for p in prefixes):
            raise InvalidArgument("Reserved prefixes must not be empty.")
        clean = replace(origin, reserved_prefixes=prefixes)
        async with self._connection() as conn, conn.transaction():
            if not await repo.feed_exists(conn, origin.feed):
                raise NotFound(f"Feed '{origin.feed}' not found.")
            await repo.set_feed_origin(conn, clean)
            await change_events.index_changed(conn, origin.feed)
        return clean
