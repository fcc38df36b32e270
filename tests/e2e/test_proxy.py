"""Proxy feeds end to end: real upstream index servers nobody here wrote (pypiserver, and
another Packyard feed), real pip and uv, the whole stack on loopback.

Each test makes a feed of its own and adds connectors to it, so tests share the session's
stack without seeing each other.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from packyard.engines.ports import free_port
from packyard.up import Stack
from packyard_rpc.v1 import metadata_pb2, metadata_pb2_grpc

from tests.e2e.conftest import run, tool
from tests.fixtures.dists import build_wheel
from tests.fixtures.tls import service_channel
from tests.fixtures.uploads import post_file, upload_fields
from tests.fixtures.upstream import CountingProxy, Reply, loopback_index

TIMINGS = Path(os.environ.get("PACKYARD_PROXY_TIMINGS", "/tmp/packyard-proxy-timings.json"))


class PypiServer:
    """`pypi-server run` over a folder of wheels, as a child process of the test."""

    def __init__(self, packages: Path) -> None:
        self.packages = packages
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [tool("pypi-server"), "run", "-p", str(self.port), "-i", "127.0.0.1",
             "--disable-fallback", str(self.packages)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/simple/", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("pypiserver did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@contextmanager
def pypiserver(packages: Path) -> Iterator[PypiServer]:
    server = PypiServer(packages)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def make_feed(stack: Stack) -> str:
    name = f"proxy-{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        async with service_channel(stack.metadata_addr, stack.tls) as channel:
            await metadata_pb2_grpc.MetadataServiceStub(channel).CreateFeed(
                metadata_pb2.CreateFeedRequest(
                    feed=metadata_pb2.Feed(name=name, anonymous_read=True)
                ),
                timeout=30,
            )

    asyncio.run(create())
    return name


def admin(stack: Stack, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    reply = httpx.request(
        method, stack.base_url + "/api/v1" + path, json=body,
        auth=("api", str(stack.admin_key)), timeout=30,
    )  # fmt: skip
    assert reply.status_code < 300, reply.text
    return reply.json() if reply.content else None


def add_connector(stack: Stack, feed: str, url: str, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = admin(
        stack, "POST", f"/feeds/{feed}/connectors", {"url": url, **fields}
    )
    return result


def pip_install(index: str, target: Path, env: dict[str, str], *names: str) -> float:
    started = time.monotonic()
    result = run(
        [sys.executable, "-m", "pip", "install", "--no-cache-dir", "--target", str(target),
         "--index-url", index, *names],
        env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return time.monotonic() - started


def dist_dir(tmp_path: Path) -> Path:
    path = tmp_path / "packages"
    path.mkdir(exist_ok=True)
    return path


def test_pip_and_uv_install_through_a_proxy_feed_even_after_the_upstream_stops(
    stack: Stack, client_env: dict[str, str], tmp_path: Path
) -> None:
    uid = uuid.uuid4().hex[:6]
    app, dep, leaf = f"pxapp-{uid}", f"pxdep-{uid}", f"pxleaf-{uid}"
    packages = dist_dir(tmp_path)
    build_wheel(packages, leaf, "1.0")
    build_wheel(packages, dep, "1.0", requires_dist=[leaf])
    build_wheel(packages, app, "1.0", requires_dist=[f"{dep}>=1.0"])
    feed = make_feed(stack)
    index = stack.index_url(feed)
    timings: dict[str, float] = {}
    with pypiserver(packages) as upstream:
        # Exactly what a user types: the connector CLI against the admin API.
        cli_env = {
            **client_env,
            "PACKYARD_URL": stack.base_url,
            "PACKYARD_KEY": str(stack.admin_key),
        }
        added = run(
            [sys.executable, "-m", "packyard.cli", "connector", "add", feed, upstream.url + "/",
             "--simple-path", "/simple", "--ttl", "0"],
            cli_env,
        )  # fmt: skip
        assert added.returncode == 0, added.stdout + added.stderr
        listed = run([sys.executable, "-m", "packyard.cli", "connector", "list", feed, "--json"],
                     cli_env)  # fmt: skip
        [connector] = json.loads(listed.stdout)
        assert connector["url"] == upstream.url and connector["simple_path"] == "/simple"

        # Dependencies exist only upstream; pip finds them all through the one Packyard URL.
        timings["packyard_cold"] = pip_install(index, tmp_path / "t1", client_env, app)
        assert (tmp_path / "t1" / leaf.replace("-", "_")).is_dir()
        timings["packyard_warm"] = pip_install(index, tmp_path / "t2", client_env, app)
        timings["direct_cold"] = pip_install(
            upstream.url + "/simple/", tmp_path / "t3", client_env, app
        )
        timings["direct_warm"] = pip_install(
            upstream.url + "/simple/", tmp_path / "t4", client_env, app
        )

        uv = run(
            [tool("uv"), "pip", "install", "--target", str(tmp_path / "t5"), "--index-url",
             index, app],
            client_env,
        )  # fmt: skip
        assert uv.returncode == 0, uv.stdout + uv.stderr
        assert (tmp_path / "t5" / dep.replace("-", "_")).is_dir()

    # The upstream is gone: the listing is served stale (and says so), files from storage.
    page = httpx.get(f"{index}{app}/", timeout=30)
    assert page.status_code == 200
    assert page.headers.get("X-Packyard-Stale") == "true"
    assert (
        f'href="../../packages/{app}/{app.replace("-", "_")}-1.0-py3-none-any.whl#sha256='
        in page.text
    )
    pip_install(index, tmp_path / "t6", client_env, app)
    TIMINGS.write_text(json.dumps(timings, indent=2))


def test_upstream_file_altered_after_its_listing_is_refused(stack: Stack, tmp_path: Path) -> None:
    name = f"pxalter-{uuid.uuid4().hex[:6]}"
    packages = dist_dir(tmp_path)
    wheel = build_wheel(packages, name, "1.0")
    good = wheel.read_bytes()
    feed = make_feed(stack)
    with pypiserver(packages) as upstream:
        add_connector(stack, feed, upstream.url)
        page = httpx.get(f"{stack.index_url(feed)}{name}/", timeout=30)
        assert hashlib.sha256(good).hexdigest() in page.text
        # Same filename, other bytes: what a compromised or careless upstream does.
        build_wheel(packages, name, "1.0", payload="# altered\n")
        url = f"{stack.base_url}/pypi/{feed}/packages/{name}/{wheel.name}"
        for _ in range(2):  # nothing was cached: the second try is refused the same way
            reply = httpx.get(url, timeout=30)
            assert reply.status_code == 502
            assert "hash mismatch" in reply.text
    log = (stack.logs_dir / "connector.log").read_text()
    assert "supply_chain.upstream_hash_mismatch" in log


def test_twenty_concurrent_first_requests_make_one_upstream_fetch(
    stack: Stack, tmp_path: Path
) -> None:
    name = f"pxburst-{uuid.uuid4().hex[:6]}"
    packages = dist_dir(tmp_path)
    wheel = build_wheel(packages, name, "1.0", payload="x = 1\n" * 200_000)
    feed = make_feed(stack)
    with pypiserver(packages) as upstream, CountingProxy(upstream.url) as proxy:
        add_connector(stack, feed, proxy.url)
        page_url = f"{stack.index_url(feed)}{name}/"
        file_url = f"{stack.base_url}/pypi/{feed}/packages/{name}/{wheel.name}"
        with ThreadPoolExecutor(20) as pool:
            pages = list(pool.map(lambda _: httpx.get(page_url, timeout=60), range(20)))
            assert all(p.status_code == 200 for p in pages)
            assert proxy.count(f"/simple/{name}/") == 1
            bodies = list(pool.map(lambda _: httpx.get(file_url, timeout=60), range(20)))
        assert all(b.status_code == 200 and b.content == wheel.read_bytes() for b in bodies)
        assert proxy.count(f"/packages/{wheel.name}") == 1


def test_hosted_names_shadow_upstream_and_upstream_names_refuse_uploads(
    stack: Stack, tmp_path: Path
) -> None:
    uid = uuid.uuid4().hex[:6]
    private, public = f"acme-{uid}", f"pxpublic-{uid}"
    packages = dist_dir(tmp_path)
    build_wheel(packages, private, "99.0")  # the dependency-confusion bait
    build_wheel(packages, public, "1.0")
    feed = make_feed(stack)
    local = build_wheel(tmp_path / "local", private, "1.0")
    assert (
        post_file(stack, local, upload_fields(local, private, "1.0"), feed=feed).status_code == 200
    )
    with pypiserver(packages) as upstream, CountingProxy(upstream.url) as proxy:
        add_connector(stack, feed, proxy.url)
        page = httpx.get(
            f"{stack.index_url(feed)}{private}/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json"}, timeout=30,
        )  # fmt: skip
        assert page.status_code == 200
        assert page.json()["versions"] == ["1.0"]
        assert proxy.count(private) == 0  # the private name never left the building

        assert httpx.get(f"{stack.index_url(feed)}{public}/", timeout=30).status_code == 200
        # The JSON API says where each file comes from.
        for project, origin in ((private, "local"), (public, "upstream")):
            api = httpx.get(f"{stack.base_url}/pypi/{feed}/pypi/{project}/json", timeout=30)
            assert [f["origin"] for f in api.json()["urls"]] == [origin]
        newer = build_wheel(tmp_path / "local", public, "2.0")
        fields = upload_fields(newer, public, "2.0")

        # The origin ("first pulled from upstream") was recorded before the page was served:
        # an upload right after is refused.
        reply = post_file(stack, newer, fields, feed=feed)
        assert reply.status_code == 403
        assert "mirrored from upstream" in reply.text
        admin(stack, "PUT", f"/feeds/{feed}/projects/{public}/origin", {"publish": "allow"})
        assert post_file(stack, newer, fields, feed=feed).status_code == 200


def test_redirect_of_a_file_to_another_host_is_refused(stack: Stack, tmp_path: Path) -> None:
    name = f"pxredir-{uuid.uuid4().hex[:6]}"
    wheel = build_wheel(tmp_path, name, "1.0")
    data = wheel.read_bytes()
    feed = make_feed(stack)
    with loopback_index() as upstream, loopback_index() as elsewhere:
        digest = hashlib.sha256(data).hexdigest()
        anchor = f'<a href="/f/{wheel.name}#sha256={digest}">{wheel.name}</a>'
        upstream.routes[f"/simple/{name}/"] = Reply(
            200, anchor.encode(), {"Content-Type": "text/html"}
        )
        upstream.routes[f"/f/{wheel.name}"] = Reply(302, b"", {"Location": f"{elsewhere.url}/x"})
        elsewhere.routes["/x"] = Reply(200, data)
        add_connector(stack, feed, upstream.url, username="robot", password="do-not-leak")
        reply = httpx.get(f"{stack.base_url}/pypi/{feed}/packages/{name}/{wheel.name}", timeout=30)
        assert reply.status_code == 502
        assert "Redirect to disallowed location" in reply.text
        assert elsewhere.requests == []
    assert "do-not-leak" not in (stack.logs_dir / "connector.log").read_text()


def test_another_packyard_feed_as_an_upstream(
    stack: Stack, client_env: dict[str, str], tmp_path: Path
) -> None:
    name = f"pxchain-{uuid.uuid4().hex[:6]}"
    source, proxy_feed = make_feed(stack), make_feed(stack)
    wheel = build_wheel(tmp_path, name, "1.0")
    assert (
        post_file(stack, wheel, upload_fields(wheel, name, "1.0"), feed=source).status_code == 200
    )
    add_connector(stack, proxy_feed, f"{stack.base_url}/pypi/{source}")
    accept = {"Accept": "application/vnd.pypi.simple.v1+json"}
    original = httpx.get(f"{stack.index_url(source)}{name}/", headers=accept).json()["files"][0]
    proxied = httpx.get(f"{stack.index_url(proxy_feed)}{name}/", headers=accept).json()["files"][0]
    # PEP 691 JSON from the upstream keeps upload-time and size (PEP 700) and the hashes.
    for key in ("filename", "hashes", "size", "upload-time", "core-metadata"):
        assert proxied[key] == original[key], key
    pip_install(stack.index_url(proxy_feed), tmp_path / "t", client_env, name)


def test_resolvers_read_upstream_wheel_metadata_without_downloading_wheels(
    stack: Stack, client_env: dict[str, str], tmp_path: Path
) -> None:
    """pypiserver offers no PEP 658 metadata; Packyard advertises it anyway and reads each
    wheel's METADATA with range requests, so pip and uv resolve without any wheel download."""
    uid = uuid.uuid4().hex[:6]
    app, dep = f"pxmeta-{uid}", f"pxmetadep-{uid}"
    packages = dist_dir(tmp_path)
    bulk = os.urandom(400_000).hex()  # wheels far larger than their metadata
    dep_wheel = build_wheel(packages, dep, "1.0", payload=bulk)
    app_wheel = build_wheel(packages, app, "1.0", requires_dist=[dep], payload=bulk)
    feed = make_feed(stack)
    index = stack.index_url(feed)
    with pypiserver(packages) as upstream, CountingProxy(upstream.url) as proxy:
        add_connector(stack, feed, proxy.url)
        accept = {"Accept": "application/vnd.pypi.simple.v1+json"}
        [listed] = httpx.get(f"{index}{app}/", headers=accept, timeout=30).json()["files"]
        assert listed["core-metadata"] is True
        assert 'data-core-metadata="true"' in httpx.get(f"{index}{app}/", timeout=30).text

        report = tmp_path / "report.json"
        result = run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--no-cache-dir",
             "--ignore-installed", "--report", str(report), "--index-url", index, app],
            client_env,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        resolved = {i["metadata"]["name"] for i in json.loads(report.read_text())["install"]}
        assert resolved == {app, dep}
        (tmp_path / "requirements.in").write_text(app + "\n")
        uv = run(
            [tool("uv"), "pip", "compile", "--no-cache", "--index-url", index,
             str(tmp_path / "requirements.in")],
            client_env,
        )  # fmt: skip
        assert uv.returncode == 0, uv.stdout + uv.stderr
        assert f"{dep}==1.0" in uv.stdout

        # Upstream, the wheels were only ever read in ranges (a few KiB each), never whole.
        for wheel in (app_wheel, dep_wheel):
            [path] = [p for p in proxy.ranges if p.endswith("/" + wheel.name)]
            assert proxy.ranges[path] and all(r.startswith("bytes=") for r in proxy.ranges[path])
        # Once read, the page advertises the metadata with its hash (PEP 658).
        metadata = httpx.get(
            f"{stack.base_url}/pypi/{feed}/packages/{app}/{app_wheel.name}.metadata", timeout=30
        )
        assert metadata.status_code == 200 and f"Requires-Dist: {dep}".encode() in metadata.content
        expected = {"sha256": hashlib.sha256(metadata.content).hexdigest()}
        deadline = time.monotonic() + 10  # gateways drop cached pages on the connector's event
        while True:
            [listed] = httpx.get(f"{index}{app}/", headers=accept, timeout=30).json()["files"]
            if listed["core-metadata"] == expected or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert listed["core-metadata"] == expected
