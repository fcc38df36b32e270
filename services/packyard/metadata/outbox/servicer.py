"""``ChangeService``: the feeds' change serials, which gateways reconcile their caches against."""

from __future__ import annotations

import asyncpg
import grpc
from packyard_rpc.v1 import events_pb2, events_pb2_grpc

from packyard.metadata import change_events, db

SERVICE_NAME = "packyard.rpc.v1.ChangeService"


class ChangeServicer(events_pb2_grpc.ChangeServiceServicer):
    def __init__(self, pool: asyncpg.Pool, acquire_timeout: float) -> None:
        self._pool = pool
        self._acquire_timeout = acquire_timeout

    async def GetChangeSerials(
        self, request: events_pb2.GetChangeSerialsRequest, context: grpc.aio.ServicerContext
    ) -> events_pb2.GetChangeSerialsResponse:
        async with db.connection(self._pool, self._acquire_timeout) as conn:
            serials = await change_events.feed_serials(conn)
        return events_pb2.GetChangeSerialsResponse(feeds=serials)


def add_change_service(server: grpc.aio.Server, pool: asyncpg.Pool, acquire_timeout: float) -> str:
    """Serve ChangeService on ``server``; returns its name for the health service."""
    events_pb2_grpc.add_ChangeServiceServicer_to_server(
        ChangeServicer(pool, acquire_timeout), server
    )
    return SERVICE_NAME
