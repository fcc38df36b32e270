"""The relay's publisher: what becomes of one event, and the stream it declares."""

from __future__ import annotations

import asyncio
from typing import Any

from nats.errors import MaxPayloadError
from nats.js.errors import NotFoundError
from packyard.common.events import MSG_ID_HEADER, STREAM, StreamSettings
from packyard.common.outbox import JetStreamPublisher, Outcome


class FakeJetStream:
    """Acknowledges publishes while ``up``; refuses payloads over ``max_payload``."""

    def __init__(self, max_payload: int = 100) -> None:
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []
        self.up = True
        self.max_payload = max_payload
        self.streams: list[Any] = []

    async def publish(
        self, subject: str, payload: bytes, headers: dict[str, str], **options: Any
    ) -> None:
        if len(payload) > self.max_payload:
            raise MaxPayloadError
        if not self.up:
            raise TimeoutError
        self.sent.append((subject, payload, headers))

    async def drain(self) -> None:
        pass

    def jetstream(self) -> FakeJetStream:
        return self

    async def stream_info(self, name: str) -> None:
        raise NotFoundError

    async def add_stream(self, config: Any) -> None:
        self.streams.append(config)


async def _publisher(js: FakeJetStream, settings: StreamSettings) -> JetStreamPublisher:
    async def connect(url: str, name: str, stop: asyncio.Event, **callbacks: Any) -> Any:
        return js

    publisher = JetStreamPublisher("nats://fake", "test", settings, connect=connect)
    assert await publisher.connect(asyncio.Event())
    return publisher


async def test_an_event_goes_out_with_its_own_id_and_the_stream_has_the_settings() -> None:
    js = FakeJetStream()
    publisher = await _publisher(js, StreamSettings(replicas=3, duplicate_window=900.0))
    [config] = js.streams
    assert (config.name, config.num_replicas, config.duplicate_window) == (STREAM, 3, 900.0)

    outcome = await publisher.publish("packyard.index.changed.main", b"a", "id-1", {"t": "x"})
    assert outcome is Outcome.SENT
    assert js.sent == [("packyard.index.changed.main", b"a", {"t": "x", MSG_ID_HEADER: "id-1"})]


async def test_no_acknowledgement_is_a_retry_and_an_oversized_event_is_dead() -> None:
    js = FakeJetStream(max_payload=10)
    publisher = await _publisher(js, StreamSettings())
    js.up = False
    assert await publisher.publish("packyard.access.changed", b"", "id-1", {}) is Outcome.RETRY
    js.up = True
    big = await publisher.publish("packyard.index.changed.main", b"x" * 11, "id-2", {})
    assert big is Outcome.DEAD and publisher.last_error == "MaxPayloadError"
    assert js.sent == []
