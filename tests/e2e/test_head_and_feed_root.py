"""HEAD on every GET route (load balancers probe with it), and the feed's root URL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from packyard.up import Stack


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Iterator[httpx.Client]:
    auth = ("api", str(stack.admin_key))
    with httpx.Client(base_url=stack.base_url, auth=auth, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def feeds(admin: httpx.Client) -> tuple[str, str]:
    public, private = f"open-{uuid.uuid4().hex[:8]}", f"closed-{uuid.uuid4().hex[:8]}"
    body = {"name": public, "anonymous_read": True}
    assert admin.post("/api/v1/feeds", json=body).status_code < 300
    assert admin.post("/api/v1/feeds", json={"name": private}).status_code < 300
    return public, private


def test_head_answers_what_get_answers_without_the_body(
    admin: httpx.Client, feeds: tuple[str, str]
) -> None:
    public, _ = feeds
    paths = [
        "/",
        "/healthz",
        "/readyz",
        f"/feeds/{public}/",
        "/search?q=x",
        f"/pypi/{public}/rss/updates.xml",
        f"/pypi/{public}/",
        "/api/v1/feeds",
        f"/api/v1/feeds/{public}",
        "/api/v1/whoami",
        "/api/docs",
        "/api/openapi.json",
    ]
    for path in paths:
        get, head = admin.get(path), admin.head(path)
        assert (path, head.status_code) == (path, get.status_code) == (path, 200)
        assert head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"], path
    # A HEAD of a path no route serves is still 404, and POST-only routes stay 405.
    assert admin.head("/no/such/page").status_code == 404
    assert admin.head(f"/pypi/{public}/legacy/").status_code == 405


def test_the_feed_root_shows_its_index_and_upload_urls(
    stack: Stack, admin: httpx.Client, feeds: tuple[str, str]
) -> None:
    public, private = feeds
    with httpx.Client(base_url=stack.base_url, timeout=30) as anonymous:
        page = anonymous.get(f"/pypi/{public}/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert f"{stack.base_url}/pypi/{public}/simple/" in page.text
        assert f"{stack.base_url}/pypi/{public}/legacy/" in page.text
        bare = anonymous.get(f"/pypi/{public}")
        assert bare.status_code == 301 and bare.headers["location"] == f"/pypi/{public}/"
        assert anonymous.get(f"/pypi/{private}/").status_code == 401
        assert anonymous.get("/pypi/no-such-feed/").status_code == 404
    assert admin.get(f"/pypi/{private}/").status_code == 200
