"""Cached project pages answered before the middleware stack, when nothing else is needed.

A cached page costs uvicorn itself about 30 µs; the gateway's ASGI layers added about 70 µs
more (a task per request for a fresh context, trusted proxies, request limits, FastAPI's and
Starlette's wrappers, the observer, security headers, then FastPaths: issue 13's profile),
and none of them changes the answer to a plain GET of a cached project page by a caller whose
access this gateway already knows. ``FrontDoor`` answers exactly those, synchronously, with
the bytes and headers the route sends (security headers included). Anything else goes through
the whole stack unchanged: a page not kept or due for its reload, access not known yet or
refused (the route asks, refuses and counts failures), a request carrying a trace context or
a process that records requests (traces or metrics exported), a query string, a request body,
a name that is not canonical.
"""

from __future__ import annotations

import functools
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from packyard.gateway.auth.authenticator import Authenticator
from packyard.gateway.page_cache import PageCache
from packyard.gateway.pypi.simple import project_page_key
from packyard.protocol.names import normalize
from packyard.protocol.negotiation import SimpleFormat, select_simple_format

_PAGE = re.compile(r"^/pypi/([^/]+)/simple/([^/]+)/$")
# Request headers after which only the full stack may answer.
_FULL_STACK_HEADERS = frozenset({b"traceparent", b"content-length", b"transfer-encoding"})
_WANTED = frozenset({b"accept", b"authorization", b"if-none-match"})

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


@functools.lru_cache(maxsize=256)
def _format(accept: str | None) -> SimpleFormat | None:
    # A client sends the same Accept header every time: parse each distinct one once.
    return select_simple_format(accept, None)


def cached_page_answer(scope: Scope) -> Answer | None:
    """The answer to this request from the page cache, or None: the full stack decides."""
    if scope["method"] not in ("GET", "HEAD") or scope.get("query_string"):
        return None
    match = _PAGE.match(scope["path"])
    state = scope.get("state")
    if match is None or not state:
        return None
    feed, project = match.groups()
    if normalize(project) != project:
        return None
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in _FULL_STACK_HEADERS:
            return None
        if name in _WANTED and name not in found:  # the first one counts, as in Starlette
            found[name] = value.decode("latin-1")
    fmt = _format(found.get(b"accept"))
    auth: Authenticator = state["auth"]
    if fmt is None or not auth.may_read_now(found.get(b"authorization"), feed):
        return None
    pages: PageCache = state["pages"]
    key = project_page_key(feed, project, fmt)
    page = pages.get(key)
    if page is None or pages.refresh_due(key):
        return None
    return page.answer(found.get(b"if-none-match"))


class FrontDoor:
    def __init__(self, app: ASGIApp, *, enabled: bool) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.enabled and scope["type"] == "http":
            answer = cached_page_answer(scope)
            if answer is not None:
                status, headers, body = answer
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
