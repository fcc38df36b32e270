"""OpenID Connect sign-in pages: ``/login/oidc`` sends the browser to the provider,
``/login/oidc/callback`` comes back with a code and starts a session (gateway/auth/oidc.py).

Both import the flow (gateway/auth/oidc_flow.py: Authlib, joserfc, about 2 MB) on their first
use, once OIDC is known to be configured: a gateway without it never loads them (issue 13).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from packyard.common.errors import NotFound, Unauthenticated
from packyard.gateway.auth import oidc
from packyard.gateway.auth.authenticator import client_address
from packyard.gateway.auth.session_cookie import set_session_cookie
from packyard.gateway.auth.sign_in import start_directory_session
from packyard.gateway.auth.sign_in_settings import SignInSettings
from packyard.gateway.clients.principal import act_for
from packyard.gateway.deps import BackendsDep
from packyard.gateway.ui.routing import HtmlRoute
from packyard.gateway.ui.sign_in_pages import login_page, safe_next

router = APIRouter(route_class=HtmlRoute)
CALLBACK = "/login/oidc/callback"


def _settings() -> SignInSettings:
    settings = SignInSettings()
    if not oidc.enabled(settings):
        raise NotFound("OpenID Connect sign-in is not configured.")
    return settings


def _redirect_uri(request: Request) -> str:
    return str(request.base_url).rstrip("/") + CALLBACK


@router.get("/login/oidc", include_in_schema=False)
async def begin(request: Request, next: str = "/") -> Response:
    settings = _settings()
    from packyard.gateway.auth import oidc_flow  # on first use: see the module's docstring

    url, pending = await oidc_flow.begin(settings, _redirect_uri(request), safe_next(next))
    response = RedirectResponse(url, 303)
    # Lax: the provider's redirect back is a top-level GET, which carries it.
    response.set_cookie(
        oidc.PENDING_COOKIE,
        pending.encode(),
        max_age=oidc.PENDING_SECONDS,
        path="/login/oidc",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
    return response


@router.get(CALLBACK, include_in_schema=False)
async def callback(
    request: Request, backends: BackendsDep, state: str = "", code: str = ""
) -> Response:
    settings = _settings()
    from packyard.gateway.auth import oidc_flow  # on first use: see the module's docstring

    pending = oidc.Pending.decode(request.cookies.get(oidc.PENDING_COOKIE, ""))
    try:
        if pending is None:
            raise Unauthenticated(oidc.SIGN_IN_FAILED)
        user = await oidc_flow.finish(settings, _redirect_uri(request), pending, state, code)
    except Unauthenticated:
        return login_page(request, next_path="/", message=oidc.SIGN_IN_FAILED)
    act_for("", client_address(request))  # the audit row says where the sign-in came from
    started = await start_directory_session(
        backends, settings, "oidc", user.name, user.groups, settings.oidc_admins
    )
    response = RedirectResponse(safe_next(pending.next_path), 303)
    set_session_cookie(request, response, started.session, settings.session_lifetime)
    response.delete_cookie(oidc.PENDING_COOKIE, path="/login/oidc")
    return response
