"""Hot reads answered before routing: the same answers as the routes', for less.

Routing, dependency solving and the route's own wrapping cost more than a cached page or a
hot file itself (issue 13's profiles). This middleware answers:

- a GET or HEAD of a canonical project page that the page cache holds;
- a whole GET of a file or ``.metadata`` file whose row the page cache keeps and whose bytes
  this gateway has a local copy of (``files.hot_download``: the download route's own answer).

Everything else (a miss, a name to redirect, a format nobody offers, a range, an upstream
file) goes on to the route, which decides it as before.

Access is decided exactly as the routes decide it, on every request, before anything is
looked up: a cached page or file is never served to someone who may not read the feed, and a
revoked key is refused as soon as the authenticator knows (change events, within a second). A
refusal is answered here, as the route's error handler would (the failed attempt is counted
once).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi.responses import Response
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from packyard.common.errors import PackyardError
from packyard.gateway.page_cache import page_cache
from packyard.gateway.pypi.files import hot_download
from packyard.gateway.pypi.simple import project_page_key, requested_format
from packyard.gateway.responses import response_for_error
from packyard.protocol.names import normalize


async def _cached_page(request: Request, feed: str, project: str) -> Response | None:
    fmt = requested_format(request)
    if normalize(project) != project or fmt is None:
        return None
    await request.state.auth.readable_feed(request, feed)
    pages = page_cache(request)
    key = project_page_key(feed, project, fmt)
    cached = pages.get(key)
    # A page due for its background reload goes to the route, which starts it (page_cache.py).
    if cached is None or pages.refresh_due(key):
        return None
    return cached.response(request)


async def _hot_file(request: Request, feed: str, project: str, filename: str) -> Response | None:
    await request.state.auth.readable_feed(request, feed)
    return await hot_download(request, feed, normalize(project), filename)


@dataclass(frozen=True)
class _Path:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    names: tuple[str, ...]  # the route's path parameters, in the pattern's order
    answer: Callable[..., Awaitable[Response | None]]


_PATHS = (
    _Path(frozenset({"GET", "HEAD"}), re.compile(r"^/pypi/([^/]+)/simple/([^/]+)/$"),
          ("feed", "project"), _cached_page),
    _Path(frozenset({"GET"}), re.compile(r"^/pypi/([^/]+)/packages/([^/]+)/([^/]+)$"),
          ("feed", "project", "filename"), _hot_file),
)  # fmt: skip


class FastPaths:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for path in _PATHS:
                match = path.pattern.match(scope["path"])
                if match is None or scope["method"] not in path.methods:
                    continue
                request = Request(scope, receive)
                # The route's path parameters, for the span and metrics (GatewayObserver).
                scope["path_params"] = dict(zip(path.names, match.groups(), strict=True))
                try:
                    answer = await path.answer(request, *match.groups())
                except PackyardError as exc:
                    await response_for_error(exc, request)(scope, receive, send)
                    return
                if answer is not None:
                    await answer(scope, receive, send)
                    return
                break
        await self.app(scope, receive, send)
