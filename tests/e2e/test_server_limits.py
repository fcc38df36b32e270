"""Readiness and server limits, seen from a client on a real socket.

A gateway without its connector or NATS still serves hosted files: /readyz stays 200 and
says "degraded". A client that trickles its headers or its upload body is cut off with 408,
and the spool file of the upload is gone.
"""

from __future__ import annotations

import base64
import socket
import time
import uuid
from pathlib import Path

import httpx
from packyard.engines.ports import free_port
from packyard.up import Stack

from tests.fixtures.dists import build_wheel
from tests.fixtures.gateways import extra_gateway
from tests.fixtures.uploads import upload_fields


def test_readyz_stays_ready_without_connector_and_nats(stack: Stack) -> None:
    dead = f"127.0.0.1:{free_port()}"
    env = {"PACKYARD_CONNECTOR_ADDR": dead, "PACKYARD_NATS_URL": f"nats://{dead}"}
    with extra_gateway(stack, env) as url:
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        verbose = httpx.get(f"{url}/readyz?verbose").json()["dependencies"]
        assert verbose["connector"] == {"state": "down", "core": False}
        assert verbose["nats"] == {"state": "down", "core": False}
        assert verbose["metadata"] == {"state": "up", "core": True}
        assert verbose["blob"] == {"state": "up", "core": True}
        # Hosted pages are served all the same.
        assert httpx.get(f"{url}/pypi/main/simple/").status_code == 200


def test_readyz_is_unready_without_blob(stack: Stack) -> None:
    env = {"PACKYARD_BLOB_ADDR": f"127.0.0.1:{free_port()}"}
    with extra_gateway(stack, env, ready=False) as url:
        ready = httpx.get(f"{url}/readyz?verbose")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert ready.json()["dependencies"]["blob"]["state"] == "down"


def _raw_request(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_trickled_headers_get_408_and_a_closed_connection(stack: Stack) -> None:
    with extra_gateway(stack, {"PACKYARD_HEADER_TIMEOUT": "1"}) as url:
        port = int(url.rsplit(":", 1)[1])
        with _raw_request(port) as sock:
            started = time.monotonic()
            try:
                for byte in b"GET /pypi/main/simple/ HTTP/1.1\r\nHost: x\r\nX-Slow: ":
                    sock.sendall(bytes([byte]))
                    time.sleep(0.1)
            except OSError:
                pass  # the server hung up on us mid-trickle: that is the point
            reply = _read_all(sock)
        assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
        assert time.monotonic() - started < 8


def _spool_files(spool: Path) -> list[Path]:
    """Upload spool files under ``spool`` (each process spools into a locked directory of its
    own there: common/spool_dirs.py; the lock files are not uploads)."""
    return [p for p in spool.rglob("*") if p.is_file() and p.name != ".lock"]


def test_trickled_upload_body_gets_408_and_its_spool_is_removed(
    stack: Stack, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    env = {"PACKYARD_BODY_TIMEOUT": "1", "PACKYARD_SPOOL_DIR": str(spool)}
    name = f"slow-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, name, "1.0")
    request = httpx.Request(
        "POST",
        "http://placeholder/pypi/main/legacy/",
        data=upload_fields(wheel, name, "1.0"),
        files={"content": (wheel.name, wheel.read_bytes(), "application/octet-stream")},
    )
    body = request.read()
    with extra_gateway(stack, env) as url:
        port = int(url.rsplit(":", 1)[1])
        token = base64.b64encode(f"api:{stack.admin_key}".encode()).decode()
        authorization = f"Basic {token}"
        head = (
            f"POST /pypi/main/legacy/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: {request.headers['Content-Type']}\r\n"
            f"Content-Length: {len(body)}\r\nAuthorization: {authorization}\r\n\r\n"
        ).encode()
        # The content part starts well into the body: send up to there, then trickle.
        start = body.index(b'name="content"') + 200
        with _raw_request(port) as sock:
            sock.sendall(head + body[:start])
            spooled = False
            try:
                for i in range(start, min(len(body), start + 400), 4):
                    sock.sendall(body[i : i + 4])
                    spooled = spooled or bool(_spool_files(spool))
                    time.sleep(0.1)
            except OSError:
                pass
            reply = _read_all(sock)
    assert spooled, "the upload never reached its spool file"
    assert reply.startswith(b"HTTP/1.1 408"), reply[:300]
    assert b"too slowly" in reply or b"not received in time" in reply, reply[-300:]
    assert _spool_files(spool) == []
