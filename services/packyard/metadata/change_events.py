"""Announcing changes: the one interface the domains call, inside the transaction of the change.

``index_changed(conn, feed, project)`` and ``access_changed(conn)`` write an outbox row on the
domain's own connection (as ``audit.record`` writes the audit row), so the event commits or
rolls back with the change; the relay (``metadata/outbox/relay.py``) sends committed rows to
JetStream. Every writer — admin API, upload, web UI, CLI, connector, an internal caller —
goes through a domain, so every change is announced, whoever asked for it.

``packyard.index.changed.FEED`` carries the feed's change serial (``feed_change_serials``),
raised by each change, so a gateway can tell that a change reached the database without its
event reaching it (``gateway/change_reconcile.py``). Events are notifications only.
"""

from __future__ import annotations

import json
import uuid

import asyncpg
from packyard_rpc.v1 import events_pb2

from packyard.common.events import ACCESS_CHANGED, INDEX_CHANGED, subject
from packyard.common.telemetry import inject_headers, producer_span

INSERT_EVENT = """
INSERT INTO outbox (subject, payload, headers, msg_id) VALUES ($1, $2, $3::jsonb, $4)
"""
NEXT_FEED_SERIAL = """
INSERT INTO feed_change_serials (feed, serial) VALUES ($1, 1)
ON CONFLICT (feed) DO UPDATE SET serial = feed_change_serials.serial + 1
RETURNING serial
"""
FEED_SERIALS = "SELECT feed, serial FROM feed_change_serials"


async def record(conn: asyncpg.Connection, event_subject: str, payload: bytes) -> None:
    """Write one event in the caller's transaction; it goes out only if that commits."""
    # The PRODUCER span belongs to the call that made the change; its context rides in the row.
    with producer_span(event_subject):
        headers = dict(inject_headers({}))
    # A fresh id per event (not per content): two equal changes are two events, while the
    # relay sending the same row again reuses its id and the stream stores it once.
    msg_id = uuid.uuid4().hex
    await conn.execute(INSERT_EVENT, event_subject, payload, json.dumps(headers), msg_id)


async def index_changed(conn: asyncpg.Connection, feed: str, project: str = "") -> None:
    """Pages of ``project`` in ``feed`` changed (with no project: any page of the feed).

    Call it last in the transaction: the feed's serial row stays locked until the commit."""
    serial = await conn.fetchval(NEXT_FEED_SERIAL, feed)
    payload = events_pb2.IndexChanged(feed=feed, project=project, serial=serial)
    await record(conn, subject(INDEX_CHANGED, feed), payload.SerializeToString(deterministic=True))


async def access_changed(conn: asyncpg.Connection) -> None:
    """A key, user, permission or feed's access changed: gateways forget authentications."""
    await record(conn, ACCESS_CHANGED, b"")


async def feed_serials(conn: asyncpg.Connection) -> dict[str, int]:
    """Each feed's change serial (feeds never changed have none)."""
    return {row["feed"]: row["serial"] for row in await conn.fetch(FEED_SERIALS)}
