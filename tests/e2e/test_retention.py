"""Retention end to end: `packyard retention run FEED --dry-run` lists exactly what the real run
then removes; a version promoted to another feed stays unless asked; removed filenames stay
reserved and every removal is audited. A dry run over a feed with 1,000 versions (rows
inserted directly) prints how long it took."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from packyard.up import Stack

from tests.e2e.conftest import run
from tests.e2e.test_proxy import add_connector, make_feed, pip_install
from tests.fixtures.dists import build_wheel
from tests.fixtures.feed_rows import insert_versions
from tests.fixtures.polling import eventually
from tests.fixtures.uploads import post_file, upload_fields


def _ok(reply: httpx.Response) -> httpx.Response:
    assert reply.status_code < 300, (reply.status_code, reply.text)
    return reply


def _cli(stack: Stack, *args: str) -> dict[str, object]:
    env = {**os.environ, "PACKYARD_URL": stack.base_url, "PACKYARD_KEY": str(stack.admin_key)}
    done = run([sys.executable, "-m", "packyard.cli", *args, "--json"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _removed(result: dict[str, object]) -> list[tuple[str, str, tuple[str, ...], int]]:
    removals = result["removals"]
    assert isinstance(removals, list)
    return [(r["version"], r["reason"], tuple(r["filenames"]), r["bytes"]) for r in removals]


def test_a_dry_run_lists_what_the_real_run_removes(stack: Stack, tmp_path: Path) -> None:
    project = f"retained-{uuid.uuid4().hex[:8]}"
    auth = ("api", str(stack.admin_key))
    with httpx.Client(base_url=stack.base_url, auth=auth, timeout=60) as admin:
        suffix = uuid.uuid4().hex[:6]
        feed, approved = f"ci-{suffix}", f"approved-{suffix}"
        for name in (feed, approved):
            _ok(admin.post("/api/v1/feeds", json={"name": name, "anonymous_read": True}))
        wheels = {}
        for version in ("1.0", "1.1", "1.2", "2.0", "2.1"):
            wheel = build_wheel(tmp_path / version, project, version)
            wheels[version] = wheel
            reply = post_file(stack, wheel, upload_fields(wheel, project, version), feed=feed)
            assert reply.status_code == 200, reply.text
        # 1.0 went to production: retention in the CI feed must not take it away.
        release = f"/api/v1/feeds/{feed}/projects/{project}/releases/1.0/promote"
        _ok(admin.post(release, json={"target": approved}))
        _ok(admin.put(f"/api/v1/feeds/{feed}/retention", json={"keep_latest": 2}))

        dry = _cli(stack, "retention", "run", feed, "--dry-run")
        expected_bytes = sum(wheels[v].stat().st_size for v in ("1.1", "1.2"))
        assert dry["dry_run"] is True and dry["bytes"] == expected_bytes
        assert [v for v, *_ in _removed(dry)] == ["1.2", "1.1"]
        promoted_too = _cli(stack, "retention", "run", feed, "--dry-run", "--include-promoted")
        assert [v for v, *_ in _removed(promoted_too)] == ["1.2", "1.1", "1.0"]
        # Nothing was removed by either dry run.
        page = f"{stack.base_url}/pypi/{feed}/simple/{project}/"
        listed = _ok(httpx.get(page, headers={"Accept": "application/vnd.pypi.simple.v1+json"}))
        assert len(listed.json()["files"]) == 5

        real = _cli(stack, "retention", "run", feed)
        assert real["dry_run"] is False
        assert _removed(real) == _removed(dry) and real["bytes"] == dry["bytes"]
        listed = _ok(httpx.get(page, headers={"Accept": "application/vnd.pypi.simple.v1+json"}))
        assert sorted(f["filename"] for f in listed.json()["files"]) == sorted(
            wheels[v].name for v in ("1.0", "2.0", "2.1")
        )
        # Run again: nothing left to remove.
        assert _removed(_cli(stack, "retention", "run", feed)) == []

        # The filename stays reserved, and each removal is in the audit log.
        again = post_file(stack, wheels["1.1"], upload_fields(wheels["1.1"], project, "1.1"),
                          feed=feed)  # fmt: skip
        assert again.status_code == 400 and "previously used" in again.text
        audit = {"feed": feed, "action": "retention.removed"}
        events = _ok(admin.get("/api/v1/audit", params=audit)).json()
        assert sorted(e["target"] for e in events) == [f"{project}==1.1", f"{project}==1.2"]
        assert all(e["detail"].startswith("keep_latest: 1 files") for e in events)


def test_a_dry_run_over_a_thousand_versions(stack: Stack) -> None:
    feed, project = f"big-{uuid.uuid4().hex[:6]}", "bulk-project"
    asyncio.run(insert_versions(stack.env["PACKYARD_DATABASE_URL"], feed, project, 1000))
    auth = ("api", str(stack.admin_key))
    with httpx.Client(base_url=stack.base_url, auth=auth, timeout=60) as admin:
        _ok(admin.put(f"/api/v1/feeds/{feed}/retention", json={"keep_latest": 10}))
    started = time.monotonic()
    result = _cli(stack, "retention", "run", feed, "--dry-run")
    elapsed = time.monotonic() - started
    removed = _removed(result)
    print(f"\nretention dry run over 1000 versions: {len(removed)} to remove, "
          f"{result['bytes']} bytes, {elapsed:.2f} s (CLI process included)")  # fmt: skip
    assert len(removed) == 990
    # The newest ten stay: 1.0.991 … 1.0.1000.
    assert {v for v, *_ in removed}.isdisjoint({f"1.0.{n}" for n in range(991, 1001)})
    assert elapsed < 30
    with httpx.Client(base_url=stack.base_url, auth=auth, timeout=60) as admin:
        started = time.monotonic()
        _ok(admin.post(f"/api/v1/feeds/{feed}/retention/run", params={"dry_run": "true"}))
        print(f"the same dry run through the admin API: {time.monotonic() - started:.2f} s")


def test_cached_files_go_by_their_last_download_not_their_caching(
    stack: Stack, client_env: dict[str, str], tmp_path: Path
) -> None:
    """ "Cached upstream files not downloaded for N days": a file cached long ago but installed
    just now stays; once its last download is old too, the rule takes it."""
    name = f"fetched-{uuid.uuid4().hex[:6]}"
    source, proxy = make_feed(stack), make_feed(stack)
    wheel = build_wheel(tmp_path / "src", name, "1.0")
    assert post_file(stack, wheel, upload_fields(wheel, name, "1.0"), feed=source).is_success
    add_connector(stack, proxy, f"{stack.base_url}/pypi/{source}")
    pip_install(stack.index_url(proxy), tmp_path / "t", client_env, name)
    dsn = stack.env["PACKYARD_DATABASE_URL"]

    async def recorded() -> bool:
        return bool(await _sql(dsn, "SELECT count FROM upstream_downloads WHERE feed = $1", proxy))

    asyncio.run(eventually(recorded, what="the proxied download is counted"))
    # Cached 200 days ago, as far as the rule can tell.
    asyncio.run(
        _sql(dsn, "UPDATE upstream_files SET cached = now() - interval '200 days' "
             "WHERE feed = $1", proxy)
    )  # fmt: skip
    auth = ("api", str(stack.admin_key))
    with httpx.Client(base_url=stack.base_url, auth=auth, timeout=60) as admin:
        _ok(admin.put(f"/api/v1/feeds/{proxy}/retention", json={"cached_max_age_days": 30}))
    assert _removed(_cli(stack, "retention", "run", proxy, "--dry-run")) == []
    asyncio.run(
        _sql(dsn, "UPDATE upstream_downloads SET last_downloaded = now() - interval '100 days' "
             "WHERE feed = $1", proxy)
    )  # fmt: skip
    stale = _removed(_cli(stack, "retention", "run", proxy, "--dry-run"))
    assert [(v, reason, files) for v, reason, files, _ in stale] == [
        ("", "cached_age", (wheel.name,))
    ]


async def _sql(dsn: str, statement: str, *args: object) -> object:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(statement, *args)
    finally:
        await conn.close()
