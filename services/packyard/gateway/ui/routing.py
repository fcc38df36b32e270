"""The route class of the UI's HTML routes: errors become an HTML page, and every response
(errors and redirects included) carries the UI's security headers.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import grpc
from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from packyard.common.errors import PackyardError, http_status_for
from packyard.gateway.ui.render import render_page, with_security_headers

_TITLES = {401: "Sign in required", 403: "Not allowed", 404: "Not found"}
SIGN_IN = "Sign in with your user name and password, or with 'api' and an API key."


def error_status(exc: Exception) -> tuple[int, str]:
    """HTTP status and a message safe to show, for a domain error or a failed RPC."""
    if isinstance(exc, PackyardError):
        return exc.http_status or http_status_for(exc.code), exc.message
    assert isinstance(exc, grpc.aio.AioRpcError)
    status = http_status_for(exc.code())
    if status >= 500:
        return status, "Service temporarily unavailable, try again shortly."
    return status, exc.details() or exc.code().name


def error_page(request: Request, status: int, message: str) -> Response:
    response = render_page(
        request,
        "error.html",
        status=status,
        title=_TITLES.get(status, "Something went wrong"),
        message=message,
        principal="",
        query="",
        search_feed="",
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="packyard"'
    return response


class HtmlRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                response = await handler(request)
            except (PackyardError, grpc.aio.AioRpcError) as exc:
                response = error_page(request, *error_status(exc))
            return with_security_headers(response)

        return run
