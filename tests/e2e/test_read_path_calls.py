"""Which backends a read costs: a feed without connectors never involves the connector.

A second gateway reaches the connector service through a relay that counts the bytes it
passes (and can be held). Reading a hosted project of a feed without connectors through it
(simple pages, the JSON API, a file, its metadata, a missing file) must not send the connector
a byte; once a connector is added to the feed (on the other gateway), the next lookup of a
name it does not host goes to the connector at once, without waiting for any TTL.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path

import httpx
import pytest
from packyard.up import Stack

from tests.fixtures.dists import build_wheel
from tests.fixtures.gateways import extra_gateway
from tests.fixtures.polling import wait_until
from tests.fixtures.relay import Relay, relay_to

SIMPLE_JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}
LONG = "60"  # seconds: the second gateway's cache TTLs, far beyond this test


def _ok(reply: httpx.Response) -> httpx.Response:
    assert reply.status_code < 300, (reply.status_code, reply.text)
    return reply


def _upload(client: httpx.Client, feed: str, project: str, wheel: Path) -> None:
    data = wheel.read_bytes()
    _ok(client.post(
        f"/pypi/{feed}/legacy/",
        data={":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1",
              "name": project, "version": "1.0", "filetype": "bdist_wheel",
              "pyversion": "py3", "sha256_digest": hashlib.sha256(data).hexdigest()},
        files={"content": (wheel.name, data)},
    ))  # fmt: skip


@pytest.fixture(scope="module")
def connector_relay(stack: Stack) -> Iterator[Relay]:
    with relay_to(stack.connector_addr) as running:
        yield running


@pytest.fixture(scope="module")
def counted_gateway(stack: Stack, connector_relay: Relay) -> Iterator[str]:
    env = {
        "PACKYARD_CONNECTOR_ADDR": connector_relay.addr,
        "PACKYARD_PAGE_CACHE_TTL": LONG,
        "PACKYARD_RPC_TIMEOUT": "3",
    }
    with extra_gateway(stack, env, subscribed=True) as url:
        yield url


def test_a_feed_without_connectors_never_calls_the_connector(
    stack: Stack, connector_relay: Relay, counted_gateway: str, tmp_path: Path
) -> None:
    auth = ("api", str(stack.admin_key))
    feed = f"hosted-{uuid.uuid4().hex[:8]}"
    project = f"only-hosted-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, project, "1.0")
    data = wheel.read_bytes()
    with httpx.Client(base_url=stack.base_url, auth=auth, timeout=30) as a:
        _ok(a.post("/api/v1/feeds", json={"name": feed, "description": "no connectors"}))
        _upload(a, feed, project, wheel)
    base = f"/pypi/{feed}"
    with httpx.Client(base_url=counted_gateway, auth=auth, timeout=30) as b:
        before = connector_relay.forwarded
        # Held: a call to the connector would sit in the relay, unanswered, and show there.
        with connector_relay.held():
            for _ in range(2):  # cold, then from the page cache
                html = _ok(b.get(f"{base}/simple/{project}/"))
                assert wheel.name in html.text
                listing = _ok(b.get(f"{base}/simple/{project}/", headers=SIMPLE_JSON)).json()
                assert [f["filename"] for f in listing["files"]] == [wheel.name]
                assert _ok(b.get(f"{base}/pypi/{project}/json")).json()["info"]["version"] == "1.0"
            assert _ok(b.get(f"{base}/packages/{project}/{wheel.name}")).content == data
            metadata = _ok(b.get(f"{base}/packages/{project}/{wheel.name}.metadata"))
            assert Parser().parsestr(metadata.text)["Name"] == project
            assert metadata.headers["content-length"] == str(len(metadata.content))
            missing = b.get(f"{base}/packages/{project}/{project.replace('-', '_')}-9.9.tar.gz")
            assert missing.status_code == 404
            unknown = b.get(f"{base}/simple/not-here-{uuid.uuid4().hex[:8]}/")
            assert unknown.status_code == 404
            assert not connector_relay.waiting(), "the gateway tried to call the connector"
        assert connector_relay.forwarded == before

        # A connector added on the other gateway: this one asks the connector from now on.
        with httpx.Client(base_url=stack.base_url, auth=auth, timeout=30) as a:
            _ok(a.post(f"/api/v1/feeds/{feed}/connectors", json={"url": "http://127.0.0.1:9/"}))

        def connector_asked() -> bool:
            b.get(f"{base}/simple/not-here-{uuid.uuid4().hex[:8]}/")
            return connector_relay.forwarded != before

        wait_until(connector_asked, what="the connector asked after it was added")


def test_a_metadata_file_answers_get_head_ranges_and_revalidation_alike(
    stack: Stack, tmp_path: Path
) -> None:
    # A plain GET reads the file whole; HEAD, ranges and 304s are answered from its size.
    project = f"meta-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, project, "1.0")
    with httpx.Client(base_url=stack.base_url, auth=("api", str(stack.admin_key))) as client:
        _upload(client, "main", project, wheel)
        url = f"/pypi/main/packages/{project}/{wheel.name}.metadata"
        whole = _ok(client.get(url))
        body = whole.content
        assert Parser().parsestr(whole.text)["Name"] == project
        assert whole.headers["content-length"] == str(len(body))
        assert whole.headers["etag"] == f'"{hashlib.sha256(body).hexdigest()}"'
        assert whole.headers["content-type"].startswith("text/plain")
        head = _ok(client.head(url))
        assert head.headers["content-length"] == str(len(body))
        assert head.headers["etag"] == whole.headers["etag"]
        part = client.get(url, headers={"Range": "bytes=5-14"})
        assert part.status_code == 206
        assert part.content == body[5:15]
        assert part.headers["content-range"] == f"bytes 5-14/{len(body)}"
        again = client.get(url, headers={"If-None-Match": whole.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == whole.headers["etag"]
