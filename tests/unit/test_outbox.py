"""The event outbox: order, deterministic ids, bounded queue, unsendable messages dropped."""

from __future__ import annotations

import asyncio
from typing import Any

from nats.errors import MaxPayloadError
from packyard.common.events import MSG_ID_HEADER
from packyard.common.outbox import Outbox, message_id


class FakeNats:
    """Takes publishes once ``up`` is set; refuses payloads over ``max_payload``."""

    def __init__(self, max_payload: int = 100) -> None:
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []
        self.up = asyncio.Event()
        self.up.set()
        self.max_payload = max_payload
        self.is_connected = True
        self.declared = ""

    async def publish(self, subject: str, payload: bytes, headers: dict[str, str]) -> None:
        if len(payload) > self.max_payload:
            raise MaxPayloadError
        if not self.up.is_set():
            raise ConnectionError("NATS away")
        self.sent.append((subject, payload, headers))

    async def drain(self) -> None:
        pass

    def jetstream(self) -> FakeNats:
        return self

    async def stream_info(self, name: str) -> None:
        self.declared = name


def _outbox(nc: FakeNats, **options: Any) -> Outbox:
    async def connect(url: str, name: str, stop: asyncio.Event, **callbacks: Any) -> Any:
        return nc

    return Outbox("nats://fake", "test", connect=connect, **options)


async def _until(check: Any) -> None:
    async with asyncio.timeout(10):
        while not check():  # noqa: ASYNC110 - polling a fake
            await asyncio.sleep(0.01)


async def test_messages_go_out_in_order_with_ids_derived_from_their_content() -> None:
    nc = FakeNats()
    outbox = _outbox(nc)
    outbox.start()
    try:
        outbox.publish("packyard.index.changed.main", b"a")
        outbox.publish("packyard.index.changed.main", b"b")
        outbox.publish("packyard.index.changed.main", b"a")
        await _until(lambda: len(nc.sent) == 3)
    finally:
        await outbox.stop()
    assert nc.declared == "PACKYARD"  # the stream that records packyard.>
    assert [payload for _, payload, _ in nc.sent] == [b"a", b"b", b"a"]
    ids = [headers[MSG_ID_HEADER] for _, _, headers in nc.sent]
    # The same message has the same id (the stream stores a retried publish once).
    assert ids[0] == ids[2] == message_id("packyard.index.changed.main", b"a")
    assert ids[1] != ids[0]
    assert message_id("packyard.index.changed.other", b"a") != ids[0]


async def test_a_message_nats_can_never_take_is_dropped_and_the_rest_still_go_out() -> None:
    nc = FakeNats(max_payload=10)
    outbox = _outbox(nc)
    outbox.start()
    try:
        outbox.publish("packyard.index.changed.main", b"x" * 11)
        outbox.publish("packyard.index.changed.main", b"small")
        await _until(lambda: len(nc.sent) == 1)
    finally:
        await outbox.stop()
    assert nc.sent[0][1] == b"small"
    assert outbox.dropped == 1 and outbox.pending == 0


async def test_while_nats_is_away_the_queue_holds_the_newest_messages() -> None:
    nc = FakeNats()
    nc.up.clear()
    outbox = _outbox(nc, max_pending=2)
    outbox.start()
    try:
        for payload in (b"1", b"2", b"3"):
            outbox.publish("packyard.access.changed", payload)
        assert outbox.pending == 2 and outbox.dropped == 1
        nc.up.set()
        await _until(lambda: outbox.pending == 0)
    finally:
        await outbox.stop()
    assert [payload for _, payload, _ in nc.sent] == [b"2", b"3"]
