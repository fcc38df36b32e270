"""Records of the webhooks domain: plain frozen dataclasses, no proto, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# What a webhook may ask for (migration 0009 maps audit actions onto these).
EVENTS = frozenset(
    {
        "upload",
        "yank",
        "unyank",
        "delete",
        "promote",
        "retention",
        # A connector's upstream began failing (its answers are stale) / answers again.
        "connector_failing",
        "connector_recovered",
    }
)


@dataclass(frozen=True)
class Webhook:
    id: int
    feed: str
    url: str
    events: tuple[str, ...] = ()  # empty: every event
    created: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    id: int
    webhook_id: int
    event: str
    status: str
    attempts: int
    response_status: int
    last_error: str
    payload: str
    created: datetime | None = None
    delivered: datetime | None = None


@dataclass(frozen=True)
class DueDelivery:
    """A delivery claimed for sending, with what sending it needs."""

    id: int
    event: str
    body: str
    attempts: int
    url: str
    sealed_secret: str
