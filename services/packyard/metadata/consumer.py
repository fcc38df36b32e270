"""The metadata service's durable JetStream pull consumer: upstream events into the cache.

Consumer ``metadata`` on stream PACKYARD takes ``packyard.upstream.refreshed.*`` and
``packyard.file.cached.*`` with explicit acks. Applying an event is idempotent (a listing only
moves to a higher serial, a cached file is inserted once), so a redelivery or a replay of the
whole stream changes nothing. Transient failures (database down) are nak'ed with a delay; an
undecodable message is terminated. NATS being down is a pause: the consumer keeps retrying and
catches up from its durable position; the metadata service serves meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC

from google.protobuf.message import DecodeError
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace

from packyard.common.errors import Unavailable
from packyard.common.events import (
    FILE_CACHED,
    STREAM,
    UPSTREAM_REFRESHED,
    connect_with_retry,
    ensure_stream,
)
from packyard.common.metrics import record_consumer_lag
from packyard.common.telemetry import consumer_span, set_span_fields
from packyard.metadata.upstream.models import CachedFile, Listing
from packyard.metadata.upstream.service import UpstreamStore
from packyard.rpc.v1 import events_pb2, upstream_pb2

log = logging.getLogger(__name__)

DURABLE = "metadata"
FILTERS = [f"{UPSTREAM_REFRESHED}.*", f"{FILE_CACHED}.*"]
_BATCH = 64
_MAX_DELIVER = 20
_RETRY_DELAY = 2.0


async def apply_event(store: UpstreamStore, subject: str, data: bytes) -> bool:
    """Apply one event to the store; True if it changed something. DecodeError if garbage."""
    if subject.startswith(UPSTREAM_REFRESHED + "."):
        event = events_pb2.UpstreamRefreshed.FromString(data)
        set_span_fields(trace.get_current_span(), event)
        payload = upstream_pb2.UpstreamListing(
            files=event.files, versions=event.versions, status=event.status
        ).SerializeToString(deterministic=True)
        listing = Listing(
            connector_id=event.connector,
            found=event.found,
            payload=payload,
            etag=event.etag,
            last_modified=event.last_modified,
            upstream_serial=event.upstream_serial,
            fetched=event.fetched.ToDatetime(tzinfo=UTC),
            serial=event.serial,
        )
        return await store.record_listing(
            event.feed, event.project, listing, has_files=bool(event.files)
        )
    if subject.startswith(FILE_CACHED + "."):
        cached = events_pb2.FileCached.FromString(data)
        set_span_fields(trace.get_current_span(), cached)
        info = cached.file
        return await store.record_cached_file(
            CachedFile(
                feed=cached.feed,
                filename=info.filename,
                project=info.project,
                sha256=info.hashes.sha256,
                payload=info.SerializeToString(deterministic=True),
                connector_id=cached.connector,
            )
        )
    return False


class EventConsumer:
    def __init__(self, nats_url: str, store: UpstreamStore, *, durable: str = DURABLE) -> None:
        self._url = nats_url
        self._store = store
        self._durable = durable
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.applied = 0  # events that changed the cache (for tests and logs)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="metadata-event-consumer")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 5.0)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task

    async def _run(self) -> None:
        nc = await connect_with_retry(self._url, "packyard-metadata", self._stop)
        if nc is None:
            return
        try:
            while not self._stop.is_set():
                try:
                    await self._consume(nc)
                except Exception as exc:  # NATS restarts surface as many error types
                    log.info("consumer.retrying", extra={"error": f"{type(exc).__name__}: {exc}"})
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), 1.0)
        finally:
            with contextlib.suppress(Exception):
                await nc.close()

    async def _consume(self, nc: NATS) -> None:
        js = nc.jetstream()
        await ensure_stream(js)
        sub = await js.pull_subscribe(
            "",
            durable=self._durable,
            stream=STREAM,
            config=ConsumerConfig(
                durable_name=self._durable,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                filter_subjects=FILTERS,
                max_deliver=_MAX_DELIVER,
                ack_wait=30,
            ),
        )
        log.info("consumer.started", extra={"durable": self._durable})
        while not self._stop.is_set():
            try:
                messages = await sub.fetch(_BATCH, timeout=1.0)
            except NatsTimeout:
                # Nothing was waiting for a whole second: the consumer is caught up.
                record_consumer_lag(self._durable, 0)
                continue
            for msg in messages:
                await self._handle(msg)
                record_consumer_lag(self._durable, _pending(msg))

    async def _handle(self, msg: Msg) -> None:
        with consumer_span(msg.subject, msg.headers):
            try:
                if await apply_event(self._store, msg.subject, msg.data):
                    self.applied += 1
            except DecodeError:
                log.warning("consumer.undecodable", extra={"subject": msg.subject})
                await msg.term()
                return
            except Unavailable:
                await msg.nak(delay=_RETRY_DELAY)
                return
            except Exception:
                log.exception("consumer.failed", extra={"subject": msg.subject})
                await msg.nak(delay=_RETRY_DELAY)
                return
            await msg.ack()


def _pending(msg: Msg) -> int:
    """Messages of the stream this consumer has not been given yet, as of ``msg``."""
    try:
        return msg.metadata.num_pending
    except (ValueError, IndexError, NatsError):  # no JetStream reply subject to read it from
        return 0
