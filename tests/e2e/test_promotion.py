"""Promotion end to end: twine uploads to a staging feed, `packyard promote` copies the release
to an approved feed, pip installs it from there with the very same bytes. The target's policy
and rights refuse with 403 and a reason; a yanked release needs --force; a conflicting file is
"File already exists"; promoting again changes nothing; the audit log names source, target and
actor."""

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

from tests.e2e.conftest import run, tool
from tests.fixtures.dists import build_sdist, build_wheel

JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


def _ok(reply: httpx.Response) -> httpx.Response:
    assert reply.status_code < 300, (reply.status_code, reply.text)
    return reply


def _feeds(admin: httpx.Client, *names: str) -> list[str]:
    suffix = uuid.uuid4().hex[:6]
    made = []
    for name in names:
        feed = f"{name}-{suffix}"
        _ok(admin.post("/api/v1/feeds", json={"name": feed, "anonymous_read": True}))
        made.append(feed)
    return made


def _twine(stack: Stack, feed: str, files: list[Path], env: dict[str, str], key: str) -> None:
    done = run(
        [tool("twine"), "upload", "--disable-progress-bar", "--non-interactive",
         "--repository-url", stack.upload_url(feed), "-u", "api", "-p", key, *map(str, files)],
        env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _cli(stack: Stack, key: str, *args: str) -> tuple[int, str]:
    env = {**os.environ, "PACKYARD_URL": stack.base_url, "PACKYARD_KEY": key}
    done = run([sys.executable, "-m", "packyard.cli", *args], env)
    return done.returncode, done.stdout + done.stderr


def _listing(stack: Stack, feed: str, project: str) -> dict[str, dict[str, object]]:
    page = _ok(httpx.get(f"{stack.base_url}/pypi/{feed}/simple/{project}/", headers=JSON))
    return {f["filename"]: f for f in page.json()["files"]}


def test_upload_to_staging_promote_to_approved_install_from_approved(
    stack: Stack, tmp_path: Path, client_env: dict[str, str]
) -> None:
    key = str(stack.admin_key)
    project = f"promoted-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path / "dist", project, "1.0")
    sdist = build_sdist(tmp_path / "dist", project, "1.0")
    with httpx.Client(base_url=stack.base_url, auth=("api", key), timeout=60) as admin:
        staging, approved = _feeds(admin, "staging", "approved")
        _ok(admin.put(f"/api/v1/feeds/{approved}/promotion-policy",
                      json={"allowed_sources": [staging]}))  # fmt: skip
        _twine(stack, staging, [wheel, sdist], client_env, key)

        code, out = _cli(stack, key, "promote", staging, approved, project, "1.0")
        assert code == 0, out
        assert out.startswith(f"promoted {project}==1.0 {staging} -> {approved}"), out

        # The same rows: names, hashes, sizes and upload times are the staging feed's.
        source, target = _listing(stack, staging, project), _listing(stack, approved, project)
        assert set(target) == {wheel.name, sdist.name}
        for name, file in target.items():
            assert file["hashes"] == source[name]["hashes"]
            assert file["size"] == source[name]["size"]
            assert file["upload-time"] == source[name]["upload-time"]
        # The release's metadata came along (the JSON API's summary).
        info = _ok(admin.get(f"/pypi/{approved}/pypi/{project}/json")).json()["info"]
        assert info["summary"] == "A tiny test package"

        # pip installs from the approved feed and gets the uploaded bytes.
        downloaded = tmp_path / "downloaded"
        pip = run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
             "--dest", str(downloaded), "--index-url", stack.index_url(approved), project],
            client_env,
        )  # fmt: skip
        assert pip.returncode == 0, pip.stdout + pip.stderr
        [got] = downloaded.iterdir()
        assert (
            hashlib.sha256(got.read_bytes()).digest() == hashlib.sha256(wheel.read_bytes()).digest()
        )

        # Again: nothing to do, said so, and nothing changed.
        code, out = _cli(stack, key, "promote", staging, approved, project, "1.0")
        assert code == 0 and out.startswith("already promoted"), out
        assert _listing(stack, approved, project) == target

        # The audit log names source, target and actor; the promotion is listed.
        audit = {"feed": approved, "action": "release.promoted"}
        [event] = _ok(admin.get("/api/v1/audit", params=audit)).json()
        assert event["target"] == f"{project}==1.0"
        assert staging in event["detail"] and approved in event["detail"]
        assert event["actor"] == "admin"
        code, out = _cli(stack, key, "promotion", "list", approved, "--json")
        assert code == 0, out
        [record] = json.loads(out)
        assert (record["source"], record["target"], record["files"]) == (staging, approved, 2)


def test_restricted_promotions_are_refused_with_a_reason(
    stack: Stack, tmp_path: Path, client_env: dict[str, str]
) -> None:
    key = str(stack.admin_key)
    project = f"restricted-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path / "dist", project, "1.0")
    other_bytes = build_wheel(tmp_path / "other", project, "1.0", payload="# other bytes\n")
    with httpx.Client(base_url=stack.base_url, auth=("api", key), timeout=60) as admin:
        staging, approved, sandbox, clash = _feeds(admin, "staging", "approved", "sandbox", "clash")
        _ok(admin.put(f"/api/v1/feeds/{approved}/promotion-policy",
                      json={"allowed_sources": [staging]}))  # fmt: skip
        for feed in (staging, sandbox):
            _twine(stack, feed, [wheel], client_env, key)
        _twine(stack, clash, [other_bytes], client_env, key)

        def promote(source: str, target: str, auth: tuple[str, str] | None = None,
                    force: bool = False) -> httpx.Response:  # fmt: skip
            return admin.post(
                f"/api/v1/feeds/{source}/projects/{project}/releases/1.0/promote",
                json={"target": target, "force": force},
                auth=auth or ("api", key),
            )

        # Only from the feeds the target names.
        refused = promote(sandbox, approved)
        assert refused.status_code == 403
        assert f"accepts promotions only from: {staging}" in refused.text
        # Only with publish on the target: a key that may read staging but not publish to
        # approved.
        grants = [{"feed": staging, "right": "read"}, {"feed": approved, "right": "read"}]
        reader = _ok(admin.post("/api/v1/keys", json={"name": "reader", "permissions": grants}))
        reader_key = reader.json()["key"]
        refused = promote(staging, approved, auth=("api", reader_key))
        assert refused.status_code == 403
        assert f"may not promote into feed '{approved}'" in refused.text
        # A conflicting file in the target is the usual refusal.
        clashing = promote(staging, clash)
        assert clashing.status_code in (400, 409)
        assert "File already exists" in clashing.text
        # A yanked release only with force; the copy stays yanked.
        _ok(admin.post(f"/api/v1/feeds/{staging}/projects/{project}/releases/1.0/yank",
                       json={"reason": "broken"}))  # fmt: skip
        refused = promote(staging, approved)
        assert refused.status_code == 400 and "is yanked" in refused.text
        _ok(promote(staging, approved, force=True))
        [copied] = _listing(stack, approved, project).values()
        assert copied["yanked"] == "broken"


def test_the_promote_right_promotes_without_publish_and_a_policy_can_require_it(
    stack: Stack, tmp_path: Path, client_env: dict[str, str]
) -> None:
    key = str(stack.admin_key)
    project = f"promotable-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path / "dist", project, "1.0")
    with httpx.Client(base_url=stack.base_url, auth=("api", key), timeout=60) as admin:
        staging, approved = _feeds(admin, "staging", "approved")
        _twine(stack, staging, [wheel], client_env, key)
        code, out = _cli(stack, key, "promotion", "policy", approved, "--require-promote-right")
        assert code == 0 and re.search(rf"{approved}\s+-\s+yes", out), out

        def key_with(name: str, right: str) -> str:
            grants = [{"feed": staging, "right": "read"}, {"feed": approved, "right": right}]
            made = admin.post("/api/v1/keys", json={"name": name, "permissions": grants})
            return str(_ok(made).json()["key"])

        def promote(as_key: str) -> httpx.Response:
            return admin.post(
                f"/api/v1/feeds/{staging}/projects/{project}/releases/1.0/promote",
                json={"target": approved},
                auth=("api", as_key),
            )

        # Publish alone no longer suffices: the policy says why.
        refused = promote(key_with("publisher", "publish"))
        assert refused.status_code == 403
        assert "only from principals with the promote right" in refused.text
        missing = httpx.get(f"{stack.base_url}/pypi/{approved}/simple/{project}/", headers=JSON)
        assert missing.status_code == 404
        # The promote right does, without publish: the release arrives with its hashes ...
        promoter = key_with("promoter", "promote")
        _ok(promote(promoter))
        [copied] = _listing(stack, approved, project).values()
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        assert copied["hashes"] == {"sha256": digest}
        # ... and that key still may not upload there.
        upload = run(
            [tool("twine"), "upload", "--disable-progress-bar", "--non-interactive",
             "--repository-url", stack.upload_url(approved), "-u", "api", "-p", promoter,
             str(build_wheel(tmp_path / "two", project, "2.0"))],
            client_env,
        )  # fmt: skip
        assert upload.returncode != 0 and "403" in upload.stdout + upload.stderr


def test_the_release_page_promotes_with_a_same_site_form(
    stack: Stack, tmp_path: Path, client_env: dict[str, str]
) -> None:
    key = str(stack.admin_key)
    auth = ("api", key)
    project = f"button-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path / "dist", project, "2.0")
    with httpx.Client(base_url=stack.base_url, auth=auth, timeout=60) as admin:
        staging, approved = _feeds(admin, "staging", "approved")
        _twine(stack, staging, [wheel], client_env, key)
        page_url = f"/feeds/{staging}/projects/{project}/2.0/"
        # Anonymous visitors get no promote form and cannot post one.
        assert 'id="promote"' not in httpx.get(stack.base_url + page_url).text
        action = f"{page_url}promote"
        assert httpx.post(stack.base_url + action, data={"target": approved}).status_code == 401

        page = _ok(admin.get(page_url)).text
        assert f"<option>{approved}</option>" in page and f"<option>{staging}</option>" not in page
        [token] = re.findall(r'name="csrf" value="([^"]+)"', page)[:1]
        # Without the token, or from another site, the form is refused.
        assert admin.post(action, data={"target": approved}).status_code == 403
        forged = admin.post(
            action,
            data={"csrf": token, "target": approved},
            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        )
        assert forged.status_code == 403
        assert httpx.get(f"{stack.base_url}/pypi/{approved}/simple/{project}/").status_code == 404

        done = admin.post(
            action, data={"csrf": token, "target": approved}, headers={"Origin": stack.base_url}
        )
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"/feeds/{approved}/projects/{project}/2.0/"
        assert set(_listing(stack, approved, project)) == {wheel.name}


def test_promoting_from_a_proxy_feed_caches_the_upstream_files_first(
    stack: Stack, tmp_path: Path, client_env: dict[str, str]
) -> None:
    key = str(stack.admin_key)
    project = f"upstreamed-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path / "dist", project, "3.0")
    with httpx.Client(base_url=stack.base_url, auth=("api", key), timeout=60) as admin:
        # Another Packyard feed stands for the public index: the proxy feed has never served
        # the release, so nothing of it is cached when the promotion starts.
        public, proxy, approved = _feeds(admin, "public", "proxy", "approved")
        _twine(stack, public, [wheel], client_env, key)
        connector = {"url": f"{stack.base_url}/pypi/{public}"}
        _ok(admin.post(f"/api/v1/feeds/{proxy}/connectors", json=connector))

        code, out = _cli(stack, key, "promote", proxy, approved, project, "3.0")
        assert code == 0, out
        [copied] = _listing(stack, approved, project).values()
        assert copied["filename"] == wheel.name
        assert copied["hashes"] == {"sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()}
        # The approved feed serves it from its own rows, whatever becomes of the upstream.
        _ok(admin.delete(f"/api/v1/feeds/{public}"))
        downloaded = tmp_path / "downloaded"
        pip = run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(downloaded),
             "--index-url", stack.index_url(approved), project],
            client_env,
        )  # fmt: skip
        assert pip.returncode == 0, pip.stdout + pip.stderr
        [got] = downloaded.iterdir()
        assert got.read_bytes() == wheel.read_bytes()
