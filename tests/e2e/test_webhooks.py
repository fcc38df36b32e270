"""Webhooks end to end: a receiver started by the test verifies every signature (computed here,
independently of the server's code) and sees each event exactly once, although it refuses the
first deliveries and the gateway and NATS are restarted while they wait. Target URLs follow
the connectors' address policy."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from packyard.engines.nats import NatsEngine
from packyard.engines.ports import free_port
from packyard.up import Stack

from tests.e2e.test_proxy import PypiServer, add_connector, dist_dir, make_feed
from tests.fixtures.dists import build_wheel
from tests.fixtures.engines import TEST_NATS_USER, Engines, isolated_stack_env, nats_engine
from tests.fixtures.polling import wait_until
from tests.fixtures.uploads import post_file, upload_fields

SECRET = "s3cret-" + uuid.uuid4().hex


@dataclass
class Receiver:
    """Records every delivery it accepts; answers 503 while ``refusing``."""

    url: str = ""
    refusing: bool = True
    refused: int = 0
    accepted: list[dict[str, object]] = field(default_factory=list)
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _signed(header: str, body: bytes) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(SECRET.encode(), fields["t"].encode() + b"." + body, hashlib.sha256)
    fresh = abs(time.time() - int(fields["t"])) < 300
    return fresh and hmac.compare_digest(expected.hexdigest(), fields["v1"])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.lock:
                if not _signed(self.headers.get("X-Packyard-Signature", ""), body):
                    state.bad_signatures += 1
                    self.send_response(401)
                elif state.refusing:
                    state.refused += 1
                    self.send_response(503)
                else:
                    event = json.loads(body)
                    event["delivery"] = self.headers["X-Packyard-Delivery"]
                    event["header_event"] = self.headers["X-Packyard-Event"]
                    state.accepted.append(event)
                    self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()


@pytest.fixture
def hooked_stack(engines: Engines, tmp_path: Path) -> Iterator[tuple[Stack, NatsEngine]]:
    """A stack of its own with a NATS of its own, which the test stops and starts."""
    nats = nats_engine(tmp_path / "nats", port=free_port())
    nats.start()
    env = {
        **isolated_stack_env(engines, "hooks"),
        "PACKYARD_NATS_URL": nats.url_for(TEST_NATS_USER),
        "PACKYARD_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    stack = Stack(tmp_path / "stack", env=env, durable=False)
    stack.start_sync()
    try:
        yield stack, nats
    finally:
        stack.stop()
        nats.stop()


def _ok(reply: httpx.Response) -> httpx.Response:
    assert reply.status_code < 300, (reply.status_code, reply.text)
    return reply


def test_each_event_is_delivered_once_signed_across_gateway_and_nats_restarts(
    hooked_stack: tuple[Stack, NatsEngine], receiver: Receiver, tmp_path: Path
) -> None:
    stack, nats = hooked_stack
    project = f"hooked-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, project, "1.0")
    admin = httpx.Client(base_url=stack.base_url, auth=("api", str(stack.admin_key)), timeout=60)
    for feed in ("staging", "approved"):
        _ok(admin.post("/api/v1/feeds", json={"name": feed}))
        _ok(admin.post(f"/api/v1/feeds/{feed}/webhooks",
                       json={"url": receiver.url, "secret": SECRET}))  # fmt: skip

    release = f"/api/v1/feeds/staging/projects/{project}/releases/1.0"
    assert (
        post_file(stack, wheel, upload_fields(wheel, project, "1.0"), feed="staging").status_code
        == 200
    )
    _ok(admin.post(release + "/yank", json={"reason": "bad"}))
    _ok(admin.post(release + "/unyank"))
    wait_until(lambda: receiver.refused >= 3, within=30)  # the deliveries are under way

    # Mid-delivery: NATS goes away and the gateway is restarted while the receiver refuses.
    nats.stop()
    asyncio.run(stack.restart_part("gateway"))
    admin.close()
    admin = httpx.Client(base_url=stack.base_url, auth=("api", str(stack.admin_key)), timeout=60)
    _ok(admin.post(release + "/promote", json={"target": "approved"}))
    nats.start()
    _ok(admin.delete(f"/api/v1/feeds/staging/files/{wheel.name}"))

    receiver.refusing = False
    expected = {
        ("upload", "staging", wheel.name),
        ("yank", "staging", f"{project}==1.0"),
        ("unyank", "staging", f"{project}==1.0"),
        ("promote", "approved", f"{project}==1.0"),
        ("delete", "staging", wheel.name),
    }
    wait_until(lambda: len(receiver.accepted) >= len(expected), within=90)
    time.sleep(3)  # anything sent twice would arrive now
    seen = [(e["event"], e["feed"], e["target"]) for e in receiver.accepted]
    assert sorted(seen) == sorted(expected)  # each once
    assert all(e["event"] == e["header_event"] for e in receiver.accepted)
    assert len({e["delivery"] for e in receiver.accepted}) == len(expected)
    assert receiver.bad_signatures == 0
    assert receiver.refused >= 3

    # The admin API lists them delivered, the early ones after more than one attempt.
    listed = _ok(admin.get("/api/v1/feeds/staging/webhook-deliveries")).json()
    assert {d["status"] for d in listed} == {"delivered"}
    assert {d["event"] for d in listed if d["attempts"] > 1} >= {"upload", "yank", "unyank"}
    admin.close()


def test_webhook_urls_follow_the_address_policy(stack: Stack) -> None:
    auth = ("api", str(stack.admin_key))
    with httpx.Client(base_url=stack.base_url, auth=auth, timeout=30) as admin:
        feed = f"hookpolicy-{uuid.uuid4().hex[:6]}"
        _ok(admin.post("/api/v1/feeds", json={"name": feed}))
        refused_urls = (
            "http://169.254.169.254/latest/meta-data/",  # cloud metadata
            "http://[::ffff:169.254.169.254]/",  # the same, IPv4-mapped
            "http://[fe80::1]/",
            "file:///etc/passwd",
        )
        for url in refused_urls:
            refused = admin.post(
                f"/api/v1/feeds/{feed}/webhooks", json={"url": url, "secret": SECRET}
            )
            assert refused.status_code == 400, (url, refused.text)
        assert "link-local" in refused.text or "http(s)" in refused.text
        short = admin.post(f"/api/v1/feeds/{feed}/webhooks",
                           json={"url": "https://hooks.example/x", "secret": "short"})  # fmt: skip
        assert short.status_code == 400  # the admin API's validation error


def test_a_connector_failing_and_recovering_reaches_the_feeds_webhooks(
    stack: Stack, receiver: Receiver, tmp_path: Path
) -> None:
    """The upstream goes away and comes back: the feed's webhook hears connector_failing
    (naming the upstream and the error) and then connector_recovered, once each."""
    receiver.refusing = False
    name = f"hookproxy-{uuid.uuid4().hex[:6]}"
    packages = dist_dir(tmp_path)
    build_wheel(packages, name, "1.0")
    feed = make_feed(stack)
    admin = httpx.Client(base_url=stack.base_url, auth=("api", str(stack.admin_key)), timeout=60)
    _ok(admin.post(f"/api/v1/feeds/{feed}/webhooks", json={
        "url": receiver.url, "secret": SECRET,
        "events": ["connector_failing", "connector_recovered"],
    }))  # fmt: skip
    page_url = f"{stack.index_url(feed)}{name}/"

    def events() -> list[str]:
        with receiver.lock:
            return [str(e["event"]) for e in receiver.accepted]

    upstream = PypiServer(packages)
    upstream.start()
    try:
        add_connector(stack, feed, upstream.url, ttl_seconds=0)
        assert httpx.get(page_url, timeout=30).status_code == 200
        upstream.stop()
        # Gone: the page is served stale and the connector reports its first failure.
        assert httpx.get(page_url, timeout=30).headers.get("X-Packyard-Stale") == "true"
        wait_until(lambda: events() == ["connector_failing"], what="connector_failing")
        # Back on the same address: an answer recovers it (reports of one state are spaced by
        # a few seconds, so ask until it has said so).
        upstream.start()
        wait_until(
            lambda: (
                httpx.get(page_url, timeout=30).status_code == 200
                and events() == ["connector_failing", "connector_recovered"]
            ),
            what="connector_recovered",
        )
    finally:
        upstream.stop()
    with receiver.lock:
        failing, recovered = receiver.accepted
    assert failing["feed"] == recovered["feed"] == feed
    assert failing["target"] == recovered["target"] and str(failing["target"]).startswith("http")
    assert failing["detail"] and failing["header_event"] == "connector_failing"
    assert receiver.bad_signatures == 0
