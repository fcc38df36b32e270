"""A gateway behind a reverse proxy it trusts (PACKYARD_TRUSTED_PROXIES): links, install lines
and audit rows name what the user typed and who the user is, not the proxy."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import httpx
from packyard.protocol.names import normalize
from packyard.up import Stack

from tests.fixtures.dists import build_wheel
from tests.fixtures.gateways import extra_gateway

FORWARDED = {
    "X-Forwarded-For": "203.0.113.77",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "pkgs.example.com",
}


def _upload(client: httpx.Client, feed: str, wheel: Path, project: str) -> httpx.Response:
    data = wheel.read_bytes()
    return client.post(
        f"/pypi/{feed}/legacy/",
        data={
            ":action": "file_upload",
            "protocol_version": "1",
            "metadata_version": "2.1",
            "name": project,
            "version": "1.0",
            "filetype": "bdist_wheel",
            "pyversion": "py3",
            "sha256_digest": hashlib.sha256(data).hexdigest(),
        },
        files={"content": (wheel.name, data, "application/octet-stream")},
    )


def test_a_trusted_proxy_names_the_client_scheme_and_host(stack: Stack, tmp_path: Path) -> None:
    feed, project = f"proxied-{uuid.uuid4().hex[:8]}", f"behind_{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, project, "1.0")
    env = {"PACKYARD_TRUSTED_PROXIES": "127.0.0.1/32"}
    auth = ("api", str(stack.admin_key))
    with extra_gateway(stack, env) as url, httpx.Client(
        base_url=url, auth=auth, headers=FORWARDED, timeout=60
    ) as proxied:  # fmt: skip
        assert proxied.post("/api/v1/feeds", json={"name": feed}).status_code < 300
        assert _upload(proxied, feed, wheel, project).status_code == 200
        release = proxied.get(f"/pypi/{feed}/pypi/{normalize(project)}/json").json()
        assert release["urls"][0]["url"].startswith(f"https://pkgs.example.com/pypi/{feed}/")
        page = proxied.get(f"/feeds/{feed}/projects/{normalize(project)}/").text
        # The install line (a private feed: the key from $PACKYARD_KEY).
        assert f"https://api:${{PACKYARD_KEY}}@pkgs.example.com/pypi/{feed}/simple/" in page
        audit = proxied.get("/api/v1/audit", params={"feed": feed}).json()
        assert {e["client_address"] for e in audit if e["action"] == "feed.created"} == {
            "203.0.113.77"
        }
    # The stack's own gateway trusts no proxy: the same headers change nothing.
    with httpx.Client(base_url=stack.base_url, auth=auth, headers=FORWARDED, timeout=60) as direct:
        release = direct.get(f"/pypi/{feed}/pypi/{normalize(project)}/json").json()
        assert release["urls"][0]["url"].startswith(stack.base_url)
