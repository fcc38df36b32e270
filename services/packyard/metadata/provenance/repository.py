"""SQL of the provenance domain; functions take a connection."""

from __future__ import annotations

import asyncpg

INSERT_PROVENANCE = """
INSERT INTO file_provenance (feed, filename, provenance)
SELECT $1, $2, $3::jsonb FROM files WHERE feed = $1 AND filename = $2
ON CONFLICT (feed, filename) DO NOTHING
RETURNING filename
"""
GET_PROVENANCE = "SELECT provenance FROM file_provenance WHERE feed = $1 AND filename = $2"
LIST_PROVENANCE = """
SELECT fp.filename FROM file_provenance fp
JOIN files f ON f.feed = fp.feed AND f.filename = fp.filename
JOIN projects p ON p.id = f.project_id
WHERE fp.feed = $1 AND p.name = $2
ORDER BY fp.filename
"""
EXISTING = "SELECT 1 FROM file_provenance WHERE feed = $1 AND filename = $2"


async def insert(conn: asyncpg.Connection, feed: str, filename: str, provenance: str) -> bool:
    """Store it; False when the file does not exist. A second record keeps the first."""
    if await conn.fetchval(INSERT_PROVENANCE, feed, filename, provenance) is not None:
        return True
    return await conn.fetchval(EXISTING, feed, filename) is not None


async def get(conn: asyncpg.Connection, feed: str, filename: str) -> str | None:
    found: str | None = await conn.fetchval(GET_PROVENANCE, feed, filename)
    return found


async def filenames(conn: asyncpg.Connection, feed: str, project: str) -> list[str]:
    return [row["filename"] for row in await conn.fetch(LIST_PROVENANCE, feed, project)]
