"""The web UI in a real browser: Debian's Chromium, headless, driven by Playwright.

A user finds a package by a misspelled name, reads its README, copies the install line and
installs with exactly that line; an administrator yanks a release and the simple page shows
it. Screenshots of the main pages go to test-artifacts/.

No browser is downloaded (`playwright install` is never run): the test uses /usr/bin/chromium,
which .ci/run installs, and fails loudly when it is missing or does not start.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from packyard.up import Stack

from tests.e2e.conftest import run
from tests.fixtures.readme_dists import build_readme_wheel
from tests.fixtures.uploads import post_file, upload_fields

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
README = """# Songbird

Parses **birdsong** recordings.

| feature | state |
| --- | --- |
| spectrograms | done |
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        from playwright import sync_api as playwright_sync
    except ImportError:
        pytest.fail("Playwright is not installed: pip install -e '.[test]'")
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `apt-get install -y chromium` "
            "(.ci/run does this); the browser tests cannot run without it."
        )
    with playwright_sync.sync_playwright() as driver:
        try:
            launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except playwright_sync.Error as exc:
            pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc}")
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _publish(stack: Stack, directory: Path, name: str, version: str) -> None:
    wheel = build_readme_wheel(
        directory / version, name, version, summary="Birdsong recordings made readable",
        description=README, requires_python=">=3.9",
    )  # fmt: skip
    fields = upload_fields(
        wheel, name, version, summary="Birdsong recordings made readable", requires_python=">=3.9"
    )
    reply = post_file(stack, wheel, fields)
    assert reply.status_code == 200, reply.text


def test_find_read_copy_install_then_yank_as_admin(
    stack: Stack,
    browser: object,
    artifacts: Path,
    tmp_path: Path,
    client_env: dict[str, str],
) -> None:
    name = f"songbird{uuid.uuid4().hex[:6]}"
    _publish(stack, tmp_path, name, "1.0")
    _publish(stack, tmp_path, name, "1.1")
    typo = "snogbird" + name.removeprefix("songbird")

    context = browser.new_context(base_url=stack.base_url)  # type: ignore[attr-defined]
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.base_url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto("/")
    assert page.locator("#feeds a[href='/feeds/main/']").is_visible()
    page.screenshot(path=str(artifacts / "feeds.png"), full_page=True)

    page.goto("/feeds/main/?sort=updated")
    assert page.locator("#projects").is_visible()
    page.screenshot(path=str(artifacts / "feed.png"), full_page=True)

    page.fill("#search-box", typo)
    page.press("#search-box", "Enter")
    page.wait_for_url("**/search?**")
    first = page.locator("#results li a.name").first
    assert first.inner_text() == name
    page.screenshot(path=str(artifacts / "search.png"), full_page=True)

    first.click()
    page.wait_for_url(f"**/feeds/main/projects/{name}/")
    assert page.locator("#readme h1").inner_text().strip() == "Songbird"
    assert page.locator("#readme strong").inner_text() == "birdsong"
    assert page.locator("#readme table").is_visible()
    page.screenshot(path=str(artifacts / "project.png"), full_page=True)

    page.click("button[data-copy='install-pip']")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"pip install --index-url {stack.base_url}/pypi/main/simple/ {name}"
    assert errors == [], errors  # the CSP blocked nothing the page needs

    # The copied line installs the package (into a private target, not this interpreter).
    words = shlex.split(copied)
    assert words[:2] == ["pip", "install"]
    target = tmp_path / "target"
    installed = run(
        [sys.executable, "-m", *words, "--no-deps", "--target", str(target)], client_env
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (target / name / "__init__.py").read_text().count('__version__ = "1.1"') == 1
    context.close()

    admin = browser.new_context(  # type: ignore[attr-defined]
        base_url=stack.base_url,
        http_credentials={"username": "api", "password": str(stack.admin_key)},
    )
    page = admin.new_page()
    # Signing in with HTTP Basic (the challenge of /login?basic=1; /login is the session
    # form); the browser then sends the key with every page.
    page.goto("/login?basic=1")
    assert "Signed in as" in page.locator("header .who").inner_text()
    page.goto(f"/feeds/main/projects/{name}/1.1/")
    simple = f"/pypi/main/simple/{name}/"
    before = page.request.get(simple).text()
    assert "data-yanked" not in before
    page.fill("#yank-reason", "bad build")
    page.click("#yank")
    page.wait_for_selector("#yank-notice")
    assert "bad build" in page.locator("#yank-notice").inner_text()
    page.screenshot(path=str(artifacts / "version-yanked-admin.png"), full_page=True)

    page.goto(simple)
    assert 'data-yanked="bad build"' in page.content()
    page.screenshot(path=str(artifacts / "simple-after-yank.png"), full_page=True)
    admin.close()
    shutil.rmtree(target, ignore_errors=True)


def test_api_docs_render_without_any_network_but_the_gateway(
    browser: object, stack: Stack, artifacts: Path
) -> None:
    context = browser.new_context(base_url=stack.base_url)  # type: ignore[attr-defined]
    elsewhere: list[str] = []

    def only_the_gateway(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(stack.base_url):
            route.continue_()  # type: ignore[attr-defined]
        else:
            elsewhere.append(url)
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", only_the_gateway)
    page = context.new_page()
    try:
        page.goto("/api/docs")
        title = page.locator(".swagger-ui .info .title")
        title.wait_for(timeout=30_000)
        assert "Packyard" in title.inner_text()
        assert page.locator(".opblock-summary-path", has_text="/api/v1/feeds").first.is_visible()
        page.screenshot(path=str(artifacts / "api-docs.png"), full_page=False)
    finally:
        context.close()
    assert elsewhere == []
