"""Sends the webhooks' deliveries: every metadata replica runs one sender; rows are claimed
with ``FOR UPDATE SKIP LOCKED`` under a lease, so replicas share the work and a sender that
dies mid-delivery leaves its rows to be sent again once the lease ends.

A delivery is a POST of the JSON payload with ``X-Packyard-Event``, ``X-Packyard-Delivery``
(the row id: receivers deduplicate by it) and ``X-Packyard-Signature`` (signature.py). A 2xx
answer delivers it; anything else is retried with exponential backoff, up to
``MAX_ATTEMPTS``. Connections go through the connectors' address policy
(common/addresses.py): never link-local or metadata endpoints, private and loopback
addresses only when ``PACKYARD_WEBHOOK_ALLOW_PRIVATE`` says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import asyncpg
import httpx

import packyard
from packyard.common.addresses import AddressRefused, guarded_transport
from packyard.metadata import db
from packyard.metadata.secret_keys import SecretKeys
from packyard.metadata.webhooks import repository as repo
from packyard.metadata.webhooks.models import DueDelivery
from packyard.metadata.webhooks.signature import HEADER, sign

log = logging.getLogger(__name__)

BATCH = 20
LEASE = 60.0
TIMEOUT = 10.0
MAX_ATTEMPTS = 12
MAX_BACKOFF = 3600.0
USER_AGENT = f"packyard-webhooks/{getattr(packyard, '__version__', '0.1.0')}"


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: 2, 4, 8, … an hour."""
    return float(min(2**attempts, MAX_BACKOFF))


class WebhookSender:
    def __init__(
        self, pool: asyncpg.Pool, keys: SecretKeys, *, allow_private: bool,
        poll_interval: float = 0.5, acquire_timeout: float = 5.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:  # fmt: skip
        self._pool = pool
        self._keys = keys
        self._poll = poll_interval
        self._acquire_timeout = acquire_timeout
        self._client = client or httpx.AsyncClient(
            timeout=TIMEOUT,
            follow_redirects=False,  # a redirect could lead past the address check's intent
            headers={"User-Agent": USER_AGENT},
            transport=guarded_transport(
                allow_private=allow_private, limits=httpx.Limits(max_connections=20)
            ),
        )
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                sent = await self.send_due()
            except Exception:  # a database outage must not end the sender
                log.warning("webhooks.send_failed", exc_info=True)
                sent = 0
            if sent < BATCH:
                await asyncio.sleep(self._poll)

    async def send_due(self) -> int:
        """Send the deliveries that are due; returns how many were attempted."""
        async with db.connection(self._pool, self._acquire_timeout) as conn:
            due = await repo.claim_due(conn, BATCH, LEASE)
        results = await asyncio.gather(*(self._send(d) for d in due))
        async with db.connection(self._pool, self._acquire_timeout) as conn:
            for delivery, (status, error) in zip(due, results, strict=True):
                if error is None:
                    await repo.mark_delivered(conn, delivery.id, status)
                else:
                    final = delivery.attempts >= MAX_ATTEMPTS
                    await repo.mark_failed_attempt(
                        conn, delivery.id, status, error, final=final,
                        retry_in=backoff(delivery.attempts),
                    )  # fmt: skip
                    log.info(
                        "webhooks.attempt_failed",
                        extra={"delivery": delivery.id, "status": status, "error": error},
                    )
        return len(due)

    async def _send(self, delivery: DueDelivery) -> tuple[int, str | None]:
        """(HTTP status or 0, None on success or why it failed)."""
        body = delivery.body.encode()
        try:
            secret = self._keys.decrypt(delivery.sealed_secret)
            reply = await self._client.post(
                delivery.url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Packyard-Event": delivery.event,
                    "X-Packyard-Delivery": str(delivery.id),
                    HEADER: sign(secret, int(time.time()), body),
                },
            )
        except AddressRefused as exc:
            return 0, f"refused: {exc}"
        except (httpx.HTTPError, OSError) as exc:
            return 0, f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a secret no key opens, and the like: retried, and logged
            return 0, f"{type(exc).__name__}: {exc}"
        if 200 <= reply.status_code < 300:
            return reply.status_code, None
        return reply.status_code, f"HTTP {reply.status_code}"
