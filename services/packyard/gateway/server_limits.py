"""Limits that keep slow or numerous clients from holding the gateway: timeouts and bounds.

- Request headers must arrive within ``header_timeout`` seconds of their first byte; a
  client that trickles them gets ``408`` and the connection is closed. uvicorn has no such
  timeout, so ``TimedHttpToolsProtocol`` adds it to its httptools protocol (the C parser:
  h11 in Python cost a sixth of a cached page's time, issue 13), ``TimedH11Protocol`` to its
  h11 protocol where httptools is not installed.
- A request body must keep coming: each piece within ``body_timeout`` seconds, and once
  ``body_timeout`` seconds have passed, at ``min_body_rate`` bytes per second on average.
  Else ``RequestLimits`` answers ``408`` with the reason, and the route's own cleanup
  removes an upload's spool file.
- At most ``max_uploads`` uploads run at once per gateway; one more gets ``503`` at once.
- Keep-alive idle time and concurrent connections are uvicorn's own settings
  (``uvicorn_options``).
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any, cast

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    HAVE_HTTPTOOLS = True
except ImportError:  # httptools is a dependency; a platform without its wheel gets h11
    HttpToolsProtocol = H11Protocol  # type: ignore[misc,assignment]
    HAVE_HTTPTOOLS = False

from packyard.common.metrics import ASGIApp, Message, Receive, Scope, Send
from packyard.gateway.coalesced_writes import CoalescingTransport
from packyard.gateway.settings import GatewaySettings

_UPLOAD_PATH = re.compile(r"^/pypi/[^/]+/legacy/?$")
_HEADERS_TOO_SLOW = b"Request headers not received in time.\n"


class _HeaderDeadline:
    """The timer both protocols keep for the request headers: stopped when the connection
    goes (or, in each protocol, when the headers are complete). Both also write through a
    ``CoalescingTransport`` (a response's head and body in one system call)."""

    header_timeout: float = 10.0
    _headers_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        stream = cast(asyncio.Transport, transport)  # a TCP connection's (uvicorn's protocols)
        coalesced = CoalescingTransport(stream, asyncio.get_running_loop())
        super().connection_made(coalesced)  # type: ignore[misc]

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_headers_timer()
        super().connection_lost(exc)  # type: ignore[misc]

    def _stop_headers_timer(self) -> None:
        if self._headers_timer is not None:
            self._headers_timer.cancel()
            self._headers_timer = None


class TimedH11Protocol(_HeaderDeadline, H11Protocol):
    """uvicorn's h11 protocol with a deadline for the request headers."""

    def data_received(self, data: bytes) -> None:
        # Waiting for a request (their_state IDLE): the first byte starts the clock.
        if self._headers_timer is None and self.conn.their_state is h11.IDLE:
            self._headers_timer = self.loop.call_later(self.header_timeout, self._too_slow)
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._stop_headers_timer()

    def on_response_complete(self) -> None:
        self._stop_headers_timer()
        super().on_response_complete()

    def _too_slow(self) -> None:
        self._headers_timer = None
        if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
            return
        _refuse_slow_headers(self.transport)


class TimedHttpToolsProtocol(_HeaderDeadline, HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for the request headers: the parser's
    first byte of a request starts the clock, the end of its headers stops it."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._stop_headers_timer()
        self._headers_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def on_headers_complete(self) -> None:
        self._stop_headers_timer()
        super().on_headers_complete()

    def _too_slow(self) -> None:
        self._headers_timer = None
        if not self.transport.is_closing():
            _refuse_slow_headers(self.transport)


def _refuse_slow_headers(transport: asyncio.Transport) -> None:
    # No request exists yet for the app to answer: the reply is written here, directly.
    transport.write(
        b"HTTP/1.1 408 Request Timeout\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Connection: close\r\n"
        b"Content-Length: " + str(len(_HEADERS_TOO_SLOW)).encode() + b"\r\n\r\n"
        + _HEADERS_TOO_SLOW
    )  # fmt: skip
    transport.close()


def timed_h11(header_timeout: float) -> type[TimedH11Protocol]:
    """The protocol class for uvicorn's ``http=`` with this header deadline."""
    return type("TimedH11Protocol", (TimedH11Protocol,), {"header_timeout": header_timeout})


def timed_httptools(header_timeout: float) -> type[TimedHttpToolsProtocol]:
    return type(
        "TimedHttpToolsProtocol", (TimedHttpToolsProtocol,), {"header_timeout": header_timeout}
    )


def uvicorn_options(settings: GatewaySettings) -> dict[str, Any]:
    timed = timed_httptools if HAVE_HTTPTOOLS else timed_h11
    return {
        "http": timed(settings.header_timeout),
        "timeout_keep_alive": settings.keep_alive_timeout,
        "limit_concurrency": settings.max_connections or None,
    }


class RequestLimits:
    """Pure ASGI middleware, outermost: body read deadlines and the bound on uploads.

    A body that is too slow looks like a client disconnect to the application (so an
    upload's cleanup runs and removes its spool file); whatever the application then tries
    to answer is dropped, and this middleware answers ``408`` with the reason instead.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        body_timeout: float,
        min_body_rate: float,
        max_uploads: int,
    ) -> None:
        self.app = app
        self.body_timeout = body_timeout
        self.min_body_rate = min_body_rate
        self.max_uploads = max_uploads
        self._uploads = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "POST" and bool(_UPLOAD_PATH.match(scope["path"]))
        if upload and self.max_uploads and self._uploads >= self.max_uploads:
            await _send_text(send, 503, "Too many uploads in progress, try again shortly.")
            return
        self._uploads += upload
        try:
            if self.body_timeout > 0:
                await _BodyDeadline(self.body_timeout, self.min_body_rate).run(
                    self.app, scope, receive, send
                )
            else:
                await self.app(scope, receive, send)
        finally:
            self._uploads -= upload


class _BodyDeadline:
    """One request under the body deadlines."""

    def __init__(self, timeout: float, min_rate: float) -> None:
        self.timeout = timeout
        self.min_rate = min_rate
        self.started = time.monotonic()
        self.received = 0
        self.timed_out = ""
        self.response_started = False

    async def run(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        async def timed_receive() -> Message:
            if self.timed_out:
                return {"type": "http.disconnect"}
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                return self._expire(f"Request body not received in time ({self.timeout:g} s).")
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                elapsed = time.monotonic() - self.started
                if (
                    message.get("more_body", False)
                    and elapsed > self.timeout
                    and self.received < self.min_rate * elapsed
                ):
                    return self._expire(
                        f"Request body arrives too slowly (under {self.min_rate:g} bytes/s)."
                    )
            return message

        async def guarded_send(message: Message) -> None:
            if self.timed_out:
                return  # the application's answer to a "disconnect" we made up
            if message["type"] == "http.response.start":
                self.response_started = True
            await send(message)

        try:
            await app(scope, timed_receive, guarded_send)
        except Exception:
            if not self.timed_out:
                raise
        if self.timed_out and not self.response_started:
            await _send_text(send, 408, self.timed_out)

    def _expire(self, reason: str) -> Message:
        self.timed_out = reason
        return {"type": "http.disconnect"}


async def _send_text(send: Send, status: int, message: str) -> None:
    body = (message + "\n").encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        # The rest of the request was not read: this connection cannot carry another.
        (b"connection", b"close"),
    ]
    if status == 503:
        headers.append((b"retry-after", b"5"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
