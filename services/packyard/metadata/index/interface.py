"""What the other metadata domains may use of the index domain (feeds, projects, files)."""

from __future__ import annotations

import asyncpg

from packyard.metadata.index import repository
from packyard.metadata.index.models import ProjectStatus


async def feed_exists(conn: asyncpg.Connection, name: str) -> bool:
    return await repository.get_feed(conn, name) is not None


async def anonymous_feeds(conn: asyncpg.Connection) -> frozenset[str]:
    """Names of the feeds anyone may read (``anonymous_read``)."""
    return frozenset(feed.name for feed in await repository.list_feeds(conn) if feed.anonymous_read)


__all__ = ["ProjectStatus", "anonymous_feeds", "feed_exists"]
