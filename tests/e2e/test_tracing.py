"""Traces and metrics across processes: a stack of its own exports OTLP to a test receiver.

The upload of one wheel must be one trace, gateway HTTP span at the root, through the gRPC
client and server spans into the blob service's S3 calls and the metadata service's SQL.
No secret may appear in any attribute, probes are not traced, and when the collector goes
away the services keep serving.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from packyard.protocol.names import normalize
from packyard.up import Stack

from tests.e2e.conftest import run, tool
from tests.fixtures.dists import build_wheel
from tests.fixtures.engines import Engines
from tests.fixtures.otlp import (
    OtlpReceiver,
    Span,
    assert_no_secret,
    descends,
    exporting_stack,
    is_whole,
    one_span,
    render_tree,
    stack_secrets,
    trace_of,
)

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
    with exporting_stack(engines, receiver, tmp_path_factory.mktemp("traced-stack")) as running:
        yield running


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


def _json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for text in path.read_text().splitlines():
        if text.startswith("{"):
            lines.append(json.loads(text))
    return lines


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
            trace = trace_of(r.spans, root)
            servers = {s.name.lstrip("/") for s in trace if s.kind == "SERVER"}
            if {
                "packyard.rpc.v1.BlobService/PutBlob",
                "packyard.rpc.v1.MetadataService/RegisterFile",
            } <= servers and is_whole(trace, root):
                return trace
        return None

    trace = receiver.wait_for(complete_upload_trace)
    print("\nupload trace:\n" + render_tree(trace))

    root = one_span(trace, kind="SERVER", service="packyard-gateway")
    assert root.parent_id == ""
    assert root.attributes["packyard.feed"] == "main"

    # gateway -> blob: client span, server span in the blob process, its S3 write below.
    put_client = one_span(trace, name="packyard.rpc.v1.BlobService/PutBlob", kind="CLIENT")
    put_server = one_span(trace, name="packyard.rpc.v1.BlobService/PutBlob", kind="SERVER")
    assert put_client.service == "packyard-gateway" and descends(put_client, root, trace)
    assert put_server.service == "packyard-blob"
    assert put_server.parent_id == put_client.span_id
    # The wheel and its METADATA (PEP 658) are two objects.
    s3_puts = [s for s in trace if s.name == "s3.put_object"]
    assert len(s3_puts) == 2
    assert all(s.service == "packyard-blob" and descends(s, put_server, trace) for s in s3_puts)

    # gateway -> metadata: RegisterFile with feed, project and filename, and its SQL.
    register = "packyard.rpc.v1.MetadataService/RegisterFile"
    register_client = one_span(trace, name=register, kind="CLIENT")
    register_server = one_span(trace, name=register, kind="SERVER")
    assert register_server.service == "packyard-metadata"
    assert register_server.parent_id == register_client.span_id
    for span in (register_client, register_server):
        assert span.attributes["packyard.feed"] == "main"
        assert span.attributes["packyard.project"] == normalize(project_name)
        assert span.attributes["packyard.filename"] == wheel.name
    sql = [s for s in trace if s.attributes.get("db.system.name") == "postgresql"]
    assert sql, "no asyncpg span in the upload trace"
    assert all(s.service == "packyard-metadata" for s in sql)
    assert any(descends(s, register_server, trace) for s in sql)

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
    assert httpx.get(f"{traced_stack.base_url}/healthz").status_code == 200
    # A last request after the probes: once its spans (gateway and metadata service) are
    # exported, the spans of everything before it were too, so their absence means something.
    last = httpx.get(f"{base}/pypi/main/pypi/{normalize(project_name)}/json")
    assert last.status_code == 200

    def last_exported(r: OtlpReceiver) -> bool:
        traces = {
            s.trace_id
            for s in r.spans
            if s.attributes.get("http.route") == "/pypi/{feed}/pypi/{project}/json"
        }
        services = {s.service for s in r.spans if s.trace_id in traces}
        return {"packyard-gateway", "packyard-metadata"} <= services

    receiver.wait_for(last_exported)

    spans = receiver.spans
    assert any(s.attributes.get("http.route") == "/pypi/{feed}/simple/{project}/" for s in spans)
    assert_no_secret(spans, stack_secrets(traced_stack))
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
    receiver.wait_for(lambda r: latest(r, "rpc.server.call.duration", **registered) >= 1)
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
