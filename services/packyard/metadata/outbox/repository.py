"""SQL of the outbox relay (the rows are written by ``metadata/change_events``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

# SKIP LOCKED: rows another replica's relay holds are left to it, so no two relays send the
# same row at once; the locks last until the batch's transaction ends.
CLAIM = """
SELECT id, subject, payload, headers, msg_id FROM outbox
WHERE NOT dead ORDER BY id LIMIT $1
FOR UPDATE SKIP LOCKED
"""
DELETE = "DELETE FROM outbox WHERE id = ANY($1::bigint[])"
MARK_DEAD = "UPDATE outbox SET dead = true, attempts = attempts + 1 WHERE id = ANY($1::bigint[])"
COUNT_ATTEMPT = "UPDATE outbox SET attempts = attempts + 1 WHERE id = $1"


@dataclass(frozen=True, slots=True)
class PendingEvent:
    id: int
    subject: str
    payload: bytes
    headers: dict[str, str]
    msg_id: str


async def claim(conn: asyncpg.Connection, limit: int) -> list[PendingEvent]:
    """The oldest pending rows nobody else holds, locked for the caller's transaction."""
    rows = await conn.fetch(CLAIM, limit)
    return [
        PendingEvent(
            r["id"], r["subject"], bytes(r["payload"]), json.loads(r["headers"]), r["msg_id"]
        )
        for r in rows
    ]


async def delete(conn: asyncpg.Connection, ids: Sequence[int]) -> None:
    if ids:
        await conn.execute(DELETE, list(ids))


async def mark_dead(conn: asyncpg.Connection, ids: Sequence[int]) -> None:
    if ids:
        await conn.execute(MARK_DEAD, list(ids))


async def count_attempt(conn: asyncpg.Connection, id: int) -> None:
    await conn.execute(COUNT_ATTEMPT, id)
