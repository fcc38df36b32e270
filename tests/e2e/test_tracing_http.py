"""Telemetry to an OTLP/HTTP collector (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf, port 4318
in a real collector): an upload arrives as one trace with the resource attributes and
headers configured, and the download counter's flush is a trace of its own, linked to the
download it records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from packyard.protocol.names import normalize
from packyard.up import Stack

from tests.fixtures.dists import build_wheel
from tests.fixtures.engines import Engines
from tests.fixtures.otlp import (
    OtlpHttpReceiver,
    Span,
    exporting_stack,
    is_whole,
    render_tree,
    trace_of,
)
from tests.fixtures.uploads import post_file, upload_fields

UPLOAD_ROUTE = "/pypi/{feed}/legacy/"
FILE_ROUTE = "/pypi/{feed}/packages/{project}/{filename}"


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpHttpReceiver]:
    started = OtlpHttpReceiver()
    started.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def http_traced_stack(
    engines: Engines, receiver: OtlpHttpReceiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    with exporting_stack(
        engines,
        receiver,
        tmp_path_factory.mktemp("http-traced-stack"),
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_EXPORTER_OTLP_HEADERS="x-collector-token=s3cr3t",
        OTEL_RESOURCE_ATTRIBUTES="deployment.environment.name=e2e,k8s.namespace.name=pkgs",
    ) as running:
        yield running


def _server_spans(r: OtlpHttpReceiver, route: str) -> list[Span]:
    return [
        s
        for s in r.spans
        if s.service == "packyard-gateway" and s.kind == "SERVER"
        and s.attributes.get("http.route") == route
    ]  # fmt: skip


def test_an_upload_trace_reaches_an_otlp_http_collector(
    http_traced_stack: Stack, receiver: OtlpHttpReceiver, project_name: str, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, project_name, "1.0")
    reply = post_file(http_traced_stack, wheel, upload_fields(wheel, project_name, "1.0"))
    assert reply.status_code == 200, reply.text

    def upload_trace(r: OtlpHttpReceiver) -> list[Span] | None:
        for root in _server_spans(r, UPLOAD_ROUTE):
            trace = trace_of(r.spans, root)
            services = {s.service for s in trace}
            if {"packyard-blob", "packyard-metadata"} <= services and is_whole(trace, root):
                return trace
        return None

    trace = receiver.wait_for(upload_trace, timeout=30)
    print("\nupload trace (OTLP/HTTP):\n" + render_tree(trace))
    assert receiver.refused == []
    assert all(h.get("x-collector-token") == "s3cr3t" for h in receiver.headers)
    # One generation of semantic conventions, the stable one: no net.*, db.statement or
    # db.system; peers as network.peer.*, SQL as db.query.text.
    old = {k for s in trace for k in s.attributes if k.startswith("net.")}
    old |= {k for s in trace for k in s.attributes if k in ("db.statement", "db.system")}
    assert old == set()
    sql = [s for s in trace if s.attributes.get("db.system.name") == "postgresql"]
    assert sql and all("db.query.text" in s.attributes for s in sql)
    rpc_servers = [s for s in trace if s.kind == "SERVER" and s.service != "packyard-gateway"]
    assert rpc_servers and all("network.peer.address" in s.attributes for s in rpc_servers)
    root = next(s for s in trace if not s.parent_id)
    assert root.attributes["http.request.method"] == "POST"
    resources = {s.service: s.resource for s in trace}
    for resource in resources.values():
        assert resource["service.version"] and resource["service.instance.id"]
        assert resource["deployment.environment.name"] == "e2e"
        assert resource["k8s.namespace.name"] == "pkgs"
    # Each process is an instance of its own.
    assert len({r["service.instance.id"] for r in resources.values()}) == len(resources)


def test_the_download_counters_flush_is_its_own_trace_linked_to_the_download(
    http_traced_stack: Stack, receiver: OtlpHttpReceiver, project_name: str, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, project_name, "1.0")
    reply = post_file(http_traced_stack, wheel, upload_fields(wheel, project_name, "1.0"))
    assert reply.status_code == 200, reply.text
    url = f"{http_traced_stack.base_url}/pypi/main/packages/{normalize(project_name)}/{wheel.name}"
    traceparent = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
    answer = httpx.get(url, headers={"traceparent": traceparent}, timeout=30)
    assert answer.status_code == 200 and answer.content == wheel.read_bytes()

    def linked_flush(r: OtlpHttpReceiver) -> tuple[Span, Span] | None:
        downloads = [s for s in _server_spans(r, FILE_ROUTE) if s.trace_id == "ab" * 16]
        flushes = [s for s in r.spans if s.name == "downloads.flush"]
        for download in downloads:
            for flush in flushes:
                if download.span_id in flush.links:
                    return download, flush
        return None

    download, flush = receiver.wait_for(linked_flush, timeout=30)
    assert flush.trace_id != download.trace_id and flush.parent_id == ""
    record = [s for s in trace_of(receiver.spans, flush) if s.name.endswith("RecordDownloads")]
    assert record, "the flush's RPC is in the flush's trace"
