"""Each request runs in a context of its own (gateway/request_context.py)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from packyard.gateway.request_context import FreshContext

_VAR: ContextVar[str] = ContextVar("test_request_context", default="fresh")


async def test_a_request_sees_nothing_of_the_context_it_was_started_in() -> None:
    """uvicorn may start the next keep-alive request inside the previous one's task: what that
    request set (its trace span, its principal) must not reach the next."""
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(_VAR.get())
        _VAR.set("set by this request")

    async def nothing() -> Any:
        return {}

    _VAR.set("the previous request's")
    await FreshContext(app)({"type": "http"}, nothing, nothing)
    await FreshContext(app)({"type": "http"}, nothing, nothing)
    assert seen == ["fresh", "fresh"]
    assert _VAR.get() == "the previous request's"
