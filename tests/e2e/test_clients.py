"""The client matrix: twine, uv publish, pip and uv against a hosted feed, as subprocesses.

Yanks and project statuses are set over gRPC, the way an administrator's tool sets them.
``uv pip install`` goes through a small recording proxy, so the test can see that uv used the
JSON API, the PEP 658 metadata files and, when a page offers no metadata file, byte ranges.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn
from packyard.engines.ports import free_port
from packyard.protocol.names import normalize
from packyard.up import Stack
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.e2e.conftest import run, tool
from tests.fixtures.dists import build_sdist, build_wheel
from tests.fixtures.uploads import post_file, set_status, set_yanked, upload_fields

JSON_V1 = "application/vnd.pypi.simple.v1+json"


def _twine(stack: Stack, files: list[Path], env: dict[str, str]) -> str:
    done = run(
        [
            tool("twine"), "upload", "--verbose", "--disable-progress-bar", "--non-interactive",
            "--repository-url", stack.upload_url(), "-u", "api", "-p", str(stack.admin_key),
            *map(str, files),
        ],
        {**env, "NO_COLOR": "1", "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def _pip(args: list[str], env: dict[str, str]) -> str:
    done = run([sys.executable, "-m", "pip", *args], env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _pip_resolves(stack: Stack, requirement: str, env: dict[str, str], tmp_path: Path) -> str:
    """The version pip's resolver picks for ``requirement`` (it only reads metadata files)."""
    report = tmp_path / f"report-{uuid.uuid4().hex[:6]}.json"
    _pip(
        ["install", "--dry-run", "--no-deps", "--ignore-installed", "--report", str(report),
         "--index-url", stack.index_url(), requirement],
        env,
    )  # fmt: skip
    installs = json.loads(report.read_text())["install"]
    return str(installs[0]["metadata"]["version"])


def _upload(stack: Stack, name: str, version: str, tmp_path: Path) -> Path:
    wheel = build_wheel(tmp_path / "dist", name, version)
    reply = post_file(stack, wheel, upload_fields(wheel, name, version))
    assert reply.status_code == 200, reply.text
    return wheel


# -- publishing -----------------------------------------------------------------------


def test_twine_twice_then_pip_install_download_and_index_versions(
    stack: Stack, project_name: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    files = [
        build_wheel(dist, project_name, "1.0"),
        build_sdist(dist, project_name, "1.0"),
        build_wheel(dist, project_name, "1.1"),
        build_sdist(dist, project_name, "1.1"),
    ]
    first = _twine(stack, files, client_env)
    assert first.count("200 OK") == 4
    # A plain identical re-run succeeds: every file is a 200 no-op.
    second = _twine(stack, files, client_env)
    assert second.count("200 OK") == 4
    assert second.count("File already exists, identical: no-op.") == 4

    versions = _pip(["index", "versions", "--index-url", stack.index_url(), project_name],
                    client_env)  # fmt: skip
    assert f"{project_name} (1.1)" in versions
    assert re.search(r"Available versions: 1\.1, 1\.0\b", versions), versions

    target = tmp_path / "target"
    _pip(["install", "--no-deps", "--target", str(target), "--index-url", stack.index_url(),
          project_name], client_env)  # fmt: skip
    installed = [p.name for p in target.glob("*.dist-info")]
    assert installed == [f"{files[2].name.split('-')[0]}-1.1.dist-info"]

    out = tmp_path / "downloaded"
    _pip(["download", "--no-deps", "--only-binary", ":all:", "-d", str(out),
          "--index-url", stack.index_url(), f"{project_name}==1.0"], client_env)  # fmt: skip
    assert (out / files[0].name).read_bytes() == files[0].read_bytes()


def test_uv_publish_then_check_url_on_a_second_run(
    stack: Stack, project_name: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    files = [build_wheel(dist, project_name, "1.0"), build_sdist(dist, project_name, "1.0")]
    publish = [
        tool("uv"), "publish", "--publish-url", stack.upload_url(),
        "-u", "api", "-p", str(stack.admin_key),
    ]  # fmt: skip
    first = run([*publish, *map(str, files)], client_env)
    assert first.returncode == 0, first.stdout + first.stderr
    again = run([*publish, "--check-url", stack.index_url(), *map(str, files)], client_env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stderr.count("already exists") == 2, again.stderr

    page = httpx.get(stack.index_url() + normalize(project_name) + "/",
                     headers={"Accept": JSON_V1}).json()  # fmt: skip
    assert sorted(f["filename"] for f in page["files"]) == sorted(f.name for f in files)

    # Other bytes under a published filename: uv fails and shows the server's reason.
    changed = build_wheel(tmp_path / "changed", project_name, "1.0", payload="X = 1\n")
    refused = run([*publish, str(changed)], client_env)
    assert refused.returncode != 0
    assert "File already exists" in refused.stderr, refused.stderr


# -- uv through a recording proxy -------------------------------------------------------


@dataclass
class _Seen:
    method: str
    path: str
    accept: str
    range: str
    status: int


@dataclass
class RecordingProxy:
    """Forwards to the gateway and records what the client asked; may hide core metadata."""

    upstream: str
    url: str = ""
    seen: list[_Seen] = field(default_factory=list)
    hide_core_metadata: bool = False

    async def handle(self, request: Request) -> Response:
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in {"host", "accept-encoding"}
        }
        async with httpx.AsyncClient(base_url=self.upstream, timeout=60) as client:
            reply = await client.request(
                request.method, request.url.path, params=request.query_params,
                headers=headers, content=await request.body(),
            )  # fmt: skip
        self.seen.append(
            _Seen(request.method, request.url.path, request.headers.get("accept", ""),
                  request.headers.get("range", ""), reply.status_code)
        )  # fmt: skip
        body = reply.content
        out_headers = {
            k: v for k, v in reply.headers.items()
            if k.lower() not in {"content-length", "transfer-encoding", "content-encoding"}
        }  # fmt: skip
        if self.hide_core_metadata and reply.headers.get("content-type") == JSON_V1:
            page = reply.json()
            for entry in page.get("files", []):
                entry["core-metadata"] = False
            body = json.dumps(page).encode()
        if request.method == "HEAD":
            out_headers["content-length"] = reply.headers.get("content-length", "0")
            return Response(b"", reply.status_code, headers=out_headers)
        return Response(body, reply.status_code, headers=out_headers)


@pytest.fixture
def proxy(stack: Stack) -> Iterator[RecordingProxy]:
    recorder = RecordingProxy(stack.base_url)
    app = Starlette(
        routes=[Route("/{path:path}", recorder.handle, methods=["GET", "HEAD", "POST"])]
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    recorder.url = f"http://127.0.0.1:{port}"
    try:
        yield recorder
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _uv_install(index: str, requirement: str, env: dict[str, str], venv: Path) -> None:
    if not venv.exists():
        assert run([tool("uv"), "venv", "-q", str(venv)], env).returncode == 0
    done = run(
        [tool("uv"), "pip", "install", "--python", str(venv / "bin" / "python"),
         "--index-url", index, requirement],
        env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_uv_pip_install_uses_json_metadata_files_and_ranges(
    stack: Stack,
    proxy: RecordingProxy,
    project_name: str,
    client_env: dict[str, str],
    tmp_path: Path,
) -> None:
    wheel = _upload(stack, project_name, "1.0", tmp_path)
    project = normalize(project_name)
    index = f"{proxy.url}/pypi/main/simple/"
    _uv_install(index, f"{project_name}==1.0", client_env, tmp_path / "venv-a")

    page = [s for s in proxy.seen if s.path == f"/pypi/main/simple/{project}/"]
    assert page and page[0].accept.startswith(JSON_V1) and page[0].status == 200
    assert any(s.path.endswith(f"/{wheel.name}.metadata") and s.status == 200 for s in proxy.seen)
    whole = [s for s in proxy.seen if s.path.endswith(f"/{wheel.name}")]
    assert whole and whole[-1].status == 200

    # Without a metadata file on offer, uv reads the wheel's METADATA with byte ranges.
    proxy.seen.clear()
    proxy.hide_core_metadata = True
    env = {**client_env, "UV_CACHE_DIR": str(tmp_path / "uv-cache-2")}
    _uv_install(index, f"{project_name}==1.0", env, tmp_path / "venv-b")
    ranged = [s for s in proxy.seen if s.path.endswith(f"/{wheel.name}") and s.range]
    assert ranged, [(s.method, s.path, s.range, s.status) for s in proxy.seen]
    assert all(s.status == 206 for s in ranged)
    assert not any(s.path.endswith(".metadata") for s in proxy.seen)
    listed = run([tool("uv"), "pip", "list", "--python",
                  str(tmp_path / "venv-b" / "bin" / "python")], client_env)  # fmt: skip
    assert re.search(rf"{re.escape(project)}\s+1\.0", listed.stdout), listed.stdout


# -- yanks and project statuses ---------------------------------------------------------


def test_a_yanked_release_installs_only_when_pinned(
    stack: Stack, project_name: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    _upload(stack, project_name, "1.0", tmp_path)
    _upload(stack, project_name, "2.0", tmp_path)
    assert _pip_resolves(stack, project_name, client_env, tmp_path) == "2.0"

    set_yanked(stack, normalize(project_name), "2.0", reason="broken")
    # PEP 592: a range skips the yanked release, an exact pin still gets it.
    assert _pip_resolves(stack, f"{project_name}>=1.0", client_env, tmp_path) == "1.0"
    assert _pip_resolves(stack, f"{project_name}==2.0", client_env, tmp_path) == "2.0"

    set_yanked(stack, normalize(project_name), "2.0", yanked=False)
    assert _pip_resolves(stack, f"{project_name}>=1.0", client_env, tmp_path) == "2.0"


def test_a_quarantined_project_is_not_offered(
    stack: Stack, project_name: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    wheel = _upload(stack, project_name, "1.0", tmp_path)
    project = normalize(project_name)
    set_status(stack, project, "quarantined", reason="under review")
    try:
        page = httpx.get(f"{stack.index_url()}{project}/", headers={"Accept": JSON_V1}).json()
        assert page["files"] == [] and page["versions"] == []
        assert page["project-status"] == {"status": "quarantined", "reason": "under review"}
        html = httpx.get(f"{stack.index_url()}{project}/").text
        assert '<meta name="pypi:project-status" content="quarantined">' in html
        assert wheel.name not in html
        index = httpx.get(stack.index_url(), headers={"Accept": JSON_V1}).json()
        assert project not in {normalize(p["name"]) for p in index["projects"]}
        assert f'href="{project}/"' not in httpx.get(stack.index_url()).text
        assert httpx.get(f"{stack.base_url}/pypi/main/pypi/{project}/json").status_code == 404
        refused = run([sys.executable, "-m", "pip", "download", "--no-deps", "-d",
                       str(tmp_path / "dl"), "--index-url", stack.index_url(), project_name],
                      client_env)  # fmt: skip
        assert refused.returncode != 0
        # Nor can anything be added to it.
        newer = build_wheel(tmp_path / "newer", project_name, "1.1")
        reply = post_file(stack, newer, upload_fields(newer, project_name, "1.1"))
        assert reply.status_code in {400, 403}
        assert "quarantined" in reply.text
    finally:
        set_status(stack, project, "active")
    listed = httpx.get(f"{stack.index_url()}{project}/", headers={"Accept": JSON_V1}).json()
    assert [f["filename"] for f in listed["files"]] == [wheel.name]


def test_an_archived_project_refuses_uploads_but_still_installs(
    stack: Stack, project_name: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    wheel = _upload(stack, project_name, "1.0", tmp_path)
    project = normalize(project_name)
    set_status(stack, project, "archived", reason="moved to new-thing")

    newer = build_wheel(tmp_path / "newer", project_name, "1.1")
    reply = post_file(stack, newer, upload_fields(newer, project_name, "1.1"))
    assert reply.status_code in {400, 403}
    assert reply.text.startswith(f"Project '{project}' is archived")
    assert "\n" not in reply.text.strip()
    page = httpx.get(f"{stack.index_url()}{project}/", headers={"Accept": JSON_V1}).json()
    assert [f["filename"] for f in page["files"]] == [wheel.name]
    assert page["project-status"] == {"status": "archived", "reason": "moved to new-thing"}
    assert (
        httpx.get(f"{stack.base_url}/pypi/main/packages/{project}/{newer.name}").status_code == 404
    )
    assert _pip_resolves(stack, project_name, client_env, tmp_path) == "1.0"

    # twine shows the reason too.
    done = run(
        [tool("twine"), "upload", "--verbose", "--disable-progress-bar", "--non-interactive",
         "--repository-url", stack.upload_url(), "-u", "api", "-p", str(stack.admin_key),
         str(newer)],
        {**client_env, "NO_COLOR": "1", "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode != 0
    assert "is archived" in done.stdout + done.stderr

    set_status(stack, project, "deprecated")
    deprecated = httpx.get(f"{stack.index_url()}{project}/").text
    assert '<meta name="pypi:project-status" content="deprecated">' in deprecated
    assert post_file(stack, newer, upload_fields(newer, project_name, "1.1")).status_code == 200
