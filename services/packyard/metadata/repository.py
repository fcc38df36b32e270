"""SQL of the metadata service. Every function takes a connection and never commits: the
domain (service.py) owns transactions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg

from packyard.metadata.models import (
    CoreMetadata,
    Feed,
    FileRecord,
    Origin,
    ProjectRow,
    ProjectStatus,
    ProjectSummary,
)

# Release columns named like CoreMetadata fields; name and version come from the project and
# the release row itself.
_METADATA_FIELDS = tuple(
    f.name for f in dataclasses.fields(CoreMetadata) if f.name not in ("name", "version")
)
_METADATA_COLUMNS = ", ".join(_METADATA_FIELDS)
_METADATA_PARAMS = ", ".join(f"${i}" for i in range(4, 4 + len(_METADATA_FIELDS)))

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
# DO UPDATE (not DO NOTHING) so the row is locked whether it was just made or already there:
# registrations of one project then run one after the other.
UPSERT_PROJECT_LOCKED = """
INSERT INTO projects (feed, name, display_name) VALUES ($1, $2, $3)
ON CONFLICT (feed, name) DO UPDATE SET display_name = projects.display_name
RETURNING id
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

INSERT_RELEASE = f"""
INSERT INTO releases (project_id, version, canonical_version, {_METADATA_COLUMNS})
VALUES ($1, $2, $3, {_METADATA_PARAMS})
ON CONFLICT (project_id, canonical_version) DO NOTHING
RETURNING id, version
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
SELECT_FILE = _FILE_SELECT + "WHERE f.feed = $1 AND f.filename = $2"
SELECT_PROJECT_FILES = _FILE_SELECT + "WHERE f.project_id = $1"
INSERT_FILE = """
INSERT INTO files (feed, project_id, release_id, filename, size, sha256, blake2b_256, md5,
                   requires_python, packagetype, python_version, core_metadata_sha256,
                   origin, upstream_url, uploader)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
"""
RELEASE_HAS_SDIST = "SELECT 1 FROM files WHERE release_id = $1 AND packagetype = 'sdist'"
COUNT_RELEASE_FILES = "SELECT count(*) FROM files WHERE release_id = $1"
DELETE_FILE = "DELETE FROM files WHERE feed = $1 AND filename = $2 RETURNING project_id"
DELETE_RELEASE_FILES = "DELETE FROM files WHERE release_id = $1"
FILENAME_REGISTERED = "SELECT 1 FROM filename_registry WHERE feed = $1 AND filename = $2"
REGISTER_FILENAME = "INSERT INTO filename_registry (feed, filename) VALUES ($1, $2)"


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


async def lock_or_create_project(
    conn: asyncpg.Connection, feed: str, name: str, display_name: str
) -> int:
    """Id of the project, made if missing; the row stays locked until the transaction ends."""
    project_id: int = await conn.fetchval(UPSERT_PROJECT_LOCKED, feed, name, display_name)
    return project_id


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


async def get_or_create_release(
    conn: asyncpg.Connection,
    project_id: int,
    version: str,
    canonical_version: str,
    metadata: CoreMetadata,
) -> tuple[int, str]:
    """(id, stored version) of the release, made with ``metadata`` if missing."""
    values = [
        list(v) if isinstance(v, tuple) else v
        for v in (getattr(metadata, field) for field in _METADATA_FIELDS)
    ]
    row = await conn.fetchrow(INSERT_RELEASE, project_id, version, canonical_version, *values)
    if row is None:
        row = await conn.fetchrow(SELECT_RELEASE, project_id, canonical_version)
    return row["id"], row["version"]


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


async def release_has_sdist(conn: asyncpg.Connection, release_id: int) -> bool:
    return await conn.fetchval(RELEASE_HAS_SDIST, release_id) is not None


async def insert_file(
    conn: asyncpg.Connection,
    file: FileRecord,
    project_id: int,
    release_id: int,
    uploader: str,
) -> None:
    """Insert the file and reserve its filename in the feed forever."""
    await conn.execute(REGISTER_FILENAME, file.feed, file.filename)
    await conn.execute(
        INSERT_FILE,
        file.feed,
        project_id,
        release_id,
        file.filename,
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
    )


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
