"""Cached project pages answered before routing: the same answer as the route's, for less.

Routing, dependency solving and the route's own wrapping cost more than a cached page itself
(issue 13's profile). This middleware answers a GET or HEAD of a canonical project page that
the page cache holds; everything else (a miss, a name to redirect, a format nobody offers)
goes on to the route, which decides it as before.

It decides access exactly as the route does, on every request, before it looks at the cache:
a cached page is never served to someone who may not read the feed, and a revoked key is
refused as soon as the authenticator knows (change events, within a second). A refusal is
answered here, as the route's error handler would (the failed attempt is counted once).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from packyard.common.errors import PackyardError
from packyard.gateway.page_cache import page_cache
from packyard.gateway.pypi.simple import project_page_key, requested_format
from packyard.gateway.responses import response_for_error
from packyard.protocol.names import normalize

_PROJECT_PAGE = re.compile(r"^/pypi/([^/]+)/simple/([^/]+)/$")


class CachedPageFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            match = _PROJECT_PAGE.match(scope["path"])
            if match is not None:
                feed, project = match.groups()
                request = Request(scope, receive)
                if normalize(project) == project and (fmt := requested_format(request)):
                    # The route's path parameters, for the span and metrics (GatewayObserver).
                    scope["path_params"] = {"feed": feed, "project": project}
                    try:
                        await request.state.auth.readable_feed(request, feed)
                    except PackyardError as exc:
                        await response_for_error(exc, request)(scope, receive, send)
                        return
                    cached = page_cache(request).get(project_page_key(feed, project, fmt))
                    if cached is not None:
                        await cached.response(request)(scope, receive, send)
                        return
        await self.app(scope, receive, send)
