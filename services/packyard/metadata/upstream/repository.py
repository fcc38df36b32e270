"""SQL of the upstream tables (migration 0003). Functions take a connection; callers own
transactions."""

from __future__ import annotations

import asyncpg

from packyard.metadata.upstream.models import (
    BackfilledMetadata,
    CachedFile,
    Connector,
    ConnectorHealth,
    Credentials,
    FeedOrigin,
    HealthChange,
    Listing,
    ProjectOrigin,
    ServedProject,
)
from packyard.protocol.upstream_description import UpstreamDescription

_CONNECTOR_COLUMNS = """
    c.id, c.feed, c.url, c.simple_path, c.priority, c.ttl_seconds, c.include_patterns,
    c.exclude_patterns, c.file_hosts, c.created, (cc.connector_id IS NOT NULL) AS has_credentials,
    c.name_list, c.python_versions, c.platforms
"""

_SELECT_CONNECTORS = f"""
SELECT {_CONNECTOR_COLUMNS}
FROM connectors c LEFT JOIN connector_credentials cc ON cc.connector_id = c.id
WHERE c.feed = $1 ORDER BY c.priority, c.created, c.id
"""
_SELECT_CONNECTORS_WITH_SECRETS = f"""
SELECT {_CONNECTOR_COLUMNS}, cc.username, cc.password
FROM connectors c LEFT JOIN connector_credentials cc ON cc.connector_id = c.id
WHERE c.feed = $1 ORDER BY c.priority, c.created, c.id
"""
_SELECT_CONNECTOR = f"""
SELECT {_CONNECTOR_COLUMNS}
FROM connectors c LEFT JOIN connector_credentials cc ON cc.connector_id = c.id
WHERE c.feed = $1 AND c.id = $2
"""
_INSERT_CONNECTOR = """
INSERT INTO connectors (id, feed, url, simple_path, priority, ttl_seconds, include_patterns,
                        exclude_patterns, file_hosts, name_list, python_versions, platforms)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
"""
_UPDATE_CONNECTOR = """
UPDATE connectors SET url = $3, simple_path = $4, priority = $5, ttl_seconds = $6,
    include_patterns = $7, exclude_patterns = $8, file_hosts = $9, name_list = $10,
    python_versions = $11, platforms = $12
WHERE id = $1 AND feed = $2
"""
_UPSERT_CREDENTIALS = """
INSERT INTO connector_credentials (connector_id, username, password) VALUES ($1, $2, $3)
ON CONFLICT (connector_id) DO UPDATE
SET username = EXCLUDED.username, password = EXCLUDED.password, updated = now()
"""
_DELETE_CREDENTIALS = "DELETE FROM connector_credentials WHERE connector_id = $1"
_ALL_CREDENTIALS = "SELECT connector_id, username, password FROM connector_credentials FOR UPDATE"
_REWRITE_CREDENTIALS = """
UPDATE connector_credentials SET username = $2, password = $3 WHERE connector_id = $1
"""
_DELETE_CONNECTOR = "DELETE FROM connectors WHERE feed = $1 AND id = $2"

_SELECT_LISTINGS = """
SELECT l.connector_id, l.found, l.listing, l.etag, l.last_modified, l.upstream_serial,
       l.fetched, l.serial
FROM upstream_listings l JOIN connectors c ON c.id = l.connector_id
WHERE l.feed = $1 AND l.project = $2
"""
# Only a newer fetch replaces a row: replaying the stream, or an event that arrives late,
# changes nothing. A connector removed meanwhile makes the insert select no row.
_UPSERT_LISTING = """
INSERT INTO upstream_listings (feed, project, connector_id, found, listing, etag, last_modified,
                               upstream_serial, fetched, serial)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
WHERE EXISTS (SELECT 1 FROM connectors WHERE id = $3 AND feed = $1)
ON CONFLICT (feed, project, connector_id) DO UPDATE
SET found = EXCLUDED.found, listing = EXCLUDED.listing, etag = EXCLUDED.etag,
    last_modified = EXCLUDED.last_modified, upstream_serial = EXCLUDED.upstream_serial,
    fetched = EXCLUDED.fetched, serial = EXCLUDED.serial
WHERE upstream_listings.serial < EXCLUDED.serial
"""

_SELECT_CACHED_FILES = """
SELECT feed, filename, project, sha256, info, connector_id
FROM upstream_files WHERE feed = $1 AND project = $2 ORDER BY filename
"""
_SELECT_CACHED_FILE = """
SELECT feed, filename, project, sha256, info, connector_id
FROM upstream_files WHERE feed = $1 AND filename = $2
"""
# Immutable: the first verified bytes of a filename stay.
_INSERT_CACHED_FILE = """
INSERT INTO upstream_files (feed, filename, project, sha256, info, connector_id, size)
SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM feeds WHERE name = $1)
ON CONFLICT (feed, filename) DO NOTHING
"""

_SELECT_BACKFILLED = """
SELECT feed, filename, project, sha256, size, connector_id
FROM upstream_backfilled_metadata WHERE feed = $1 AND project = $2 ORDER BY filename
"""
_SELECT_ONE_BACKFILLED = """
SELECT feed, filename, project, sha256, size, connector_id
FROM upstream_backfilled_metadata WHERE feed = $1 AND filename = $2
"""
# The first record stays: a later read of other bytes never replaces it.
_INSERT_BACKFILLED = """
INSERT INTO upstream_backfilled_metadata (feed, filename, project, sha256, size, connector_id)
SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM feeds WHERE name = $1)
ON CONFLICT (feed, filename) DO NOTHING
"""

_HAS_HOSTED = "SELECT EXISTS (SELECT 1 FROM projects WHERE feed = $1 AND name = $2)"
_SELECT_PROJECT_ORIGIN = """
SELECT first_origin, allow_upstream, allow_publish FROM project_origins
WHERE feed = $1 AND project = $2
"""
# A name is "first from upstream" only if no hosted project existed when it was first served.
# The upsert locks the origin row, which a registration also upserts (to 'hosted') under its
# project lock (repository.LOCK_PROJECT_FOR_FILE): a registration in flight makes this wait,
# and once it commits the row is no longer '' so nothing changes; NOT EXISTS covers projects
# registered before origin rows were written on upload.
_MARK_FROM_UPSTREAM = """
INSERT INTO project_origins (feed, project, first_origin)
SELECT $1, $2, 'upstream'
WHERE NOT EXISTS (SELECT 1 FROM projects WHERE feed = $1 AND name = $2)
  AND EXISTS (SELECT 1 FROM feeds WHERE name = $1)
ON CONFLICT (feed, project) DO UPDATE SET first_origin = 'upstream', updated = now()
WHERE project_origins.first_origin = ''
"""
_SET_PROJECT_ORIGIN = """
INSERT INTO project_origins (feed, project, allow_upstream, allow_publish)
VALUES ($1, $2, $3, $4)
ON CONFLICT (feed, project) DO UPDATE
SET allow_upstream = EXCLUDED.allow_upstream, allow_publish = EXCLUDED.allow_publish,
    updated = now()
"""
_SELECT_FEED_ORIGIN = "SELECT reserved_prefixes, merge_upstream FROM feed_origins WHERE feed = $1"
_UPSERT_FEED_ORIGIN = """
INSERT INTO feed_origins (feed, reserved_prefixes, merge_upstream) VALUES ($1, $2, $3)
ON CONFLICT (feed) DO UPDATE
SET reserved_prefixes = EXCLUDED.reserved_prefixes, merge_upstream = EXCLUDED.merge_upstream
"""
# A found listing with files: the project is in the feed's list from now on (0008). A
# connector removed meanwhile makes the insert select no row.
_NOTE_SERVED = """
INSERT INTO upstream_projects (feed, name, connector_id, display_name, latest_version, status)
SELECT $1, $2, $3, $2, $4, $5
WHERE EXISTS (SELECT 1 FROM connectors WHERE id = $3 AND feed = $1)
ON CONFLICT (feed, name) DO UPDATE
SET connector_id = EXCLUDED.connector_id, last_served = now(), status = EXCLUDED.status,
    latest_version = CASE WHEN EXCLUDED.latest_version <> '' THEN EXCLUDED.latest_version
                          ELSE upstream_projects.latest_version END
"""
# A found listing without files (PEP 792: a quarantined project lists none) still says the
# project's status.
_SET_SERVED_STATUS = """
UPDATE upstream_projects SET status = $3 WHERE feed = $1 AND name = $2 AND status <> $3
"""
_SERVED_STATUS = "SELECT status FROM upstream_projects WHERE feed = $1 AND name = $2"
# The JSON API describes the latest release and is asked once per listing TTL: it always
# replaces what is there. A wheel's METADATA describes only a project nothing describes yet
# (the first read wins; the JSON API is never replaced by it).
_DESCRIBE = """
UPDATE upstream_projects
SET display_name = CASE WHEN $3 <> '' THEN $3 ELSE display_name END,
    summary = $4, description = $5, description_content_type = $6, license = $7,
    requires_python = $8, requires_dist = $9, project_urls = $10, described_from = $11,
    described = now()
WHERE feed = $1 AND name = $2 AND ($11 = 'json' OR described_from = '')
"""
_SELECT_SERVED = """
SELECT feed, name, connector_id, display_name, latest_version, summary, description,
       description_content_type, license, requires_python, requires_dist, project_urls,
       described_from, described
FROM upstream_projects WHERE feed = $1 AND name = $2
"""
# A success clears the error state; a failure keeps the first failure since the last success
# as the time the connector's answers went stale.
_RECORD_HEALTH = """
INSERT INTO connector_health AS h (connector_id, last_success, last_error, last_error_at,
                                   breaker_open, stale_since)
SELECT $1, CASE WHEN $2 THEN now() END, CASE WHEN $2 THEN '' ELSE $3 END,
       CASE WHEN $2 THEN NULL ELSE now() END, $4, CASE WHEN $2 THEN NULL ELSE now() END
WHERE EXISTS (SELECT 1 FROM connectors WHERE id = $1)
ON CONFLICT (connector_id) DO UPDATE SET
    last_success = CASE WHEN $2 THEN now() ELSE h.last_success END,
    last_error = CASE WHEN $2 THEN h.last_error ELSE $3 END,
    last_error_at = CASE WHEN $2 THEN h.last_error_at ELSE now() END,
    breaker_open = $4,
    stale_since = CASE WHEN $2 THEN NULL ELSE coalesce(h.stale_since, now()) END,
    updated = now()
"""
_CONNECTOR_HEALTH = """
SELECT c.id, c.url, h.last_success, coalesce(h.last_error, '') AS last_error, h.last_error_at,
       coalesce(h.breaker_open, false) AS breaker_open, h.stale_since,
       (SELECT count(*) FROM upstream_files f WHERE f.connector_id = c.id) AS cached_files,
       (SELECT coalesce(sum(f.size), 0) FROM upstream_files f
        WHERE f.connector_id = c.id)::bigint AS cached_bytes
FROM connectors c LEFT JOIN connector_health h ON h.connector_id = c.id
WHERE c.feed = $1 ORDER BY c.priority, c.created, c.id
"""
# Connectors that keep a name list whose list is missing or older than $1 seconds.
_NAME_LISTS_DUE = f"""
SELECT {_CONNECTOR_COLUMNS}, cc.username, cc.password,
       coalesce(n.etag, '') AS list_etag, coalesce(n.last_modified, '') AS list_last_modified
FROM connectors c
LEFT JOIN connector_credentials cc ON cc.connector_id = c.id
LEFT JOIN upstream_name_lists n ON n.connector_id = c.id
WHERE c.name_list AND (n.refreshed IS NULL OR n.refreshed < now() - make_interval(secs => $1))
ORDER BY n.refreshed NULLS FIRST, c.id
"""
_NAMES_STAGE = "CREATE TEMPORARY TABLE names_stage (name text) ON COMMIT DROP"
_NAMES_DROP_GONE = """
DELETE FROM upstream_names u
WHERE u.connector_id = $1 AND NOT EXISTS (SELECT 1 FROM names_stage s WHERE s.name = u.name)
"""
_NAMES_ADD_NEW = """
INSERT INTO upstream_names (connector_id, name)
SELECT DISTINCT $1, s.name FROM names_stage s WHERE s.name <> ''
ON CONFLICT DO NOTHING
"""
_NAME_LIST_DONE = """
INSERT INTO upstream_name_lists (connector_id, etag, last_modified, names, refreshed)
SELECT $1, $2, $3, (SELECT count(*) FROM upstream_names WHERE connector_id = $1), now()
WHERE EXISTS (SELECT 1 FROM connectors WHERE id = $1)
ON CONFLICT (connector_id) DO UPDATE
SET etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified, names = EXCLUDED.names,
    refreshed = now()
RETURNING names
"""
_NAME_LIST_KEPT = """
UPDATE upstream_name_lists SET refreshed = now() WHERE connector_id = $1 RETURNING names
"""
_FEED_EXISTS = "SELECT EXISTS (SELECT 1 FROM feeds WHERE name = $1)"


def _connector(row: asyncpg.Record, with_secrets: bool = False) -> Connector:
    credentials = None
    if with_secrets and row["username"] is not None:
        credentials = Credentials(row["username"], row["password"])
    return Connector(
        id=row["id"],
        feed=row["feed"],
        url=row["url"],
        simple_path=row["simple_path"],
        priority=row["priority"],
        ttl_seconds=row["ttl_seconds"],
        include=tuple(row["include_patterns"]),
        exclude=tuple(row["exclude_patterns"]),
        file_hosts=tuple(row["file_hosts"]),
        has_credentials=row["has_credentials"],
        name_list=row["name_list"],
        python_versions=tuple(row["python_versions"]),
        platforms=tuple(row["platforms"]),
        credentials=credentials,
        created=row["created"],
    )


async def feed_exists(conn: asyncpg.Connection, feed: str) -> bool:
    return bool(await conn.fetchval(_FEED_EXISTS, feed))


async def list_connectors(
    conn: asyncpg.Connection, feed: str, *, with_secrets: bool = False
) -> list[Connector]:
    sql = _SELECT_CONNECTORS_WITH_SECRETS if with_secrets else _SELECT_CONNECTORS
    return [_connector(r, with_secrets) for r in await conn.fetch(sql, feed)]


async def get_connector(conn: asyncpg.Connection, feed: str, id: str) -> Connector | None:
    row = await conn.fetchrow(_SELECT_CONNECTOR, feed, id)
    return _connector(row) if row is not None else None


def _connector_args(c: Connector) -> tuple[object, ...]:
    return (
        c.id, c.feed, c.url, c.simple_path, c.priority, c.ttl_seconds,
        list(c.include), list(c.exclude), list(c.file_hosts), c.name_list,
        list(c.python_versions), list(c.platforms),
    )  # fmt: skip


async def insert_connector(conn: asyncpg.Connection, c: Connector) -> None:
    await conn.execute(_INSERT_CONNECTOR, *_connector_args(c))


async def update_connector(conn: asyncpg.Connection, c: Connector) -> None:
    await conn.execute(_UPDATE_CONNECTOR, *_connector_args(c))


async def set_credentials(
    conn: asyncpg.Connection, connector_id: str, credentials: Credentials | None
) -> None:
    if credentials is None:
        await conn.execute(_DELETE_CREDENTIALS, connector_id)
    else:
        await conn.execute(
            _UPSERT_CREDENTIALS, connector_id, credentials.username, credentials.password
        )


async def delete_connector(conn: asyncpg.Connection, feed: str, id: str) -> bool:
    return await conn.execute(_DELETE_CONNECTOR, feed, id) != "DELETE 0"


async def listings(conn: asyncpg.Connection, feed: str, project: str) -> list[Listing]:
    return [
        Listing(
            connector_id=r["connector_id"],
            found=r["found"],
            payload=bytes(r["listing"]),
            etag=r["etag"],
            last_modified=r["last_modified"],
            upstream_serial=r["upstream_serial"],
            fetched=r["fetched"],
            serial=r["serial"],
        )
        for r in await conn.fetch(_SELECT_LISTINGS, feed, project)
    ]


async def upsert_listing(
    conn: asyncpg.Connection, feed: str, project: str, listing: Listing
) -> bool:
    status = await conn.execute(
        _UPSERT_LISTING,
        feed, project, listing.connector_id, listing.found, listing.payload, listing.etag,
        listing.last_modified, listing.upstream_serial, listing.fetched, listing.serial,
    )  # fmt: skip
    return status != "INSERT 0 0"


def _cached(row: asyncpg.Record) -> CachedFile:
    return CachedFile(
        feed=row["feed"],
        filename=row["filename"],
        project=row["project"],
        sha256=row["sha256"],
        payload=bytes(row["info"]),
        connector_id=row["connector_id"],
    )


async def cached_files(conn: asyncpg.Connection, feed: str, project: str) -> list[CachedFile]:
    return [_cached(r) for r in await conn.fetch(_SELECT_CACHED_FILES, feed, project)]


async def cached_file(conn: asyncpg.Connection, feed: str, filename: str) -> CachedFile | None:
    row = await conn.fetchrow(_SELECT_CACHED_FILE, feed, filename)
    return _cached(row) if row is not None else None


async def insert_cached_file(conn: asyncpg.Connection, f: CachedFile) -> bool:
    status = await conn.execute(
        _INSERT_CACHED_FILE,
        f.feed, f.filename, f.project, f.sha256, f.payload, f.connector_id, f.size,
    )  # fmt: skip
    return status != "INSERT 0 0"


async def has_hosted(conn: asyncpg.Connection, feed: str, project: str) -> bool:
    return bool(await conn.fetchval(_HAS_HOSTED, feed, project))


async def project_origin(conn: asyncpg.Connection, feed: str, project: str) -> ProjectOrigin:
    row = await conn.fetchrow(_SELECT_PROJECT_ORIGIN, feed, project)
    if row is None:
        return ProjectOrigin()
    return ProjectOrigin(row["first_origin"], row["allow_upstream"], row["allow_publish"])


async def mark_from_upstream(conn: asyncpg.Connection, feed: str, project: str) -> None:
    await conn.execute(_MARK_FROM_UPSTREAM, feed, project)


async def set_project_origin(
    conn: asyncpg.Connection,
    feed: str,
    project: str,
    allow_upstream: bool | None,
    allow_publish: bool | None,
) -> None:
    await conn.execute(_SET_PROJECT_ORIGIN, feed, project, allow_upstream, allow_publish)


async def feed_origin(conn: asyncpg.Connection, feed: str) -> FeedOrigin:
    row = await conn.fetchrow(_SELECT_FEED_ORIGIN, feed)
    if row is None:
        return FeedOrigin(feed)
    return FeedOrigin(feed, tuple(row["reserved_prefixes"]), row["merge_upstream"])


async def set_feed_origin(conn: asyncpg.Connection, origin: FeedOrigin) -> None:
    await conn.execute(
        _UPSERT_FEED_ORIGIN, origin.feed, list(origin.reserved_prefixes), origin.merge_upstream
    )


def _backfilled(row: asyncpg.Record) -> BackfilledMetadata:
    return BackfilledMetadata(
        feed=row["feed"],
        filename=row["filename"],
        project=row["project"],
        sha256=row["sha256"],
        size=row["size"],
        connector_id=row["connector_id"],
    )


async def backfilled(conn: asyncpg.Connection, feed: str, project: str) -> list[BackfilledMetadata]:
    return [_backfilled(r) for r in await conn.fetch(_SELECT_BACKFILLED, feed, project)]


async def insert_backfilled(conn: asyncpg.Connection, m: BackfilledMetadata) -> BackfilledMetadata:
    """Insert unless the filename has a record; returns the record that is stored."""
    await conn.execute(
        _INSERT_BACKFILLED, m.feed, m.filename, m.project, m.sha256, m.size, m.connector_id
    )
    row = await conn.fetchrow(_SELECT_ONE_BACKFILLED, m.feed, m.filename)
    return _backfilled(row) if row is not None else m


async def all_credentials(conn: asyncpg.Connection) -> list[tuple[str, Credentials]]:
    """Every stored credential as stored (encrypted), locked for a rewrite in this transaction."""
    rows = await conn.fetch(_ALL_CREDENTIALS)
    return [(r["connector_id"], Credentials(r["username"], r["password"])) for r in rows]


async def rewrite_credentials(
    conn: asyncpg.Connection, connector_id: str, stored: Credentials
) -> None:
    await conn.execute(_REWRITE_CREDENTIALS, connector_id, stored.username, stored.password)


async def note_served(
    conn: asyncpg.Connection,
    feed: str,
    project: str,
    connector_id: str,
    latest_version: str,
    status: str,
) -> None:
    await conn.execute(_NOTE_SERVED, feed, project, connector_id, latest_version, status)


async def set_served_status(conn: asyncpg.Connection, feed: str, project: str, status: str) -> None:
    await conn.execute(_SET_SERVED_STATUS, feed, project, status)


async def served_status(conn: asyncpg.Connection, feed: str, project: str) -> str | None:
    status: str | None = await conn.fetchval(_SERVED_STATUS, feed, project)
    return status


def _url_line(label: str, url: str) -> str:
    return f"{label}, {url}"  # core metadata's Project-URL form


async def describe(
    conn: asyncpg.Connection, feed: str, project: str, d: UpstreamDescription
) -> bool:
    status = await conn.execute(
        _DESCRIBE, feed, project, d.display_name, d.summary, d.description,
        d.description_content_type, d.license, d.requires_python, list(d.requires_dist),
        [_url_line(label, url) for label, url in d.project_urls], d.source,
    )  # fmt: skip
    return status != "UPDATE 0"


async def served_project(conn: asyncpg.Connection, feed: str, project: str) -> ServedProject | None:
    row = await conn.fetchrow(_SELECT_SERVED, feed, project)
    if row is None:
        return None
    urls = tuple(
        (label.strip(), url.strip())
        for label, _, url in (line.partition(",") for line in row["project_urls"])
    )
    return ServedProject(
        feed=row["feed"],
        name=row["name"],
        connector_id=row["connector_id"],
        latest_version=row["latest_version"],
        described=row["described"],
        description=UpstreamDescription(
            display_name=row["display_name"],
            summary=row["summary"],
            description=row["description"],
            description_content_type=row["description_content_type"],
            license=row["license"],
            requires_python=row["requires_python"],
            requires_dist=tuple(row["requires_dist"]),
            project_urls=urls,
            source=row["described_from"],
        ),
    )


# The row is locked so replicas reporting at once see each other's state: one of them
# observes the change between failing and answering, and audits it once.
_HEALTH_BEFORE = """
SELECT c.feed, c.url, h.stale_since IS NOT NULL AS failing
FROM connectors c LEFT JOIN connector_health h ON h.connector_id = c.id
WHERE c.id = $1
FOR UPDATE OF c
"""


async def record_health(
    conn: asyncpg.Connection, connector_id: str, success: bool, error: str, breaker_open: bool
) -> HealthChange | None:
    """Record one report; the change it made between answering and failing, if any."""
    before = await conn.fetchrow(_HEALTH_BEFORE, connector_id)
    await conn.execute(_RECORD_HEALTH, connector_id, success, error[:500], breaker_open)
    if before is None or before["failing"] == (not success):
        return None
    return HealthChange(
        feed=before["feed"], url=before["url"], failing=not success, error=error[:500]
    )


async def connector_health(conn: asyncpg.Connection, feed: str) -> list[ConnectorHealth]:
    return [
        ConnectorHealth(
            connector_id=r["id"],
            url=r["url"],
            last_success=r["last_success"],
            last_error=r["last_error"],
            last_error_at=r["last_error_at"],
            breaker_open=r["breaker_open"],
            stale_since=r["stale_since"],
            cached_files=r["cached_files"],
            cached_bytes=r["cached_bytes"],
        )
        for r in await conn.fetch(_CONNECTOR_HEALTH, feed)
    ]


async def name_lists_due(
    conn: asyncpg.Connection, older_than: float
) -> list[tuple[Connector, str, str]]:
    """(connector with its stored credentials, list ETag, list Last-Modified) of each due list."""
    rows = await conn.fetch(_NAME_LISTS_DUE, float(older_than))
    return [(_connector(r, True), r["list_etag"], r["list_last_modified"]) for r in rows]


async def replace_names(
    conn: asyncpg.Connection, connector_id: str, etag: str, last_modified: str, names: list[str]
) -> int:
    """Make ``names`` the connector's list (in the caller's transaction); returns its size."""
    await conn.execute(_NAMES_STAGE)
    await conn.copy_records_to_table("names_stage", records=[(n,) for n in names])
    await conn.execute(_NAMES_DROP_GONE, connector_id)
    await conn.execute(_NAMES_ADD_NEW, connector_id)
    count: int | None = await conn.fetchval(_NAME_LIST_DONE, connector_id, etag, last_modified)
    return count or 0


async def keep_names(conn: asyncpg.Connection, connector_id: str) -> int:
    count: int | None = await conn.fetchval(_NAME_LIST_KEPT, connector_id)
    return count or 0
