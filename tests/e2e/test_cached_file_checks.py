"""Both digest checks of a file cached from upstream hold on their own.

The connector hashes an upstream file as it streams it, and it also hands the index's sha256
to the blob service as the expected digest, so the blob service commits the object only if
the bytes it got match. Either check alone must keep bad bytes out. Here a second connector
process talks to the blob service through a tampering middleman (tests/fixtures/blob_tamper),
and a second gateway talks to that connector:

- the middleman flips a bit on the way to storage: the connector saw good bytes, so only the
  blob service's check can refuse them;
- the middleman drops the expected digest: the blob service stores anything, so only the
  connector's own check can refuse a file the upstream altered.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from packyard.up import Stack
from packyard_rpc.v1 import blob_pb2, blob_pb2_grpc

from tests.fixtures.blob_tamper import TamperingBlob, tampering_blob
from tests.fixtures.dists import build_wheel
from tests.fixtures.gateways import extra_gateway
from tests.fixtures.services import service_process
from tests.fixtures.tls import sync_service_channel
from tests.fixtures.upstream import LoopbackIndex, Reply, loopback_index

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass
class Setup:
    stack: Stack
    gateway: str
    middleman: TamperingBlob
    upstream: LoopbackIndex


@pytest.fixture(scope="module")
def setup(stack: Stack) -> Iterator[Setup]:
    with (
        tampering_blob(stack.blob_addr, stack.tls) as (blob_addr, middleman),
        service_process(stack, "connector", {"PACKYARD_BLOB_ADDR": blob_addr}) as connector,
        extra_gateway(stack, {"PACKYARD_CONNECTOR_ADDR": connector}) as gateway,
        loopback_index() as upstream,
    ):
        yield Setup(stack, gateway, middleman, upstream)


def _mirror(setup: Setup, tmp_path: Path) -> tuple[str, str, bytes]:
    """A feed mirroring one wheel from the loopback upstream: (the file's URL on the second
    gateway, its filename, its bytes)."""
    project = f"checked-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, project, "1.0")
    data = wheel.read_bytes()
    page = {
        "meta": {"api-version": "1.1"},
        "name": project,
        "files": [{"filename": wheel.name, "url": f"/files/{wheel.name}",
                   "hashes": {"sha256": hashlib.sha256(data).hexdigest()}}],
    }  # fmt: skip
    upstream = setup.upstream
    upstream.routes[f"/simple/{project}/"] = Reply(
        200, json.dumps(page).encode(), {"Content-Type": SIMPLE_JSON}
    )
    upstream.routes[f"/files/{wheel.name}"] = Reply(200, data)
    feed = f"checked-{uuid.uuid4().hex[:8]}"
    with httpx.Client(
        base_url=setup.stack.base_url, auth=("api", str(setup.stack.admin_key)), timeout=30
    ) as admin:
        for path, body in (
            ("/api/v1/feeds", {"name": feed, "anonymous_read": True}),
            (f"/api/v1/feeds/{feed}/connectors", {"url": upstream.url}),
        ):
            reply = admin.post(path, json=body)
            assert reply.status_code < 300, reply.text
    return f"{setup.gateway}/pypi/{feed}/packages/{project}/{wheel.name}", wheel.name, data


def _stored(stack: Stack, data: bytes) -> bool:
    with sync_service_channel(stack.blob_addr, stack.tls) as channel:
        stub = blob_pb2_grpc.BlobServiceStub(channel)
        try:
            stub.StatBlob(blob_pb2.StatBlobRequest(sha256=hashlib.sha256(data).hexdigest()))
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.NOT_FOUND, exc
            return False
    return True


def _flipped(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:]


def test_the_blob_service_refuses_bytes_that_changed_after_the_connector_checked_them(
    setup: Setup, tmp_path: Path
) -> None:
    url, filename, data = _mirror(setup, tmp_path)
    setup.middleman.mode = "corrupt"
    try:
        for _ in range(2):  # nothing was cached: the second try is refused the same way
            reply = httpx.get(url, timeout=60)
            assert reply.status_code == 502, (reply.status_code, reply.content[:200])
            assert "hash mismatch" in reply.text
    finally:
        setup.middleman.mode = "forward"
    # The connector did ask the blob service to check the index's digest ...
    asked = [h for h in setup.middleman.headers if h.filename == filename]
    assert asked and asked[0].expected.sha256 == hashlib.sha256(data).hexdigest()
    # ... and the altered bytes were not stored.
    assert not _stored(setup.stack, _flipped(data))
    # Untouched, the same file is cached and served.
    assert httpx.get(url, timeout=60).content == data


def test_the_connector_refuses_an_altered_upstream_file_without_the_blob_services_check(
    setup: Setup, tmp_path: Path
) -> None:
    url, filename, data = _mirror(setup, tmp_path)
    setup.upstream.routes[f"/files/{filename}"] = Reply(200, _flipped(data))
    setup.middleman.mode = "strip"
    try:
        for _ in range(2):  # nothing was cached: the second try is refused the same way
            reply = httpx.get(url, timeout=60)
            assert reply.status_code == 502, (reply.status_code, reply.content[:200])
            assert "hash mismatch" in reply.text
    finally:
        setup.middleman.mode = "forward"
    # Once the upstream serves the right bytes again, the file is fetched and cached.
    setup.upstream.routes[f"/files/{filename}"] = Reply(200, data)
    assert httpx.get(url, timeout=60).content == data
