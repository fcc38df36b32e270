"""gRPC WebhookService: decode the request, one domain call, encode the reply."""

from __future__ import annotations

from datetime import datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from packyard_rpc.v1 import common_pb2, governance_pb2, governance_pb2_grpc

from packyard.common.rights import Right
from packyard.metadata.callers import caller
from packyard.metadata.pb_common import audit_from_pb
from packyard.metadata.webhooks.models import Delivery, Webhook
from packyard.metadata.webhooks.service import WebhookService

WEBHOOK_SERVICE_NAME = "packyard.rpc.v1.WebhookService"

Context = grpc.aio.ServicerContext


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _webhook_to_pb(webhook: Webhook) -> governance_pb2.Webhook:
    return governance_pb2.Webhook(
        id=webhook.id, feed=webhook.feed, url=webhook.url, events=list(webhook.events),
        created=_timestamp(webhook.created),
    )  # fmt: skip


def _delivery_to_pb(delivery: Delivery) -> governance_pb2.WebhookDelivery:
    return governance_pb2.WebhookDelivery(
        id=delivery.id, webhook_id=delivery.webhook_id, event=delivery.event,
        status=delivery.status, attempts=delivery.attempts,
        response_status=delivery.response_status, last_error=delivery.last_error,
        payload=delivery.payload, created=_timestamp(delivery.created),
        delivered=_timestamp(delivery.delivered),
    )  # fmt: skip


class WebhookServicer(governance_pb2_grpc.WebhookServiceServicer):
    def __init__(self, service: WebhookService) -> None:
        self._service = service

    async def CreateWebhook(
        self, request: governance_pb2.CreateWebhookRequest, context: Context
    ) -> governance_pb2.CreateWebhookResponse:
        caller().require_right(request.webhook.feed, Right.ADMIN)
        webhook = await self._service.create(
            request.webhook.feed,
            request.webhook.url,
            request.secret,
            list(request.webhook.events),
            audit=audit_from_pb(common_pb2.AuditContext()),
        )
        return governance_pb2.CreateWebhookResponse(webhook=_webhook_to_pb(webhook))

    async def ListWebhooks(
        self, request: governance_pb2.ListWebhooksRequest, context: Context
    ) -> governance_pb2.ListWebhooksResponse:
        caller().require_right(request.feed, Right.ADMIN)
        found = await self._service.list_webhooks(request.feed)
        return governance_pb2.ListWebhooksResponse(webhooks=[_webhook_to_pb(w) for w in found])

    async def DeleteWebhook(
        self, request: governance_pb2.DeleteWebhookRequest, context: Context
    ) -> governance_pb2.DeleteWebhookResponse:
        caller().require_right(request.feed, Right.ADMIN)
        await self._service.delete(
            request.feed, request.id, audit=audit_from_pb(common_pb2.AuditContext())
        )
        return governance_pb2.DeleteWebhookResponse()

    async def ListWebhookDeliveries(
        self, request: governance_pb2.ListWebhookDeliveriesRequest, context: Context
    ) -> governance_pb2.ListWebhookDeliveriesResponse:
        caller().require_right(request.feed, Right.ADMIN)
        found = await self._service.deliveries(request.feed, request.limit)
        return governance_pb2.ListWebhookDeliveriesResponse(
            deliveries=[_delivery_to_pb(d) for d in found]
        )
