"""SQL of the webhooks domain. Functions take a connection; the service owns transactions.

Deliveries are written by the audit_log trigger of migration 0009, in the transaction of the
change; this module reads them, claims due ones and records how sending went.
"""

from __future__ import annotations

import asyncpg

from packyard.metadata.webhooks.models import Delivery, DueDelivery, Webhook

INSERT_WEBHOOK = """
INSERT INTO webhooks (feed, url, secret, events) VALUES ($1, $2, $3, $4)
RETURNING id, feed, url, events, created
"""
SELECT_WEBHOOKS = "SELECT id, feed, url, events, created FROM webhooks WHERE feed = $1 ORDER BY id"
DELETE_WEBHOOK = "DELETE FROM webhooks WHERE feed = $1 AND id = $2 RETURNING id"
SELECT_DELIVERIES = """
SELECT d.id, d.webhook_id, d.event, d.status, d.attempts, d.response_status, d.last_error,
       d.payload::text AS payload, d.created, d.delivered
FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
WHERE w.feed = $1 ORDER BY d.id DESC LIMIT $2
"""
# Claim due deliveries: push their next attempt out by the lease first, so a worker that dies
# while sending leaves them to be sent again after the lease (at least once; receivers
# deduplicate by X-Packyard-Delivery), and replicas never claim the same row at once.
CLAIM_DUE = """
UPDATE webhook_deliveries d
SET attempts = d.attempts + 1, next_attempt = now() + make_interval(secs => $2)
FROM webhooks w
WHERE w.id = d.webhook_id AND d.id IN (
    SELECT id FROM webhook_deliveries
    WHERE status = 'pending' AND next_attempt <= now()
    ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
)
RETURNING d.id, d.event, jsonb_set(d.payload, '{id}', to_jsonb(d.id))::text AS body, d.attempts,
          w.url, w.secret
"""
MARK_DELIVERED = """
UPDATE webhook_deliveries
SET status = 'delivered', delivered = now(), response_status = $2, last_error = ''
WHERE id = $1
"""
MARK_FAILED_ATTEMPT = """
UPDATE webhook_deliveries
SET status = CASE WHEN $4 THEN 'failed' ELSE 'pending' END,
    next_attempt = now() + make_interval(secs => $5), response_status = $2, last_error = $3
WHERE id = $1
"""


def _webhook(row: asyncpg.Record) -> Webhook:
    return Webhook(row["id"], row["feed"], row["url"], tuple(row["events"]), row["created"])


async def insert_webhook(
    conn: asyncpg.Connection, feed: str, url: str, sealed_secret: str, events: list[str]
) -> Webhook:
    return _webhook(await conn.fetchrow(INSERT_WEBHOOK, feed, url, sealed_secret, events))


async def list_webhooks(conn: asyncpg.Connection, feed: str) -> list[Webhook]:
    return [_webhook(row) for row in await conn.fetch(SELECT_WEBHOOKS, feed)]


async def delete_webhook(conn: asyncpg.Connection, feed: str, webhook_id: int) -> bool:
    return await conn.fetchval(DELETE_WEBHOOK, feed, webhook_id) is not None


async def list_deliveries(conn: asyncpg.Connection, feed: str, limit: int) -> list[Delivery]:
    return [
        Delivery(
            id=r["id"],
            webhook_id=r["webhook_id"],
            event=r["event"],
            status=r["status"],
            attempts=r["attempts"],
            response_status=r["response_status"],
            last_error=r["last_error"],
            payload=r["payload"],
            created=r["created"],
            delivered=r["delivered"],
        )
        for r in await conn.fetch(SELECT_DELIVERIES, feed, limit)
    ]


async def claim_due(conn: asyncpg.Connection, limit: int, lease: float) -> list[DueDelivery]:
    rows = await conn.fetch(CLAIM_DUE, limit, float(lease))
    return [
        DueDelivery(r["id"], r["event"], r["body"], r["attempts"], r["url"], r["secret"])
        for r in rows
    ]


async def mark_delivered(conn: asyncpg.Connection, delivery_id: int, status: int) -> None:
    await conn.execute(MARK_DELIVERED, delivery_id, status)


async def mark_failed_attempt(
    conn: asyncpg.Connection, delivery_id: int, status: int, error: str, *, final: bool,
    retry_in: float,
) -> None:  # fmt: skip
    await conn.execute(
        MARK_FAILED_ATTEMPT, delivery_id, status, error[:500], final, float(retry_in)
    )
