"""The admin API's webhooks: ``/api/v1/feeds/FEED/webhooks`` and their deliveries (feed admin).

The secret is write-only: it signs every delivery and is never shown again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from google.protobuf.timestamp_pb2 import Timestamp
from packyard_rpc.v1 import governance_pb2
from pydantic import BaseModel, Field

from packyard.gateway.auth.guards import FeedAdminDep
from packyard.gateway.deps import BackendsDep

router = APIRouter(prefix="/api/v1")
_TAG = "webhooks"


class WebhookCreate(BaseModel):
    url: str = Field(description="http(s) URL the deliveries are POSTed to")
    secret: str = Field(min_length=16, description="signs each delivery; never shown again")
    events: list[str] = Field(
        default_factory=list,
        description=(
            "upload, yank, unyank, delete, promote, retention, connector_failing, "
            "connector_recovered; empty: all"
        ),
    )


class WebhookOut(BaseModel):
    id: int
    feed: str
    url: str
    events: list[str]
    created: datetime | None


class DeliveryOut(BaseModel):
    id: int
    webhook_id: int
    event: str
    status: str
    attempts: int
    response_status: int
    last_error: str
    created: datetime | None
    delivered: datetime | None
    payload: str


def _time(stamp: Timestamp, present: bool) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if present else None


def _webhook(pb: governance_pb2.Webhook) -> WebhookOut:
    created = _time(pb.created, pb.HasField("created"))
    return WebhookOut(id=pb.id, feed=pb.feed, url=pb.url, events=list(pb.events), created=created)


def _delivery(d: governance_pb2.WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        webhook_id=d.webhook_id,
        event=d.event,
        status=d.status,
        attempts=d.attempts,
        response_status=d.response_status,
        last_error=d.last_error,
        created=_time(d.created, d.HasField("created")),
        delivered=_time(d.delivered, d.HasField("delivered")),
        payload=d.payload,
    )


@router.post("/feeds/{feed}/webhooks", tags=[_TAG], status_code=201, summary="Add a webhook")
async def create_webhook(
    feed: str, body: WebhookCreate, caller: FeedAdminDep, backends: BackendsDep
) -> WebhookOut:
    reply = await backends.webhooks.create_webhook(
        governance_pb2.CreateWebhookRequest(
            webhook=governance_pb2.Webhook(feed=feed, url=body.url, events=body.events),
            secret=body.secret,
        )
    )
    return _webhook(reply.webhook)


@router.get("/feeds/{feed}/webhooks", tags=[_TAG], summary="A feed's webhooks")
async def list_webhooks(feed: str, caller: FeedAdminDep, backends: BackendsDep) -> list[WebhookOut]:
    reply = await backends.webhooks.list_webhooks(governance_pb2.ListWebhooksRequest(feed=feed))
    return [_webhook(w) for w in reply.webhooks]


@router.delete(
    "/feeds/{feed}/webhooks/{webhook_id}", tags=[_TAG], status_code=204, summary="Remove one"
)
async def delete_webhook(
    feed: str, webhook_id: int, caller: FeedAdminDep, backends: BackendsDep
) -> Response:
    await backends.webhooks.delete_webhook(
        governance_pb2.DeleteWebhookRequest(feed=feed, id=webhook_id)
    )
    return Response(status_code=204)


@router.get(
    "/feeds/{feed}/webhook-deliveries",
    tags=[_TAG],
    summary="Deliveries of a feed's webhooks with their status, newest first",
)
async def list_deliveries(
    feed: str,
    caller: FeedAdminDep,
    backends: BackendsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeliveryOut]:
    reply = await backends.webhooks.list_webhook_deliveries(
        governance_pb2.ListWebhookDeliveriesRequest(feed=feed, limit=limit)
    )
    return [_delivery(d) for d in reply.deliveries]
