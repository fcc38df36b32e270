"""Sign-in, sessions and the admin pages of the web UI, end to end: a stack whose gateway
signs people in with a real OpenLDAP server (slapd), HTTP checks of the session cookie and
the forms, and Debian's Chromium (headless) for the administrator's story.

The story (issue 19): an administrator signed in through LDAP sets up a private feed, a CI
key and a read-only group from the browser alone. Screenshots of every admin page go to
test-artifacts/.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from packyard.engines.ports import free_port
from packyard.up import Stack

from tests.e2e.test_browser import artifacts, browser  # noqa: F401 (fixtures)
from tests.fixtures.dists import build_wheel
from tests.fixtures.engines import Engines, isolated_stack_env
from tests.fixtures.polling import wait_until
from tests.fixtures.slapd import Directory, running_slapd
from tests.fixtures.uploads import post_file, upload_fields

IDLE = 12  # seconds a session may go unused in this stack
ADMIN_GROUP = "packyard-admins"
PASSWORD = "correct-horse-1"
ADMIN_PAGES = ["/admin/feeds", "/admin/keys", "/admin/users", "/admin/connectors", "/admin/audit"]


@pytest.fixture(scope="module")
def ldap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    with running_slapd(tmp_path_factory.mktemp("slapd")) as directory:
        directory.add_person("ada", PASSWORD)  # the administrator
        directory.add_person("bea", PASSWORD)  # a reader
        directory.add_group(ADMIN_GROUP, "ada")
        directory.add_group("readers", "bea")
        yield directory


@pytest.fixture(scope="module")
def ui_stack(
    engines: Engines, ldap: Directory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    env = {
        **isolated_stack_env(engines, "ui"),
        **ldap.gateway_env(admin_groups=ADMIN_GROUP),
        "PACKYARD_SESSION_IDLE": str(IDLE),
        "PACKYARD_WEBHOOK_ALLOW_PRIVATE": "true",  # the webhook test's target is on loopback
    }
    running = Stack(tmp_path_factory.mktemp("ui-stack"), env=env, durable=False)
    running.start_sync()
    try:
        yield running
    finally:
        running.stop()


def _api(stack: Stack) -> httpx.Client:
    return httpx.Client(base_url=stack.base_url, auth=("api", str(stack.admin_key)), timeout=30)


def _user(stack: Stack, name: str) -> None:
    with _api(stack) as api:
        reply = api.post("/api/v1/users", json={"name": name, "password": PASSWORD})
        assert reply.status_code == 201, reply.text


def _sign_in(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/login", data={"username": username, "password": password, "next": "/"})


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def test_sign_in_sets_a_session_cookie_and_sign_out_ends_it(ui_stack: Stack) -> None:
    name = f"user-{uuid.uuid4().hex[:6]}"
    _user(ui_stack, name)
    with httpx.Client(base_url=ui_stack.base_url, timeout=30) as client:
        form = client.get("/login")
        assert form.status_code == 200 and 'id="sign-in"' in form.text
        assert 'for="password"' in form.text  # labelled fields

        wrong = _sign_in(client, name, "not-the-password")
        assert wrong.status_code == 200 and "not right" in wrong.text
        assert "set-cookie" not in wrong.headers

        first = _sign_in(client, name)
        assert first.status_code == 303 and first.headers["location"] == "/"
        cookie = first.headers["set-cookie"]
        assert cookie.startswith("packyard_session=")
        for attribute in ("HttpOnly", "SameSite=lax", "Path=/"):
            assert attribute.lower() in cookie.lower(), cookie
        assert "secure" not in cookie.lower()  # plain http here: a Secure cookie would be lost
        old = client.cookies["packyard_session"]

        # Signing in again starts a new session under a new token.
        assert _sign_in(client, name).status_code == 303
        token = client.cookies["packyard_session"]
        assert token != old
        with httpx.Client(
            base_url=ui_stack.base_url, cookies={"packyard_session": old}, timeout=30
        ) as replaced:
            assert "Signed in as" not in replaced.get("/").text
        home = client.get("/")
        assert f"Signed in as <strong>{name}</strong>" in home.text
        assert 'id="admin-link"' not in home.text

        # Sign-out is a POST that must carry the form token.
        refused = client.post("/logout", data={"csrf": "0" * 64})
        assert refused.status_code == 403
        assert client.get("/").text.count("Signed in as") == 1
        out = client.post("/logout", data={"csrf": _csrf(home.text)})
        assert out.status_code == 303
        assert 'packyard_session=""' in out.headers["set-cookie"]

    # The ended session's cookie signs no one in, even if a browser kept it.
    with httpx.Client(
        base_url=ui_stack.base_url, cookies={"packyard_session": token}, timeout=30
    ) as kept:
        assert "Signed in as" not in kept.get("/").text


def test_a_sign_in_form_from_another_site_is_refused(ui_stack: Stack) -> None:
    with httpx.Client(base_url=ui_stack.base_url, timeout=30) as client:
        reply = client.post(
            "/login",
            data={"username": "x", "password": "y"},
            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        )
        assert reply.status_code == 403


def test_non_admin_sees_no_admin_page(ui_stack: Stack) -> None:
    name = f"plain-{uuid.uuid4().hex[:6]}"
    _user(ui_stack, name)
    with httpx.Client(base_url=ui_stack.base_url, timeout=30) as anonymous:
        for path in ADMIN_PAGES:
            reply = anonymous.get(path)
            assert reply.status_code == 303, path
            assert reply.headers["location"] == f"/login?next={path}"
    with httpx.Client(base_url=ui_stack.base_url, timeout=30) as client:
        assert _sign_in(client, name).status_code == 303
        assert 'id="admin-link"' not in client.get("/").text
        for path in ADMIN_PAGES:
            assert client.get(path).status_code == 403, path
        token = _csrf(client.get("/").text)
        denied = client.post("/admin/feeds", data={"csrf": token, "name": "sneaky"})
        assert denied.status_code == 403
    with _api(ui_stack) as api:
        assert api.get("/api/v1/feeds/sneaky").status_code == 404


def test_basic_auth_keeps_working_for_clients(ui_stack: Stack) -> None:
    with _api(ui_stack) as api:
        reply = api.get("/api/v1/whoami")
        assert reply.status_code == 200 and reply.json()["admin"] is True


def test_disabling_a_user_ends_its_session(ui_stack: Stack) -> None:
    name = f"leaver-{uuid.uuid4().hex[:6]}"
    _user(ui_stack, name)
    with httpx.Client(base_url=ui_stack.base_url, timeout=30) as client:
        assert _sign_in(client, name).status_code == 303
        assert f"Signed in as <strong>{name}</strong>" in client.get("/").text
        with _api(ui_stack) as api:
            assert api.patch(f"/api/v1/users/{name}", json={"disabled": True}).status_code == 200
        deadline = time.monotonic() + 2
        while "Signed in as" in client.get("/").text:
            assert time.monotonic() < deadline, "the disabled user's session still works"
            time.sleep(0.1)


def _shot(page: object, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"admin-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_ldap_admin_sets_up_a_private_feed_ci_key_and_read_only_group(
    ui_stack: Stack,
    browser: object,  # noqa: F811
    artifacts: Path,  # noqa: F811
) -> None:
    feed = f"private-{uuid.uuid4().hex[:6]}"
    context = browser.new_context(base_url=ui_stack.base_url)  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # Sign in through LDAP, from the page a link led to.
    page.goto("/admin/feeds")
    page.wait_for_url("**/login?next=/admin/feeds")
    _shot(page, artifacts, "sign-in")
    page.fill("#username", "ada")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{ui_stack.base_url}/admin/feeds")
    assert "ldap:ada" in page.locator("header .who").inner_text()

    # A private feed (anonymous read left unticked).
    page.fill("#feed-name", feed)
    page.fill("#feed-description", "Builds of the release team")
    page.click("#create-feed button")
    page.wait_for_selector("#notice")
    assert f"Feed '{feed}' created." in page.locator("#notice").inner_text()
    section = page.locator(f"section#feed-{feed}")
    assert "private" in section.inner_text()
    _shot(page, artifacts, "feeds")

    # A CI key that may publish to it; its secret is shown once.
    page.click("nav.admin-nav >> text=API keys")
    page.fill("#key-name", "ci-upload")
    page.fill("#key-feed", feed)
    page.select_option("#key-right", "publish")
    page.click("#create-key button")
    secret = page.locator("#key-secret").inner_text().strip()
    assert secret.startswith("pky_")
    _shot(page, artifacts, "keys-created")
    page.goto("/admin/keys")
    assert page.locator("#key-secret").count() == 0
    assert "ci-upload" in page.locator("#keys").inner_text()
    _shot(page, artifacts, "keys")

    # A read-only group: every member of the LDAP group "readers" may read the feed.
    page.click("nav.admin-nav >> text=Users and permissions")
    page.select_option("#permission-feed", feed)
    page.select_option("#permission-kind", "group")
    page.fill("#permission-subject", "readers")
    page.select_option("#permission-right", "read")
    page.click("#set-permission button")
    page.wait_for_selector("#notice")
    assert f"group:readers\t{'read'}" in page.locator("#permissions").inner_text().replace(
        f"{feed}\t", ""
    )
    _shot(page, artifacts, "users")

    page.click("nav.admin-nav >> text=Connectors")
    assert page.locator(f"h2:text-is('{feed}')").is_visible()
    _shot(page, artifacts, "connectors")

    # The audit log names the directory user, filtered to it.
    page.click("nav.admin-nav >> text=Audit log")
    page.fill("#audit-actor", "ldap:ada")
    page.click("#audit-filter button")
    page.wait_for_url("**/admin/audit?**")
    log = page.locator("#audit").inner_text()
    for action in ("session.started", "feed.created", "key.created", "permission.set"):
        assert action in log, action
    started = page.locator("#audit tr", has_text="session.started").first.inner_text()
    assert "127.0.0.1" in started  # where the sign-in came from
    _shot(page, artifacts, "audit")
    assert errors == [], errors  # the CSP blocked nothing the pages need

    # What was set up works outside the browser: the key reads the private feed, anonymous
    # callers do not see it.
    simple = f"{ui_stack.base_url}/pypi/{feed}/simple/"
    assert httpx.get(simple, auth=("api", secret), timeout=30).status_code == 200
    assert httpx.get(simple, timeout=30).status_code in (401, 404)

    # A member of "readers" sees the private feed and no admin pages.
    reader = browser.new_context(base_url=ui_stack.base_url)  # type: ignore[attr-defined]
    other = reader.new_page()
    other.goto("/login")
    other.fill("#username", "bea")
    other.fill("#password", PASSWORD)
    other.click("#sign-in button")
    other.wait_for_url(f"{ui_stack.base_url}/")
    assert other.locator(f"#feeds a[href='/feeds/{feed}/']").is_visible()
    assert other.locator("#admin-link").count() == 0
    assert other.goto("/admin/keys").status == 403  # type: ignore[union-attr]

    # Sign-out from the header, with the keyboard.
    other.goto("/")
    other.focus("#sign-out")
    # The form posts and is redirected back to "/", the URL the page already has: wait for the
    # navigation itself, not for the URL.
    with other.expect_navigation():
        other.keyboard.press("Enter")
    other.wait_for_url(f"{ui_stack.base_url}/")
    assert "Sign in" in other.locator("header .who").inner_text()
    assert other.locator(f"#feeds a[href='/feeds/{feed}/']").count() == 0
    reader.close()
    context.close()


def test_session_ends_when_left_idle(ui_stack: Stack, browser: object) -> None:  # noqa: F811
    context = browser.new_context(base_url=ui_stack.base_url)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", "ada")
    page.fill("#password", PASSWORD)
    page.click("#sign-in button")
    page.wait_for_url(f"{ui_stack.base_url}/")
    assert "ldap:ada" in page.locator("header .who").inner_text()
    time.sleep(IDLE + 1.5)
    page.reload()
    assert "Sign in" in page.locator("header .who").inner_text()
    page.goto("/admin/feeds")
    page.wait_for_url("**/login?next=/admin/feeds")
    context.close()


def test_ldap_sign_in_uses_the_directory_entry_name(ui_stack: Stack) -> None:
    with httpx.Client(base_url=ui_stack.base_url, timeout=30) as client:
        refused = _sign_in(client, "bea", "wrong-password")
        assert "not right" in refused.text and "packyard_session" not in client.cookies
        # LDAP matches names without regard to case; the principal is the entry's own uid.
        assert _sign_in(client, "BEA").status_code == 303
        assert "Signed in as <strong>ldap:bea</strong>" in client.get("/").text


def _signed_in_admin(stack: Stack, chromium: Any) -> tuple[Any, Any]:
    context = chromium.new_context(base_url=stack.base_url)
    page = context.new_page()
    page.goto("/login?next=/admin/feeds")
    page.fill("#username", "ada")
    page.fill("#password", PASSWORD)
    page.click("#sign-in button")
    page.wait_for_url(f"{stack.base_url}/admin/feeds")
    return context, page


def test_each_admin_pages_other_actions(ui_stack: Stack, browser: object) -> None:  # noqa: F811
    feed = f"tools-{uuid.uuid4().hex[:6]}"
    user = f"user-{uuid.uuid4().hex[:6]}"
    context, p = _signed_in_admin(ui_stack, browser)
    p.fill("#feed-name", feed)
    p.click("#create-feed button")
    p.wait_for_selector("#notice")

    # Feed settings: open it to anonymous readers.
    section = p.locator(f"section#feed-{feed}")
    section.locator("input[name=description]").fill("Shared tools")
    section.locator("input[name=anonymous_read]").check()
    section.locator("button").click()
    p.wait_for_selector("#notice")
    assert "private" not in p.locator(f"section#feed-{feed} h3").inner_text()
    assert httpx.get(f"{ui_stack.base_url}/pypi/{feed}/simple/", timeout=30).status_code == 200

    # Users: create one, then disable it.
    p.goto("/admin/users")
    p.fill("#user-name", user)
    p.fill("#user-password", PASSWORD)
    p.click("#create-user button")
    p.wait_for_selector("#notice")
    row = p.locator("#users tr", has_text=user)
    assert "active" in row.inner_text()
    row.locator("button").click()
    p.wait_for_selector("#notice")
    assert "disabled" in p.locator("#users tr", has_text=user).inner_text()

    # Keys: create one, revoke it; it stops working.
    p.goto("/admin/keys")
    p.fill("#key-name", f"temp-{user}")
    p.fill("#key-feed", feed)
    p.click("#create-key button")
    secret = p.locator("#key-secret").inner_text().strip()
    with httpx.Client(base_url=ui_stack.base_url, auth=("api", secret), timeout=30) as keyed:
        assert keyed.get("/api/v1/whoami").status_code == 200
        p.locator("#keys tr", has_text=f"temp-{user}").locator("button").click()
        p.wait_for_selector("#notice")
        assert "revoked" in p.locator("#keys tr", has_text=f"temp-{user}").inner_text()
        assert keyed.get("/api/v1/whoami").status_code == 401

    # Connectors: add one to the feed, then remove it.
    p.goto("/admin/connectors")
    p.select_option("#connector-feed", feed)
    p.fill("#connector-url", "https://upstream.example")
    p.click("#add-connector button")
    p.wait_for_selector("#notice")
    assert p.locator("td", has_text="https://upstream.example").count() == 1
    p.get_by_role("button", name=f"Remove connector https://upstream.example from {feed}").click()
    p.wait_for_selector("#notice")
    assert p.locator("td", has_text="https://upstream.example").count() == 0
    context.close()


def _feed_with_releases(stack: Stack, tmp: Path, *versions: str) -> tuple[str, str]:
    """A new feed anyone may read, holding one project in ``versions``."""
    feed, project = f"gov-{uuid.uuid4().hex[:6]}", f"govpkg-{uuid.uuid4().hex[:6]}"
    with _api(stack) as api:
        created = api.post("/api/v1/feeds", json={"name": feed, "anonymous_read": True})
        assert created.status_code == 201, created.text
    for version in versions:
        wheel = build_wheel(tmp, project, version)
        fields = upload_fields(wheel, project, version)
        assert post_file(stack, wheel, fields, feed=feed).status_code == 200
    return feed, project


def test_feed_admin_page_sets_retention_policies_and_webhooks(
    ui_stack: Stack,
    browser: object,  # noqa: F811
    artifacts: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    feed, project = _feed_with_releases(ui_stack, tmp_path, "1.0", "2.0")
    source, _ = _feed_with_releases(ui_stack, tmp_path)
    api = _api(ui_stack)
    context, p = _signed_in_admin(ui_stack, browser)
    p.get_by_role("link", name=f"Retention, policies and webhooks of {feed}").click()
    p.wait_for_url(f"**/admin/feeds/{feed}")

    # Retention: keep the newest version; the preview lists the older one and removes nothing.
    p.fill("#retention-keep-latest", "1")
    p.click("#set-retention button")
    p.wait_for_selector("#notice")
    assert p.input_value("#retention-keep-latest") == "1"
    assert api.get(f"/api/v1/feeds/{feed}/retention").json()["keep_latest"] == 1
    p.click("#preview-retention button")
    preview = p.locator("#retention-preview").inner_text()
    assert f"{project}\t1.0" in preview and "2.0" not in preview
    assert "1 release," in p.locator("#preview-title").inner_text()
    _shot(p, artifacts, "feed-retention")
    simple = httpx.get(f"{ui_stack.index_url(feed)}{project}/", timeout=30)
    assert "-1.0-" in simple.text  # a dry run: still there

    # Promotion policy: only the source feed may promote into this one.
    p.fill("#promotion-sources", f"{source}, ")
    p.click("#set-promotion button")
    p.wait_for_selector("#notice")
    policy = api.get(f"/api/v1/feeds/{feed}/promotion-policy").json()
    assert policy["allowed_sources"] == [source]

    # Supply-chain policy: block known vulnerabilities, deny a license, warn on unknown ones.
    p.select_option("#supply-vulnerabilities", "block")
    p.select_option("#supply-licenses", "block")
    p.fill("#supply-license-deny", "GPL-3.0-only AGPL-3.0-only")
    p.select_option("#supply-unknown-license", "warn")
    p.click("#set-supply button")
    p.wait_for_selector("#notice")
    supply = api.get(f"/api/v1/feeds/{feed}/supply-policy").json()
    assert supply["vulnerabilities"] == "block" and supply["unknown_license"] == "warn"
    assert supply["license_deny"] == ["GPL-3.0-only", "AGPL-3.0-only"]
    assert p.locator("#supply-vulnerabilities").input_value() == "block"
    _shot(p, artifacts, "feed-policies")

    # Webhooks: one to an address nobody answers; its secret is typed once and never shown.
    secret = "hook-secret-" + uuid.uuid4().hex
    hook = f"http://127.0.0.1:{free_port()}/hook"
    p.fill("#webhook-url", hook)
    p.fill("#webhook-secret", secret)
    p.fill("#webhook-events", "upload")
    p.click("#add-webhook button")
    p.wait_for_selector("#notice")
    assert hook in p.locator("#webhook-list").inner_text()
    assert secret not in p.content()
    wheel = build_wheel(tmp_path, project, "3.0")
    assert post_file(ui_stack, wheel, upload_fields(wheel, project, "3.0"), feed=feed).is_success

    def delivery_listed() -> bool:
        p.reload()
        return p.locator("#deliveries tr", has_text=hook).count() == 1

    wait_until(delivery_listed, what="the upload's delivery on the page")
    row = p.locator("#deliveries tr", has_text=hook).inner_text()
    status = api.get(f"/api/v1/feeds/{feed}/webhook-deliveries").json()[0]["status"]
    assert row.startswith("upload") and status in row
    _shot(p, artifacts, "feed-webhooks")
    p.get_by_role("button", name=f"Remove webhook {hook}").click()
    p.wait_for_selector("#notice")
    assert p.locator("#webhook-list").count() == 0
    assert api.get(f"/api/v1/feeds/{feed}/webhooks").json() == []
    api.close()
    context.close()


def test_connectors_page_shows_each_connectors_health(
    ui_stack: Stack,
    browser: object,  # noqa: F811
    artifacts: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    feed, _ = _feed_with_releases(ui_stack, tmp_path)
    gone = f"http://127.0.0.1:{free_port()}"  # an upstream nobody answers for
    with _api(ui_stack) as api:
        assert api.post(f"/api/v1/feeds/{feed}/connectors", json={"url": gone}).is_success
        httpx.get(f"{ui_stack.index_url(feed)}anything/", timeout=30)

        def reported() -> list[dict[str, Any]]:
            health: list[dict[str, Any]] = api.get(f"/api/v1/feeds/{feed}/connectors/health").json()
            return health if health and health[0]["last_error"] else []

        wait_until(lambda: bool(reported()), what="the connector's failure in its health")
        health = reported()[0]
    context, p = _signed_in_admin(ui_stack, browser)
    p.goto("/admin/connectors")
    row = p.locator("tr", has_text=gone).inner_text()
    assert health["state"] in ("failing", "circuit open") and health["state"] in row
    assert "never" in row  # no answer yet
    assert health["last_error"][:20] in row
    _shot(p, artifacts, "connectors-health")
    context.close()


def test_non_admin_sees_no_feed_admin_page(ui_stack: Stack, tmp_path: Path) -> None:
    feed, _ = _feed_with_releases(ui_stack, tmp_path)
    name = f"plain-{uuid.uuid4().hex[:6]}"
    _user(ui_stack, name)
    with httpx.Client(base_url=ui_stack.base_url, timeout=30) as anonymous:
        reply = anonymous.get(f"/admin/feeds/{feed}")
        assert reply.status_code == 303 and reply.headers["location"].startswith("/login")
    with httpx.Client(base_url=ui_stack.base_url, timeout=30) as client:
        assert _sign_in(client, name).status_code == 303
        assert client.get(f"/admin/feeds/{feed}").status_code == 403
        token = _csrf(client.get("/").text)
        forms = {
            "retention": {"keep_latest": "1"},
            "retention/preview": {},
            "promotion-policy": {"allowed_sources": "x"},
            "supply-policy": {"vulnerabilities": "block"},
            "webhooks": {"url": "https://hooks.example/x", "secret": "s" * 20},
        }
        for action, data in forms.items():
            refused = client.post(f"/admin/feeds/{feed}/{action}", data={"csrf": token, **data})
            assert refused.status_code == 403, action
    with _api(ui_stack) as api:
        assert api.get(f"/api/v1/feeds/{feed}/retention").json()["keep_latest"] is None
        assert api.get(f"/api/v1/feeds/{feed}/webhooks").json() == []
        assert api.get(f"/api/v1/feeds/{feed}/supply-policy").json()["vulnerabilities"] == "ignore"
