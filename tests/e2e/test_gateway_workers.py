"""A gateway of two workers (PACKYARD_GATEWAY_WORKERS=2) keeps the promises of one process.

Each worker caches pages and authentications on its own, here for 60 s: within the polling
deadline (well under that) only the change events, which every worker receives, can explain
a new page or a refusal. Each request goes on a new connection, which the kernel hands to
either worker; 20 of them all reaching one worker would be 1 in 2**19.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from packyard.up import Stack

from tests.fixtures.dists import build_wheel
from tests.fixtures.gateways import gateway_process
from tests.fixtures.polling import wait_until
from tests.fixtures.relay import relay_to

LONG = "60"
CONNECTIONS = 20
SIMPLE_JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


def _ok(reply: httpx.Response) -> httpx.Response:
    assert reply.status_code < 300, (reply.status_code, reply.text)
    return reply


def _fresh(url: str, **kw: object) -> httpx.Response:
    """One request on a connection of its own."""
    with httpx.Client(timeout=10) as client:
        return client.get(url, **kw)  # type: ignore[arg-type]


def _refused(statuses: set[int]) -> bool:
    """Every answer refuses the key: 401, or 429 once the metadata service, which counts the
    polls below as failed logins (per address and key, shared by all gateways), locks it out."""
    return bool(statuses) and statuses <= {401, 429}


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.base_url, auth=("api", str(stack.admin_key)), timeout=30
    ) as client:
        yield client


@pytest.fixture(scope="module")
def workers_gateway(stack: Stack) -> Iterator[str]:
    env = {
        "PACKYARD_GATEWAY_WORKERS": "2",
        "PACKYARD_PAGE_CACHE_TTL": LONG,
        "PACKYARD_AUTH_CACHE_TTL": LONG,
    }
    with gateway_process(stack, env, subscribed=True) as (proc, url):
        assert len(psutil.Process(proc.pid).children()) == 2
        _every_worker_subscribed(url)
        yield url


def _every_worker_subscribed(url: str) -> None:
    """Both workers receive change events (each answers readiness for itself)."""
    wait_until(
        lambda: all(
            _fresh(f"{url}/readyz").json().get("events") == "connected" for _ in range(CONNECTIONS)
        ),
        what="every worker subscribed",
    )


def _upload(admin: httpx.Client, feed: str, tmp_path: Path, project: str, version: str) -> None:
    wheel = build_wheel(tmp_path, project, version)
    data = wheel.read_bytes()
    _ok(
        admin.post(
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


def _published(admin: httpx.Client, tmp_path: Path, prefix: str) -> tuple[str, str]:
    """A new feed and a project with version 1.0 in it."""
    feed = f"{prefix}-{uuid.uuid4().hex[:8]}"
    _ok(admin.post("/api/v1/feeds", json={"name": feed, "description": prefix}))
    project = f"{prefix}_{uuid.uuid4().hex[:8]}"
    _upload(admin, feed, tmp_path, project, "1.0")
    return feed, project


def test_every_worker_sees_new_uploads_and_revocations(
    admin: httpx.Client, workers_gateway: str, tmp_path: Path
) -> None:
    feed = f"workers-{uuid.uuid4().hex[:8]}"
    _ok(admin.post("/api/v1/feeds", json={"name": feed, "description": "workers"}))
    project = f"workers_{uuid.uuid4().hex[:8]}"
    _upload(admin, feed, tmp_path, project, "1.0")
    reply = _ok(
        admin.post(
            "/api/v1/keys",
            json={"name": "workers", "permissions": [{"feed": feed, "right": "read"}]},
        )
    )
    key, prefix = reply.json()["key"], reply.json()["prefix"]
    page = f"{workers_gateway}/pypi/{feed}/simple/{project.replace('_', '-')}/"

    def versions() -> set[tuple[str, ...]]:
        seen = set()
        for _ in range(CONNECTIONS):
            answer = _ok(_fresh(page, auth=("api", key), headers=SIMPLE_JSON)).json()
            seen.add(tuple(answer["versions"]))
        return seen

    # Every worker now holds the page and the key's authentication for 60 s.
    assert versions() == {("1.0",)}
    _upload(admin, feed, tmp_path, project, "2.0")
    wait_until(lambda: versions() == {("1.0", "2.0")}, what="the upload on every worker")

    _ok(admin.delete(f"/api/v1/keys/{prefix}"))
    wait_until(
        lambda: _refused({_fresh(page, auth=("api", key)).status_code for _ in range(CONNECTIONS)}),
        what="the revocation on every worker",
    )


def test_a_page_one_worker_loaded_is_served_by_the_other_without_the_metadata_service(
    stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    # Without the pages the workers share (shared_pages.py), half of the fresh connections
    # below land on a worker that never loaded the page and would wait for the held relay.
    feed, project = _published(admin, tmp_path, "shared")
    auth = ("api", str(stack.admin_key))
    with relay_to(stack.metadata_addr) as relay:
        env = {
            "PACKYARD_GATEWAY_WORKERS": "2",
            "PACKYARD_METADATA_ADDR": relay.addr,
            "PACKYARD_PAGE_CACHE_TTL": LONG,
            "PACKYARD_AUTH_CACHE_TTL": LONG,
            "PACKYARD_RPC_TIMEOUT": "3",
        }
        with gateway_process(stack, env, subscribed=True) as (_, url):
            _every_worker_subscribed(url)
            page = f"{url}/pypi/{feed}/simple/{project.replace('_', '-')}/"
            # Each worker learns the key and the feed's settings (cached 60 s)...
            for _ in range(CONNECTIONS):
                assert _fresh(f"{url}/pypi/{feed}/simple/", auth=auth).status_code == 200
            # ...and one connection loads the page, on whichever worker it lands.
            with httpx.Client(auth=auth, timeout=10, headers=SIMPLE_JSON) as one:
                loaded = _ok(one.get(page))
            with relay.held():
                for _ in range(CONNECTIONS):
                    again = _fresh(page, auth=auth, headers=SIMPLE_JSON)
                    assert again.status_code == 200
                    assert again.content == loaded.content


def test_a_file_one_worker_kept_is_served_by_the_other_without_the_blob_service(
    stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    # Each worker keeps its copies in a directory of its own; without linking a sibling's copy
    # (blob_cache.py), half of the fresh connections below would wait for the held relay.
    feed, project = _published(admin, tmp_path, "copies")
    filename = f"{project}-1.0-py3-none-any.whl"
    wheel = (tmp_path / filename).read_bytes()
    auth = ("api", str(stack.admin_key))
    with relay_to(stack.blob_addr) as relay:
        env = {"PACKYARD_GATEWAY_WORKERS": "2", "PACKYARD_BLOB_ADDR": relay.addr,
               "PACKYARD_RPC_TIMEOUT": "3"}  # fmt: skip
        with gateway_process(stack, env, subscribed=True) as (_, url):
            file_url = f"{url}/pypi/{feed}/packages/{project.replace('_', '-')}/{filename}"
            # One connection downloads the file: the worker it lands on keeps a copy.
            assert _ok(_fresh(file_url, auth=auth)).content == wheel
            with relay.held():
                for _ in range(CONNECTIONS):
                    again = _fresh(file_url, auth=auth)
                    assert again.status_code == 200 and again.content == wheel
