"""Pure pieces of sign-in: the session cookie's attributes, CSRF tokens keyed by the session,
where a sign-in may send the browser, LDAP names escaped into DNs and filters, and who sees
the admin pages."""

from __future__ import annotations

import pytest
from fastapi.responses import Response
from packyard.common.errors import PermissionDenied
from packyard.gateway.auth.ldap_directory import group_filter, user_dn
from packyard.gateway.auth.session_cookie import (
    COOKIE,
    clear_session_cookie,
    session_token,
    set_session_cookie,
)
from packyard.gateway.ui.admin_access import may_see_admin
from packyard.gateway.ui.admin_forms import back_to
from packyard.gateway.ui.csrf import check_origin, check_same_origin, form_token
from packyard.gateway.ui.sign_in_pages import safe_next
from packyard_rpc.v1 import common_pb2
from starlette.requests import Request


def _request(scheme: str = "http", headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    raw.append((b"host", b"packages.example"))
    return Request(
        {"type": "http", "method": "POST", "path": "/", "scheme": scheme, "headers": raw}
    )


def _cookie_of(response: Response) -> str:
    return response.headers["set-cookie"].lower()


def test_session_cookie_is_http_only_lax_and_secure_over_https() -> None:
    plain, secure = Response(), Response()
    set_session_cookie(_request("http"), plain, "token", 3600)
    set_session_cookie(_request("https"), secure, "token", 3600)
    for response in (plain, secure):
        cookie = _cookie_of(response)
        assert cookie.startswith(f"{COOKIE}=token;")
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "max-age=3600" in cookie
    assert "secure" not in _cookie_of(plain)
    assert "secure" in _cookie_of(secure)


def test_clearing_the_cookie_expires_it() -> None:
    response = Response()
    clear_session_cookie(_request("https"), response)
    cookie = _cookie_of(response)
    assert cookie.startswith(f'{COOKIE}="";') and "max-age=0" in cookie and "secure" in cookie


def test_form_token_is_keyed_by_the_session_and_checked() -> None:
    one = _request(headers={"cookie": f"{COOKIE}=first"})
    two = _request(headers={"cookie": f"{COOKIE}=second"})
    assert session_token(one) == "first"
    assert form_token(one) and form_token(one) != form_token(two)
    assert form_token(_request()) == ""
    check_same_origin(one, form_token(one))
    with pytest.raises(PermissionDenied):
        check_same_origin(one, form_token(two))
    with pytest.raises(PermissionDenied):
        check_same_origin(_request(), "")


def test_a_form_from_another_site_is_refused_before_any_token() -> None:
    check_origin(_request(headers={"origin": "http://packages.example"}))
    check_origin(_request(headers={"sec-fetch-site": "same-origin"}))
    for headers in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}):
        with pytest.raises(PermissionDenied):
            check_origin(_request(headers=headers))


@pytest.mark.parametrize(
    ("given", "goes_to"),
    [
        ("/admin/feeds", "/admin/feeds"),
        ("/feeds/main/?sort=name", "/feeds/main/?sort=name"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
    ],
)
def test_sign_in_returns_only_to_a_page_of_this_site(given: str, goes_to: str) -> None:
    assert safe_next(given) == goes_to


def test_ldap_names_are_escaped_into_the_dn_and_the_group_filter() -> None:
    template = "uid={username},ou=people,dc=example,dc=org"
    assert user_dn(template, "ada") == "uid=ada,ou=people,dc=example,dc=org"
    assert user_dn(template, "a,ou=admins") == "uid=a\\,ou\\=admins,ou=people,dc=example,dc=org"
    found = group_filter("uid=x,dc=org", "x)(uid=*")
    assert "(memberUid=x\\29\\28uid=\\2a)" in found
    assert found.count("(") == found.count(")")


def test_admin_pages_are_for_administrators_and_feed_administrators() -> None:
    assert not may_see_admin(None)
    assert not may_see_admin(common_pb2.Principal(name="reader", read_feeds=["main"]))
    assert may_see_admin(common_pb2.Principal(name="owner", admin_feeds=["main"]))
    assert may_see_admin(common_pb2.Principal(name="root", is_admin=True))


def test_back_to_puts_the_notice_before_the_anchor() -> None:
    response = back_to("/admin/feeds", "Saved 'x'.", "feed-x")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/feeds?done=Saved%20%27x%27.#feed-x"
