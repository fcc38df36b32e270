"""The web UI's session cookie: its name and attributes, set at sign-in and cleared at sign-out.

``HttpOnly`` (no script reads it), ``SameSite=Lax`` (not sent on another site's POST, the
CSRF token being the other defence), ``Secure`` when the site is reached over https (uvicorn
applies the trusted proxy's X-Forwarded-Proto to the request's scheme), ``Path=/``.
"""

from __future__ import annotations

from fastapi import Request, Response

COOKIE = "packyard_session"


def session_token(request: Request) -> str:
    """The session token the browser sent; "" when none."""
    return request.cookies.get(COOKIE, "")


def set_session_cookie(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE, path="/", secure=request.url.scheme == "https", httponly=True, samesite="lax"
    )
