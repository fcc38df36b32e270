"""Proxied projects are first-class (issue 15): a proxy feed lists, searches, describes and
counts what it served from upstream, against real upstreams started here (another Packyard
feed with a JSON API, pypiserver with HTML pages only).
"""

from __future__ import annotations

import hashlib
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
from packyard.up import Stack

from tests.e2e.conftest import run, tool
from tests.e2e.test_proxy import add_connector, dist_dir, make_feed, pip_install, pypiserver
from tests.fixtures.dists import build_wheel
from tests.fixtures.readme_dists import build_readme_wheel
from tests.fixtures.uploads import post_file, upload_fields
from tests.fixtures.upstream import Reply, loopback_index

T = TypeVar("T")

README = "# Gadget\n\nA **gadget** for the proxied catalog.\n"


def eventually(probe: Callable[[], T | None], seconds: float = 20.0) -> T:
    """What ``probe`` returns once it returns something (descriptions and download counts
    are recorded off the request path, within a few seconds)."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found is not None or time.monotonic() > deadline:
            assert found is not None, "not seen in time"
            return found
        time.sleep(0.2)


def catalog(stack: Stack, feed: str, origin: str = "") -> dict[str, dict[str, Any]]:
    reply = httpx.get(
        f"{stack.base_url}/api/v1/feeds/{feed}/catalog",
        params={"origin": origin} if origin else {},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    return {p["name"]: p for p in reply.json()["projects"]}


def downloads(stack: Stack, feed: str, name: str) -> int:
    reply = httpx.get(f"{stack.base_url}/api/v1/feeds/{feed}/projects/{name}/downloads", timeout=30)
    assert reply.status_code == 200, reply.text
    total: int = reply.json()["downloads"]
    return total


def json_info(stack: Stack, feed: str, name: str) -> dict[str, Any]:
    reply = httpx.get(f"{stack.base_url}/pypi/{feed}/pypi/{name}/json", timeout=30)
    assert reply.status_code == 200, reply.text
    info: dict[str, Any] = reply.json()["info"]
    return info


def described(stack: Stack, feed: str, name: str) -> dict[str, Any] | None:
    info = json_info(stack, feed, name)
    return info if info["summary"] else None


def upload_readme_wheel(
    stack: Stack, feed: str, tmp_path: Path, name: str, requires: str = "packaging>=20"
) -> Path:
    wheel = build_readme_wheel(
        tmp_path / "source", name, "1.0", summary="A gadget for proxies", description=README,
        requires_python=">=3.8", requires_dist=[requires],
        project_urls=["Source, https://example.com/gadget"], license="MIT",
    )  # fmt: skip
    fields = upload_fields(
        wheel, name, "1.0", summary="A gadget for proxies", requires_python=">=3.8",
        requires_dist=[requires], description=README,
        description_content_type="text/markdown", license="MIT",
        project_urls=["Source, https://example.com/gadget"],
    )  # fmt: skip
    reply = post_file(stack, wheel, fields, feed=feed)
    assert reply.status_code == 200, reply.text
    return wheel


def test_a_project_found_by_a_misspelled_name_is_read_installed_and_counted(
    stack: Stack, client_env: dict[str, str], tmp_path: Path
) -> None:
    """The "done when" story: a package the team never used, through a proxy feed whose
    upstream is another Packyard (full JSON API)."""
    uid = uuid.uuid4().hex[:6]
    name = f"gadgetry-{uid}"
    source, proxy = make_feed(stack), make_feed(stack)
    dep = build_wheel(tmp_path / "dep", f"gadgetdep-{uid}", "1.0")
    reply = post_file(stack, dep, upload_fields(dep, f"gadgetdep-{uid}", "1.0"), feed=source)
    assert reply.status_code == 200, reply.text
    upload_readme_wheel(stack, source, tmp_path, name, requires=f"gadgetdep-{uid}>=1")
    connector = add_connector(stack, proxy, f"{stack.base_url}/pypi/{source}")
    # Someone's pip asked for it once (a page view); nobody installed it yet.
    assert httpx.get(f"{stack.index_url(proxy)}{name}/", timeout=30).status_code == 200

    # Found by a misspelled name, and the result says where it comes from.
    typo = f"gadgtery-{uid}"
    results = httpx.get(
        f"{stack.base_url}/api/v1/search", params={"q": typo, "feed": proxy}, timeout=30
    ).json()["results"]
    assert [(r["name"], r["origin"], r["connector"]) for r in results] == [
        (name, "upstream", connector["id"])
    ]
    page = httpx.get(f"{stack.base_url}/search", params={"q": typo, "feed": proxy}, timeout=30)
    assert name in page.text and f"upstream via {connector['id']}" in page.text

    # Read about it: the upstream's JSON API described it, in the JSON API and on its page.
    info = eventually(lambda: described(stack, proxy, name))
    assert info["summary"] == "A gadget for proxies"
    assert info["description"] == README
    assert info["requires_python"] == ">=3.8"
    assert info["requires_dist"] == [f"gadgetdep-{uid}>=1"]
    assert info["license"] == "MIT"
    assert info["project_urls"] == {"Source": "https://example.com/gadget"}
    # release_url is a page that exists.
    assert httpx.get(info["release_url"], timeout=30).status_code == 200
    html = httpx.get(f"{stack.base_url}/feeds/{proxy}/projects/{name}/", timeout=30).text
    assert "A gadget for proxies" in html and "<strong>gadget</strong>" in html

    # Install it with pip; the first download counts.
    pip_install(stack.index_url(proxy), tmp_path / "t", client_env, name)
    assert eventually(lambda: downloads(stack, proxy, name) or None) == 1

    # It is in the feed's list, marked as upstream, with its download count.
    listed = catalog(stack, proxy)[name]
    assert (listed["origin"], listed["connector"], listed["downloads"]) == (
        "upstream", connector["id"], 1
    )  # fmt: skip
    assert listed["version"] == "1.0" and listed["summary"] == "A gadget for proxies"
    assert name in catalog(stack, proxy, "upstream")
    by_origin = httpx.get(
        f"{stack.base_url}/api/v1/feeds/{proxy}/catalog", params={"sort": "origin"}, timeout=30
    ).json()["projects"]
    assert [p["origin"] for p in by_origin] == sorted(p["origin"] for p in by_origin)
    assert name not in catalog(stack, proxy, "hosted")
    feed_page = httpx.get(f"{stack.base_url}/feeds/{proxy}/?sort=downloads", timeout=30).text
    assert name in feed_page and "upstream" in feed_page
    assert (
        httpx.get(f"{stack.base_url}/feeds/{proxy}/?origin=hosted", timeout=30).text.count(
            f"/projects/{name}/"
        )
        == 0
    )


def test_an_html_only_upstream_project_is_described_from_its_wheel_metadata(
    stack: Stack, client_env: dict[str, str], tmp_path: Path
) -> None:
    """pypiserver has no JSON API: the METADATA pip reads (PEP 658, backfilled with range
    requests) describes the project."""
    name = f"pxdescribed-{uuid.uuid4().hex[:6]}"
    packages = dist_dir(tmp_path)
    build_readme_wheel(
        packages, name, "2.0", summary="Described from METADATA", description=README,
        requires_python=">=3.9", project_urls=["Docs, https://example.com/docs"],
        license="BSD-3-Clause",
    )  # fmt: skip
    feed = make_feed(stack)
    with pypiserver(packages) as upstream:
        add_connector(stack, feed, upstream.url)
        pip_install(stack.index_url(feed), tmp_path / "t", client_env, name)
        info = eventually(lambda: described(stack, feed, name))
    assert info["summary"] == "Described from METADATA"
    assert info["requires_python"] == ">=3.9"
    assert info["project_urls"] == {"Docs": "https://example.com/docs"}
    assert info["license"] == "BSD-3-Clause"
    assert eventually(lambda: downloads(stack, feed, name) or None) == 1
    assert catalog(stack, feed)[name]["summary"] == "Described from METADATA"


def test_connector_cli_lists_a_feeds_projects_with_their_origin(
    stack: Stack, client_env: dict[str, str], tmp_path: Path
) -> None:
    name = f"pxlisted-{uuid.uuid4().hex[:6]}"
    source, proxy = make_feed(stack), make_feed(stack)
    upload_readme_wheel(stack, source, tmp_path, name)
    add_connector(stack, proxy, f"{stack.base_url}/pypi/{source}")
    assert httpx.get(f"{stack.index_url(proxy)}{name}/", timeout=30).status_code == 200
    env = {**client_env, "PACKYARD_URL": stack.base_url, "PACKYARD_KEY": str(stack.admin_key)}
    listed = run(
        [sys.executable, "-m", "packyard.cli", "connector", "projects", proxy,
         "--origin", "upstream"],
        env,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stdout + listed.stderr
    [header, row] = listed.stdout.strip().splitlines()
    assert header.split()[:3] == ["NAME", "ORIGIN", "CONNECTOR"]
    assert row.split()[:2] == [name, "upstream"]


def test_a_project_quarantined_upstream_is_not_served_even_by_direct_url(
    stack: Stack, tmp_path: Path
) -> None:
    uid = uuid.uuid4().hex[:6]
    name = f"pxquarantine-{uid}"
    source, proxy = make_feed(stack), make_feed(stack)
    wheel = upload_readme_wheel(stack, source, tmp_path, name, requires="anything")
    add_connector(stack, proxy, f"{stack.base_url}/pypi/{source}", ttl_seconds=0)
    url = f"{stack.base_url}/pypi/{proxy}/packages/{name}/{wheel.name}"
    assert httpx.get(f"{stack.index_url(proxy)}{name}/", timeout=30).status_code == 200
    assert httpx.get(url, timeout=30).status_code == 200  # cached from now on
    assert httpx.get(url + ".metadata", timeout=30).status_code == 200
    status = httpx.put(
        f"{stack.base_url}/api/v1/feeds/{source}/projects/{name}/status",
        json={"status": "quarantined", "reason": "malware report"},
        auth=("api", str(stack.admin_key)), timeout=30,
    )  # fmt: skip
    assert status.status_code == 200, status.text
    # The proxy's next listing refresh (TTL 0) learns the upstream's PEP 792 status.
    page = httpx.get(
        f"{stack.index_url(proxy)}{name}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"}, timeout=30,
    )  # fmt: skip
    assert page.json()["files"] == []
    for target in (url, url + ".metadata"):
        for method in ("GET", "HEAD"):
            refused = httpx.request(method, target, timeout=30)
            assert refused.status_code == 404, (method, target)
        assert "quarantined" in httpx.get(target, timeout=30).text
    assert name not in catalog(stack, proxy)


def health(stack: Stack, feed: str) -> dict[str, Any]:
    reply = httpx.get(
        f"{stack.base_url}/api/v1/feeds/{feed}/connectors/health",
        auth=("api", str(stack.admin_key)), timeout=30,
    )  # fmt: skip
    assert reply.status_code == 200, reply.text
    [one] = reply.json()
    found: dict[str, Any] = one
    return found


def health_if(stack: Stack, feed: str, wanted: Callable[[str], bool]) -> dict[str, Any] | None:
    found = health(stack, feed)
    return found if wanted(found["state"]) else None


def test_connector_health_and_stale_since_in_api_cli_ui_and_headers(
    stack: Stack, client_env: dict[str, str], tmp_path: Path
) -> None:
    name = f"pxhealth-{uuid.uuid4().hex[:6]}"
    packages = dist_dir(tmp_path)
    wheel = build_wheel(packages, name, "1.0")
    feed = make_feed(stack)
    with pypiserver(packages) as upstream:
        connector = add_connector(stack, feed, upstream.url, ttl_seconds=0)
        assert health(stack, feed)["state"] == "unknown"  # never used yet
        page_url = f"{stack.index_url(feed)}{name}/"
        assert httpx.get(page_url, timeout=30).status_code == 200
        file_url = f"{stack.base_url}/pypi/{feed}/packages/{name}/{wheel.name}"
        assert httpx.get(file_url, timeout=30).status_code == 200
        ok = eventually(lambda: health_if(stack, feed, lambda state: state == "ok"))
        assert ok["last_success"] and ok["stale_since"] is None and not ok["breaker_open"]
        assert (ok["cached_files"], ok["cached_bytes"]) == (1, wheel.stat().st_size)
    # The upstream is gone: the listing is served stale, saying since when.
    stale = httpx.get(page_url, timeout=30)
    assert stale.status_code == 200 and stale.headers["X-Packyard-Stale"] == "true"
    since = parsedate_to_datetime(stale.headers["X-Packyard-Stale-Since"])
    assert abs((datetime.now(UTC) - since).total_seconds()) < 120
    failing = eventually(lambda: health_if(stack, feed, lambda state: state != "ok"))
    assert failing["state"] == "failing" and failing["last_error"] and failing["last_error_at"]
    assert failing["stale_since"] and failing["last_success"] == ok["last_success"]

    env = {**client_env, "PACKYARD_URL": stack.base_url, "PACKYARD_KEY": str(stack.admin_key)}
    shown = run([sys.executable, "-m", "packyard.cli", "connector", "health", feed], env)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    [header, row] = shown.stdout.strip().splitlines()
    assert header.split()[:2] == ["CONNECTOR", "STATE"]
    assert row.split()[:2] == [connector["id"], "failing"]

    page = httpx.get(
        f"{stack.base_url}/feeds/{feed}/connectors/",
        auth=("api", str(stack.admin_key)), timeout=30,
    )  # fmt: skip
    assert page.status_code == 200 and connector["id"] in page.text and "failing" in page.text
    # Not for readers: answered like a feed that does not exist.
    assert httpx.get(f"{stack.base_url}/feeds/{feed}/connectors/", timeout=30).status_code == 404


def test_an_html_only_upstream_gets_pep_700_size_and_upload_time(
    stack: Stack, client_env: dict[str, str], tmp_path: Path
) -> None:
    """pypiserver's pages give neither size nor upload time: HEAD gives Content-Length and
    Last-Modified, so ``uv --exclude-newer`` sees the files before anyone downloaded them."""
    name = f"pxpep700-{uuid.uuid4().hex[:6]}"
    packages = dist_dir(tmp_path)
    wheel = build_wheel(packages, name, "1.0")
    feed = make_feed(stack)
    with pypiserver(packages) as upstream:
        direct = httpx.get(
            f"{upstream.url}/simple/{name}/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json"}, timeout=30,
        )  # fmt: skip
        assert "upload-time" not in direct.text  # what the upstream itself says: nothing
        add_connector(stack, feed, upstream.url)
        [listed] = httpx.get(
            f"{stack.index_url(feed)}{name}/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json"}, timeout=30,
        ).json()["files"]  # fmt: skip
        assert listed["size"] == wheel.stat().st_size
        uploaded = datetime.fromisoformat(listed["upload-time"].replace("Z", "+00:00"))
        assert abs(uploaded.timestamp() - wheel.stat().st_mtime) < 2
        (tmp_path / "requirements.in").write_text(name + "\n")
        tomorrow = datetime.fromtimestamp(time.time() + 86400, UTC).strftime("%Y-%m-%d")
        compiled = run(
            [tool("uv"), "pip", "compile", "--no-cache", "--exclude-newer", tomorrow,
             "--index-url", stack.index_url(feed), str(tmp_path / "requirements.in")],
            client_env,
        )  # fmt: skip
        assert compiled.returncode == 0, compiled.stdout + compiled.stderr
        assert f"{name}==1.0" in compiled.stdout


def test_a_name_only_in_the_upstreams_list_is_found_before_anyone_used_it(
    stack: Stack, client_env: dict[str, str], tmp_path: Path
) -> None:
    """A static index served at ``/`` (PEP 503 HTML root page with an ETag): the connector keeps
    its name list, search finds a misspelled name from it ("not yet cached"), and pip installs
    it through the feed, after which it is a served project like any other."""
    uid = uuid.uuid4().hex[:6]
    name = f"quokkalib-{uid}"
    wheel = build_wheel(tmp_path, name, "1.0")
    others = [f"quokka-{i}-{uid}" for i in range(50)]
    root = "".join(f'<a href="/{n}/">{n}</a>\n' for n in [*others, name])
    with loopback_index() as upstream:
        upstream.routes["/"] = Reply(
            body=f"<!DOCTYPE html><html><body>{root}</body></html>".encode(),
            headers={"Content-Type": "text/html", "ETag": '"names-v1"'},
        )
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        upstream.routes[f"/{name}/"] = Reply(
            body=f'<a href="/files/{wheel.name}#sha256={digest}">{wheel.name}</a>'.encode(),
            headers={"Content-Type": "text/html"},
        )
        upstream.routes[f"/files/{wheel.name}"] = Reply(body=wheel.read_bytes())
        feed = make_feed(stack)
        connector = add_connector(stack, feed, upstream.url, simple_path="/", name_list=True)
        assert connector["name_list"] is True

        def search(query: str) -> list[dict[str, Any]]:
            reply = httpx.get(
                f"{stack.base_url}/api/v1/search", params={"q": query, "feed": feed}, timeout=30
            )
            found: list[dict[str, Any]] = reply.json()["results"]
            return found

        typo = f"quokalib-{uid}"
        results = eventually(lambda: search(typo) or None, seconds=30)
        assert results[0]["name"] == name
        assert (results[0]["origin"], results[0]["cached"]) == ("upstream", False)
        page = httpx.get(f"{stack.base_url}/search", params={"q": typo, "feed": feed}, timeout=30)
        assert "upstream, not yet cached" in page.text
        assert upstream.count(f"/{name}/") == 0  # found from the list alone

        pip_install(stack.index_url(feed), tmp_path / "t", client_env, name)
    [after] = [r for r in search(typo) if r["name"] == name]
    assert after["cached"] is True
    assert eventually(lambda: downloads(stack, feed, name) or None) == 1


def test_a_mirror_filter_lists_only_what_the_team_can_install(stack: Stack) -> None:
    """A static index at ``/`` (PEP 503 HTML with data-requires-python): the connector keeps
    CPython 3.11 wheels for manylinux x86_64 (and pure ones); the page says nothing of the rest,
    not even the version whose files were all filtered out."""
    name = f"pxfilter-{uuid.uuid4().hex[:6]}"
    stem = name.replace("-", "_")
    entries = [
        (f"{stem}-1.0-py3-none-any.whl", ""),
        (f"{stem}-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", ""),
        (f"{stem}-1.0-cp38-abi3-manylinux_2_17_x86_64.whl", ""),
        (f"{stem}-1.0-cp311-cp311-win_amd64.whl", ""),
        (f"{stem}-1.0-cp310-cp310-manylinux_2_17_x86_64.whl", ""),
        (f"{stem}-1.0.tar.gz", ""),
        (f"{stem}-0.9.tar.gz", "&lt;3.8"),
    ]
    anchors = "".join(
        f'<a href="/files/{f}#sha256={hashlib.sha256(f.encode()).hexdigest()}"'
        f"{f' data-requires-python={chr(34)}{rp}{chr(34)}' if rp else ''}>{f}</a>\n"
        for f, rp in entries
    )
    with loopback_index() as upstream:
        upstream.routes[f"/{name}/"] = Reply(
            body=f"<html><body>{anchors}</body></html>".encode(),
            headers={"Content-Type": "text/html"},
        )
        feed = make_feed(stack)
        added = add_connector(
            stack, feed, upstream.url, simple_path="/", python_versions=["3.11"],
            platforms=["manylinux*_x86_64"],
        )  # fmt: skip
        assert (added["python_versions"], added["platforms"]) == (["3.11"], ["manylinux*_x86_64"])
        page = httpx.get(
            f"{stack.index_url(feed)}{name}/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json"}, timeout=30,
        ).json()  # fmt: skip
    assert sorted(f["filename"] for f in page["files"]) == sorted(
        [entries[0][0], entries[1][0], entries[2][0], entries[5][0]]
    )
    assert page["versions"] == ["1.0"]
