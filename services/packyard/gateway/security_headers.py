"""Headers every gateway response carries, and paths no route may see.

A pure ASGI middleware: Starlette's ``BaseHTTPMiddleware`` (``@app.middleware("http")``) runs
the application in a task of its own and turns every response into a streaming one, which
cost a sixth of a cached page's time (issue 13's profile).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from packyard.gateway.responses import error_response

NOSNIFF = (b"x-content-type-options", b"nosniff")


def has_control_character(path: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in path)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                # A route that set its own value (the UI's pages) keeps it.
                if not any(name.lower() == NOSNIFF[0] for name, _ in headers):
                    message = {**message, "headers": [*headers, NOSNIFF]}
            await send(message)

        # No feed, project or file name holds a control character: a decoded NUL, CR or LF
        # in the path is refused here, before it can reach a header, a query or a log line.
        if has_control_character(scope["path"]):
            response = error_response(404, "Not found.", Request(scope))
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)
