"""docs/workflows.md, run as written: every ``sh`` block of the page, in order, in one bash
script against the running stack (a loopback Packyard feed stands in for PyPI through the
page's UPSTREAM_URL). Then the approved feed serves what CI uploaded, byte for byte."""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

import httpx
from packyard.up import Stack

from tests.e2e.conftest import run
from tests.fixtures.dists import build_wheel, dist_name
from tests.fixtures.uploads import post_file, upload_fields

DOC = Path(__file__).resolve().parents[2] / "docs" / "workflows.md"
JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def _hashes(stack: Stack, feed: str, project: str) -> dict[str, str]:
    reply = httpx.get(f"{stack.base_url}/pypi/{feed}/simple/{project}/", headers=JSON)
    assert reply.status_code == 200, reply.text
    return {f["filename"]: f["hashes"]["sha256"] for f in reply.json()["files"]}


def test_the_approved_feed_workflow_runs_as_documented(
    stack: Stack, tmp_path: Path, client_env: dict[str, str]
) -> None:
    # The public index's stand-in: another feed of this stack with a "requests" on it.
    upstream = "public-index"
    auth = ("api", str(stack.admin_key))
    made = httpx.post(f"{stack.base_url}/api/v1/feeds", auth=auth,
                      json={"name": upstream, "anonymous_read": True})  # fmt: skip
    assert made.status_code == 201, made.text
    requests_wheel = build_wheel(tmp_path / "public", "requests", "2.32.3")
    fields = upload_fields(requests_wheel, "requests", "2.32.3")
    assert post_file(stack, requests_wheel, fields, feed=upstream).status_code == 200
    # CI's build output.
    mypkg = build_wheel(tmp_path / "dist", "mypkg", "1.0")

    blocks = sh_blocks(DOC.read_text())
    assert len(blocks) >= 6
    script = "set -euo pipefail\n" + "\n".join(blocks)
    env = {
        **client_env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PACKYARD_URL": stack.base_url,
        "PACKYARD_KEY": str(stack.admin_key),
        "UPSTREAM_URL": f"{stack.base_url}/pypi/{upstream}",
        "PIP_TARGET": str(tmp_path / "production"),
    }
    done = run(["bash", "-c", f"cd {tmp_path} && {{\n{script}\n}}"], env, timeout=600)
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr

    # What production installed is what CI uploaded and what the public index served.
    assert _hashes(stack, "approved", "mypkg") == {
        mypkg.name: hashlib.sha256(mypkg.read_bytes()).hexdigest()
    }
    assert _hashes(stack, "approved", "requests") == _hashes(stack, upstream, "requests")
    for name, version in (("mypkg", "1.0"), ("requests", "2.32.3")):
        module = dist_name(name)
        imported = run(
            [sys.executable, "-c", f"import {module}; print({module}.__version__)"],
            {**client_env, "PYTHONPATH": str(tmp_path / "production")},
        )
        assert imported.stdout.strip() == version, imported.stderr
    assert "would remove 0 releases/files, 0 bytes" in done.stdout
