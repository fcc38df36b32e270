"""SQL of the catalog. Functions take a connection and never commit (service.py owns
transactions). project_search is filled by triggers (migrations/0004_catalog.sql).
"""

from __future__ import annotations

import asyncpg

from packyard.metadata.catalog.models import (
    CatalogProject,
    FeedStats,
    ProjectOrder,
    ProjectOrigin,
    ReleaseEntry,
)
from packyard.metadata.index.interface import ProjectStatus

# A feed's projects as the catalog shows them: hosted ones that have files and are offered at
# all (PEP 792: quarantined ones are not), and those served from an upstream (0008) under a
# name with no hosted project. ``origin`` says which; ``connector_id`` which upstream.
_HOSTED = """
SELECT s.project_id, s.feed, s.name, s.display_name, s.latest_version, s.summary,
       s.last_upload, p.status, coalesce(d.count, 0) AS downloads, 'hosted' AS origin,
       '' AS connector_id, false AS not_cached, s.document
FROM project_search s
JOIN projects p ON p.id = s.project_id
LEFT JOIN project_downloads d ON d.project_id = s.project_id
WHERE s.last_upload IS NOT NULL AND p.status <> 'quarantined'
"""
_UPSTREAM = """
SELECT NULL::bigint AS project_id, u.feed, u.name, u.display_name, u.latest_version,
       u.summary, u.last_served AS last_upload, u.status,
       coalesce((SELECT sum(ud.count) FROM upstream_downloads ud
                 WHERE ud.feed = u.feed AND ud.project = u.name), 0)::bigint AS downloads,
       'upstream' AS origin, u.connector_id, false AS not_cached, u.document
FROM upstream_projects u
WHERE u.status <> 'quarantined'
  AND NOT EXISTS (SELECT 1 FROM projects p WHERE p.feed = u.feed AND p.name = u.name)
"""
_PROJECT_COLUMNS = """
e.feed, e.name, e.display_name, e.latest_version, e.summary, e.last_upload, e.status,
e.downloads, e.origin, e.connector_id, e.not_cached
"""
# Names from the upstreams' project lists (0008) that the feed never served: found by name
# only, each once (from the feed's first connector by priority that lists it).
_LISTED = """
SELECT * FROM (
    SELECT DISTINCT ON (c.feed, n.name)
           NULL::bigint AS project_id, c.feed, n.name, n.name AS display_name,
           '' AS latest_version, '' AS summary, NULL::timestamptz AS last_upload,
           'active' AS status, 0::bigint AS downloads, 'upstream' AS origin,
           n.connector_id, true AS not_cached, ''::tsvector AS document
    FROM (
        -- Candidates from the trigram index first (OFFSET 0 keeps the planner from starting
        -- at the connector's rows instead and testing each of its names).
        SELECT connector_id, name FROM upstream_names WHERE name % $2 OR name LIKE $3 OFFSET 0
    ) n JOIN connectors c ON c.id = n.connector_id
    WHERE c.feed = ANY($1::text[])
      AND NOT EXISTS (SELECT 1 FROM upstream_projects u WHERE u.feed = c.feed AND u.name = n.name)
      AND NOT EXISTS (SELECT 1 FROM projects p WHERE p.feed = c.feed AND p.name = n.name)
    ORDER BY c.feed, n.name, c.priority, c.id
) listed
"""

FUZZY_THRESHOLD = 0.2

# $1 feeds, $2 normalized query, $3 LIKE prefix pattern, $4 raw query (full text), $5 limit.
# Candidates come from a BitmapOr of the GIN indexes (trigram for LIKE and %, text for @@),
# before the feed filter, which would otherwise steer the planner to a full scan; hosted and
# upstream projects each from their own table's indexes. The score puts an exact name far
# ahead of everything, then prefix matches, then name similarity and text rank; downloads
# break ties.
SEARCH = f"""
WITH entries AS (
    {_HOSTED}
      AND s.feed = ANY($1::text[])
      AND s.project_id IN (
          SELECT project_id FROM project_search
          WHERE name % $2 OR name LIKE $3 OR document @@ plainto_tsquery('english', $4))
    UNION ALL
    {_UPSTREAM}
      AND u.feed = ANY($1::text[])
      AND (u.name % $2 OR u.name LIKE $3 OR u.document @@ plainto_tsquery('english', $4))
    UNION ALL
    {_LISTED}
)
SELECT {_PROJECT_COLUMNS},
       (CASE WHEN e.name = $2 THEN 100 ELSE 0 END
        + CASE WHEN e.name LIKE $3 THEN 10 ELSE 0 END
        + 10 * similarity(e.name, $2)
        + 20 * ts_rank(e.document, plainto_tsquery('english', $4)))::float8 AS score
FROM entries e
ORDER BY score DESC, e.downloads DESC, e.name, e.feed
LIMIT $5
"""

_ORDER_BY = {
    ProjectOrder.NAME: "e.name",
    ProjectOrder.LAST_UPLOAD: "e.last_upload DESC, e.name",
    ProjectOrder.DOWNLOADS: "e.downloads DESC, e.name",
    ProjectOrder.ORIGIN: "e.origin, e.name",
}
# $1 feed, $2 origin ('' = both), $3 limit, $4 offset.
_ENTRIES_OF_FEED = f"""
WITH entries AS (
    {_HOSTED} AND s.feed = $1 AND $2 IN ('', 'hosted')
    UNION ALL
    {_UPSTREAM} AND u.feed = $1 AND $2 IN ('', 'upstream')
)
"""
LIST_PAGE = {
    order: f"""
{_ENTRIES_OF_FEED}
SELECT {_PROJECT_COLUMNS}, 0::float8 AS score
FROM entries e
ORDER BY {clause}
LIMIT $3 OFFSET $4
"""
    for order, clause in _ORDER_BY.items()
}
COUNT_PROJECTS = f"{_ENTRIES_OF_FEED} SELECT count(*) FROM entries"

FEED_STATS = f"""
WITH entries AS (
    {_HOSTED} AND s.feed = ANY($1::text[])
    UNION ALL
    {_UPSTREAM} AND u.feed = ANY($1::text[])
)
SELECT e.feed, count(*) AS projects, coalesce(sum(e.downloads), 0)::bigint AS downloads,
       max(e.last_upload) FILTER (WHERE e.origin = 'hosted') AS last_upload
FROM entries e
GROUP BY e.feed
"""

# Rows are locked in id order, so two gateways flushing at once cannot deadlock. A filename no
# hosted file has counts for the upstream project it names ($4, from the filename), when the
# feed served that project from upstream.
RECORD_DOWNLOADS = """
WITH batch AS (
    SELECT b.feed, b.filename, b.project, sum(b.n)::bigint AS n
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS b(feed, filename, n, project)
    WHERE b.n > 0
    GROUP BY b.feed, b.filename, b.project
), matched AS (
    SELECT f.id, f.project_id, batch.n
    FROM batch JOIN files f ON f.feed = batch.feed AND f.filename = batch.filename
), proxied AS (
    SELECT batch.feed, batch.project, batch.filename, batch.n
    FROM batch JOIN upstream_projects u ON u.feed = batch.feed AND u.name = batch.project
    WHERE NOT EXISTS (
        SELECT 1 FROM files f WHERE f.feed = batch.feed AND f.filename = batch.filename)
), by_file AS (
    INSERT INTO file_downloads AS fd (file_id, count)
    SELECT id, n FROM matched ORDER BY id
    ON CONFLICT (file_id) DO UPDATE SET count = fd.count + EXCLUDED.count
), by_project AS (
    INSERT INTO project_downloads AS pd (project_id, count)
    SELECT project_id, sum(n) FROM matched GROUP BY project_id ORDER BY project_id
    ON CONFLICT (project_id) DO UPDATE SET count = pd.count + EXCLUDED.count
), by_upstream_file AS (
    INSERT INTO upstream_downloads AS ud (feed, project, filename, count, last_downloaded)
    SELECT feed, project, filename, n, now() FROM proxied ORDER BY feed, filename
    ON CONFLICT (feed, filename) DO UPDATE
    SET count = ud.count + EXCLUDED.count, last_downloaded = EXCLUDED.last_downloaded
)
SELECT (SELECT coalesce(sum(n), 0) FROM matched)::bigint
       + (SELECT coalesce(sum(n), 0) FROM proxied)::bigint
"""

PROJECT_ID = "SELECT id FROM projects WHERE feed = $1 AND name = $2"
PROJECT_DOWNLOADS = "SELECT count FROM project_downloads WHERE project_id = $1"
UPSTREAM_PROJECT_EXISTS = """
SELECT EXISTS (SELECT 1 FROM upstream_projects WHERE feed = $1 AND name = $2)
"""
UPSTREAM_FILE_DOWNLOADS = """
SELECT filename, count FROM upstream_downloads WHERE feed = $1 AND project = $2
"""
FILE_DOWNLOADS = """
SELECT f.filename, coalesce(fd.count, 0) AS count
FROM files f LEFT JOIN file_downloads fd ON fd.file_id = f.id
WHERE f.project_id = $1
"""

# A release's time is its first upload; $2 = '' means every project of the feed.
RECENT_RELEASES = """
SELECT p.feed, p.name, p.display_name, r.version, r.summary, r.author,
       min(f.upload_time) AS uploaded
FROM files f
JOIN releases r ON r.id = f.release_id
JOIN projects p ON p.id = f.project_id
WHERE f.feed = $1 AND ($2 = '' OR p.name = $2) AND p.status <> 'quarantined'
GROUP BY p.id, r.id
ORDER BY uploaded DESC, p.name, r.version
LIMIT $3
"""


def like_prefix(value: str) -> str:
    """A LIKE pattern matching strings that start with ``value`` taken literally."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _project(row: asyncpg.Record) -> CatalogProject:
    return CatalogProject(
        feed=row["feed"],
        name=row["name"],
        display_name=row["display_name"],
        latest_version=row["latest_version"],
        summary=row["summary"],
        last_upload=row["last_upload"],
        downloads=row["downloads"],
        status=ProjectStatus(row["status"]),
        score=row["score"],
        origin=ProjectOrigin(row["origin"]),
        connector_id=row["connector_id"],
        not_cached=row["not_cached"],
    )


async def search(
    conn: asyncpg.Connection, feeds: list[str], name_query: str, text_query: str, limit: int
) -> list[CatalogProject]:
    async with conn.transaction(readonly=True):
        # The default 0.3 misses a swapped pair of letters in a short name ("djnago" is 0.27
        # from "django"); the score keeps the extra candidates below the good ones.
        await conn.execute(f"SET LOCAL pg_trgm.similarity_threshold = {FUZZY_THRESHOLD}")
        # The planner prices trigram matching like a plain comparison and picks a full scan
        # that computes trigrams of every name; the GIN indexes are several times faster.
        await conn.execute("SET LOCAL enable_seqscan = off")
        rows = await conn.fetch(
            SEARCH, feeds, name_query, like_prefix(name_query), text_query, limit
        )
    return [_project(row) for row in rows]


async def list_projects(
    conn: asyncpg.Connection,
    feed: str,
    order: ProjectOrder,
    limit: int,
    offset: int,
    origin: ProjectOrigin | None = None,
) -> list[CatalogProject]:
    rows = await conn.fetch(LIST_PAGE[order], feed, origin or "", limit, offset)
    return [_project(row) for row in rows]


async def count_projects(
    conn: asyncpg.Connection, feed: str, origin: ProjectOrigin | None = None
) -> int:
    count: int = await conn.fetchval(COUNT_PROJECTS, feed, origin or "")
    return count


async def feed_stats(conn: asyncpg.Connection, feeds: list[str]) -> list[FeedStats]:
    rows = await conn.fetch(FEED_STATS, feeds)
    return [
        FeedStats(
            feed=row["feed"],
            projects=row["projects"],
            downloads=row["downloads"],
            last_upload=row["last_upload"],
        )
        for row in rows
    ]


async def record_downloads(
    conn: asyncpg.Connection, counts: list[tuple[str, str, int, str]]
) -> int:
    """Add (feed, filename, count, project named by the filename) counts."""
    feeds, filenames, numbers, projects = (list(column) for column in zip(*counts, strict=True))
    recorded: int = await conn.fetchval(RECORD_DOWNLOADS, feeds, filenames, numbers, projects)
    return recorded


async def upstream_file_downloads(
    conn: asyncpg.Connection, feed: str, project: str
) -> dict[str, int] | None:
    """Downloads of each file of a project served from upstream; None when it was not."""
    if not await conn.fetchval(UPSTREAM_PROJECT_EXISTS, feed, project):
        return None
    rows = await conn.fetch(UPSTREAM_FILE_DOWNLOADS, feed, project)
    return {row["filename"]: row["count"] for row in rows}


async def project_id(conn: asyncpg.Connection, feed: str, name: str) -> int | None:
    found: int | None = await conn.fetchval(PROJECT_ID, feed, name)
    return found


async def project_downloads(conn: asyncpg.Connection, project: int) -> int:
    count: int | None = await conn.fetchval(PROJECT_DOWNLOADS, project)
    return count or 0


async def file_downloads(conn: asyncpg.Connection, project: int) -> dict[str, int]:
    return {row["filename"]: row["count"] for row in await conn.fetch(FILE_DOWNLOADS, project)}


async def recent_releases(
    conn: asyncpg.Connection, feed: str, project: str, limit: int
) -> list[ReleaseEntry]:
    rows = await conn.fetch(RECENT_RELEASES, feed, project, limit)
    return [
        ReleaseEntry(
            feed=row["feed"],
            project=row["name"],
            display_name=row["display_name"],
            version=row["version"],
            summary=row["summary"],
            uploaded=row["uploaded"],
            author=row["author"],
        )
        for row in rows
    ]
