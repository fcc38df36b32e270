"""A release yanked without a reason is yanked all the same (PEP 592: ``data-yanked=""``,
``"yanked": true``): installers skip it, every page says so. Hosted (yanked with the CLI, no
--reason) and mirrored (the upstream says ``"yanked": true``)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import uuid
from pathlib import Path

import httpx
from packyard.up import Stack

from tests.e2e.conftest import run
from tests.fixtures.dists import build_wheel
from tests.fixtures.upstream import Reply, loopback_index

SIMPLE_JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


def _ok(reply: httpx.Response) -> httpx.Response:
    assert reply.status_code < 300, (reply.status_code, reply.text)
    return reply


def _feed(admin: httpx.Client) -> str:
    feed = f"yank-{uuid.uuid4().hex[:8]}"
    _ok(admin.post("/api/v1/feeds", json={"name": feed, "anonymous_read": True}))
    return feed


def _pages(stack: Stack, feed: str, project: str) -> tuple[dict[str, object], str]:
    base = f"{stack.base_url}/pypi/{feed}/simple/{project}/"
    listing = _ok(httpx.get(base, headers=SIMPLE_JSON, timeout=30)).json()
    html = _ok(httpx.get(base, headers={"Accept": "text/html"}, timeout=30)).text
    return {f["filename"]: f["yanked"] for f in listing["files"]}, html


def _anchor(html: str, filename: str) -> str:
    [anchor] = re.findall(rf"<a [^>]*>{re.escape(filename)}</a>", html)
    return anchor


def test_a_hosted_release_yanked_without_a_reason_is_yanked(
    stack: Stack, tmp_path: Path, client_env: dict[str, str]
) -> None:
    project = f"quiet-yank-{uuid.uuid4().hex[:8]}"
    auth = ("api", str(stack.admin_key))
    with httpx.Client(base_url=stack.base_url, auth=auth, timeout=30) as admin:
        feed = _feed(admin)
        wheels = {}
        for version in ("1.0", "2.0"):
            wheel = build_wheel(tmp_path, project, version)
            wheels[version] = wheel.name
            data = wheel.read_bytes()
            _ok(admin.post(
                f"/pypi/{feed}/legacy/",
                data={":action": "file_upload", "protocol_version": "1",
                      "metadata_version": "2.1", "name": project, "version": version,
                      "filetype": "bdist_wheel", "pyversion": "py3",
                      "sha256_digest": hashlib.sha256(data).hexdigest()},
                files={"content": (wheel.name, data)},
            ))  # fmt: skip
    env = {**os.environ, "PACKYARD_URL": stack.base_url, "PACKYARD_KEY": str(stack.admin_key)}
    yanked = run([sys.executable, "-m", "packyard.cli", "yank", feed, project, "2.0"], env)
    assert yanked.returncode == 0, yanked.stderr

    files, html = _pages(stack, feed, project)
    assert files == {wheels["1.0"]: False, wheels["2.0"]: True}
    assert 'data-yanked=""' in _anchor(html, wheels["2.0"])
    assert "data-yanked" not in _anchor(html, wheels["1.0"])
    document = _ok(httpx.get(f"{stack.base_url}/pypi/{feed}/pypi/{project}/json")).json()
    assert document["info"]["version"] == "1.0"  # the latest release that is not yanked
    [release] = document["releases"]["2.0"]
    assert release["yanked"] is True and release["yanked_reason"] is None
    # pip skips it: an unpinned install gets 1.0.
    pip = run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(tmp_path / "pip"),
         "--index-url", stack.index_url(feed), project],
        client_env,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stdout + pip.stderr
    assert [p.name for p in (tmp_path / "pip").iterdir()] == [wheels["1.0"]]


def test_a_mirrored_file_yanked_upstream_without_a_reason_is_yanked(
    stack: Stack, tmp_path: Path
) -> None:
    project = f"quiet-upstream-{uuid.uuid4().hex[:8]}"
    wheels = [build_wheel(tmp_path, project, v) for v in ("1.0", "2.0")]
    entries = [
        {"filename": w.name, "url": f"/files/{w.name}", "yanked": yanked,
         "hashes": {"sha256": hashlib.sha256(w.read_bytes()).hexdigest()}}
        for w, yanked in zip(wheels, (False, True), strict=True)
    ]  # fmt: skip
    page = {"meta": {"api-version": "1.1"}, "name": project, "files": entries}
    auth = ("api", str(stack.admin_key))
    with loopback_index() as upstream, httpx.Client(base_url=stack.base_url, auth=auth) as admin:
        upstream.routes[f"/simple/{project}/"] = Reply(
            200, json.dumps(page).encode(), {"Content-Type": SIMPLE_JSON["Accept"]}
        )
        feed = _feed(admin)
        _ok(admin.post(f"/api/v1/feeds/{feed}/connectors", json={"url": upstream.url}))
        files, html = _pages(stack, feed, project)
    assert files == {wheels[0].name: False, wheels[1].name: True}
    assert 'data-yanked=""' in _anchor(html, wheels[1].name)
    assert "data-yanked" not in _anchor(html, wheels[0].name)
