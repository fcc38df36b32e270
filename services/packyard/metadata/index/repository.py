"""SQL of the metadata service. Every function takes a connection and never commits: the
domain (service.py) owns transactions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg

from packyard.metadata.audit import AuditContext
from packyard.metadata.index.models import (
    CoreMetadata,
    Feed,
    FileRecord,
    Origin,
    ProjectRow,
    ProjectStatus,
    ProjectSummary,
)
from packyard.metadata.upstream.interface import ProjectOrigin

# Release columns named like CoreMetadata fields; name and version come from the project and
# the release row itself.
_METADATA_FIELDS = tuple(
    f.name for f in dataclasses.fields(CoreMetadata) if f.name not in ("name", "version")
)
_METADATA_COLUMNS = ", ".join(_METADATA_FIELDS)
# A release's stored core-metadata columns (promotion copies them from one feed to another).
RELEASE_METADATA_COLUMNS = _METADATA_COLUMNS

# Constraint names the domain tells apart after a unique violation.
FILES_FILENAME_CONSTRAINT = "files_feed_filename_key"
ONE_SDIST_CONSTRAINT = "files_one_sdist_per_release"

INSERT_FEED = """
INSERT INTO feeds (name, description, anonymous_read, refuse_local_versions, max_file_size)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (name) DO NOTHING
RETURNING name, description, anonymous_read, refuse_local_versions, max_file_size, created
"""
SELECT_FEED = """
SELECT name, description, anonymous_read, refuse_local_versions, max_file_size, created
FROM feeds WHERE name = $1
"""
DELETE_FEED = "DELETE FROM feeds WHERE name = $1 RETURNING name"
SELECT_FEEDS = """
SELECT name, description, anonymous_read, refuse_local_versions, max_file_size, created
FROM feeds ORDER BY name
"""

_PROJECT_COLUMNS = "id, feed, name, display_name, status, status_reason, serial"
# The first statement of a registration: the feed's rule on local versions, and the project,
# made if missing. DO UPDATE (not DO NOTHING) locks the row whether it was just made or already
# there, so registrations of one project run one after the other; the update is the serial bump
# the new file needs (a refused registration rolls it back). RETURNING reads the row as locked,
# so the status is the latest committed one. No row: the feed does not exist.
# Then the project's origin row, locked the same way (made if missing) and marked 'hosted'
# unless its first origin is known: recording a name as first pulled from upstream
# (upstream_repository.mark_from_upstream) upserts that row too, so the two wait for each
# other. Whichever commits first wins: a mark that comes later finds 'hosted' and changes
# nothing; a registration that comes later reads 'upstream' here and is refused. The origin
# CTE reads from the project CTE, so every registration locks project, then origin.
LOCK_PROJECT_FOR_FILE = """
WITH feed AS (
    SELECT name, refuse_local_versions FROM feeds WHERE name = $1
), project AS (
    INSERT INTO projects (feed, name, display_name)
    SELECT name, $2, $3 FROM feed
    ON CONFLICT (feed, name) DO UPDATE SET serial = nextval('project_serial')
    RETURNING id, status
), origin AS (
    INSERT INTO project_origins (feed, project, first_origin)
    SELECT feed.name, $2, 'hosted' FROM feed JOIN project ON true
    ON CONFLICT (feed, project) DO UPDATE
    SET first_origin = CASE project_origins.first_origin WHEN '' THEN 'hosted'
                       ELSE project_origins.first_origin END
    RETURNING first_origin, allow_upstream, allow_publish
)
SELECT feed.refuse_local_versions, project.id, project.status,
       origin.first_origin, origin.allow_upstream, origin.allow_publish
FROM feed JOIN project ON true JOIN origin ON true
"""
SELECT_PROJECT = f"SELECT {_PROJECT_COLUMNS} FROM projects WHERE feed = $1 AND name = $2"
BUMP_SERIAL = "UPDATE projects SET serial = nextval('project_serial') WHERE id = $1"
SET_PROJECT_STATUS = """
UPDATE projects SET status = $3, status_reason = $4, serial = nextval('project_serial')
WHERE feed = $1 AND name = $2
"""
# Keyset pagination: each page is an index range scan on (feed, name), however deep.
LIST_PROJECTS_PAGE = """
SELECT name, display_name, serial, status FROM projects
WHERE feed = $1 AND name > $2 ORDER BY name LIMIT $3
"""

SELECT_RELEASE = """
SELECT id, version FROM releases WHERE project_id = $1 AND canonical_version = $2
"""
SELECT_RELEASES = f"""
SELECT version, {_METADATA_COLUMNS} FROM releases WHERE project_id = $1
"""
SET_RELEASE_YANKED = """
UPDATE releases SET yanked = $3, yanked_reason = $4
WHERE project_id = $1 AND canonical_version = $2
RETURNING id
"""

_FILE_SELECT = """
SELECT f.feed, p.name AS project, r.version, f.filename, f.size, f.sha256, f.blake2b_256,
       f.md5, f.requires_python, r.yanked, r.yanked_reason, f.upload_time, f.packagetype,
       f.python_version, f.core_metadata_sha256, f.origin, f.upstream_url
FROM files f
JOIN releases r ON r.id = f.release_id
JOIN projects p ON p.id = f.project_id
"""
# PEP 792: a quarantined project's files are not offered, not even by direct URL (a lock
# file's URL would install them); its pages already list none.
SELECT_FILE = _FILE_SELECT + ("WHERE f.feed = $1 AND f.filename = $2 AND p.status <> 'quarantined'")
SELECT_PROJECT_FILES = _FILE_SELECT + "WHERE f.project_id = $1"
# The second statement of a registration, run under the project lock (so its snapshot sees
# every registration of the project committed before): reserve the filename, make the release
# if missing, insert the file and its audit record, and return the file as SELECT_FILE would.
# Each step feeds on the one before, so a filename already reserved (a file there now or
# deleted) inserts nothing and returns reserved = false. files_one_sdist_per_release refuses a
# second sdist of a release with a unique violation.
_REGISTER_PARAMS = 21  # $1..$21 below; the release's metadata follows
_RELEASE_METADATA_PARAMS = ", ".join(
    f"${i}" for i in range(_REGISTER_PARAMS + 1, _REGISTER_PARAMS + 1 + len(_METADATA_FIELDS))
)
REGISTER_NEW_FILE = f"""
WITH registered AS (
    INSERT INTO filename_registry (feed, filename) VALUES ($1, $2)
    ON CONFLICT DO NOTHING
    RETURNING feed
), new_release AS (
    INSERT INTO releases (project_id, version, canonical_version, {_METADATA_COLUMNS})
    SELECT $3, $4, $5, {_RELEASE_METADATA_PARAMS}
    FROM registered
    ON CONFLICT (project_id, canonical_version) DO NOTHING
    RETURNING id, version, yanked, yanked_reason
), release AS (
    SELECT id, version, yanked, yanked_reason FROM new_release
    UNION ALL
    SELECT id, version, yanked, yanked_reason FROM releases
    WHERE project_id = $3 AND canonical_version = $5 AND EXISTS (SELECT 1 FROM registered)
    LIMIT 1
), file AS (
    INSERT INTO files (feed, project_id, release_id, filename, size, sha256, blake2b_256, md5,
                       requires_python, packagetype, python_version, core_metadata_sha256,
                       origin, upstream_url, uploader)
    SELECT $1, $3, release.id, $2, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16
    FROM release
    RETURNING *
), audit AS (
    INSERT INTO audit_log (actor, actor_key, client_address, action, feed, target, detail)
    SELECT $17, $18, $19, 'file.uploaded', file.feed, file.filename, $20 FROM file
)
SELECT EXISTS (SELECT 1 FROM registered) AS reserved,
       f.feed, $21::text AS project, r.version, f.filename, f.size, f.sha256, f.blake2b_256,
       f.md5, f.requires_python, r.yanked, r.yanked_reason, f.upload_time, f.packagetype,
       f.python_version, f.core_metadata_sha256, f.origin, f.upstream_url
FROM (SELECT 1) one
LEFT JOIN (file f JOIN release r ON r.id = f.release_id) ON true
"""
COUNT_RELEASE_FILES = "SELECT count(*) FROM files WHERE release_id = $1"
DELETE_FILE = "DELETE FROM files WHERE feed = $1 AND filename = $2 RETURNING project_id"
DELETE_RELEASE_FILES = "DELETE FROM files WHERE release_id = $1"
FILENAME_REGISTERED = "SELECT 1 FROM filename_registry WHERE feed = $1 AND filename = $2"
SAME_BYTES_FILENAME = """
SELECT filename FROM files WHERE feed = $1 AND sha256 = $2 AND filename <> $3
ORDER BY upload_time LIMIT 1
"""


def _feed(row: asyncpg.Record) -> Feed:
    return Feed(
        name=row["name"],
        description=row["description"],
        anonymous_read=row["anonymous_read"],
        refuse_local_versions=row["refuse_local_versions"],
        max_file_size=row["max_file_size"],
        created=row["created"],
    )


def _file(row: asyncpg.Record) -> FileRecord:
    return FileRecord(
        feed=row["feed"],
        project=row["project"],
        version=row["version"],
        filename=row["filename"],
        size=row["size"],
        sha256=row["sha256"],
        blake2b_256=row["blake2b_256"],
        md5=row["md5"],
        requires_python=row["requires_python"],
        yanked=row["yanked"],
        yanked_reason=row["yanked_reason"],
        upload_time=row["upload_time"],
        packagetype=row["packagetype"],
        python_version=row["python_version"],
        core_metadata_sha256=row["core_metadata_sha256"],
        origin=Origin(row["origin"]),
        upstream_url=row["upstream_url"],
    )


def _metadata(row: asyncpg.Record, name: str) -> CoreMetadata:
    values: dict[str, Any] = {
        field: tuple(row[field]) if isinstance(row[field], list) else row[field]
        for field in _METADATA_FIELDS
    }
    return CoreMetadata(name=name, version=row["version"], **values)


async def insert_feed(conn: asyncpg.Connection, feed: Feed) -> Feed | None:
    """The new feed, or None when one of that name exists."""
    row = await conn.fetchrow(
        INSERT_FEED,
        feed.name,
        feed.description,
        feed.anonymous_read,
        feed.refuse_local_versions,
        feed.max_file_size,
    )
    return None if row is None else _feed(row)


async def get_feed(conn: asyncpg.Connection, name: str) -> Feed | None:
    row = await conn.fetchrow(SELECT_FEED, name)
    return None if row is None else _feed(row)


async def list_feeds(conn: asyncpg.Connection) -> list[Feed]:
    return [_feed(row) for row in await conn.fetch(SELECT_FEEDS)]


class RegistrationRace(Exception):
    """A registration lost a race it cannot settle inside its transaction; retry it whole."""


@dataclasses.dataclass(frozen=True)
class LockedProject:
    id: int
    status: ProjectStatus
    refuse_local_versions: bool  # the feed's rule
    origin: ProjectOrigin  # as locked: the latest committed origin controls


async def lock_project_for_file(
    conn: asyncpg.Connection, feed: str, name: str, display_name: str
) -> LockedProject | None:
    """The project, made if missing, locked until the transaction ends and its serial bumped,
    with its origin controls (the row locked too); None when the feed does not exist."""
    row = await conn.fetchrow(LOCK_PROJECT_FOR_FILE, feed, name, display_name)
    if row is None:
        return None
    return LockedProject(
        id=row["id"],
        status=ProjectStatus(row["status"]),
        refuse_local_versions=row["refuse_local_versions"],
        origin=ProjectOrigin(row["first_origin"], row["allow_upstream"], row["allow_publish"]),
    )


async def get_project(conn: asyncpg.Connection, feed: str, name: str) -> ProjectRow | None:
    row = await conn.fetchrow(SELECT_PROJECT, feed, name)
    if row is None:
        return None
    return ProjectRow(
        id=row["id"],
        feed=row["feed"],
        name=row["name"],
        display_name=row["display_name"],
        status=ProjectStatus(row["status"]),
        status_reason=row["status_reason"],
        serial=row["serial"],
    )


async def bump_serial(conn: asyncpg.Connection, project_id: int) -> None:
    await conn.execute(BUMP_SERIAL, project_id)


async def set_project_status(
    conn: asyncpg.Connection, feed: str, name: str, status: ProjectStatus, reason: str
) -> bool:
    """False when the project does not exist."""
    result: str = await conn.execute(SET_PROJECT_STATUS, feed, name, status.value, reason)
    return result != "UPDATE 0"


async def list_projects_page(
    conn: asyncpg.Connection, feed: str, after: str, limit: int
) -> list[ProjectSummary]:
    rows = await conn.fetch(LIST_PROJECTS_PAGE, feed, after, limit)
    return [
        ProjectSummary(
            row["name"], row["display_name"], row["serial"], ProjectStatus(row["status"])
        )
        for row in rows
    ]


async def get_release_id(
    conn: asyncpg.Connection, project_id: int, canonical_version: str
) -> int | None:
    row = await conn.fetchrow(SELECT_RELEASE, project_id, canonical_version)
    return None if row is None else int(row["id"])


async def list_releases(
    conn: asyncpg.Connection, project_id: int, display_name: str
) -> list[CoreMetadata]:
    return [_metadata(row, display_name) for row in await conn.fetch(SELECT_RELEASES, project_id)]


async def set_release_yanked(
    conn: asyncpg.Connection, project_id: int, canonical_version: str, yanked: bool, reason: str
) -> int | None:
    """Id of the updated release, or None when it does not exist."""
    release_id: int | None = await conn.fetchval(
        SET_RELEASE_YANKED, project_id, canonical_version, yanked, reason
    )
    return release_id


async def count_release_files(conn: asyncpg.Connection, release_id: int) -> int:
    count: int = await conn.fetchval(COUNT_RELEASE_FILES, release_id)
    return count


async def get_file(conn: asyncpg.Connection, feed: str, filename: str) -> FileRecord | None:
    row = await conn.fetchrow(SELECT_FILE, feed, filename)
    return None if row is None else _file(row)


async def list_project_files(conn: asyncpg.Connection, project_id: int) -> list[FileRecord]:
    return [_file(row) for row in await conn.fetch(SELECT_PROJECT_FILES, project_id)]


async def filename_registered(conn: asyncpg.Connection, feed: str, filename: str) -> bool:
    return await conn.fetchval(FILENAME_REGISTERED, feed, filename) is not None


async def filename_with_same_bytes(
    conn: asyncpg.Connection, feed: str, sha256: str, filename: str
) -> str | None:
    """Another file of the feed with these bytes (files_feed_sha256_idx), if there is one."""
    found: str | None = await conn.fetchval(SAME_BYTES_FILENAME, feed, sha256, filename)
    return found


async def register_new_file(
    conn: asyncpg.Connection,
    file: FileRecord,
    *,
    project_id: int,
    version: str,
    canonical_version: str,
    metadata: CoreMetadata,
    uploader: str,
    audit: AuditContext,
    audit_detail: str,
) -> FileRecord | None:
    """Reserve the filename forever, make the release if missing, insert the file and its
    audit record; the stored file, or None when the filename was already reserved.

    Run under the project's lock (``lock_project_for_file``) in the same transaction.
    """
    values = [
        list(v) if isinstance(v, tuple) else v
        for v in (getattr(metadata, field) for field in _METADATA_FIELDS)
    ]
    row = await conn.fetchrow(
        REGISTER_NEW_FILE,
        file.feed,
        file.filename,
        project_id,
        version,
        canonical_version,
        file.size,
        file.sha256,
        file.blake2b_256,
        file.md5,
        file.requires_python,
        str(file.packagetype),
        file.python_version,
        file.core_metadata_sha256,
        file.origin.value,
        file.upstream_url,
        uploader,
        audit.actor,
        audit.actor_key,
        audit.client_address,
        audit_detail,
        file.project,
        *values,
    )
    if not row["reserved"]:
        return None
    if row["feed"] is None:
        # Reserved, yet no release to attach the file to: only a writer of releases that
        # does not hold the project lock could cause this. Roll back and let the caller retry.
        raise RegistrationRace(file.filename)
    return _file(row)


async def delete_file(conn: asyncpg.Connection, feed: str, filename: str) -> int | None:
    """Project id of the deleted file, or None when there was no such file."""
    project_id: int | None = await conn.fetchval(DELETE_FILE, feed, filename)
    return project_id


async def delete_release(conn: asyncpg.Connection, release_id: int) -> int:
    """Delete the files of a release (their names stay registered); returns how many."""
    result: str = await conn.execute(DELETE_RELEASE_FILES, release_id)
    return int(result.split()[-1])


_FEED_COLUMNS = frozenset(
    {"description", "anonymous_read", "refuse_local_versions", "max_file_size"}
)


async def update_feed(
    conn: asyncpg.Connection, name: str, changes: dict[str, object]
) -> Feed | None:
    """The updated feed, or None when it does not exist. Keys of ``changes`` are columns."""
    columns = sorted(changes)
    if not set(columns) <= _FEED_COLUMNS:
        raise ValueError(f"not feed columns: {columns}")
    # Column names come from the fixed set above, never from the caller.
    assignments = ", ".join(f"{column} = ${i}" for i, column in enumerate(columns, start=2))
    row = await conn.fetchrow(
        f"UPDATE feeds SET {assignments} WHERE name = $1 "
        "RETURNING name, description, anonymous_read, refuse_local_versions, max_file_size, "
        "created",
        name,
        *(changes[column] for column in columns),
    )
    return None if row is None else _feed(row)


async def delete_feed(conn: asyncpg.Connection, name: str) -> bool:
    return await conn.fetchval(DELETE_FEED, name) is not None
