"""HEAD answered on every GET route, as HTTP requires (RFC 9110 §9.3.2): load balancers and
uptime checks probe ``/``, ``/healthz`` and ``/readyz`` with HEAD.

FastAPI's routes answer only the methods they list, so a HEAD of a GET-only route would be
405. Listing HEAD on each route would put a second operation per path into the OpenAPI
document; instead, a HEAD that no route takes as HEAD is run as a GET and its body dropped
(the headers, Content-Length included, stay those of the GET). Routes that list HEAD
themselves (files, simple pages) keep answering it without producing a body.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def takes_head(routes: Sequence[BaseRoute], scope: Scope) -> bool:
    """Whether some route answers this HEAD request itself."""
    return any(route.matches(scope)[0] == Match.FULL for route in routes)


class HeadAsGet:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        # The router's own list: routes included after the middleware was added count too.
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or takes_head(self.routes, scope):
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)
