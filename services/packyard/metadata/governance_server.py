"""Governance in the metadata server: GovernanceService (promotion), WebhookService,
RetentionService, and the webhook sender and the retention schedule, which run until the
server's stack closes."""

from __future__ import annotations

from contextlib import AsyncExitStack

import asyncpg
import grpc
from packyard_rpc.v1 import governance_pb2_grpc

from packyard.metadata.gc.schedule import Periodic
from packyard.metadata.promotion.servicer import add_governance_service
from packyard.metadata.retention.schedule import ScheduledRetention
from packyard.metadata.retention.service import RetentionService
from packyard.metadata.retention.servicer import RETENTION_SERVICE_NAME, RetentionServicer
from packyard.metadata.secret_keys import SecretKeys
from packyard.metadata.settings import MetadataSettings
from packyard.metadata.webhooks.delivery import WebhookSender
from packyard.metadata.webhooks.service import WebhookService
from packyard.metadata.webhooks.servicer import WEBHOOK_SERVICE_NAME, WebhookServicer


def start_governance(
    stack: AsyncExitStack,
    server: grpc.aio.Server,
    pool: asyncpg.Pool,
    settings: MetadataSettings,
    keys: SecretKeys,
) -> list[str]:
    """Add the services to ``server`` and start the sender; returns the services' names."""
    timeout = settings.db_connect_timeout
    allow_private = settings.webhook_allow_private
    webhooks = WebhookService(pool, keys, allow_private=allow_private, acquire_timeout=timeout)
    governance_pb2_grpc.add_WebhookServiceServicer_to_server(WebhookServicer(webhooks), server)
    retention_service = RetentionService(pool, acquire_timeout=timeout)
    retention = RetentionServicer(retention_service)
    governance_pb2_grpc.add_RetentionServiceServicer_to_server(retention, server)
    schedule = Periodic()
    schedule.start(
        settings.retention_interval, ScheduledRetention(retention_service).run, "retention"
    )
    stack.push_async_callback(schedule.stop)
    sender = WebhookSender(pool, keys, allow_private=allow_private, acquire_timeout=timeout)
    sender.start()
    stack.push_async_callback(sender.stop)
    governance = add_governance_service(server, pool, timeout)
    return [governance, WEBHOOK_SERVICE_NAME, RETENTION_SERVICE_NAME]
