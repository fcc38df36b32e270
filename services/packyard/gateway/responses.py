"""Error responses: one line of text/plain (or JSON for clients that ask), in one place.

No ASGI server can set a custom reason phrase, so the reason travels in the body, where
twine shows it with --verbose and uv reads the JSON ``code``/``message``.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from packyard.common.errors import PackyardError, http_status_for, one_line

log = logging.getLogger(__name__)

_RETRY_AFTER_STATUSES = {503, 429}


def error_response(
    status: int, message: str, request: Request | None = None, headers: dict[str, str] | None = None
) -> Response:
    message = one_line(message)
    headers = dict(headers or {})
    if status in _RETRY_AFTER_STATUSES:
        headers.setdefault("Retry-After", "5")
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Basic realm="packyard"')
    accept = request.headers.get("accept", "") if request is not None else ""
    if "application/json" in accept and "text/html" not in accept:
        return JSONResponse({"code": status, "message": message}, status, headers=headers)
    return PlainTextResponse(message + "\n", status, headers=headers)


def response_for_error(exc: Exception, request: Request | None = None) -> Response:
    """Map a domain error (failed RPCs are domain errors by now, gateway/clients/) to the HTTP
    answer; log what the user does not see."""
    if isinstance(exc, PackyardError):
        status, message = exc.http_status or http_status_for(exc.code), exc.message
    else:
        log.exception("gateway.unhandled")
        status, message = 500, "Internal server error."
    if status >= 500:
        log.warning("gateway.backend_error", extra={"status": status, "reason": message})
    # An error may carry headers of its own (Retry-After of a rate limit).
    return error_response(status, message, request, getattr(exc, "headers", None))
