"""SQL of the catalog. Functions take a connection and never commit (service.py owns
transactions). project_search is filled by triggers (migrations/0004_catalog.sql).
"""

from __future__ import annotations

import asyncpg

from packyard.metadata.catalog.models import (
    CatalogProject,
    FeedStats,
    ProjectOrder,
    ReleaseEntry,
)
from packyard.metadata.index.models import ProjectStatus

_PROJECT_COLUMNS = """
s.feed, s.name, s.display_name, s.latest_version, s.summary, s.last_upload, p.status,
coalesce(d.count, 0) AS downloads
"""
# Only projects that have files and are offered at all (PEP 792: quarantined ones are not).
_VISIBLE = """
FROM project_search s
JOIN projects p ON p.id = s.project_id
LEFT JOIN project_downloads d ON d.project_id = s.project_id
WHERE s.last_upload IS NOT NULL AND p.status <> 'quarantined'
"""

FUZZY_THRESHOLD = 0.2

# $1 feeds, $2 normalized query, $3 LIKE prefix pattern, $4 raw query (full text), $5 limit.
# Candidates come from a BitmapOr of the GIN indexes (trigram for LIKE and %, text for @@),
# before the feed filter, which would otherwise steer the planner to a full scan. The
# score puts an exact name far ahead of everything, then prefix matches, then name
# similarity and text rank; downloads break ties.
SEARCH = f"""
WITH candidates AS (
    SELECT project_id FROM project_search
    WHERE name % $2 OR name LIKE $3 OR document @@ plainto_tsquery('english', $4)
)
SELECT {_PROJECT_COLUMNS},
       (CASE WHEN s.name = $2 THEN 100 ELSE 0 END
        + CASE WHEN s.name LIKE $3 THEN 10 ELSE 0 END
        + 10 * similarity(s.name, $2)
        + 20 * ts_rank(s.document, plainto_tsquery('english', $4)))::float8 AS score
{_VISIBLE}
  AND s.feed = ANY($1::text[])
  AND s.project_id IN (SELECT project_id FROM candidates)
ORDER BY score DESC, downloads DESC, s.name, s.feed
LIMIT $5
"""

_ORDER_BY = {
    ProjectOrder.NAME: "s.name",
    ProjectOrder.LAST_UPLOAD: "s.last_upload DESC, s.name",
    ProjectOrder.DOWNLOADS: "downloads DESC, s.name",
}
LIST_PAGE = {
    order: f"""
SELECT {_PROJECT_COLUMNS}, 0::float8 AS score
{_VISIBLE} AND s.feed = $1
ORDER BY {clause}
LIMIT $2 OFFSET $3
"""
    for order, clause in _ORDER_BY.items()
}
COUNT_PROJECTS = f"SELECT count(*) {_VISIBLE} AND s.feed = $1"

FEED_STATS = f"""
SELECT s.feed, count(*) AS projects, coalesce(sum(d.count), 0)::bigint AS downloads,
       max(s.last_upload) AS last_upload
{_VISIBLE} AND s.feed = ANY($1::text[])
GROUP BY s.feed
"""

# Rows are locked in id order, so two gateways flushing at once cannot deadlock.
RECORD_DOWNLOADS = """
WITH batch AS (
    SELECT b.feed, b.filename, sum(b.n)::bigint AS n
    FROM unnest($1::text[], $2::text[], $3::bigint[]) AS b(feed, filename, n)
    WHERE b.n > 0
    GROUP BY b.feed, b.filename
), matched AS (
    SELECT f.id, f.project_id, batch.n
    FROM batch JOIN files f ON f.feed = batch.feed AND f.filename = batch.filename
), by_file AS (
    INSERT INTO file_downloads AS fd (file_id, count)
    SELECT id, n FROM matched ORDER BY id
    ON CONFLICT (file_id) DO UPDATE SET count = fd.count + EXCLUDED.count
), by_project AS (
    INSERT INTO project_downloads AS pd (project_id, count)
    SELECT project_id, sum(n) FROM matched GROUP BY project_id ORDER BY project_id
    ON CONFLICT (project_id) DO UPDATE SET count = pd.count + EXCLUDED.count
)
SELECT coalesce(sum(n), 0)::bigint FROM matched
"""

PROJECT_ID = "SELECT id FROM projects WHERE feed = $1 AND name = $2"
PROJECT_DOWNLOADS = "SELECT count FROM project_downloads WHERE project_id = $1"
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
    conn: asyncpg.Connection, feed: str, order: ProjectOrder, limit: int, offset: int
) -> list[CatalogProject]:
    return [_project(row) for row in await conn.fetch(LIST_PAGE[order], feed, limit, offset)]


async def count_projects(conn: asyncpg.Connection, feed: str) -> int:
    count: int = await conn.fetchval(COUNT_PROJECTS, feed)
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


async def record_downloads(conn: asyncpg.Connection, counts: list[tuple[str, str, int]]) -> int:
    feeds, filenames, numbers = (list(column) for column in zip(*counts, strict=True))
    recorded: int = await conn.fetchval(RECORD_DOWNLOADS, feeds, filenames, numbers)
    return recorded


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
