"""Known vulnerabilities end to end (issue 17): an OSV archive imported with the CLI, shown by
the JSON API, and a feed's policy seen by pip (warn header, block with the advisory named,
an allowed version installing, an audited exception lifting the block)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from packyard.protocol.names import normalize
from packyard.up import Stack

from tests.e2e.conftest import run
from tests.fixtures.dists import build_wheel, dist_name
from tests.fixtures.uploads import post_file, upload_fields


def _packyard(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from packyard.cli import main; raise SystemExit(main())", *args],
        env={"PACKYARD_URL": stack.base_url, "PACKYARD_KEY": str(stack.admin_key), "PATH": ""},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _osv(advisory: str, project: str, events: list[dict[str, str]], **extra: Any) -> bytes:
    record = {
        "id": advisory,
        "modified": "2025-01-01T00:00:00Z",
        "aliases": [f"CVE-2099-{advisory[-4:]}"],
        "summary": "Remote code execution in the demo package",
        "details": "A crafted input runs code.",
        "affected": [
            {
                # The archive spells names as their projects do, not normalized.
                "package": {"ecosystem": "PyPI", "name": project.upper().replace("-", "_")},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
        **extra,
    }
    return json.dumps(record).encode()


@pytest.fixture
def feed(stack: Stack) -> str:
    name = f"supply-{uuid.uuid4().hex[:8]}"
    reply = httpx.post(
        f"{stack.base_url}/api/v1/feeds", json={"name": name, "anonymous_read": True},
        auth=("api", str(stack.admin_key)), timeout=30,
    )  # fmt: skip
    assert reply.status_code < 300, reply.text
    return name


def _pip(stack: Stack, feed: str, env: dict[str, str], target: Path, req: str) -> str:
    done = run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target),
         "--index-url", stack.index_url(feed), req],
        env,
    )  # fmt: skip
    return f"rc={done.returncode}\n{done.stdout}{done.stderr}"


def test_block_policy_through_pip(
    stack: Stack, feed: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    project = f"vp-{uuid.uuid4().hex[:8]}"
    advisory = f"PYSEC-2099-{uuid.uuid4().int % 10000:04d}"
    wheels = {v: build_wheel(tmp_path / v, project, v) for v in ("1.0", "1.1")}
    for version, wheel in wheels.items():
        reply = post_file(stack, wheel, upload_fields(wheel, project, version), feed=feed)
        assert reply.status_code == 200, reply.text

    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(
            f"{advisory}.json", _osv(advisory, project, [{"introduced": "0"}, {"fixed": "1.1"}])
        )
        # Withdrawn: would affect 1.1, must be ignored.
        zf.writestr(
            "PYSEC-2099-W.json",
            _osv(
                "PYSEC-2099-W", project, [{"introduced": "1.1"}], withdrawn="2025-02-01T00:00:00Z"
            ),
        )
        zf.writestr("GO-2099-1.json", json.dumps({"id": "GO-2099-1", "affected": []}))
    imported = _packyard(stack, "advisories", "import", "--file", str(archive), "--json")
    assert imported.returncode == 0, imported.stderr
    summary = json.loads(imported.stdout)
    assert (summary["records"], summary["stored"], summary["skipped"]) == (3, 2, 1)

    # The JSON API lists the advisory for 1.0 in Warehouse's shape, nothing for 1.1.
    base = f"{stack.base_url}/pypi/{feed}/pypi/{project}"
    vulns = httpx.get(f"{base}/1.0/json").json()["vulnerabilities"]
    assert vulns == [{
        "aliases": [f"CVE-2099-{advisory[-4:]}"], "details": "A crafted input runs code.",
        "fixed_in": ["1.1"], "id": advisory, "link": f"https://osv.dev/vulnerability/{advisory}",
        "source": "osv", "summary": "Remote code execution in the demo package", "withdrawn": None,
    }]  # fmt: skip
    assert httpx.get(f"{base}/1.1/json").json()["vulnerabilities"] == []
    # The web UI shows a badge and the advisory on 1.0's page, none on 1.1's.
    ui = f"{stack.base_url}/feeds/{feed}/projects/{normalize(project)}"
    shown = httpx.get(f"{ui}/1.0/")
    assert shown.status_code == 200
    assert "1 known vulnerability" in shown.text
    assert f'href="https://osv.dev/vulnerability/{advisory}"' in shown.text
    assert "known vulnerabilit" not in httpx.get(f"{ui}/1.1/").text

    # audit-deps names it and fails, as a CI gate would want.
    audited = _packyard(stack, "audit-deps", feed, project, "1.0")
    assert audited.returncode == 1 and advisory in audited.stdout, audited.stdout + audited.stderr
    assert _packyard(stack, "audit-deps", feed, project, "1.1").returncode == 0

    # warn: offered, with a header naming the advisory.
    assert _packyard(stack, "advisories", "policy", feed, "warn").returncode == 0
    page = httpx.get(f"{stack.index_url(feed)}{project}/")
    assert page.headers["X-Packyard-Vulnerabilities"] == f"1.0: {advisory}"
    assert "data-yanked" not in page.text

    # block: pip pinned to 1.0 fails naming the advisory; unpinned pip installs 1.1.
    assert _packyard(stack, "advisories", "policy", feed, "block").returncode == 0
    # A client revalidating the page it has (Cache-Control: no-cache) gets the new one.
    revalidated = httpx.get(
        f"{stack.index_url(feed)}{project}/", headers={"If-None-Match": page.headers["ETag"]}
    )
    assert revalidated.status_code == 200
    assert "data-yanked" in revalidated.text
    pinned = _pip(stack, feed, client_env, tmp_path / "pinned", f"{project}==1.0")
    assert pinned.startswith("rc=1"), pinned
    assert advisory in pinned, pinned
    latest = _pip(stack, feed, client_env, tmp_path / "latest", project)
    assert latest.startswith("rc=0"), latest
    assert (tmp_path / "latest" / f"{dist_name(project)}-1.1.dist-info").is_dir()
    url = f"{stack.base_url}/pypi/{feed}/packages/{normalize(project)}/{wheels['1.0'].name}"
    refused = httpx.get(url)
    assert refused.status_code == 403
    assert advisory in refused.text

    # An exception lifts the block until it expires, and is audited.
    until = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    excepted = _packyard(stack, "advisories", "except", feed, f"CVE-2099-{advisory[-4:]}",
                         "--until", until, "--reason", "not reachable in our use")  # fmt: skip
    assert excepted.returncode == 0, excepted.stderr
    assert json.loads(excepted.stdout)["advisory"] == advisory
    assert httpx.get(url).status_code == 200
    allowed = _pip(stack, feed, client_env, tmp_path / "allowed", f"{project}==1.0")
    assert allowed.startswith("rc=0"), allowed
    events = httpx.get(
        f"{stack.base_url}/api/v1/audit", params={"feed": feed, "action": "advisory.exception"},
        auth=("api", str(stack.admin_key)),
    ).json()  # fmt: skip
    assert [e["target"] for e in events] == [advisory]


GPL3 = "Classifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)"


def test_license_policy_blocks_a_denied_license_and_warns_on_an_unknown_one(
    stack: Stack, feed: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    project = f"lic-{uuid.uuid4().hex[:8]}"
    releases = {"1.0": [GPL3], "1.1": ["License: MIT"], "1.2": ["License: all rights reserved"]}
    for version, headers in releases.items():
        wheel = build_wheel(tmp_path / version, project, version, headers=headers)
        reply = post_file(stack, wheel, upload_fields(wheel, project, version), feed=feed)
        assert reply.status_code == 200, reply.text

    policy = _packyard(
        stack,
        "advisories",
        "policy",
        feed,
        "--licenses",
        "block",
        "--deny",
        "GPL-3.0-only",
        "GPL-3.0-or-later",
        "--unknown-license",
        "warn",
    )
    assert policy.returncode == 0, policy.stderr
    assert json.loads(policy.stdout)["license_deny"] == ["GPL-3.0-only", "GPL-3.0-or-later"]
    assert _packyard(stack, "advisories", "policy", feed, "--deny", "Not-A-License").returncode == 1

    page = httpx.get(f"{stack.index_url(feed)}{project}/")
    assert page.headers["X-Packyard-License-Policy"] == "1.2: license unknown"
    pinned = _pip(stack, feed, client_env, tmp_path / "gpl", f"{project}==1.0")
    assert pinned.startswith("rc=1"), pinned
    assert "license GPL-3.0-only is not allowed" in pinned, pinned
    # 1.2 (unknown license) is only warned about: pip picks it as the newest.
    newest = _pip(stack, feed, client_env, tmp_path / "newest", project)
    assert newest.startswith("rc=0"), newest
    assert (tmp_path / "newest" / f"{dist_name(project)}-1.2.dist-info").is_dir()
