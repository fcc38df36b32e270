"""SIGTERM stops a gateway gracefully: an upload already in flight still finishes."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
from packyard.protocol.names import normalize
from packyard.up import Stack

from tests.fixtures.dists import build_wheel
from tests.fixtures.gateways import gateway_process
from tests.fixtures.uploads import upload_fields

CHUNK = 64 * 1024


def read_by_server(port: int) -> bool:
    """Whether the gateway has an established connection on ``port`` whose received bytes it
    has all read (Linux ``/proc/net/tcp``: the receive queue of the server's end is empty).

    The request is in flight for the server only once it has read the headers; before that a
    stopping server closes the connection as an idle one (uvicorn, nginx alike). Reading
    happens in the same event-loop step as parsing, so an empty queue means the request began.
    """
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    for row in rows:
        fields = row.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        established = fields[3] == "01"
        receive_queue = int(fields[4].split(":")[1], 16)
        if local_port == port and established:
            return receive_queue == 0
    return False


def wait_until_read_by_server(port: int) -> None:
    deadline = time.monotonic() + 30
    while not read_by_server(port):
        assert time.monotonic() < deadline, "the gateway did not read the request's first bytes"
        time.sleep(0.01)


def test_sigterm_lets_an_upload_in_flight_finish(stack: Stack, tmp_path: Path) -> None:
    name = f"graceful-{uuid.uuid4().hex[:8]}"
    # Random text compresses only about half: the wheel stays several chunks long.
    wheel = build_wheel(tmp_path, name, "1.0", payload="# " + os.urandom(300_000).hex() + "\n")
    with gateway_process(stack) as (proc, url):
        port = int(url.rsplit(":", 1)[1])
        request = httpx.Request(
            "POST",
            f"{url}/pypi/main/legacy/",
            data=upload_fields(wheel, name, "1.0"),
            files={"content": (wheel.name, wheel.read_bytes(), "application/octet-stream")},
        )
        body = request.read()
        assert len(body) > 4 * CHUNK

        def slowly() -> Iterator[bytes]:
            for start in range(0, len(body), CHUNK):
                yield body[start : start + CHUNK]
                if start == 0:
                    # The request is in flight: now the gateway is told to stop.
                    wait_until_read_by_server(port)
                    proc.send_signal(signal.SIGTERM)
                time.sleep(0.05)

        reply = httpx.post(
            request.url,
            content=slowly(),
            headers={"Content-Type": request.headers["Content-Type"]},
            auth=("api", str(stack.admin_key)),
            timeout=60,
        )
        assert reply.status_code == 200, reply.text
        # uvicorn re-raises the signal once it has shut down, so the exit reports SIGTERM.
        assert proc.wait(20) in (0, -signal.SIGTERM)
    log = (stack.logs_dir / f"gateway-{port}.log").read_text()
    assert "Application shutdown complete" in log, log[-2000:]
    # The file was stored and is served by the stack's own gateway.
    served = httpx.get(f"{stack.base_url}/pypi/main/packages/{normalize(name)}/{wheel.name}")
    assert served.status_code == 200
    assert served.content == wheel.read_bytes()
