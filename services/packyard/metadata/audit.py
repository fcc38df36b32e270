"""The audit log's write side, shared by every domain that changes something.

A change and its audit row are written in one transaction: each domain calls ``record`` on the
connection of its own transaction. Reading the log is the access domain's (ListAuditEvents).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

INSERT_AUDIT = """
INSERT INTO audit_log (actor, actor_key, client_address, action, feed, target, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""


@dataclass(frozen=True)
class AuditContext:
    """Who asked for a change and from where."""

    actor: str = ""
    actor_key: str = ""
    client_address: str = ""


async def record(
    conn: asyncpg.Connection,
    context: AuditContext | None,
    action: str,
    *,
    feed: str = "",
    target: str = "",
    detail: str = "",
) -> None:
    ctx = context or AuditContext()
    await conn.execute(
        INSERT_AUDIT, ctx.actor, ctx.actor_key, ctx.client_address, action, feed, target, detail
    )
