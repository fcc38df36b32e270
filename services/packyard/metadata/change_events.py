"""Announcing committed changes to the gateways: ``packyard.index.changed.FEED`` and
``packyard.access.changed``, on core NATS.

The metadata service announces, not the gateway that asked for the change: every writer
(admin API, upload, web UI, the CLI, an internal caller of the gRPC API) goes through it, and
it knows the change is committed. ``ChangeInterceptor`` announces after an RPC that changes
pages returned successfully (so after its transaction committed); ``AccessService`` calls
``access_changed`` through its ``on_change`` hook.

Delivery is best effort by design: events wait in a bounded in-memory outbox while NATS is
down, and nats-py buffers them while it reconnects. A lost event costs a gateway at most its
cache TTL (``PACKYARD_PAGE_CACHE_TTL``, ``PACKYARD_AUTH_CACHE_TTL``); gateways that lost
their own connection have switched their caches off meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import Message
from nats.aio.client import Client as NATS

from packyard.common.errors import InvalidArgument
from packyard.common.events import (
    ACCESS_CHANGED,
    INDEX_CHANGED,
    MSG_ID_HEADER,
    connect_with_retry,
    subject,
)
from packyard.protocol.filenames import parse_distribution_filename
from packyard.rpc.v1 import events_pb2

log = logging.getLogger(__name__)

_PUBLISH_RETRY = 0.5


@dataclass(frozen=True)
class _Pending:
    subject: str
    payload: bytes


class ChangeAnnouncer:
    def __init__(self, nats_url: str | None, *, max_pending: int = 10_000) -> None:
        self._url = nats_url
        self._queue: deque[_Pending] = deque(maxlen=max_pending)
        self._wakeup = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._nc: NATS | None = None
        self.published = 0
        self.dropped = 0

    def start(self) -> None:
        if self._url:
            self._task = asyncio.create_task(self._run(), name="metadata-change-announcer")

    async def stop(self, drain_timeout: float = 1.0) -> None:
        """Send what is queued for a moment (the last changes before a restart), then stop."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(drain_timeout):
                while self._queue and self._connected():  # noqa: ASYNC110 - bounded poll
                    await asyncio.sleep(0.05)
        self._stop.set()
        self._wakeup.set()
        try:
            await asyncio.wait_for(self._task, 3.0)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected and not self._task_done()

    def _task_done(self) -> bool:
        return self._task is None or self._task.done()

    def index_changed(self, feed: str, project: str = "") -> None:
        """Pages of ``project`` in ``feed`` changed (with no project: any page of the feed)."""
        payload = events_pb2.IndexChanged(feed=feed, project=project).SerializeToString()
        self._queue_event(_Pending(subject(INDEX_CHANGED, feed), payload))

    def access_changed(self) -> None:
        """A key, user, permission or feed's access changed: gateways forget authentications."""
        self._queue_event(_Pending(ACCESS_CHANGED, b""))

    def _queue_event(self, event: _Pending) -> None:
        if self._task is None:
            return
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(event)
        self._wakeup.set()

    async def _run(self) -> None:
        assert self._url is not None
        nc = await connect_with_retry(self._url, "packyard-metadata-changes", self._stop)
        if nc is None:
            return
        self._nc = nc
        try:
            await self._publish_forever(nc)
        finally:
            with contextlib.suppress(Exception):
                await nc.drain()

    async def _publish_forever(self, nc: NATS) -> None:
        while not self._stop.is_set():
            if not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            item = self._queue[0]
            try:
                # Core NATS: a reconnecting client buffers it and sends it once connected. The
                # id lets the PACKYARD stream (it captures packyard.>) store it once.
                await nc.publish(
                    item.subject, item.payload, headers={MSG_ID_HEADER: uuid.uuid4().hex}
                )
            except Exception as exc:  # buffer full or closed: keep the event, retry
                log.debug("events.publish_retry", extra={"error": type(exc).__name__})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), _PUBLISH_RETRY)
                continue
            if self._queue and self._queue[0] is item:
                self._queue.popleft()
            self.published += 1


# Which committed RPCs change which pages: (feed, project) from the request; project "" is
# every page of the feed. Access-relevant ones also announce an access change.
_Scope = Callable[[Any], tuple[str, str]]
_METADATA = "/packyard.rpc.v1.MetadataService/"
_UPSTREAM = "/packyard.rpc.v1.UpstreamService/"


def _project_of_file(feed: str, filename: str) -> tuple[str, str]:
    try:
        return feed, parse_distribution_filename(filename).project
    except InvalidArgument:
        return feed, ""


_INDEX_CHANGES: dict[str, _Scope] = {
    _METADATA + "RegisterFile": lambda r: (r.feed, r.file.project),
    _METADATA + "SetReleaseYanked": lambda r: (r.feed, r.project),
    _METADATA + "SetProjectStatus": lambda r: (r.feed, r.project),
    _METADATA + "DeleteRelease": lambda r: (r.feed, r.project),
    _METADATA + "DeleteFile": lambda r: _project_of_file(r.feed, r.filename),
    _METADATA + "UpdateFeed": lambda r: (r.feed.name, ""),
    _METADATA + "DeleteFeed": lambda r: (r.name, ""),
    _UPSTREAM + "AddConnector": lambda r: (r.connector.feed, ""),
    _UPSTREAM + "UpdateConnector": lambda r: (r.connector.feed, ""),
    _UPSTREAM + "RemoveConnector": lambda r: (r.feed, ""),
    _UPSTREAM + "SetFeedOrigin": lambda r: (r.origin.feed, ""),
    _UPSTREAM + "SetProjectOrigin": lambda r: (r.feed, r.project),
}
# Feed settings decide who may read (anonymous_read), and gateways cache them with principals.
_ACCESS_CHANGES = {_METADATA + "UpdateFeed", _METADATA + "DeleteFeed"}


class ChangeInterceptor(grpc.aio.ServerInterceptor):
    """Announces the changes of successful RPCs; a failed one changed nothing."""

    def __init__(self, announcer: ChangeAnnouncer) -> None:
        self._announcer = announcer

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        scope = _INDEX_CHANGES.get(method)
        if handler is None or scope is None or not handler.unary_unary:
            return handler
        behavior: Callable[..., Awaitable[Any]] = handler.unary_unary
        announcer = self._announcer
        access = method in _ACCESS_CHANGES

        async def announcing(request: Message, context: grpc.aio.ServicerContext) -> Any:
            reply = await behavior(request, context)
            feed, project = scope(request)
            announcer.index_changed(feed, project)
            if access:
                announcer.access_changed()
            return reply

        return grpc.unary_unary_rpc_method_handler(
            announcing, handler.request_deserializer, handler.response_serializer
        )
