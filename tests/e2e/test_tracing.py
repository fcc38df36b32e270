"""Traces and metrics across processes: a stack of its own exports OTLP to a test receiver.

The upload of one wheel must be one trace, gateway HTTP span at the root, through the gRPC
client and server spans into the blob service's S3 calls and the metadata service's SQL.
No secret may appear in any attribute, probes are not traced, and when the collector goes
away the services keep serving.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from minio import Minio
from packyard.engines import create_database
from packyard.protocol.names import normalize
from packyard.up import Stack

from tests.e2e.conftest import run, tool
from tests.fixtures.dists import build_wheel
from tests.fixtures.engines import Engines
from tests.fixtures.otlp import OtlpReceiver, Span, render_tree

_UPLOAD_ROUTE = "/pypi/{feed}/legacy/"
_FILE_ROUTE = "/pypi/{feed}/packages/{project}/{filename}"


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    started = OtlpReceiver()
    started.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def traced_stack(
    engines: Engines, receiver: OtlpReceiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """A stack of its own (new database and bucket) exporting to ``receiver``."""
    database = asyncio.run(create_database(engines.database_url, f"otel_{uuid.uuid4().hex[:12]}"))
    bucket = f"otel-{uuid.uuid4().hex[:12]}"
    Minio(
        engines.s3_endpoint,
        access_key=engines.s3_access_key,
        secret_key=engines.s3_secret_key,
        secure=engines.s3_secure,
    ).make_bucket(bucket)
    env = {
        "PACKYARD_DATABASE_URL": database,
        "PACKYARD_NATS_URL": engines.nats_url,
        "PACKYARD_S3_ENDPOINT": engines.s3_endpoint,
        "PACKYARD_S3_ACCESS_KEY": engines.s3_access_key,
        "PACKYARD_S3_SECRET_KEY": engines.s3_secret_key,
        "PACKYARD_S3_SECURE": "true" if engines.s3_secure else "false",
        "PACKYARD_S3_BUCKET": bucket,
        "PACKYARD_LOG_FORMAT": "json",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_METRIC_EXPORT_INTERVAL": "300",
        # A collector that is gone must not hold a stopping service for long.
        "OTEL_EXPORTER_OTLP_TIMEOUT": "2",
    }
    running = Stack(tmp_path_factory.mktemp("traced-stack"), env=env, durable=False)
    running.start_sync()
    try:
        yield running
    finally:
        running.stop()


def _upload(stack: Stack, wheel: Path, env: dict[str, str]) -> None:
    result = run(
        [
            tool("twine"), "upload", "--disable-progress-bar", "--non-interactive",
            "--repository-url", stack.upload_url(), "-u", "api", "-p", str(stack.admin_key),
            str(wheel),
        ],
        env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def _trace_of(spans: list[Span], root: Span) -> list[Span]:
    return [s for s in spans if s.trace_id == root.trace_id]


def _matches(span: Span, key: str, value: str) -> bool:
    # The server instrumentation names spans "/pkg.Service/Method", the client "pkg.Service/Method".
    got = getattr(span, key)
    return (got.lstrip("/") if key == "name" else got) == value


def _one(spans: list[Span], **want: str) -> Span:
    found = [s for s in spans if all(_matches(s, k, v) for k, v in want.items())]
    assert len(found) == 1, f"expected one span with {want}, got {[s.name for s in found]}"
    return found[0]


def _descends(span: Span, ancestor: Span, trace: list[Span]) -> bool:
    by_id = {s.span_id: s for s in trace}
    current: Span | None = span
    while current is not None and current.parent_id:
        if current.parent_id == ancestor.span_id:
            return True
        current = by_id.get(current.parent_id)
    return False


def _json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for text in path.read_text().splitlines():
        if text.startswith("{"):
            lines.append(json.loads(text))
    return lines


def _secrets(stack: Stack) -> list[str]:
    values = [str(stack.admin_key), stack.env["PACKYARD_S3_SECRET_KEY"]]
    password = urlsplit(stack.env["PACKYARD_DATABASE_URL"]).password
    if password:
        values.append(password)
    return [v for v in values if v]


def test_an_upload_is_one_trace_across_services(
    traced_stack: Stack,
    receiver: OtlpReceiver,
    client_env: dict[str, str],
    project_name: str,
    tmp_path: Path,
) -> None:
    wheel = build_wheel(tmp_path, project_name, "1.0")
    _upload(traced_stack, wheel, client_env)

    def complete_upload_trace(r: OtlpReceiver) -> list[Span] | None:
        roots = [
            s
            for s in r.spans
            if s.service == "packyard-gateway"
            and s.kind == "SERVER"
            and s.attributes.get("http.route") == _UPLOAD_ROUTE
            and s.attributes.get("http.response.status_code") == 200
        ]
        for root in roots:
            trace = _trace_of(r.spans, root)
            servers = {s.name.lstrip("/") for s in trace if s.kind == "SERVER"}
            # Each process exports in its own batches: wait for every span's parent too.
            ids = {s.span_id for s in trace}
            if {
                "packyard.rpc.v1.BlobService/PutBlob",
                "packyard.rpc.v1.MetadataService/RegisterFile",
            } <= servers and all(s.parent_id in ids for s in trace if s is not root):
                return trace
        return None

    trace = receiver.wait_for(complete_upload_trace)
    print("\nupload trace:\n" + render_tree(trace))

    root = _one(trace, kind="SERVER", service="packyard-gateway")
    assert root.parent_id == ""
    assert root.attributes["packyard.feed"] == "main"

    # gateway -> blob: client span, server span in the blob process, its S3 write below.
    put_client = _one(trace, name="packyard.rpc.v1.BlobService/PutBlob", kind="CLIENT")
    put_server = _one(trace, name="packyard.rpc.v1.BlobService/PutBlob", kind="SERVER")
    assert put_client.service == "packyard-gateway" and _descends(put_client, root, trace)
    assert put_server.service == "packyard-blob"
    assert put_server.parent_id == put_client.span_id
    # The wheel and its METADATA (PEP 658) are two objects.
    s3_puts = [s for s in trace if s.name == "s3.put_object"]
    assert len(s3_puts) == 2
    assert all(s.service == "packyard-blob" and _descends(s, put_server, trace) for s in s3_puts)

    # gateway -> metadata: RegisterFile with feed, project and filename, and its SQL.
    register = "packyard.rpc.v1.MetadataService/RegisterFile"
    register_client = _one(trace, name=register, kind="CLIENT")
    register_server = _one(trace, name=register, kind="SERVER")
    assert register_server.service == "packyard-metadata"
    assert register_server.parent_id == register_client.span_id
    for span in (register_client, register_server):
        assert span.attributes["packyard.feed"] == "main"
        assert span.attributes["packyard.project"] == normalize(project_name)
        assert span.attributes["packyard.filename"] == wheel.name
    sql = [s for s in trace if s.attributes.get("db.system") == "postgresql"]
    assert sql, "no asyncpg span in the upload trace"
    assert all(s.service == "packyard-metadata" for s in sql)
    assert any(_descends(s, register_server, trace) for s in sql)

    # The gateway's log line for the upload carries the same trace id (logs <-> traces).
    accepted = [
        line
        for line in _json_lines(traced_stack.logs_dir / "gateway.log")
        if line.get("event") == "upload.accepted" and line.get("file") == wheel.name
    ]
    assert [line["trace_id"] for line in accepted] == [root.trace_id]

    # Nothing failed on the way; the only error status is the client's "not found" of the
    # file lookup that precedes a new upload (gRPC client spans mark every non-OK code).
    failed = {(s.kind, s.name.lstrip("/")) for s in trace if s.status_code == 2}
    assert failed <= {("CLIENT", "packyard.rpc.v1.MetadataService/GetFile")}, failed


def test_no_secret_in_any_span_and_no_probe_is_traced(
    traced_stack: Stack, receiver: OtlpReceiver, client_env: dict[str, str],
    project_name: str, tmp_path: Path,
) -> None:  # fmt: skip
    wheel = build_wheel(tmp_path, project_name, "1.0")
    _upload(traced_stack, wheel, client_env)
    # pip-style access with the key in the URL, and a refused upload with a wrong key.
    base = traced_stack.base_url.replace("://", f"://api:{traced_stack.admin_key}@")
    page = httpx.get(f"{base}/pypi/main/simple/{normalize(project_name)}/")
    assert page.status_code == 200
    assert httpx.get(f"{traced_stack.base_url}/readyz").status_code == 200
    receiver.wait_for(
        lambda r: any(
            s.attributes.get("http.route") == "/pypi/{feed}/simple/{project}/" for s in r.spans
        )
    )

    spans = receiver.spans
    secrets = _secrets(traced_stack)
    for span in spans:
        text = repr(span.attributes) + span.name
        for secret in secrets:
            assert secret not in text, f"a secret is in span {span.service}: {span.name}"
    assert not [s for s in spans if "grpc.health" in s.name or "/readyz" in repr(s.attributes)]
    assert not [s for s in spans if "/healthz" in repr(s.attributes)]


def test_metrics_count_uploads_bytes_and_rpcs(
    traced_stack: Stack, receiver: OtlpReceiver, client_env: dict[str, str],
    project_name: str, tmp_path: Path,
) -> None:  # fmt: skip
    wheel = build_wheel(tmp_path, project_name, "1.0")
    _upload(traced_stack, wheel, client_env)
    url = f"{traced_stack.base_url}/pypi/main/packages/{normalize(project_name)}/{wheel.name}"
    download = httpx.get(url)
    assert download.status_code == 200 and download.content == wheel.read_bytes()

    def latest(r: OtlpReceiver, name: str, **attrs: object) -> float:
        values = [
            p.value
            for p in r.metrics
            if p.name == name and all(p.attributes.get(k) == v for k, v in attrs.items())
        ]
        return values[-1] if values else 0.0

    size = len(wheel.read_bytes())
    receiver.wait_for(
        lambda r: latest(r, "packyard.bytes_served", feed="main", kind="file") >= size
    )
    receiver.wait_for(lambda r: latest(r, "packyard.uploads", outcome="accepted") >= 1)
    registered = {"rpc.method": "RegisterFile", "rpc.grpc.status_code": 0}
    receiver.wait_for(lambda r: latest(r, "rpc.server.duration", **registered) >= 1)
    http_routes = {
        p.attributes.get("http.route")
        for p in receiver.metrics
        if p.service == "packyard-gateway" and p.name.startswith("http.server")
    }
    assert _FILE_ROUTE in http_routes and _UPLOAD_ROUTE in http_routes
    assert not [p for p in receiver.metrics if "grpc.health" in str(p.attributes)]


def test_services_keep_serving_when_the_collector_is_gone(
    traced_stack: Stack, receiver: OtlpReceiver, client_env: dict[str, str],
    project_name: str, tmp_path: Path,
) -> None:  # fmt: skip
    receiver.stop()

    wheel = build_wheel(tmp_path, project_name, "1.0")
    _upload(traced_stack, wheel, client_env)
    url = f"{traced_stack.base_url}/pypi/main/packages/{normalize(project_name)}/{wheel.name}"
    for _ in range(3):
        assert httpx.get(url, timeout=10).content == wheel.read_bytes()
    assert httpx.get(f"{traced_stack.base_url}/readyz", timeout=10).status_code == 200
    assert traced_stack.exited_service() is None
