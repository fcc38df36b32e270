"""What every admin page shares: who may open it, reading its POSTed form (CSRF checked),
turning a form into the admin API's request body, and rendering inside the admin layout.

The pages call the admin API's own route functions (gateway/admin/), so a page and the API
check the same rights, write the same audit rows and drop the same caches.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from packyard_rpc.v1 import common_pb2
from pydantic import BaseModel, ValidationError

from packyard.common.errors import InvalidArgument, PermissionDenied
from packyard.gateway.auth.authenticator import Authenticator
from packyard.gateway.ui.admin_access import may_see_admin
from packyard.gateway.ui.csrf import check_same_origin, form_token
from packyard.gateway.ui.render import render_page, with_security_headers
from packyard.gateway.ui.routing import HtmlRoute

NOT_ADMIN = "The admin pages are for administrators."
SECTIONS = [
    ("feeds", "Feeds"),
    ("keys", "API keys"),
    ("users", "Users and permissions"),
    ("connectors", "Connectors"),
    ("audit", "Audit log"),
]

Body = TypeVar("Body", bound=BaseModel)


class SignInFirst(Exception):
    """No credentials: the page sends the browser to the sign-in form and back."""


async def admin_caller(request: Request) -> common_pb2.Principal:
    """The caller, if it may see admin pages; SignInFirst without credentials, 403 without
    the rights (each action then asks the admin API's own, finer right)."""
    auth: Authenticator = request.state.auth
    principal = await auth.principal(request)
    if principal is None:
        raise SignInFirst
    if not may_see_admin(principal):
        raise PermissionDenied(NOT_ADMIN)
    return principal


def sign_in_redirect(request: Request) -> Response:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", 303)


async def posted_form(request: Request) -> dict[str, str]:
    """The form's text fields, after the CSRF check."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    check_same_origin(request, fields.get("csrf", ""))
    return fields


def body_of(model: type[Body], **values: Any) -> Body:
    """An admin API body from form values; a bad value is 400 with pydantic's words."""
    try:
        return model(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidArgument(problems) from None


def checked(fields: dict[str, str], name: str) -> bool:
    return fields.get(name, "") in ("on", "true", "1")


def admin_page(
    request: Request,
    principal: common_pb2.Principal,
    template: str,
    section: str,
    **context: Any,
) -> Response:
    return render_page(
        request,
        template,
        sections=SECTIONS,
        section=section,
        is_admin=principal.is_admin,
        csrf=form_token(request),
        principal=principal.name,
        query="",
        search_feed="",
        **context,
    )


def back_to(path: str, notice: str = "", anchor: str = "") -> Response:
    """After a change, back to the page (303), with a notice to show (and where on it)."""
    query = f"?done={quote(notice)}" if notice else ""
    fragment = f"#{anchor}" if anchor else ""
    return RedirectResponse(f"{path}{query}{fragment}", 303)


class AdminRoute(HtmlRoute):
    """The admin pages' route class: without credentials, to the sign-in form and back."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInFirst:
                return with_security_headers(sign_in_redirect(request))

        return run
