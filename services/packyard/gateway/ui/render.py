"""HTML pages of the web UI: Jinja2 templates with autoescaping, and the headers every page
carries (a strict CSP, nosniff, no framing, no caching of pages that may show private data).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from google.protobuf.timestamp_pb2 import Timestamp

from packyard.gateway.ui.admin_access import may_see_admin
from packyard.gateway.ui.csrf import form_token
from packyard.gateway.ui.origins import origin_text

# No inline script or style at all: whatever slips into a page cannot run or restyle it.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def path_part(value: str) -> str:
    """One URL path segment, percent-encoded (names and versions are safe, but never trust)."""
    return quote(value, safe="")


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def timestamp_text(value: Timestamp | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Timestamp):
        if value.seconds == 0 and value.nanos == 0:
            return ""
        value = value.ToDatetime(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@cache
def _environment() -> jinja2.Environment:
    folder = resources.files("packyard.gateway.ui") / "templates"
    templates = {
        entry.name: entry.read_text("utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".html")
    }
    # The admin pages' templates, as "admin/NAME.html".
    admin = folder / "admin"
    templates.update(
        (f"admin/{entry.name}", entry.read_text("utf-8"))
        for entry in admin.iterdir()
        if entry.name.endswith(".html")
    )
    env = jinja2.Environment(
        loader=jinja2.DictLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["seg"] = path_part
    env.filters["size"] = human_size
    env.filters["when"] = timestamp_text
    env.filters["origin"] = origin_text
    return env


def _header_context(request: Request) -> dict[str, Any]:
    """What the header of every page needs: an Admin link for whoever may use one, a sign-out
    form (with its CSRF token) for a session."""
    principal = getattr(request.state, "principal", None)
    in_session = principal is not None and not request.headers.get("authorization")
    return {
        "request_path": request.url.path,
        "admin_link": may_see_admin(principal),
        "sign_out_token": form_token(request) if in_session else "",
    }


def render_page(
    request: Request, template: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    html = _environment().get_template(template).render(**_header_context(request), **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def with_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
