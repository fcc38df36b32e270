"""Readiness rules and the request limits middleware, at the ASGI level."""

from __future__ import annotations

import asyncio
from typing import Any

from packyard.gateway.readiness import assess
from packyard.gateway.server_limits import (
    RequestLimits,
    timed_h11,
    timed_httptools,
    uvicorn_options,
)
from packyard.gateway.settings import GatewaySettings

UP = {"metadata": True, "blob": True, "connector": True}


def test_ready_needs_metadata_and_blob_only() -> None:
    assert assess(UP, events_connected=True, verbose=False).body == {
        "status": "ok", "events": "connected",
    }  # fmt: skip
    degraded = assess({**UP, "connector": False}, events_connected=False, verbose=True)
    assert degraded.http_status == 200
    assert degraded.body["status"] == "degraded" and degraded.body["down"] == ["connector"]
    assert degraded.body["dependencies"]["nats"] == {"state": "down", "core": False}
    for core in ("metadata", "blob"):
        unready = assess({**UP, core: False}, events_connected=True, verbose=False)
        assert (unready.http_status, unready.body["status"]) == (503, "unavailable")


def test_settings_reach_uvicorn() -> None:
    settings = GatewaySettings(header_timeout=3, keep_alive_timeout=7, max_connections=0)
    options = uvicorn_options(settings)
    assert options["timeout_keep_alive"] == 7
    assert options["limit_concurrency"] is None  # 0 = no bound
    assert options["http"].header_timeout == 3
    assert timed_h11(1.5).header_timeout == 1.5
    assert timed_httptools(1.5).header_timeout == 1.5


class Client:
    """Feeds body pieces with pauses; records what the server sends."""

    def __init__(self, pieces: list[tuple[float, bytes]]) -> None:
        self.pieces = list(pieces)
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if not self.pieces:
            await asyncio.sleep(3600)
        pause, body = self.pieces.pop(0)
        await asyncio.sleep(pause)
        return {"type": "http.request", "body": body, "more_body": bool(self.pieces)}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def text(self) -> str:
        return b"".join(m.get("body", b"") for m in self.sent[1:]).decode()


def _scope(path: str = "/pypi/main/legacy/", method: str = "POST") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "headers": []}


class ReadingApp:
    """An app that reads the whole body (as the upload route does), then answers 200."""

    def __init__(self) -> None:
        self.saw_disconnect = False
        self.cleaned_up = False
        self.running = 0
        self.release = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.running += 1
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    self.saw_disconnect = True
                    # What an app does when the client is gone: answer, for nobody.
                    await send({"type": "http.response.start", "status": 500, "headers": []})
                    raise ConnectionResetError("client disconnected")
                if not message.get("more_body"):
                    break
            await self.release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
        finally:
            self.cleaned_up = True
            self.running -= 1


def _limits(app: Any, **kw: Any) -> RequestLimits:
    options = {"body_timeout": 0.2, "min_body_rate": 100.0, "max_uploads": 2, **kw}
    return RequestLimits(app, **options)


async def test_a_pausing_body_gets_408_and_the_app_cleans_up() -> None:
    app = ReadingApp()
    client = Client([(0, b"x" * 10), (0.5, b"y")])
    await _limits(app)(_scope(), client.receive, client.send)
    assert client.status == 408
    assert client.text == "Request body not received in time (0.2 s).\n"
    assert app.saw_disconnect and app.cleaned_up
    assert [m for m in client.sent if m.get("status") == 500] == []


async def test_a_trickling_body_gets_408() -> None:
    app = ReadingApp()
    # Each piece in time, but 1 byte per 0.1 s is far below 100 bytes/s.
    client = Client([(0.1, b"x")] * 10)
    await _limits(app)(_scope(), client.receive, client.send)
    assert client.status == 408
    assert "too slowly" in client.text


async def test_a_steady_body_passes() -> None:
    app = ReadingApp()
    app.release.set()
    client = Client([(0.05, b"x" * 100)] * 8)
    await _limits(app)(_scope(), client.receive, client.send)
    assert client.status == 200


async def test_uploads_beyond_the_bound_get_503_at_once() -> None:
    app = ReadingApp()
    limits = _limits(app, body_timeout=0)
    first, second, third = (Client([(0, b"x")]) for _ in range(3))
    running = [asyncio.create_task(limits(_scope(), c.receive, c.send)) for c in (first, second)]
    while app.running < 2:  # noqa: ASYNC110 - the two uploads are under way
        await asyncio.sleep(0.01)
    await limits(_scope(), third.receive, third.send)
    assert third.status == 503 and "Too many uploads" in third.text
    # Reads are not uploads: not bounded by it.
    page = Client([(0, b"")])
    app.release.set()
    await limits(_scope("/pypi/main/simple/", "GET"), page.receive, page.send)
    await asyncio.gather(*running)
    assert (first.status, second.status, page.status) == (200, 200, 200)
