"""Announcing committed changes to the gateways: ``packyard.index.changed.FEED`` and
``packyard.access.changed``, through the shared outbox (``common.outbox``) on core NATS.

The metadata service announces, not the gateway that asked for the change: every writer
(admin API, upload, web UI, the CLI, the connector, an internal caller of the gRPC API) goes
through it, and it knows the change is committed. Each domain (``MetadataService``,
``UpstreamStore``, ``AccessService``) calls its ``on_change`` hooks from its own code after the
commit, so every caller of the domain announces, not only the gRPC API.

Delivery is best effort by design: a lost event costs a gateway at most its cache TTL
(``PACKYARD_PAGE_CACHE_TTL``, ``PACKYARD_AUTH_CACHE_TTL``); gateways that lost their own
connection have switched their caches off meanwhile.
"""

from __future__ import annotations

from packyard.common.events import ACCESS_CHANGED, INDEX_CHANGED, subject
from packyard.common.outbox import Outbox
from packyard.rpc.v1 import events_pb2


class ChangeAnnouncer:
    def __init__(self, nats_url: str | None, *, max_pending: int = 10_000) -> None:
        self._outbox = Outbox(nats_url, "packyard-metadata-changes", max_pending=max_pending)

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
