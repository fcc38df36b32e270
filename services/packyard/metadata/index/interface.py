"""What the other metadata domains may use of the index domain (feeds, projects, files)."""

from __future__ import annotations

import asyncpg

from packyard.metadata.index import repository
from packyard.metadata.index.models import ProjectStatus


async def feed_exists(conn: asyncpg.Connection, name: str) -> bool:
    return await repository.get_feed(conn, name) is not None


__all__ = ["ProjectStatus", "feed_exists"]
