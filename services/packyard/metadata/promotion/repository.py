"""SQL of the promotion domain. Functions take a connection; the service owns transactions.

A promotion writes the index's tables (releases, files, filename_registry) with copies of rows
of the source feed, so the copy keeps every column a fresh registration would have to guess:
hashes, upload time, uploader, origin, the release's core metadata.
"""

from __future__ import annotations

from datetime import UTC

import asyncpg
from packaging.utils import canonicalize_version
from packyard_rpc.v1 import common_pb2

from packyard.common.errors import InvalidArgument
from packyard.metadata.index.interface import RELEASE_METADATA_COLUMNS, FileRecord, Origin
from packyard.metadata.promotion.models import (
    Promotion,
    PromotionPolicy,
    SourceFile,
    SourceRelease,
)
from packyard.protocol.filenames import parse_distribution_filename

SELECT_SOURCE_RELEASE = """
SELECT p.display_name, r.id, r.version, r.canonical_version, r.yanked
FROM projects p JOIN releases r ON r.project_id = p.id
WHERE p.feed = $1 AND p.name = $2 AND r.canonical_version = $3 AND p.status <> 'quarantined'
"""
SELECT_SOURCE_FILES = """
SELECT id, filename, sha256, blake2b_256, origin FROM files WHERE release_id = $1
ORDER BY filename
"""
# The release in the target, copied from the source's (metadata and yank state) if missing.
COPY_RELEASE = f"""
WITH copied AS (
    INSERT INTO releases (project_id, version, canonical_version, yanked, yanked_reason,
                          {RELEASE_METADATA_COLUMNS})
    SELECT $2, version, canonical_version, yanked, yanked_reason, {RELEASE_METADATA_COLUMNS}
    FROM releases WHERE id = $1
    ON CONFLICT (project_id, canonical_version) DO NOTHING
    RETURNING id
)
SELECT id FROM copied
UNION ALL
SELECT id FROM releases WHERE project_id = $2 AND canonical_version = $3
LIMIT 1
"""
# A proxy feed's cached upstream files of a project (their version is in the filename), with
# the METADATA object the connector stored for each, if it did (PEP 658: served by its hash).
SELECT_CACHED_FILES = """
SELECT u.filename, u.sha256, u.info, u.cached, b.sha256 AS backfilled_metadata
FROM upstream_files u
LEFT JOIN upstream_backfilled_metadata b ON b.feed = u.feed AND b.filename = u.filename
WHERE u.feed = $1 AND u.project = $2
ORDER BY u.filename
"""
INSERT_BARE_RELEASE = """
WITH made AS (
    INSERT INTO releases (project_id, version, canonical_version, requires_python)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (project_id, canonical_version) DO NOTHING
    RETURNING id
)
SELECT id FROM made
UNION ALL
SELECT id FROM releases WHERE project_id = $1 AND canonical_version = $3
LIMIT 1
"""
# In the target the copy is the feed's own file (origin 'hosted': served from the blob service,
# never through a connector the target may not have); upstream_url keeps where it came from.
INSERT_CACHED_FILE = """
INSERT INTO files (feed, project_id, release_id, filename, size, sha256, blake2b_256, md5,
                   requires_python, packagetype, python_version, core_metadata_sha256, origin,
                   upstream_url, upload_time, uploader)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'hosted', $13, $14, '')
"""
SELECT_TARGET_FILE = "SELECT sha256, blake2b_256 FROM files WHERE feed = $1 AND filename = $2"
RESERVE_FILENAME = """
INSERT INTO filename_registry (feed, filename) VALUES ($1, $2)
ON CONFLICT DO NOTHING RETURNING true
"""
# The same blob (content-addressed by sha256): no byte moves, and the garbage collector sees
# the copy as one more reference (metadata/gc/references.py reads every files row).
COPY_FILE = """
INSERT INTO files (feed, project_id, release_id, filename, size, sha256, blake2b_256, md5,
                   requires_python, packagetype, python_version, core_metadata_sha256, origin,
                   upstream_url, upload_time, uploader)
SELECT $1, $2, $3, filename, size, sha256, blake2b_256, md5, requires_python, packagetype,
       python_version, core_metadata_sha256, origin, upstream_url, upload_time, uploader
FROM files WHERE id = $4
"""
INSERT_PROMOTION = """
INSERT INTO promotions (source_feed, target_feed, project, version, canonical_version, actor,
                        files)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
SELECT_POLICY = """
SELECT allowed_sources, require_promote_right FROM promotion_policies WHERE feed = $1
"""
UPSERT_POLICY = """
INSERT INTO promotion_policies (feed, allowed_sources, require_promote_right) VALUES ($1, $2, $3)
ON CONFLICT (feed) DO UPDATE SET allowed_sources = EXCLUDED.allowed_sources,
                                 require_promote_right = EXCLUDED.require_promote_right
"""
SELECT_PROMOTIONS = """
SELECT source_feed, target_feed, project, version, actor, files, created FROM promotions
WHERE source_feed = $1 OR target_feed = $1 ORDER BY id DESC LIMIT $2
"""


async def get_source_release(
    conn: asyncpg.Connection, feed: str, project: str, canonical_version: str
) -> SourceRelease | None:
    row = await conn.fetchrow(SELECT_SOURCE_RELEASE, feed, project, canonical_version)
    if row is None:
        return None
    files = await conn.fetch(SELECT_SOURCE_FILES, row["id"])
    return SourceRelease(
        release_id=row["id"],
        display_name=row["display_name"],
        version=row["version"],
        canonical_version=row["canonical_version"],
        yanked=row["yanked"],
        files=tuple(
            SourceFile(f["id"], f["filename"], f["sha256"], f["blake2b_256"], f["origin"])
            for f in files
        ),
    )


async def cached_upstream_release(
    conn: asyncpg.Connection, feed: str, project: str, canonical_version: str
) -> SourceRelease | None:
    """The release as a proxy feed cached it: its verified upstream files of that version."""
    files = []
    for row in await conn.fetch(SELECT_CACHED_FILES, feed, project):
        info = common_pb2.FileInfo.FromString(row["info"])
        try:
            version = canonicalize_version(parse_distribution_filename(row["filename"]).version)
        except InvalidArgument:
            continue
        if version != canonical_version:
            continue
        record = FileRecord(
            feed=feed,
            project=project,
            version=info.version or str(version),
            filename=row["filename"],
            size=info.size,
            sha256=row["sha256"],
            blake2b_256=info.hashes.blake2b_256,
            md5=info.hashes.md5,
            requires_python=info.requires_python,
            upload_time=info.upload_time.ToDatetime(tzinfo=UTC)
            if info.HasField("upload_time")
            else row["cached"],
            packagetype=info.packagetype or _packagetype(row["filename"]),
            python_version=info.python_version,
            core_metadata_sha256=row["backfilled_metadata"] or info.core_metadata_sha256,
            origin=Origin.UPSTREAM,
            upstream_url=info.upstream_url,
        )
        files.append(
            SourceFile(None, record.filename, record.sha256, record.blake2b_256, "upstream", record)
        )
    if not files:
        return None
    return SourceRelease(
        release_id=0,
        display_name=project,
        version=files[0].cached.version if files[0].cached else canonical_version,
        canonical_version=canonical_version,
        yanked=False,
        files=tuple(files),
    )


def _packagetype(filename: str) -> str:
    return "bdist_wheel" if filename.endswith(".whl") else "sdist"


async def bare_release(
    conn: asyncpg.Connection, project_id: int, version: str, canonical: str, requires_python: str
) -> int:
    """Id of the release in the target project, made with no metadata but its version if
    missing (an upstream release's metadata is the upstream's, not stored here)."""
    release_id: int = await conn.fetchval(
        INSERT_BARE_RELEASE, project_id, version, canonical, requires_python
    )
    return release_id


async def insert_cached_file(
    conn: asyncpg.Connection, feed: str, project_id: int, release_id: int, file: FileRecord
) -> None:
    await conn.execute(
        INSERT_CACHED_FILE, feed, project_id, release_id, file.filename, file.size, file.sha256,
        file.blake2b_256, file.md5, file.requires_python, str(file.packagetype),
        file.python_version, file.core_metadata_sha256, file.upstream_url, file.upload_time,
    )  # fmt: skip


async def copy_release(
    conn: asyncpg.Connection, source_release_id: int, target_project_id: int, canonical: str
) -> int:
    """Id of the release in the target project, made from the source's if missing."""
    release_id: int = await conn.fetchval(
        COPY_RELEASE, source_release_id, target_project_id, canonical
    )
    return release_id


async def target_file_digests(
    conn: asyncpg.Connection, feed: str, filename: str
) -> tuple[str, str] | None:
    """(sha256, blake2b_256) of the file of that name in the feed, None when there is none."""
    row = await conn.fetchrow(SELECT_TARGET_FILE, feed, filename)
    return None if row is None else (row["sha256"], row["blake2b_256"])


async def reserve_filename(conn: asyncpg.Connection, feed: str, filename: str) -> bool:
    """Enter the filename in the feed's registry; False when it was there already."""
    return bool(await conn.fetchval(RESERVE_FILENAME, feed, filename))


async def copy_file(
    conn: asyncpg.Connection, feed: str, project_id: int, release_id: int, source_file_id: int
) -> None:
    await conn.execute(COPY_FILE, feed, project_id, release_id, source_file_id)


async def insert_promotion(conn: asyncpg.Connection, promotion: Promotion, canonical: str) -> None:
    await conn.execute(
        INSERT_PROMOTION,
        promotion.source_feed,
        promotion.target_feed,
        promotion.project,
        promotion.version,
        canonical,
        promotion.actor,
        promotion.files,
    )


async def get_policy(conn: asyncpg.Connection, feed: str) -> PromotionPolicy:
    row = await conn.fetchrow(SELECT_POLICY, feed)
    if row is None:
        return PromotionPolicy(feed)
    return PromotionPolicy(feed, tuple(row["allowed_sources"]), row["require_promote_right"])


async def set_policy(conn: asyncpg.Connection, policy: PromotionPolicy) -> None:
    await conn.execute(
        UPSERT_POLICY, policy.feed, list(policy.allowed_sources), policy.require_promote_right
    )


async def list_promotions(conn: asyncpg.Connection, feed: str, limit: int) -> list[Promotion]:
    rows = await conn.fetch(SELECT_PROMOTIONS, feed, limit)
    return [
        Promotion(
            source_feed=r["source_feed"],
            target_feed=r["target_feed"],
            project=r["project"],
            version=r["version"],
            actor=r["actor"],
            files=r["files"],
            created=r["created"],
        )
        for r in rows
    ]
