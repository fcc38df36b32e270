"""The connector's limits and cache lifetimes, end to end through a gateway.

A connector process of this module's own runs with small limits and short lifetimes (a
listing's max-stale window, the negative cache, listing and file sizes, redirects), behind a
gateway with no page cache, so every request reaches the connector. The upstream is a
scriptable index on loopback. Lifetimes are checked by behaviour: an answer kept while it
should be (the upstream was not asked again), and a new one once it expired (polled for).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from packyard.up import Stack

from tests.fixtures.dists import build_wheel
from tests.fixtures.gateways import extra_gateway
from tests.fixtures.polling import wait_until
from tests.fixtures.services import service_process
from tests.fixtures.upstream import LoopbackIndex, Reply, loopback_index

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
MAX_STALE = 3  # seconds past the TTL
NEGATIVE_TTL = 2
MAX_LISTING = 64 * 1024
MAX_FILE = 200 * 1024
MAX_REDIRECTS = 2


@dataclass
class Setup:
    stack: Stack
    gateway: str
    upstream: LoopbackIndex


@pytest.fixture(scope="module")
def setup(stack: Stack) -> Iterator[Setup]:
    limits = {
        "PACKYARD_UPSTREAM_MAX_STALE": str(MAX_STALE),
        "PACKYARD_UPSTREAM_NEGATIVE_TTL": str(NEGATIVE_TTL),
        "PACKYARD_UPSTREAM_MAX_LISTING_BYTES": str(MAX_LISTING),
        "PACKYARD_UPSTREAM_MAX_FILE_SIZE": str(MAX_FILE),
        "PACKYARD_UPSTREAM_MAX_REDIRECTS": str(MAX_REDIRECTS),
        "PACKYARD_BREAKER_FAILURES": "1000",  # the circuit stays out of these tests
        "PACKYARD_CONNECTORS_TTL": "0",
    }
    with (
        service_process(stack, "connector", limits) as connector,
        extra_gateway(
            stack, {"PACKYARD_CONNECTOR_ADDR": connector, "PACKYARD_PAGE_CACHE_TTL": "0"}
        ) as gateway,
        loopback_index() as upstream,
    ):
        yield Setup(stack, gateway, upstream)


def _feed(setup: Setup, ttl_seconds: int) -> str:
    feed = f"limits-{uuid.uuid4().hex[:8]}"
    with httpx.Client(
        base_url=setup.stack.base_url, auth=("api", str(setup.stack.admin_key)), timeout=30
    ) as admin:
        for path, body in (
            ("/api/v1/feeds", {"name": feed, "anonymous_read": True}),
            (f"/api/v1/feeds/{feed}/connectors",
             {"url": setup.upstream.url, "ttl_seconds": ttl_seconds}),
        ):  # fmt: skip
            reply = admin.post(path, json=body)
            assert reply.status_code < 300, reply.text
    return feed


def _page(project: str, files: list[tuple[str, bytes]], **extra: object) -> bytes:
    entries = [
        {
            "filename": name,
            "url": f"/files/{name}",
            "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
            **extra,
        }
        for name, data in files
    ]
    return json.dumps({"meta": {"api-version": "1.1"}, "name": project, "files": entries}).encode()


def _serve(setup: Setup, project: str, files: list[tuple[str, bytes]], **headers: str) -> str:
    path = f"/simple/{project}/"
    setup.upstream.routes[path] = Reply(
        200, _page(project, files), {"Content-Type": SIMPLE_JSON, **headers}
    )
    for name, data in files:
        setup.upstream.routes[f"/files/{name}"] = Reply(200, data)
    return path


def _wheel(tmp_path: Path, project: str, version: str = "1.0", **kw: str) -> tuple[str, bytes]:
    path = build_wheel(tmp_path / version, project, version, **kw)
    return path.name, path.read_bytes()


def _listing(setup: Setup, feed: str, project: str) -> httpx.Response:
    return httpx.get(
        f"{setup.gateway}/pypi/{feed}/simple/{project}/",
        headers={"Accept": SIMPLE_JSON},
        timeout=30,
    )


def _filenames(reply: httpx.Response) -> list[str]:
    assert reply.status_code == 200, (reply.status_code, reply.text)
    return [f["filename"] for f in reply.json()["files"]]


# -- lifetimes ---------------------------------------------------------------------------


def test_a_listing_is_kept_for_its_ttl_then_fetched_again(setup: Setup, tmp_path: Path) -> None:
    feed, project = _feed(setup, ttl_seconds=2), f"ttl-{uuid.uuid4().hex[:8]}"
    first = _wheel(tmp_path, project)
    path = _serve(setup, project, [first])
    assert _filenames(_listing(setup, feed, project)) == [first[0]]
    assert _filenames(_listing(setup, feed, project)) == [first[0]]
    assert setup.upstream.count(path) == 1  # within the TTL: not asked again
    second = _wheel(tmp_path, project, "2.0")
    _serve(setup, project, [first, second])
    wait_until(lambda: _filenames(_listing(setup, feed, project)) == [first[0], second[0]],
               what="the new listing after the TTL")  # fmt: skip
    assert setup.upstream.count(path) >= 2


def test_revalidation_sends_if_modified_since_and_a_304_keeps_the_listing(
    setup: Setup, tmp_path: Path
) -> None:
    feed, project = _feed(setup, ttl_seconds=1), f"ims-{uuid.uuid4().hex[:8]}"
    file = _wheel(tmp_path, project)
    modified = "Wed, 21 Oct 2015 07:28:00 GMT"
    path = _serve(setup, project, [file], **{"Last-Modified": modified})
    assert _filenames(_listing(setup, feed, project)) == [file[0]]
    setup.upstream.routes[path] = Reply(304, b"", {"Last-Modified": modified})

    def revalidated() -> bool:
        return _listing(setup, feed, project).status_code == 200 and setup.upstream.count(path) > 1

    wait_until(revalidated, what="a revalidation after the TTL")
    assert setup.upstream.seen(path)[1].headers.get("If-Modified-Since") == modified
    kept = _listing(setup, feed, project)
    assert _filenames(kept) == [file[0]]
    assert kept.headers.get("X-Packyard-Stale") != "true"


def test_a_missing_upstream_project_is_remembered_for_the_negative_ttl(
    setup: Setup, tmp_path: Path
) -> None:
    feed, project = _feed(setup, ttl_seconds=300), f"neg-{uuid.uuid4().hex[:8]}"
    path = f"/simple/{project}/"
    assert _listing(setup, feed, project).status_code == 404
    assert _listing(setup, feed, project).status_code == 404
    assert setup.upstream.count(path) == 1  # the 404 is remembered
    file = _wheel(tmp_path, project)
    _serve(setup, project, [file])
    wait_until(lambda: _listing(setup, feed, project).status_code == 200,
               what="the project found once the negative entry expired")  # fmt: skip
    assert _filenames(_listing(setup, feed, project)) == [file[0]]


def test_a_stale_listing_is_served_only_within_the_max_stale_window(
    setup: Setup, tmp_path: Path
) -> None:
    feed, project = _feed(setup, ttl_seconds=1), f"stale-{uuid.uuid4().hex[:8]}"
    file = _wheel(tmp_path, project)
    path = _serve(setup, project, [file])
    assert _filenames(_listing(setup, feed, project)) == [file[0]]
    setup.upstream.routes[path] = Reply(503, b"down")

    def stale() -> bool:
        reply = _listing(setup, feed, project)
        return reply.status_code == 200 and reply.headers.get("X-Packyard-Stale") == "true"

    wait_until(stale, what="the listing served stale")
    assert _filenames(_listing(setup, feed, project)) == [file[0]]
    # TTL + max-stale later the old listing is not served any more.
    wait_until(lambda: _listing(setup, feed, project).status_code != 200,
               what="the stale listing refused after the max-stale window")  # fmt: skip
    assert _listing(setup, feed, project).status_code == 503


# -- sizes and redirects -----------------------------------------------------------------


def test_a_listing_larger_than_the_limit_is_refused(setup: Setup, tmp_path: Path) -> None:
    feed, project = _feed(setup, ttl_seconds=300), f"biglist-{uuid.uuid4().hex[:8]}"
    many = [(f"{project.replace('-', '_')}-1.{i}-py3-none-any.whl", b"x") for i in range(600)]
    body = _page(project, many)
    assert len(body) > MAX_LISTING
    setup.upstream.routes[f"/simple/{project}/"] = Reply(200, body, {"Content-Type": SIMPLE_JSON})
    reply = _listing(setup, feed, project)
    assert reply.status_code == 502, reply.text
    # Just under the limit is fine.
    fits = many[: len(many) * MAX_LISTING // len(body) - 5]
    setup.upstream.routes[f"/simple/{project}/"] = Reply(
        200, _page(project, fits), {"Content-Type": SIMPLE_JSON}
    )
    other = _feed(setup, ttl_seconds=300)
    assert len(_filenames(_listing(setup, other, project))) == len(fits)


def test_a_file_larger_than_the_limit_is_refused(setup: Setup, tmp_path: Path) -> None:
    feed, project = _feed(setup, ttl_seconds=300), f"bigfile-{uuid.uuid4().hex[:8]}"
    big = _wheel(tmp_path, project, "1.0", payload=f"# {os.urandom(MAX_FILE).hex()}\n")
    small = _wheel(tmp_path, project, "2.0")
    assert len(big[1]) > MAX_FILE
    _serve(setup, project, [big, small])
    base = f"{setup.gateway}/pypi/{feed}/packages/{project}"
    refused = httpx.get(f"{base}/{big[0]}", timeout=60)
    assert refused.status_code == 502 and "too large" in refused.text
    assert httpx.get(f"{base}/{small[0]}", timeout=60).content == small[1]


def test_redirects_are_followed_up_to_the_limit(setup: Setup, tmp_path: Path) -> None:
    feed, project = _feed(setup, ttl_seconds=300), f"redir-{uuid.uuid4().hex[:8]}"
    name, data = _wheel(tmp_path, project)
    _serve(setup, project, [(name, data)])

    def chain(hops: int, target: str) -> str:
        """A chain of ``hops`` redirects on the upstream ending at ``target``; its start."""
        for hop in range(hops):
            here = f"/hop/{uuid.uuid4().hex[:8]}/{hop}"
            setup.upstream.routes[here] = Reply(302, b"", {"Location": target})
            target = here
        return target

    setup.upstream.routes[f"/files/{name}"] = Reply(
        302, b"", {"Location": chain(MAX_REDIRECTS - 1, f"/real/{name}")}
    )
    setup.upstream.routes[f"/real/{name}"] = Reply(200, data)
    url = f"{setup.gateway}/pypi/{feed}/packages/{project}/{name}"
    assert httpx.get(url, timeout=60).content == data  # MAX_REDIRECTS hops in all

    other, too_far = _wheel(tmp_path, project, "2.0")
    _serve(setup, project, [(name, data), (other, too_far)])
    setup.upstream.routes[f"/files/{other}"] = Reply(
        302, b"", {"Location": chain(MAX_REDIRECTS, f"/real/{other}")}
    )
    setup.upstream.routes[f"/real/{other}"] = Reply(200, too_far)
    feed2 = _feed(setup, ttl_seconds=300)
    reply = httpx.get(f"{setup.gateway}/pypi/{feed2}/packages/{project}/{other}", timeout=60)
    assert reply.status_code == 502, reply.text
