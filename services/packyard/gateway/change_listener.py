"""The gateway's subscription to change events: it keeps the page and authentication caches
honest across replicas.

``packyard.index.changed.FEED`` drops the pages of one project (or of the feed);
``packyard.access.changed`` forgets every cached authentication. Core NATS is enough, and a
JetStream consumer would add nothing: while the subscription is not connected the caches are
off (pages) or short (authentications) and they start empty when it is back, so there is
nothing to catch up on; an event lost while connected is repaired by the reconciler
(``change_reconcile``, which sees each event's feed serial) or the caches' TTLs. The gateway
starts and serves without NATS; this connects in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from google.protobuf.message import DecodeError
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from packyard_rpc.v1 import events_pb2

from packyard.common.events import (
    ACCESS_CHANGED,
    INDEX_CHANGED_ANY_FEED,
    connect_with_retry,
)
from packyard.gateway.auth.authenticator import Authenticator
from packyard.gateway.change_reconcile import Reconciler
from packyard.gateway.page_cache import PageCache

log = logging.getLogger(__name__)

_SUBSCRIBE_TIMEOUT = 2  # seconds (nats-py takes an int)


class ChangeListener:
    def __init__(
        self,
        nats_url: str,
        pages: PageCache,
        auth: Authenticator,
        reconciler: Reconciler | None = None,
    ) -> None:
        self._url = nats_url
        self._pages = pages
        self._auth = auth
        self._reconciler = reconciler
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._subscribed = False
        self.connected = False
        self.events = 0

    def start(self) -> None:
        if self._url:
            self._task = asyncio.create_task(self._run(), name="gateway-change-listener")
            if self._reconciler is not None:
                self._reconciler.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._reconciler is not None:
            await self._reconciler.stop()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._task, 3.0)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._set_connected(False)

    async def _run(self) -> None:
        nc = await connect_with_retry(
            self._url,
            "packyard-gateway",
            self._stop,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
            closed_cb=self._on_disconnected,
        )
        if nc is None:
            return
        try:
            await self._subscribe(nc)
            await self._stop.wait()
        finally:
            self._set_connected(False)
            with contextlib.suppress(Exception):
                await nc.close()

    async def _subscribe(self, nc: NATS) -> None:
        await nc.subscribe(INDEX_CHANGED_ANY_FEED, cb=self._on_index_changed)
        await nc.subscribe(ACCESS_CHANGED, cb=self._on_access_changed)
        self._subscribed = True
        try:
            # The server has the subscriptions once it answers this PING.
            await nc.flush(timeout=_SUBSCRIBE_TIMEOUT)
        except Exception as exc:  # nats-py raises several types; reconnected_cb retries
            log.info("events.subscribe_pending", extra={"error": type(exc).__name__})
            return
        if nc.is_connected:
            self._set_connected(True)

    async def _on_disconnected(self) -> None:
        self._set_connected(False)

    async def _on_reconnected(self) -> None:
        # nats-py calls this after it registered the subscriptions again and flushed.
        if self._subscribed:
            self._set_connected(True)

    def _set_connected(self, connected: bool) -> None:
        if connected == self.connected:
            return
        self.connected = connected
        # Events may have been missed while down: both caches start over either way.
        self._pages.set_live(connected)
        self._auth.set_live(connected)
        if self._reconciler is not None:
            self._reconciler.reset()
        log.info("events.subscription", extra={"connected": connected})

    async def _on_index_changed(self, msg: Msg) -> None:
        self.events += 1
        try:
            event = events_pb2.IndexChanged.FromString(msg.data)
        except DecodeError:
            log.warning("events.undecodable", extra={"subject": msg.subject})
            self._pages.clear()
            return
        if not event.feed:
            self._pages.clear()
            return
        self._pages.drop(event.feed, event.project)
        if self._reconciler is not None and event.serial:
            self._reconciler.seen(event.feed, event.serial)

    async def _on_access_changed(self, msg: Msg) -> None:
        self.events += 1
        self._auth.forget()
