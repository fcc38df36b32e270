"""README promises that had no test of their own, each checked end to end as a user would:
deleting files and releases (admin API, CLI, web UI buttons with their CSRF token), project
status (admin API, CLI) and a quarantined project's files, a feed's own upload size limit,
the API docs, the container health check, ``packyard migrate``, a feed's ``anonymous_read``
change on another gateway, and hosted files merged with upstream ones when the feed says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from packyard.engines import create_database, drop_database
from packyard.up import Stack

from tests.e2e.conftest import run
from tests.fixtures.dists import build_wheel
from tests.fixtures.gateways import extra_gateway
from tests.fixtures.polling import wait_until
from tests.fixtures.upstream import Reply, loopback_index

SIMPLE_JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}
CLI = [sys.executable, "-m", "packyard.cli"]


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def _ok(reply: httpx.Response) -> httpx.Response:
    assert reply.status_code < 300, (reply.status_code, reply.text)
    return reply


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.base_url, auth=("api", str(stack.admin_key)), timeout=60
    ) as client:
        yield client


@pytest.fixture(scope="module")
def cli_env(stack: Stack) -> dict[str, str]:
    return {**os.environ, "PACKYARD_URL": stack.base_url, "PACKYARD_KEY": str(stack.admin_key)}


def _feed(admin: httpx.Client, **settings: object) -> str:
    feed = _unique("promise-")
    _ok(admin.post("/api/v1/feeds", json={"name": feed, "anonymous_read": True, **settings}))
    return feed


def _upload(admin: httpx.Client, feed: str, wheel: Path, project: str, version: str) -> int:
    data = wheel.read_bytes()
    return admin.post(
        f"/pypi/{feed}/legacy/",
        data={":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1",
              "name": project, "version": version, "filetype": "bdist_wheel", "pyversion": "py3",
              "sha256_digest": hashlib.sha256(data).hexdigest()},
        files={"content": (wheel.name, data, "application/octet-stream")},
    ).status_code  # fmt: skip


def _release(admin: httpx.Client, feed: str, tmp_path: Path, project: str, version: str) -> str:
    wheel = build_wheel(tmp_path / version, project, version)
    assert _upload(admin, feed, wheel, project, version) == 200
    return wheel.name


def _listed(stack: Stack, feed: str, project: str) -> list[str]:
    reply = httpx.get(f"{stack.base_url}/pypi/{feed}/simple/{project}/", headers=SIMPLE_JSON)
    if reply.status_code == 404:
        return []
    return [f["filename"] for f in _ok(reply).json()["files"]]


def _file_url(stack: Stack, feed: str, project: str, filename: str) -> str:
    return f"{stack.base_url}/pypi/{feed}/packages/{project}/{filename}"


# -- deleting files and releases ---------------------------------------------------------


def test_deleting_a_file_and_a_release_through_the_admin_api(
    stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    feed, project = _feed(admin), _unique("deleted-")
    first, second = (_release(admin, feed, tmp_path, project, v) for v in ("1.0", "2.0"))
    assert _listed(stack, feed, project) == [first, second]

    reply = _ok(admin.delete(f"/api/v1/feeds/{feed}/files/{first}"))
    assert reply.json()["deleted"] == first
    assert _listed(stack, feed, project) == [second]
    assert httpx.get(_file_url(stack, feed, project, first)).status_code == 404

    reply = _ok(admin.delete(f"/api/v1/feeds/{feed}/projects/{project}/releases/2.0"))
    assert reply.json() == {"deleted": f"{project}==2.0", "files": 1}
    assert _listed(stack, feed, project) == []
    assert httpx.get(_file_url(stack, feed, project, second)).status_code == 404
    # The filenames stay reserved: the same file cannot be uploaded again.
    wheel = build_wheel(tmp_path / "again", project, "2.0")
    assert _upload(admin, feed, wheel, project, "2.0") == 400
    actions = {e["action"] for e in _ok(admin.get("/api/v1/audit", params={"feed": feed})).json()}
    assert {"file.deleted", "release.deleted"} <= actions


def test_deleting_a_file_and_a_release_with_the_cli(
    stack: Stack, admin: httpx.Client, cli_env: dict[str, str], tmp_path: Path
) -> None:
    feed, project = _feed(admin), _unique("cli-deleted-")
    first, second = (_release(admin, feed, tmp_path, project, v) for v in ("1.0", "2.0"))
    done = run([*CLI, "file", "delete", feed, first], cli_env)
    assert done.returncode == 0, done.stderr
    assert first in done.stdout
    assert _listed(stack, feed, project) == [second]
    done = run([*CLI, "release", "delete", feed, project, "2.0"], cli_env)
    assert done.returncode == 0, done.stderr
    assert f"{project}==2.0" in done.stdout
    assert _listed(stack, feed, project) == []
    # Deleting what is gone says so and fails.
    again = run([*CLI, "file", "delete", feed, first], cli_env)
    assert again.returncode != 0 and "404" in again.stderr


def _csrf(stack: Stack, page: str) -> str:
    html = httpx.get(page, auth=("api", str(stack.admin_key))).text
    marker = 'name="csrf" value="'
    assert marker in html, "no admin form on the page"
    return html.split(marker, 1)[1].split('"', 1)[0]


def test_delete_buttons_in_the_web_ui_delete_with_the_csrf_token_only(
    stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    feed, project = _feed(admin), _unique("ui-deleted-")
    first, second = (_release(admin, feed, tmp_path, project, v) for v in ("1.0", "2.0"))
    auth = ("api", str(stack.admin_key))
    same_site = {"Origin": stack.base_url}
    version_page = f"{stack.base_url}/feeds/{feed}/projects/{project}/1.0/"
    token = _csrf(stack, version_page)
    delete_file = f"{stack.base_url}/feeds/{feed}/files/{first}/delete"
    assert f'action="/feeds/{feed}/files/{first}/delete"' in httpx.get(version_page, auth=auth).text

    # Without the token, or with a forged one, nothing is deleted.
    for data in ({}, {"csrf": "forged"}):
        assert httpx.post(delete_file, data=data, auth=auth, headers=same_site).status_code == 403
    assert httpx.post(delete_file, data={"csrf": token}).status_code == 401  # anonymous
    assert _listed(stack, feed, project) == [first, second]

    done = httpx.post(delete_file, data={"csrf": token}, auth=auth, headers=same_site)
    assert done.status_code == 303, done.text
    assert _listed(stack, feed, project) == [second]

    delete_release = f"{stack.base_url}/feeds/{feed}/projects/{project}/2.0/delete"
    token = _csrf(stack, f"{stack.base_url}/feeds/{feed}/projects/{project}/2.0/")
    refused = httpx.post(delete_release, data={}, auth=auth, headers=same_site)
    assert refused.status_code == 403 and _listed(stack, feed, project) == [second]
    done = httpx.post(delete_release, data={"csrf": token}, auth=auth, headers=same_site)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/feeds/{feed}/projects/{project}/"
    assert _listed(stack, feed, project) == []


# -- project status ----------------------------------------------------------------------


def test_project_status_through_the_admin_api_and_the_cli(
    stack: Stack, admin: httpx.Client, cli_env: dict[str, str], tmp_path: Path
) -> None:
    feed, project = _feed(admin), _unique("status-")
    _release(admin, feed, tmp_path, project, "1.0")
    path = f"/api/v1/feeds/{feed}/projects/{project}/status"
    reply = _ok(admin.put(path, json={"status": "deprecated", "reason": "use other"}))
    assert reply.json() == {
        "feed": feed, "project": project, "status": "deprecated", "reason": "use other"
    }  # fmt: skip
    page = _ok(httpx.get(f"{stack.base_url}/pypi/{feed}/simple/{project}/", headers=SIMPLE_JSON))
    assert page.json()["project-status"] == {"status": "deprecated", "reason": "use other"}
    assert admin.put(path, json={"status": "gone"}).status_code == 400

    done = run([*CLI, "project", "status", feed, project, "archived", "--reason", "done"], cli_env)
    assert done.returncode == 0, done.stderr
    assert "archived" in done.stdout
    page = _ok(httpx.get(f"{stack.base_url}/pypi/{feed}/simple/{project}/", headers=SIMPLE_JSON))
    assert page.json()["project-status"] == {"status": "archived", "reason": "done"}
    # Only a feed admin may set it.
    reader = _ok(admin.post("/api/v1/keys", json={
        "name": "status-reader", "permissions": [{"feed": feed, "right": "publish"}],
    })).json()["key"]  # fmt: skip
    refused = httpx.put(f"{stack.base_url}{path}", json={"status": "active"}, auth=("api", reader))
    assert refused.status_code == 403


def test_a_quarantined_projects_files_are_not_served_even_by_direct_url(
    stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    feed, project = _feed(admin), _unique("quarantined-")
    filename = _release(admin, feed, tmp_path, project, "1.0")
    url = _file_url(stack, feed, project, filename)
    assert httpx.get(url).status_code == 200
    assert httpx.get(url + ".metadata").status_code == 200
    path = f"/api/v1/feeds/{feed}/projects/{project}/status"
    _ok(admin.put(path, json={"status": "quarantined", "reason": "malware report"}))
    page = _ok(httpx.get(f"{stack.base_url}/pypi/{feed}/simple/{project}/", headers=SIMPLE_JSON))
    assert page.json()["files"] == []
    for target in (url, url + ".metadata"):
        assert httpx.get(target).status_code == 404, target
        assert httpx.head(target).status_code == 404, target
    # Released from quarantine, the file is back.
    _ok(admin.put(path, json={"status": "active"}))
    assert httpx.get(url).status_code == 200


# -- uploads -----------------------------------------------------------------------------


def test_a_feeds_own_max_file_size_refuses_larger_uploads(
    stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    small_limit = _feed(admin, max_file_size=1_000_000)
    server_limit = _feed(admin)
    assert _ok(admin.get(f"/api/v1/feeds/{small_limit}")).json()["max_file_size"] == 1_000_000
    project = _unique("sized-")
    # Incompressible, so the wheel is about 1.3 MB: over the feed's limit, under the server's.
    big = build_wheel(tmp_path, project, "1.0", payload=f"# {os.urandom(1_300_000).hex()}\n")
    assert 1_000_000 < big.stat().st_size < 2_000_000
    data = big.read_bytes()
    form = {":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1",
            "name": project, "version": "1.0", "filetype": "bdist_wheel", "pyversion": "py3",
            "sha256_digest": hashlib.sha256(data).hexdigest()}  # fmt: skip
    refused = admin.post(
        f"/pypi/{small_limit}/legacy/", data=form, files={"content": (big.name, data)}
    )
    assert refused.status_code == 400
    assert "File too large" in refused.text and "1 MB" in refused.text
    assert _listed(stack, small_limit, project) == []
    accepted = admin.post(
        f"/pypi/{server_limit}/legacy/", data=form, files={"content": (big.name, data)}
    )
    assert accepted.status_code == 200, accepted.text
    small = build_wheel(tmp_path / "small", project, "1.0")
    assert _upload(admin, small_limit, small, project, "1.0") == 200


# -- operations --------------------------------------------------------------------------


def test_the_api_docs_describe_the_admin_api(stack: Stack) -> None:
    docs = httpx.get(f"{stack.base_url}/api/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
    assert "/api/openapi.json" in docs.text
    schema = _ok(httpx.get(f"{stack.base_url}/api/openapi.json")).json()
    paths = schema["paths"]
    for path in ("/api/v1/feeds", "/api/v1/keys", "/api/v1/feeds/{feed}/files/{filename}",
                 "/api/v1/feeds/{feed}/projects/{project}/status"):  # fmt: skip
        assert path in paths, path


def test_the_healthcheck_module_tells_serving_from_down(stack: Stack) -> None:
    probe = [sys.executable, "-m", "packyard.common.healthcheck"]
    # It presents a certificate of the stack's CA, as a container's probe does with its own.
    env = {**os.environ, **stack.tls("gateway").env()}
    for addr in (stack.metadata_addr, stack.blob_addr, stack.connector_addr):
        assert subprocess.run([*probe, addr], env=env, timeout=60).returncode == 0, addr
    nothing = subprocess.run([*probe, "127.0.0.1:9"], env=env, timeout=60)
    assert nothing.returncode == 1
    usage = subprocess.run(probe, capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "usage" in usage.stderr
    # Without a certificate it cannot ask at all, and says why.
    bare = {k: v for k, v in os.environ.items() if not k.startswith("PACKYARD_TLS_")}
    refused = subprocess.run(
        [*probe, stack.metadata_addr], env=bare, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 2 and "mutual TLS" in refused.stderr


def test_packyard_migrate_makes_a_fresh_database_ready_and_runs_again_harmlessly(
    stack: Stack,
) -> None:
    name = _unique("migrate_")
    url = asyncio.run(create_database(stack.env["PACKYARD_DATABASE_URL"], name))
    try:
        env = {**os.environ, **stack.env, "PACKYARD_DATABASE_URL": url}
        first = subprocess.run(
            [*CLI, "migrate"], env=env, capture_output=True, text=True, timeout=120
        )
        assert first.returncode == 0, first.stderr

        async def tables() -> set[str]:
            conn = await asyncpg.connect(url)
            try:
                rows = await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            finally:
                await conn.close()
            return {r["tablename"] for r in rows}

        made = asyncio.run(tables())
        assert {"feeds", "projects"} <= made
        again = subprocess.run(
            [*CLI, "migrate"], env=env, capture_output=True, text=True, timeout=120
        )
        assert again.returncode == 0, again.stderr
        assert asyncio.run(tables()) == made
    finally:
        asyncio.run(drop_database(stack.env["PACKYARD_DATABASE_URL"], name))


# -- several gateways, and upstream ------------------------------------------------------


def test_an_anonymous_read_change_reaches_another_gateway(
    stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    feed, project = _feed(admin), _unique("anon-")
    _release(admin, feed, tmp_path, project, "1.0")
    cached = {"PACKYARD_PAGE_CACHE_TTL": "60", "PACKYARD_AUTH_CACHE_TTL": "60"}
    with extra_gateway(stack, cached, subscribed=True) as other:
        page = f"{other}/pypi/{feed}/simple/{project}/"
        for _ in range(2):  # cached on the other gateway from now on
            assert httpx.get(page).status_code == 200
        _ok(admin.patch(f"/api/v1/feeds/{feed}", json={"anonymous_read": False}))
        wait_until(lambda: httpx.get(page).status_code == 401, what="the feed closed on B")
        _ok(admin.patch(f"/api/v1/feeds/{feed}", json={"anonymous_read": True}))
        wait_until(lambda: httpx.get(page).status_code == 200, what="the feed open on B")


def test_hosted_and_upstream_files_merge_only_when_the_feed_allows_it(
    stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    feed, project = _feed(admin), _unique("merged-")
    hosted = _release(admin, feed, tmp_path, project, "1.0")
    mirrored = build_wheel(tmp_path / "upstream", project, "2.0")
    page = {"meta": {"api-version": "1.1"}, "name": project, "files": [
        {"filename": mirrored.name, "url": f"/files/{mirrored.name}",
         "hashes": {"sha256": hashlib.sha256(mirrored.read_bytes()).hexdigest()}},
    ]}  # fmt: skip
    with loopback_index() as upstream:
        upstream.routes[f"/simple/{project}/"] = Reply(
            200, json.dumps(page).encode(), {"Content-Type": SIMPLE_JSON["Accept"]}
        )
        upstream.routes[f"/files/{mirrored.name}"] = Reply(200, mirrored.read_bytes())
        _ok(admin.post(f"/api/v1/feeds/{feed}/connectors", json={"url": upstream.url}))
        # By default a hosted project shadows the upstream one of the same name.
        assert _listed(stack, feed, project) == [hosted]
        origin = f"/api/v1/feeds/{feed}/origin"
        _ok(admin.put(origin, json={"reserved_prefixes": [], "merge_upstream": True}))
        wait_until(lambda: _listed(stack, feed, project) == [hosted, mirrored.name],
                   what="hosted and upstream files merged")  # fmt: skip
        url = _file_url(stack, feed, project, mirrored.name)
        assert _ok(httpx.get(url, timeout=60)).content == mirrored.read_bytes()
        _ok(admin.put(origin, json={"reserved_prefixes": [], "merge_upstream": False}))
        wait_until(lambda: _listed(stack, feed, project) == [hosted], what="merge switched off")
