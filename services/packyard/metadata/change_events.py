"""Announcing committed changes to the gateways: ``packyard.index.changed.FEED`` and
``packyard.access.changed``, through the shared outbox (``common.outbox``) on core NATS.

The metadata service announces, not the gateway that asked for the change: every writer
(admin API, upload, web UI, the CLI, the connector, an internal caller of the gRPC API) goes
through it, and it knows the change is committed. The upstream domain (``UpstreamStore``) and
``AccessService`` announce from their own code after the commit (``on_change`` hooks);
``ChangeInterceptor`` still announces for the index domain's RPCs after they returned
successfully (so after their transaction committed).

Delivery is best effort by design: a lost event costs a gateway at most its cache TTL
(``PACKYARD_PAGE_CACHE_TTL``, ``PACKYARD_AUTH_CACHE_TTL``); gateways that lost their own
connection have switched their caches off meanwhile.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import Message

from packyard.common.errors import InvalidArgument
from packyard.common.events import ACCESS_CHANGED, INDEX_CHANGED, subject
from packyard.common.outbox import Outbox
from packyard.protocol.filenames import parse_distribution_filename
from packyard.rpc.v1 import events_pb2


class ChangeAnnouncer:
    def __init__(self, nats_url: str | None, *, max_pending: int = 10_000) -> None:
        self._outbox = Outbox(nats_url, "packyard-metadata-changes", max_pending=max_pending)

    @property
    def outbox(self) -> Outbox:
        return self._outbox

    def start(self) -> None:
        self._outbox.start()

    async def stop(self) -> None:
        await self._outbox.stop()

    def index_changed(self, feed: str, project: str = "") -> None:
        """Pages of ``project`` in ``feed`` changed (with no project: any page of the feed)."""
        payload = events_pb2.IndexChanged(feed=feed, project=project).SerializeToString(
            deterministic=True
        )
        self._outbox.publish(subject(INDEX_CHANGED, feed), payload)

    def access_changed(self) -> None:
        """A key, user, permission or feed's access changed: gateways forget authentications."""
        self._outbox.publish(ACCESS_CHANGED, b"")


# Which committed RPCs change which pages: (feed, project) from the request; project "" is
# every page of the feed. Access-relevant ones also announce an access change.
_Scope = Callable[[Any], tuple[str, str]]
_METADATA = "/packyard.rpc.v1.MetadataService/"


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
