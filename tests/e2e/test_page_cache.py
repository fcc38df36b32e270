"""The gateway page cache and change events across two gateways.

Gateway A is the stack's; gateway B is a second process whose page and auth caches live 60 s,
so anything B shows before that (the tests poll for at most 20 s) came from the change event,
not from a TTL running out. How fast the events arrive is measured by scripts/bench.
B reaches the metadata service through a relay the test can hold: a page B still answers
while the relay is held was served without the metadata service.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from packyard.engines import NatsEngine
from packyard.engines.ports import free_port
from packyard.up import Stack

from tests.fixtures.dists import build_wheel
from tests.fixtures.engines import nats_engine
from tests.fixtures.gateways import extra_gateway
from tests.fixtures.polling import wait_until
from tests.fixtures.relay import Relay, relay_to

SIMPLE_JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}
LONG = "60"  # seconds: B's cache TTLs, far beyond any wait below


def _ok(reply: httpx.Response) -> httpx.Response:
    assert reply.status_code < 300, (reply.status_code, reply.text)
    return reply


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.base_url, auth=("api", str(stack.admin_key)), timeout=30
    ) as client:
        yield client


@pytest.fixture(scope="module")
def relay(stack: Stack) -> Iterator[Relay]:
    with relay_to(stack.metadata_addr) as running:
        yield running


@pytest.fixture(scope="module")
def gateway_b(stack: Stack, relay: Relay) -> Iterator[str]:
    env = {
        "PACKYARD_METADATA_ADDR": relay.addr,
        "PACKYARD_PAGE_CACHE_TTL": LONG,
        "PACKYARD_AUTH_CACHE_TTL": LONG,
        "PACKYARD_RPC_TIMEOUT": "3",
    }
    with extra_gateway(stack, env, subscribed=True) as url:
        yield url


@pytest.fixture(scope="module")
def feed(admin: httpx.Client) -> str:
    name = f"cache-{uuid.uuid4().hex[:8]}"
    _ok(admin.post("/api/v1/feeds", json={"name": name, "description": "page cache"}))
    return name


def _upload(client: httpx.Client, feed: str, wheel: Path, project: str, version: str) -> None:
    data = wheel.read_bytes()
    _ok(
        client.post(
            f"/pypi/{feed}/legacy/",
            data={
                ":action": "file_upload",
                "protocol_version": "1",
                "metadata_version": "2.1",
                "name": project,
                "version": version,
                "filetype": "bdist_wheel",
                "pyversion": "py3",
                "sha256_digest": hashlib.sha256(data).hexdigest(),
            },
            files={"content": (wheel.name, data, "application/octet-stream")},
        )
    )


def _project(admin: httpx.Client, feed: str, tmp_path: Path, *versions: str) -> str:
    project = f"cached_{uuid.uuid4().hex[:8]}"
    for version in versions:
        _upload(admin, feed, build_wheel(tmp_path, project, version), project, version)
    return project.replace("_", "-")


def _nats_of_its_own(tmp_path: Path) -> NatsEngine:
    """A NATS on a port of its own, not started; its passwords exist before it does."""
    nats = nats_engine(tmp_path / "nats", port=free_port())
    nats.prepare()
    return nats


def test_a_cached_page_is_served_without_the_metadata_service(
    stack: Stack, admin: httpx.Client, feed: str, gateway_b: str, relay: Relay, tmp_path: Path
) -> None:
    project = _project(admin, feed, tmp_path, "1.0")
    other = _project(admin, feed, tmp_path, "1.0")
    urls = [
        f"{gateway_b}/pypi/{feed}/simple/{project}/",
        f"{gateway_b}/pypi/{feed}/simple/{project}/?format=application/vnd.pypi.simple.v1%2Bjson",
        f"{gateway_b}/pypi/{feed}/pypi/{project}/json",
    ]
    auth = ("api", str(stack.admin_key))
    with httpx.Client(auth=auth, timeout=10) as client:
        warm = [_ok(client.get(url)) for url in urls]
        with relay.held():
            for _ in range(5):
                again = [client.get(url) for url in urls]
                assert [r.status_code for r in again] == [200, 200, 200]
                assert [r.content for r in again] == [r.content for r in warm]
                assert [r.headers["ETag"] for r in again] == [r.headers["ETag"] for r in warm]
            # Revalidation is answered from the cache too.
            etag = warm[0].headers["ETag"]
            assert client.get(urls[0], headers={"If-None-Match": etag}).status_code == 304
            # The relay really cuts B off: a page it has not cached gets no answer meanwhile.
            with pytest.raises(httpx.TimeoutException):
                client.get(f"{gateway_b}/pypi/{feed}/simple/{other}/", timeout=1.0)
        # Auth is still decided per request, from cache or not.
        assert httpx.get(urls[0], timeout=10).status_code == 401


def test_an_upload_on_a_shows_on_b_before_its_cache_expires(
    stack: Stack, admin: httpx.Client, feed: str, gateway_b: str, tmp_path: Path
) -> None:
    project = _project(admin, feed, tmp_path, "1.0")
    url = f"{gateway_b}/pypi/{feed}/simple/{project}/"
    with httpx.Client(auth=("api", str(stack.admin_key)), headers=SIMPLE_JSON) as client:

        def versions() -> list[str]:
            return list(_ok(client.get(url)).json()["versions"])

        assert versions() == ["1.0"]
        assert versions() == ["1.0"]  # now cached on B for 60 s
        wheel = build_wheel(tmp_path, project.replace("-", "_"), "2.0")
        _upload(admin, feed, wheel, project, "2.0")
        wait_until(lambda: versions() == ["1.0", "2.0"])


def test_a_yank_through_the_admin_api_on_a_shows_on_b(
    stack: Stack, admin: httpx.Client, feed: str, gateway_b: str, tmp_path: Path
) -> None:
    project = _project(admin, feed, tmp_path, "1.0")
    urls = {
        "simple": f"{gateway_b}/pypi/{feed}/simple/{project}/",
        "json": f"{gateway_b}/pypi/{feed}/pypi/{project}/json",
    }
    with httpx.Client(auth=("api", str(stack.admin_key)), headers=SIMPLE_JSON) as client:

        def yanked() -> dict[str, object]:
            page = _ok(client.get(urls["simple"])).json()
            document = _ok(client.get(urls["json"])).json()
            return {"simple": page["files"][0]["yanked"], "json": document["urls"][0]["yanked"]}

        assert yanked() == {"simple": False, "json": False}
        _ok(
            admin.post(
                f"/api/v1/feeds/{feed}/projects/{project}/releases/1.0/yank",
                json={"reason": "broken"},
            )
        )
        wait_until(lambda: yanked() == {"simple": "broken", "json": True})


def test_a_key_revoked_on_a_is_refused_by_b_before_its_cache_expires(
    admin: httpx.Client, feed: str, gateway_b: str
) -> None:
    reply = _ok(
        admin.post(
            "/api/v1/keys",
            json={"name": "cache-revoke", "permissions": [{"feed": feed, "right": "read"}]},
        )
    )
    key, prefix = reply.json()["key"], reply.json()["prefix"]
    url = f"{gateway_b}/pypi/{feed}/simple/"
    with httpx.Client(auth=("api", key), timeout=10) as client:
        assert client.get(url).status_code == 200
        assert client.get(url).status_code == 200  # B reuses this for 60 s without the event
        _ok(admin.delete(f"/api/v1/keys/{prefix}"))
        wait_until(lambda: client.get(url).status_code == 401)


def test_a_gateway_serves_without_nats_and_subscribes_once_it_is_up(
    stack: Stack, admin: httpx.Client, feed: str, tmp_path: Path
) -> None:
    project = _project(admin, feed, tmp_path, "1.0")
    nats = _nats_of_its_own(tmp_path)  # started later
    with extra_gateway(stack, {"PACKYARD_NATS_URL": nats.url_for("gateway")}) as url:
        # Without change events the gateway still serves: ready, but degraded.
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "degraded", "events": "disconnected"}
        page = f"{url}/pypi/{feed}/simple/{project}/"
        auth = ("api", str(stack.admin_key))
        assert httpx.get(page, auth=auth, headers=SIMPLE_JSON).json()["versions"] == ["1.0"]
        nats.start()
        try:
            deadline = time.monotonic() + 15
            while httpx.get(f"{url}/readyz").json()["events"] != "connected":
                assert time.monotonic() < deadline, "the gateway did not subscribe"
                time.sleep(0.1)
        finally:
            nats.stop()


def test_a_cached_project_page_is_refused_to_whoever_may_not_read_it(
    admin: httpx.Client, feed: str, gateway_b: str, tmp_path: Path
) -> None:
    project = _project(admin, feed, tmp_path, "1.0")
    keys = {}
    for name, permissions in (("reader", [{"feed": feed, "right": "read"}]), ("other", [])):
        made = _ok(admin.post("/api/v1/keys", json={"name": f"page-{name}-{project}",
                                                    "permissions": permissions}))  # fmt: skip
        keys[name] = (made.json()["key"], made.json()["prefix"])
    url = f"{gateway_b}/pypi/{feed}/simple/{project}/"
    with httpx.Client(auth=("api", keys["reader"][0]), timeout=10) as reader:
        for accept in ({}, SIMPLE_JSON):  # both formats cached on B from now on
            for _ in range(2):
                assert reader.get(url, headers=accept).status_code == 200
        etag = reader.get(url).headers["etag"]
        assert reader.get(url, headers={"If-None-Match": etag}).status_code == 304
        assert httpx.get(url, timeout=10).status_code == 401
        refused = httpx.get(url, auth=("api", keys["other"][0]), timeout=10)
        assert refused.status_code == 403 and "may not read" in refused.text
        assert refused.headers["x-content-type-options"] == "nosniff"
        _ok(admin.delete(f"/api/v1/keys/{keys['reader'][1]}"))
        wait_until(lambda: reader.get(url, headers=SIMPLE_JSON).status_code == 401)


def test_a_hot_file_is_downloaded_without_the_metadata_service(
    stack: Stack, admin: httpx.Client, feed: str, gateway_b: str, relay: Relay, tmp_path: Path
) -> None:
    project = _project(admin, feed, tmp_path, "1.0")
    page = _ok(admin.get(f"/pypi/{feed}/simple/{project}/", headers=SIMPLE_JSON)).json()
    filename = page["files"][0]["filename"]
    url = f"{gateway_b}/pypi/{feed}/packages/{project}/{filename}"
    with httpx.Client(auth=("api", str(stack.admin_key)), timeout=10) as client:
        first = _ok(client.get(url))
        assert hashlib.sha256(first.content).hexdigest() == page["files"][0]["hashes"]["sha256"]
        with relay.held():
            for _ in range(3):
                again = client.get(url)
                assert again.status_code == 200
                assert again.content == first.content
                # The same answer as the route gave the first time, header for header.
                for header in (
                    "etag",
                    "content-length",
                    "content-type",
                    "cache-control",
                    "content-disposition",
                    "accept-ranges",
                    "x-content-type-options",
                ):
                    assert again.headers.get(header) == first.headers.get(header), header
            metadata = client.get(f"{url}.metadata")
            assert metadata.status_code == 200 and metadata.text.startswith("Metadata-Version")
            # The relay really cuts B off: a file it has not served gets no answer meanwhile.
            other = _project(admin, feed, tmp_path, "1.0")
            listed = _ok(admin.get(f"/pypi/{feed}/simple/{other}/", headers=SIMPLE_JSON)).json()
            with pytest.raises(httpx.TimeoutException):
                name = listed["files"][0]["filename"]
                client.get(f"{gateway_b}/pypi/{feed}/packages/{other}/{name}", timeout=1.0)
        # Who may read is still decided per request.
        assert httpx.get(url, timeout=10).status_code == 401


def test_a_file_deleted_on_a_is_gone_on_b_before_its_cache_expires(
    stack: Stack, admin: httpx.Client, feed: str, gateway_b: str, tmp_path: Path
) -> None:
    project = _project(admin, feed, tmp_path, "1.0", "2.0")
    page = _ok(admin.get(f"/pypi/{feed}/simple/{project}/", headers=SIMPLE_JSON)).json()
    filename = next(f["filename"] for f in page["files"] if "-1.0-" in f["filename"])
    url = f"{gateway_b}/pypi/{feed}/packages/{project}/{filename}"
    with httpx.Client(auth=("api", str(stack.admin_key)), timeout=10) as client:
        assert _ok(client.get(url)).status_code == 200
        assert _ok(client.get(url)).status_code == 200  # B keeps the row for 60 s without the event
        reply = admin.delete(f"/api/v1/feeds/{feed}/files/{filename}")
        assert reply.json() == {"deleted": filename, "files": 1}
        wait_until(lambda: client.get(url).status_code == 404)


def test_after_a_page_its_files_are_downloaded_without_the_metadata_service(
    stack: Stack, admin: httpx.Client, feed: str, gateway_b: str, relay: Relay, tmp_path: Path
) -> None:
    # pip and uv read a project's page, then its .metadata file and wheel: the rows read with
    # the page serve both.
    project = _project(admin, feed, tmp_path, "1.0", "2.0")
    with httpx.Client(auth=("api", str(stack.admin_key)), timeout=10) as client:
        page = _ok(client.get(f"{gateway_b}/pypi/{feed}/simple/{project}/", headers=SIMPLE_JSON))
        files = page.json()["files"]
        with relay.held():
            for listed in files:
                url = f"{gateway_b}/pypi/{feed}/packages/{project}/{listed['filename']}"
                wheel = client.get(url)
                assert wheel.status_code == 200, wheel.text
                assert hashlib.sha256(wheel.content).hexdigest() == listed["hashes"]["sha256"]
                metadata = client.get(f"{url}.metadata")
                assert metadata.status_code == 200
                sha = listed["core-metadata"]["sha256"]
                assert hashlib.sha256(metadata.content).hexdigest() == sha


def test_a_quarantined_projects_files_are_not_served_from_kept_rows(
    stack: Stack, admin: httpx.Client, feed: str, gateway_b: str, tmp_path: Path
) -> None:
    project = _project(admin, feed, tmp_path, "1.0")
    with httpx.Client(auth=("api", str(stack.admin_key)), timeout=10) as client:
        page = _ok(client.get(f"{gateway_b}/pypi/{feed}/simple/{project}/", headers=SIMPLE_JSON))
        url = f"{gateway_b}/pypi/{feed}/packages/{project}/{page.json()['files'][0]['filename']}"
        assert _ok(client.get(url)).status_code == 200  # its row and bytes now kept on B
        reply = admin.put(
            f"/api/v1/feeds/{feed}/projects/{project}/status",
            json={"status": "quarantined", "reason": "under review"},
        )
        assert reply.status_code < 300, reply.text
        wait_until(lambda: client.get(url).status_code == 404)
        # A page read after the quarantine keeps no row to serve it from either.
        client.get(f"{gateway_b}/pypi/{feed}/simple/{project}/", headers=SIMPLE_JSON)
        assert client.get(url).status_code == 404


def test_a_cached_page_answers_as_the_whole_stack_does(
    stack: Stack, admin: httpx.Client, feed: str, tmp_path: Path
) -> None:
    # A request carrying a trace context goes through every layer of the gateway; one without
    # it may be answered by the front door (front_door.py). Both must say the same.
    project = _project(admin, feed, tmp_path, "1.0")
    url = f"/pypi/{feed}/simple/{project}/"
    traced = {"traceparent": f"00-{'3' * 32}-{'4' * 16}-01"}

    def compared(method: str, **headers: str) -> httpx.Response:
        plain = admin.request(method, url, headers=headers)
        whole = admin.request(method, url, headers={**headers, **traced})
        assert plain.status_code == whole.status_code
        assert plain.content == whole.content
        for reply in (plain, whole):
            del reply.headers["date"]
        assert list(plain.headers.multi_items()) == list(whole.headers.multi_items())
        return plain

    for accept in ({}, SIMPLE_JSON):
        admin.get(url, headers=accept)  # kept from now on
        page = compared("GET", **accept)
        assert page.status_code == 200 and page.headers["x-content-type-options"] == "nosniff"
        head = compared("HEAD", **accept)
        assert head.content == b"" and head.headers["content-length"] == str(len(page.content))
        revalidated = compared("GET", **accept, **{"If-None-Match": page.headers["etag"]})
        assert revalidated.status_code == 304


def test_a_change_whose_event_never_arrives_shows_within_the_ttl_on_a_page_read_all_along(
    stack: Stack, admin: httpx.Client, feed: str, tmp_path: Path
) -> None:
    # Gateway C listens to a NATS of its own: it is "connected", so it caches, but no change
    # event ever reaches it, and it does not reconcile. A page read without pause is renewed
    # before it expires, by a load or, while the feed's change serial stands still, by that
    # serial alone (page_cache.py); a change moves the serial, so the renewal loads the page.
    project = _project(admin, feed, tmp_path, "1.0")
    nats = _nats_of_its_own(tmp_path)
    nats.start()
    env = {
        "PACKYARD_NATS_URL": nats.url_for("gateway"),
        "PACKYARD_PAGE_CACHE_TTL": "2",
        "PACKYARD_RECONCILE_INTERVAL": "0",
    }
    try:
        with (
            extra_gateway(stack, env, subscribed=True) as url,
            httpx.Client(auth=("api", str(stack.admin_key)), headers=SIMPLE_JSON) as client,
        ):
            page = f"{url}/pypi/{feed}/simple/{project}/"

            def versions() -> list[str]:
                return list(_ok(client.get(page)).json()["versions"])

            deadline = time.monotonic() + 5  # two and a half TTLs of renewals
            while time.monotonic() < deadline:
                assert versions() == ["1.0"]
                time.sleep(0.05)
            wheel = build_wheel(tmp_path, project.replace("-", "_"), "2.0")
            _upload(admin, feed, wheel, project, "2.0")
            uploaded = time.monotonic()
            while versions() != ["1.0", "2.0"]:
                # The TTL, plus room for one load on a busy machine: without the serial check
                # the old page is renewed for ever and this fails whatever the room.
                assert time.monotonic() - uploaded < 2 + 3, "the page outlived its TTL"
                time.sleep(0.05)
    finally:
        nats.stop()
