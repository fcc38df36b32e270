"""A response's status line and headers leave in the same write as its body.

uvicorn writes a response's head when the application starts the response and the body when
it sends it: two ``send`` system calls for every answer. On loopback and on a busy gateway the
kernel's work per call (its TCP path, waking the reader) is most of what a cached page or a
small file costs: a profile of cached pages at 8 connections put 43 % of the gateway's time in
those two writes, two thirds of it in the head's (issue 13). ``CoalescingTransport`` keeps a
small write back until the event loop's next turn, or until the next write, which it joins:
the head and a body sent in one go (every cached page, 304, small file and error) become one
call. A large write is never held (it goes out at once, joined with what was held), so memory
does not grow with a response; nothing is reordered, and closing sends what was held first.
"""

from __future__ import annotations

import asyncio
from typing import Any

# Writes up to this size wait for the next write or the loop's next turn; a response head is
# a few hundred bytes.
HOLD_AT_MOST = 16 * 1024
# What was held is joined with a write up to this size (a cached page, a small file); a larger
# one follows it in a call of its own rather than be copied.
JOIN_AT_MOST = 512 * 1024


class CoalescingTransport(asyncio.Transport):
    """``transport`` with small writes held for one turn of the event loop."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._held_size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if self._held_size + len(data) <= HOLD_AT_MOST:
            if not self._held:
                self._loop.call_soon(self._flush)
            self._held.append(bytes(data))
            self._held_size += len(data)
        elif self._held and len(data) <= JOIN_AT_MOST:
            # One call for both: copying this much costs less than a second system call.
            self._transport.write(b"".join([*self._held, data]))
            self._held.clear()
            self._held_size = 0
        else:
            self._flush()
            self._transport.write(data)

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def _flush(self) -> None:
        if self._held:
            data = b"".join(self._held) if len(self._held) > 1 else self._held[0]
            self._held.clear()
            self._held_size = 0
            if not self._transport.is_closing():
                self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._held_size

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._held.clear()
        self._held_size = 0
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()
