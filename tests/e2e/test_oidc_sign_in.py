"""OpenID Connect sign-in end to end: Chromium follows the authorization code flow (PKCE)
through a real OpenID provider on loopback (oauth2-mock-server), and the gateway turns the
groups claim into rights and the administrator flag."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from packyard.up import Stack

from tests.e2e.test_browser import artifacts, browser  # noqa: F401 (fixtures)
from tests.fixtures.engines import Engines, isolated_stack_env
from tests.fixtures.oidc_provider import running_provider

CLIENT_ID = "packyard-test"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with running_provider("olga", ["release-team", "oidc-admins"]) as url:
        yield url


@pytest.fixture(scope="module")
def oidc_stack(
    engines: Engines, issuer: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    env = {
        **isolated_stack_env(engines, "oidc"),
        "PACKYARD_OIDC_ISSUER": issuer,
        "PACKYARD_OIDC_CLIENT_ID": CLIENT_ID,
        "PACKYARD_OIDC_CLIENT_SECRET": "client-secret-1",
        "PACKYARD_OIDC_ADMIN_GROUPS": "oidc-admins",
    }
    running = Stack(tmp_path_factory.mktemp("oidc-stack"), env=env, durable=False)
    running.start_sync()
    try:
        yield running
    finally:
        running.stop()


def test_oidc_sign_in_maps_groups_to_rights_and_admin(
    oidc_stack: Stack,
    browser: object,  # noqa: F811
    artifacts: Path,  # noqa: F811
) -> None:
    feed = f"team-{uuid.uuid4().hex[:6]}"
    with httpx.Client(
        base_url=oidc_stack.base_url, auth=("api", str(oidc_stack.admin_key)), timeout=30
    ) as api:
        assert api.post("/api/v1/feeds", json={"name": feed}).status_code == 201
        granted = api.put(f"/api/v1/feeds/{feed}/permissions/group:release-team",
                          json={"right": "publish"})  # fmt: skip
        assert granted.status_code == 200, granted.text

    context = browser.new_context(base_url=oidc_stack.base_url)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto("/login?next=/admin/audit")
    page.click("#sign-in-oidc")
    page.wait_for_url(f"{oidc_stack.base_url}/admin/audit")
    assert "oidc:olga" in page.locator("header .who").inner_text()
    assert page.locator("#admin-link").is_visible()  # in the admin group
    log = page.locator("#audit").inner_text()
    assert "session.started" in log and "oidc:olga" in log
    page.screenshot(path=str(artifacts / "admin-audit-oidc.png"), full_page=True)
    page.goto("/")
    assert page.locator(f"#feeds a[href='/feeds/{feed}/']").is_visible()
    context.close()


def _approved_callback(client: httpx.Client) -> str:
    """Begin a sign-in; the provider approves at once: the callback path it sends back to."""
    begun = client.get("/login/oidc")
    assert begun.status_code == 303
    location = httpx.URL(begun.headers["location"])
    assert location.params["code_challenge_method"] == "S256"
    assert location.params["code_challenge"] and location.params["nonce"]
    approved = httpx.get(str(location), follow_redirects=False, timeout=30)
    callback = httpx.URL(approved.headers["location"])
    assert callback.params["state"] == location.params["state"]
    return callback.raw_path.decode()


def test_the_code_signs_in_only_the_browser_that_asked_for_it(oidc_stack: Stack) -> None:
    with httpx.Client(base_url=oidc_stack.base_url, timeout=30) as client:
        reply = client.get(_approved_callback(client))
        assert reply.status_code == 303 and "packyard_session" in client.cookies
    # The same flow, but the code arrives at a browser without the pending cookie (another
    # browser, an attacker's link): no session.
    with httpx.Client(base_url=oidc_stack.base_url, timeout=30) as client:
        callback = _approved_callback(client)
        client.cookies.clear()
        reply = client.get(callback)
        assert reply.status_code == 200 and "did not succeed" in reply.text
        assert "packyard_session" not in client.cookies
