"""A right on a feed is a right on that feed only: a grant on ``team`` opens nothing in
``team-secret`` (nor in ``teams``), whether it comes from a user's permission or a key's own.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from packyard.up import Stack

from tests.fixtures.dists import build_wheel

JSON = {"Accept": "application/vnd.pypi.simple.v1+json, application/json"}
PASSWORD = "correct horse battery staple"


def _ok(reply: httpx.Response) -> httpx.Response:
    assert reply.status_code < 300, (reply.status_code, reply.text)
    return reply


def _upload(client: httpx.Client, feed: str, wheel: Path, project: str, version: str) -> int:
    data = wheel.read_bytes()
    return client.post(
        f"/pypi/{feed}/legacy/",
        data={":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1",
              "name": project, "version": version, "filetype": "bdist_wheel", "pyversion": "py3",
              "sha256_digest": hashlib.sha256(data).hexdigest()},
        files={"content": (wheel.name, data, "application/octet-stream")},
    ).status_code  # fmt: skip


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.base_url, auth=("api", str(stack.admin_key)), headers=JSON, timeout=60
    ) as client:
        yield client


def _feeds(admin: httpx.Client, tmp_path: Path) -> tuple[str, list[str], str, str]:
    """``team…`` and its look-alikes, each private with one release: (team, look-alikes,
    project, wheel filename)."""
    team = f"team{uuid.uuid4().hex[:6]}"
    lookalikes = [f"{team}-secret", f"{team}s", f"{team}.x"]
    project = f"grant-pkg-{uuid.uuid4().hex[:6]}"
    wheel = build_wheel(tmp_path, project, "1.0")
    for feed in (team, *lookalikes):
        _ok(admin.post("/api/v1/feeds", json={"name": feed, "anonymous_read": False}))
        assert _upload(admin, feed, wheel, project, "1.0") == 200
    return team, lookalikes, project, wheel.name


def _attempts(
    client: httpx.Client, feed: str, project: str, filename: str, tmp_path: Path
) -> dict[str, int]:
    version = f"2.{uuid.uuid4().int % 10**6}"
    newer = build_wheel(tmp_path / feed, project, version)
    release = f"/api/v1/feeds/{feed}/projects/{project}/releases/1.0"
    return {
        "read": client.get(f"/pypi/{feed}/simple/{project}/").status_code,
        "upload": _upload(client, feed, newer, project, version),
        "yank": client.post(f"{release}/yank", json={"reason": "grant test"}).status_code,
        "administer": client.patch(f"/api/v1/feeds/{feed}", json={"description": "x"}).status_code,
        "audit": client.get("/api/v1/audit", params={"feed": feed}).status_code,
        "delete": client.delete(f"/api/v1/feeds/{feed}/files/{filename}").status_code,
    }


def test_a_users_admin_grant_on_team_opens_no_lookalike_feed(
    stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    team, lookalikes, project, filename = _feeds(admin, tmp_path)
    user = f"grantee-{uuid.uuid4().hex[:6]}"
    _ok(admin.post("/api/v1/users", json={"name": user, "password": PASSWORD}))
    _ok(admin.put(f"/api/v1/feeds/{team}/permissions/{user}", json={"right": "admin"}))
    with httpx.Client(
        base_url=stack.base_url, auth=(user, PASSWORD), headers=JSON, timeout=60
    ) as client:
        for feed in lookalikes:
            assert _attempts(client, feed, project, filename, tmp_path) == dict.fromkeys(
                ("read", "upload", "yank", "administer", "audit", "delete"), 403
            ), feed
            # The web UI neither lists nor shows it.
            assert client.get(f"/feeds/{feed}/", headers={"Accept": "text/html"}).status_code == 404
        home = client.get("/", headers={"Accept": "text/html"}).text
        assert f"/feeds/{team}/" in home
        assert not [f for f in lookalikes if f"/feeds/{f}/" in home]
        # The grant itself works on its own feed (so the refusals above are about the name).
        assert _attempts(client, team, project, filename, tmp_path) == dict.fromkeys(
            ("read", "upload", "yank", "administer", "audit", "delete"), 200
        )


def test_a_keys_own_read_permission_on_team_reads_no_lookalike_feed(
    stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    team, lookalikes, project, _ = _feeds(admin, tmp_path)
    reply = _ok(
        admin.post(
            "/api/v1/keys",
            json={"name": "team-reader", "permissions": [{"feed": team, "right": "read"}]},
        )
    )
    with httpx.Client(
        base_url=stack.base_url, auth=("api", reply.json()["key"]), headers=JSON, timeout=60
    ) as client:
        assert client.get(f"/pypi/{team}/simple/{project}/").status_code == 200
        for feed in lookalikes:
            assert client.get(f"/pypi/{feed}/simple/{project}/").status_code == 403, feed
            assert client.get(f"/pypi/{feed}/simple/").status_code == 403, feed
