"""The webhooks domain: a feed's webhooks (URL checked against the address policy, secret
sealed at rest) and the list of their deliveries."""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

import asyncpg

from packyard.common.addresses import ip_literal, refusal
from packyard.common.errors import FailedPrecondition, InvalidArgument, NotFound
from packyard.metadata import audit as audit_log
from packyard.metadata import db
from packyard.metadata.audit import AuditContext
from packyard.metadata.index.interface import feed_exists
from packyard.metadata.secret_keys import SecretKeys
from packyard.metadata.webhooks import repository as repo
from packyard.metadata.webhooks.models import EVENTS, Delivery, Webhook

log = logging.getLogger(__name__)

MAX_LISTED = 1000


def url_refusal(url: str, *, allow_private: bool) -> str | None:
    """Why a webhook may not post to ``url`` (None: it may). Names are checked again, resolved,
    at every delivery (common/addresses.py), so DNS cannot move a delivery inside later."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "A webhook URL must be http(s)://HOST/…"
    if parts.username or parts.password:
        return "A webhook URL must not carry credentials; the secret signs each delivery."
    literal = ip_literal(parts.hostname)
    if literal is not None:
        reason = refusal(ipaddress.ip_address(literal), allow_private=allow_private)
        if reason is not None:
            return f"Webhook URLs may not point at a {reason}."
    return None


class WebhookService(db.PooledService):
    def __init__(
        self, pool: asyncpg.Pool, keys: SecretKeys, *, allow_private: bool, acquire_timeout: float
    ) -> None:
        super().__init__(pool, acquire_timeout=acquire_timeout)
        self._keys = keys
        self._allow_private = allow_private

    async def create(
        self, feed: str, url: str, secret: str, events: list[str], *,
        audit: AuditContext | None = None,
    ) -> Webhook:  # fmt: skip
        reason = url_refusal(url, allow_private=self._allow_private)
        if reason:
            raise InvalidArgument(reason)
        unknown = set(events) - EVENTS
        if unknown:
            raise InvalidArgument(
                f"Unknown events: {', '.join(sorted(unknown))}; known: {', '.join(sorted(EVENTS))}."
            )
        if len(secret) < 16:
            raise InvalidArgument("A webhook secret must have at least 16 characters.")
        if not self._keys.configured:
            raise FailedPrecondition("Storing a webhook secret needs PACKYARD_SECRET_KEY.")
        sealed = self._keys.encrypt(secret)
        async with self._connection() as conn, conn.transaction():
            if not await feed_exists(conn, feed):
                raise NotFound(f"Feed '{feed}' does not exist.")
            webhook = await repo.insert_webhook(conn, feed, url, sealed, sorted(set(events)))
            await audit_log.record(
                conn, audit, "webhook.created", feed=feed, target=str(webhook.id), detail=url
            )
        log.info("webhook.created", extra={"feed": feed, "webhook": webhook.id})
        return webhook

    async def list_webhooks(self, feed: str) -> list[Webhook]:
        async with self._connection() as conn:
            return await repo.list_webhooks(conn, feed)

    async def delete(
        self, feed: str, webhook_id: int, *, audit: AuditContext | None = None
    ) -> None:
        async with self._connection() as conn, conn.transaction():
            if not await repo.delete_webhook(conn, feed, webhook_id):
                raise NotFound(f"Webhook {webhook_id} does not exist in feed '{feed}'.")
            await audit_log.record(
                conn, audit, "webhook.deleted", feed=feed, target=str(webhook_id)
            )

    async def deliveries(self, feed: str, limit: int) -> list[Delivery]:
        async with self._connection() as conn:
            return await repo.list_deliveries(conn, feed, min(limit or 100, MAX_LISTED))
