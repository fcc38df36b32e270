"""Hot files answered before routing: the same answer as the download route's, for less.

pip and uv fetch many small files (wheels, PEP 658 metadata files) per install, and routing
and dependency solving cost more than such a file's answer itself (issue 13). This middleware
answers a whole GET of a file whose row the page cache holds and whose bytes this gateway has a
local copy of (``files.hot_download``); everything else (a miss, a range, a HEAD, an upstream
file) goes on to the route, which decides it as before.

Access is decided as the route decides it, on every request, before anything is looked up; a
refusal is answered here, as the route's error handler would.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from packyard.common.errors import PackyardError
from packyard.gateway.pypi.files import hot_download
from packyard.gateway.responses import response_for_error
from packyard.protocol.names import normalize

_FILE = re.compile(r"^/pypi/([^/]+)/packages/([^/]+)/([^/]+)$")


class HotFileFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = _FILE.match(scope["path"])
            if match is not None:
                feed, project, filename = match.groups()
                request = Request(scope, receive)
                # The route's path parameters, for the span and metrics (GatewayObserver).
                scope["path_params"] = {"feed": feed, "project": project, "filename": filename}
                try:
                    await request.state.auth.readable_feed(request, feed)
                    answer = await hot_download(request, feed, normalize(project), filename)
                except PackyardError as exc:
                    await response_for_error(exc, request)(scope, receive, send)
                    return
                if answer is not None:
                    await answer(scope, receive, send)
                    return
        await self.app(scope, receive, send)
