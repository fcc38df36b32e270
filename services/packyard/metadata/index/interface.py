"""What the other metadata domains may use of the index domain (feeds, projects, files)."""

from __future__ import annotations

import asyncpg

from packyard.metadata.index import repository
from packyard.metadata.index.models import FileRecord, Origin, ProjectStatus
from packyard.metadata.index.repository import (
    RELEASE_METADATA_COLUMNS,
    LockedProject,
    get_file,
    lock_project_for_file,
)
from packyard.metadata.index.service import FILENAME_REUSED, file_exists_message, parse_version


async def feed_exists(conn: asyncpg.Connection, name: str) -> bool:
    return await repository.get_feed(conn, name) is not None


async def anonymous_feeds(conn: asyncpg.Connection) -> frozenset[str]:
    """Names of the feeds anyone may read (``anonymous_read``)."""
    return frozenset(feed.name for feed in await repository.list_feeds(conn) if feed.anonymous_read)


__all__ = [
    "FILENAME_REUSED",
    "RELEASE_METADATA_COLUMNS",
    "FileRecord",
    "LockedProject",
    "Origin",
    "ProjectStatus",
    "anonymous_feeds",
    "feed_exists",
    "file_exists_message",
    "get_file",
    "lock_project_for_file",
    "parse_version",
]
