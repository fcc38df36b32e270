"""Webhook secrets at rest across a PACKYARD_SECRET_KEY rotation: ``packyard secrets rotate``
reseals them with the newest key, as it does connector credentials, so the old key can go."""

from __future__ import annotations

import asyncpg

from packyard.metadata.secret_keys import SecretKeys

SELECT_SECRETS = "SELECT id, secret FROM webhooks ORDER BY id FOR UPDATE"
UPDATE_SECRET = "UPDATE webhooks SET secret = $2 WHERE id = $1"


async def reseal_webhook_secrets(conn: asyncpg.Connection, keys: SecretKeys) -> int:
    """Reseal every webhook secret with the newest key in one transaction; returns how many
    were rewritten. A secret no key opens stops it all (nothing is rewritten)."""
    rewritten = 0
    async with conn.transaction():
        for row in await conn.fetch(SELECT_SECRETS):
            await conn.execute(UPDATE_SECRET, row["id"], keys.rotate(row["secret"]))
            rewritten += 1
    return rewritten
