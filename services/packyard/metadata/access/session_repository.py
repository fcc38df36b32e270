"""SQL of web UI sessions (migration 0011). Functions take a connection and never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

INSERT_SESSION = """
INSERT INTO sessions (token_hash, subject, local_user, groups, directory_admin, idle_seconds,
                      expires)
VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
"""
# A session in use is marked used; an idle or expired one does not come back.
TOUCH_SESSION = """
UPDATE sessions SET last_used = now()
WHERE token_hash = $1 AND expires > now()
  AND last_used + make_interval(secs => idle_seconds) > now()
RETURNING subject, local_user, groups, directory_admin, last_used, idle_seconds, expires
"""
DELETE_SESSION = "DELETE FROM sessions WHERE token_hash = $1 RETURNING subject"
DELETE_SUBJECT_SESSIONS = "DELETE FROM sessions WHERE subject = $1"
DELETE_ENDED_SESSIONS = """
DELETE FROM sessions
WHERE expires <= now() OR last_used + make_interval(secs => idle_seconds) <= now()
"""


@dataclass(frozen=True)
class StoredSession:
    subject: str
    local_user: bool
    groups: tuple[str, ...]
    directory_admin: bool
    last_used: datetime
    idle_seconds: int
    expires: datetime


async def insert_session(
    conn: asyncpg.Connection,
    token_hash: bytes,
    subject: str,
    *,
    local_user: bool,
    groups: list[str],
    directory_admin: bool,
    idle_seconds: int,
    absolute_seconds: int,
) -> None:
    await conn.execute(
        INSERT_SESSION,
        token_hash,
        subject,
        local_user,
        groups,
        directory_admin,
        idle_seconds,
        float(absolute_seconds),
    )


async def touch_session(conn: asyncpg.Connection, token_hash: bytes) -> StoredSession | None:
    row = await conn.fetchrow(TOUCH_SESSION, token_hash)
    if row is None:
        return None
    return StoredSession(
        subject=row["subject"],
        local_user=row["local_user"],
        groups=tuple(row["groups"]),
        directory_admin=row["directory_admin"],
        last_used=row["last_used"],
        idle_seconds=row["idle_seconds"],
        expires=row["expires"],
    )


async def delete_session(conn: asyncpg.Connection, token_hash: bytes) -> str | None:
    subject: str | None = await conn.fetchval(DELETE_SESSION, token_hash)
    return subject


async def delete_subject_sessions(conn: asyncpg.Connection, subject: str) -> None:
    await conn.execute(DELETE_SUBJECT_SESSIONS, subject)


async def delete_ended_sessions(conn: asyncpg.Connection) -> None:
    await conn.execute(DELETE_ENDED_SESSIONS)
