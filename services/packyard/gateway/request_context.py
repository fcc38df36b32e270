"""Each HTTP request runs in a context of its own.

uvicorn starts the task of a keep-alive connection's next request from inside the previous
request's task when that request arrived before the previous one had quite finished (its
``on_response_complete`` runs the pipeline). A task copies the context it is created in, so
every context variable of the previous request would carry over: the current trace span (the
next request became an INTERNAL child of the previous one's trace) and the principal the
gateway calls the metadata service for (``clients/principal.py``). Outermost, before anything
reads or sets a context variable, this runs the application in a new, empty context.
"""

from __future__ import annotations

import asyncio
import contextvars

from packyard.common.metrics import ASGIApp, Receive, Scope, Send


class FreshContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def serve() -> None:
            await self.app(scope, receive, send)

        # Cancelling this task (the server's shutdown) cancels the one it awaits.
        await asyncio.get_running_loop().create_task(serve(), context=contextvars.Context())
