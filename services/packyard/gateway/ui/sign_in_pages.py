"""Sign-in and sign-out pages: a form that starts a server-side session (cookie), and a
sign-out form that ends it. ``/login?basic=1`` keeps the HTTP Basic challenge for browsers
that prefer it; tools send Basic credentials with every request and never need a page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from packyard.common.errors import Unauthenticated
from packyard.gateway.auth import oidc
from packyard.gateway.auth.session_cookie import (
    clear_session_cookie,
    session_token,
    set_session_cookie,
)
from packyard.gateway.auth.sign_in import end_session, start_session
from packyard.gateway.auth.sign_in_settings import SignInSettings
from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.ui.csrf import check_origin, check_same_origin
from packyard.gateway.ui.render import render_page
from packyard.gateway.ui.routing import SIGN_IN, HtmlRoute, error_page

router = APIRouter(route_class=HtmlRoute)

SIGN_IN_FAILED = "The user name or password is not right."


def safe_next(value: str) -> str:
    """Where to go after sign-in: a path of this site only (never //other.example)."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def login_page(
    request: Request, *, next_path: str, username: str = "", message: str = ""
) -> Response:
    settings = SignInSettings()
    return render_page(
        request,
        "login.html",
        next=next_path,
        username=username,
        message=message,
        directory=bool(settings.ldap_url),
        oidc=oidc.enabled(settings),
        principal="",
        query="",
        search_feed="",
    )


@router.get("/login", include_in_schema=False)
async def login_form(request: Request, auth: AuthDep, next: str = "/", basic: str = "") -> Response:
    principal = await auth.principal(request)
    if principal is None and basic:
        # HTTP Basic: the browser asks for a name and password (or "api" and a key) and then
        # sends them with every request under "/" (the challenged path's directory).
        return error_page(request, 401, SIGN_IN)
    if principal is not None:
        return RedirectResponse(safe_next(next), 303)
    return login_page(request, next_path=safe_next(next))


@router.post("/login", include_in_schema=False)
async def sign_in(request: Request, backends: BackendsDep, auth: AuthDep) -> Response:
    check_origin(request)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    next_path = safe_next(fields.get("next", "/"))
    settings = SignInSettings()
    try:
        started = await start_session(
            request,
            backends,
            auth,
            settings,
            fields.get("username", ""),
            fields.get("password", ""),
        )
    except Unauthenticated:
        return login_page(
            request, next_path=next_path, username=fields.get("username", ""),
            message=SIGN_IN_FAILED,
        )  # fmt: skip
    # A new token at every sign-in, and the browser's previous session (if any) ended: a
    # token planted before sign-in is never the one that gets signed in.
    await end_session(backends, auth, session_token(request))
    response = RedirectResponse(next_path, 303)
    set_session_cookie(request, response, started.session, settings.session_lifetime)
    return response


@router.post("/logout", include_in_schema=False)
async def sign_out(request: Request, backends: BackendsDep, auth: AuthDep) -> Response:
    form = await request.form()
    token = form.get("csrf", "")
    check_same_origin(request, token if isinstance(token, str) else "")
    await end_session(backends, auth, session_token(request))
    response = RedirectResponse("/", 303)
    clear_session_cookie(request, response)
    return response
