"""A response's head and body leave in one write; nothing is held long, lost or reordered."""

from __future__ import annotations

import asyncio

from packyard.gateway.coalesced_writes import HOLD_AT_MOST, JOIN_AT_MOST, CoalescingTransport

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if data:
            self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def get_write_buffer_size(self) -> int:
        return 0


async def test_head_and_body_leave_in_one_write() -> None:
    raw = RecordingTransport()
    transport = CoalescingTransport(raw, asyncio.get_running_loop())
    transport.write(HEAD)
    assert raw.writes == []  # held until the body or the loop's next turn
    assert transport.get_write_buffer_size() == len(HEAD)
    transport.write(b"hello")
    await asyncio.sleep(0)
    assert raw.writes == [HEAD + b"hello"]
    assert transport.get_write_buffer_size() == 0


async def test_a_held_write_leaves_on_the_loops_next_turn() -> None:
    raw = RecordingTransport()
    transport = CoalescingTransport(raw, asyncio.get_running_loop())
    transport.write(HEAD)
    await asyncio.sleep(0)
    assert raw.writes == [HEAD]


async def test_a_page_sized_body_is_joined_and_a_large_one_follows_in_order() -> None:
    raw = RecordingTransport()
    transport = CoalescingTransport(raw, asyncio.get_running_loop())
    page = b"p" * (HOLD_AT_MOST + 1)
    transport.write(HEAD)
    transport.write(page)
    assert raw.writes == [HEAD + page]
    large = b"x" * (JOIN_AT_MOST + 1)
    transport.write(HEAD)
    transport.write(large)  # not copied into one buffer with the head, and never held
    transport.write(b"tail")
    await asyncio.sleep(0)
    assert raw.writes == [HEAD + page, HEAD, large, b"tail"]


async def test_closing_sends_what_was_held_first_and_abort_drops_it() -> None:
    raw = RecordingTransport()
    transport = CoalescingTransport(raw, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 408 Request Timeout\r\n\r\n")
    transport.close()
    assert raw.writes == [b"HTTP/1.1 408 Request Timeout\r\n\r\n"] and raw.closed
    other = RecordingTransport()
    aborted = CoalescingTransport(other, asyncio.get_running_loop())
    aborted.write(HEAD)
    aborted.abort()
    await asyncio.sleep(0)
    assert other.writes == [] and other.aborted
