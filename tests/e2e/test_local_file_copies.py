"""A file served whole is kept on the gateway's disk and served from there with no blob call;
what may be served is still the metadata answer's to decide.

A second gateway (one worker, so every request meets the same copies) reaches the blob
service through a relay that can be held: while held, a blob call would sit in the relay
unanswered and show there. The second download of a wheel and of its metadata file must
arrive whole without it; once the file is deleted, its copy is never served (404).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from packyard.up import Stack

from tests.fixtures.dists import build_wheel
from tests.fixtures.gateways import extra_gateway
from tests.fixtures.polling import wait_until
from tests.fixtures.relay import Relay, relay_to


def _ok(reply: httpx.Response) -> httpx.Response:
    assert reply.status_code < 300, (reply.status_code, reply.text)
    return reply


@pytest.fixture(scope="module")
def blob_relay(stack: Stack) -> Iterator[Relay]:
    with relay_to(stack.blob_addr) as running:
        yield running


@pytest.fixture(scope="module")
def copying_gateway(stack: Stack, blob_relay: Relay) -> Iterator[str]:
    env = {
        "PACKYARD_BLOB_ADDR": blob_relay.addr,
        "PACKYARD_GATEWAY_WORKERS": "1",
        # A blob call made while the relay is held fails soon (503) instead of hanging.
        "PACKYARD_RPC_TIMEOUT": "3",
    }
    with extra_gateway(stack, env, subscribed=True) as url:
        yield url


def test_a_file_served_once_is_served_again_without_the_blob_service_until_deleted(
    stack: Stack, blob_relay: Relay, copying_gateway: str, tmp_path: Path
) -> None:
    auth = ("api", str(stack.admin_key))
    project = f"copied-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, project, "1.0")
    data = wheel.read_bytes()
    with httpx.Client(base_url=stack.base_url, auth=auth, timeout=30) as a:
        _ok(a.post(
            "/pypi/main/legacy/",
            data={":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1",
                  "name": project, "version": "1.0", "filetype": "bdist_wheel",
                  "pyversion": "py3", "sha256_digest": hashlib.sha256(data).hexdigest()},
            files={"content": (wheel.name, data)},
        ))  # fmt: skip
    url = f"/pypi/main/packages/{project}/{wheel.name}"
    with httpx.Client(base_url=copying_gateway, auth=auth, timeout=30) as b:
        first = _ok(b.get(url))
        first_metadata = _ok(b.get(f"{url}.metadata"))
        assert first.content == data
        # Let the blob channel's last frames of those calls (flow control, pings) pass.
        time.sleep(1)
        with blob_relay.held():
            again = _ok(b.get(url))
            metadata = _ok(b.get(f"{url}.metadata"))
            assert not blob_relay.waiting(), "the gateway called the blob service"
        assert again.content == data
        assert again.headers["content-length"] == str(len(data))
        assert again.headers["etag"] == first.headers["etag"]
        assert metadata.content == first_metadata.content
        # A range is read from the blob service as before.
        part = b.get(url, headers={"Range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == data[10:20]

        with httpx.Client(base_url=stack.base_url, auth=auth, timeout=30) as a:
            _ok(a.delete(f"/api/v1/feeds/main/files/{wheel.name}"))
        # B learns of the deletion from its change event (it keeps the file's row until then),
        # and then refuses the file without reading its local copy.
        with blob_relay.held():
            wait_until(lambda: b.get(url).status_code == 404)
