"""SQL of the retention domain. Functions take a connection; the service owns transactions.

It reads the index's files and releases, the catalog's download counts and times, the upstream cache
and the promotion records, the way the garbage collector reads every table that names a blob.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
from packyard_rpc.v1 import common_pb2

from packyard.metadata.retention.models import CachedFile, HostedRelease, RetentionRules

# One run per feed at a time, across replicas; released when the run's transaction ends.
TRY_LOCK = "SELECT pg_try_advisory_xact_lock(7216, hashtext($1))"
SELECT_RULES = """
SELECT keep_latest, prerelease_max_age_days, cached_max_age_days, quota_bytes
FROM retention_rules WHERE feed = $1
"""
# Feeds with at least one rule set (NULL: that rule is off).
SELECT_FEEDS_WITH_RULES = """
SELECT feed FROM retention_rules
WHERE keep_latest IS NOT NULL OR prerelease_max_age_days IS NOT NULL
   OR cached_max_age_days IS NOT NULL OR quota_bytes IS NOT NULL
ORDER BY feed
"""
UPSERT_RULES = """
INSERT INTO retention_rules (feed, keep_latest, prerelease_max_age_days, cached_max_age_days,
                             quota_bytes)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (feed) DO UPDATE SET
    keep_latest = EXCLUDED.keep_latest,
    prerelease_max_age_days = EXCLUDED.prerelease_max_age_days,
    cached_max_age_days = EXCLUDED.cached_max_age_days,
    quota_bytes = EXCLUDED.quota_bytes
"""
# Every release of the feed with files: its files, bytes, last upload, downloads, and whether
# a feed it was promoted to still holds files of it.
SELECT_RELEASES = """
SELECT p.name AS project, r.version,
       array_agg(f.filename ORDER BY f.filename) AS filenames,
       sum(f.size)::bigint AS bytes, max(f.upload_time) AS last_upload,
       coalesce(sum(fd.count), 0)::bigint AS downloads,
       EXISTS (
           SELECT 1 FROM promotions pr
           JOIN projects tp ON tp.feed = pr.target_feed AND tp.name = pr.project
           JOIN releases tr ON tr.project_id = tp.id AND tr.canonical_version = pr.canonical_version
           JOIN files tf ON tf.release_id = tr.id
           WHERE pr.source_feed = $1 AND pr.project = p.name
             AND pr.canonical_version = r.canonical_version
       ) AS promoted
FROM files f
JOIN releases r ON r.id = f.release_id
JOIN projects p ON p.id = f.project_id
LEFT JOIN file_downloads fd ON fd.file_id = f.id
WHERE f.feed = $1
GROUP BY p.name, r.id, r.version, r.canonical_version
"""
# A cached file with its last recorded download (NULL: none recorded).
SELECT_CACHED = """
SELECT uf.project, uf.filename, uf.info, uf.cached, ud.last_downloaded
FROM upstream_files uf
LEFT JOIN upstream_downloads ud ON ud.feed = uf.feed AND ud.filename = uf.filename
WHERE uf.feed = $1
"""
# The filenames stay in filename_registry: a removed file's name is never reused.
DELETE_FILES = """
DELETE FROM files WHERE feed = $1 AND filename = ANY($2::text[]) RETURNING project_id
"""
BUMP_SERIALS = "UPDATE projects SET serial = nextval('project_serial') WHERE id = ANY($1::bigint[])"
DELETE_CACHED = "DELETE FROM upstream_files WHERE feed = $1 AND filename = ANY($2::text[])"


async def try_lock(conn: asyncpg.Connection, feed: str) -> bool:
    return bool(await conn.fetchval(TRY_LOCK, feed))


async def get_rules(conn: asyncpg.Connection, feed: str) -> RetentionRules:
    row = await conn.fetchrow(SELECT_RULES, feed)
    if row is None:
        return RetentionRules(feed)
    return RetentionRules(
        feed, row["keep_latest"], row["prerelease_max_age_days"], row["cached_max_age_days"],
        row["quota_bytes"],
    )  # fmt: skip


async def feeds_with_rules(conn: asyncpg.Connection) -> list[str]:
    return [row["feed"] for row in await conn.fetch(SELECT_FEEDS_WITH_RULES)]


async def set_rules(conn: asyncpg.Connection, rules: RetentionRules) -> None:
    await conn.execute(
        UPSERT_RULES, rules.feed, rules.keep_latest, rules.prerelease_max_age_days,
        rules.cached_max_age_days, rules.quota_bytes,
    )  # fmt: skip


async def hosted_releases(conn: asyncpg.Connection, feed: str) -> list[HostedRelease]:
    return [
        HostedRelease(
            project=r["project"],
            version=r["version"],
            filenames=tuple(r["filenames"]),
            bytes=r["bytes"],
            last_upload=r["last_upload"],
            downloads=r["downloads"],
            promoted=r["promoted"],
        )
        for r in await conn.fetch(SELECT_RELEASES, feed)
    ]


async def cached_files(conn: asyncpg.Connection, feed: str) -> list[CachedFile]:
    found = []
    for row in await conn.fetch(SELECT_CACHED, feed):
        size = common_pb2.FileInfo.FromString(row["info"]).size
        cached: datetime = row["cached"]
        found.append(
            CachedFile(row["project"], row["filename"], size, cached, row["last_downloaded"])
        )
    return found


async def delete_files(conn: asyncpg.Connection, feed: str, filenames: list[str]) -> None:
    project_ids = {row[0] for row in await conn.fetch(DELETE_FILES, feed, filenames)}
    await conn.execute(BUMP_SERIALS, sorted(project_ids))


async def delete_cached(conn: asyncpg.Connection, feed: str, filenames: list[str]) -> None:
    await conn.execute(DELETE_CACHED, feed, filenames)
