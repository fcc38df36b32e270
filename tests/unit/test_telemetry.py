"""Telemetry plumbing without a process-wide provider: propagation through message headers,
span fields from requests, and which exporters the OTEL_* variables select."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from packyard.common import telemetry
from packyard.common.grpc_server_tracing import peer_attributes
from packyard.common.span_fields import set_span_fields
from packyard_rpc.v1 import common_pb2, metadata_pb2


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    """Spans of ``telemetry``'s own tracer go to an in-memory exporter for this test."""
    memory = InMemorySpanExporter()
    provider = telemetry.build_tracer_provider("test", exporter=memory)
    monkeypatch.setattr(telemetry, "tracer", lambda name: provider.get_tracer(name))
    return memory


def test_a_consumer_continues_the_publishers_trace_and_links_to_it(
    exporter: InMemorySpanExporter,
) -> None:
    with telemetry.producer_span("packyard.file.cached.main") as producer:
        headers = telemetry.inject_headers({"Nats-Msg-Id": "abc"})
    assert headers["Nats-Msg-Id"] == "abc"
    assert "traceparent" in headers

    with telemetry.consumer_span("packyard.file.cached.main", headers) as consumer:
        assert trace.get_current_span() is consumer

    spans: dict[str, ReadableSpan] = {s.name: s for s in exporter.get_finished_spans()}
    published = spans["packyard.file.cached.main publish"]
    processed = spans["packyard.file.cached.main process"]
    assert published.context.span_id == producer.get_span_context().span_id
    assert processed.context.trace_id == published.context.trace_id
    assert processed.parent is not None and processed.parent.span_id == published.context.span_id
    assert [link.context.span_id for link in processed.links] == [published.context.span_id]
    assert processed.kind == trace.SpanKind.CONSUMER
    assert processed.attributes is not None
    assert processed.attributes["messaging.system"] == "nats"
    # Outside the consumer block the context is detached again.
    assert not trace.get_current_span().get_span_context().is_valid


def test_a_message_without_headers_starts_a_new_trace(exporter: InMemorySpanExporter) -> None:
    with telemetry.consumer_span("packyard.index.changed.main", None):
        pass
    (span,) = exporter.get_finished_spans()
    assert span.parent is None and list(span.links) == []
    assert not trace.get_current_span(telemetry.extract_context({})).get_span_context().is_valid


def test_span_fields_come_from_the_request_and_never_a_key(exporter: InMemorySpanExporter) -> None:
    request = metadata_pb2.RegisterFileRequest(
        feed="main",
        file=common_pb2.FileInfo(project="demo", filename="demo-1.0.tar.gz"),
    )
    provider = telemetry.build_tracer_provider("test", exporter=exporter)
    with provider.get_tracer("t").start_as_current_span("rpc") as span:
        set_span_fields(span, request)
        key_request = metadata_pb2.CreateApiKeyRequest(name="admin", key="s3cret")
        set_span_fields(span, key_request)
    (finished,) = exporter.get_finished_spans()
    attributes = dict(finished.attributes or {})
    assert attributes == {
        "packyard.feed": "main",
        "packyard.project": "demo",
        "packyard.filename": "demo-1.0.tar.gz",
    }


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, []),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4317"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_TRACES_EXPORTER": "none"}, []),
        ({"OTEL_TRACES_EXPORTER": "console"}, ["console"]),
    ],
)
def test_exporters_follow_the_standard_variables(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: list[str]
) -> None:
    for name in (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_TRACES_EXPORTER",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert telemetry._exporter_names("traces") == expected


def test_service_name_defaults_per_service_unless_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    provider = telemetry.build_tracer_provider("blob", exporter=InMemorySpanExporter())
    assert provider.resource.attributes["service.name"] == "packyard-blob"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "blob-eu")
    provider = telemetry.build_tracer_provider("blob", exporter=InMemorySpanExporter())
    assert provider.resource.attributes["service.name"] == "blob-eu"


def test_the_sampler_records_by_default_unless_nothing_would_export(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_TRACES_SAMPLER"):
        monkeypatch.delenv(name, raising=False)
    tracer = telemetry.build_tracer_provider("gateway").get_tracer("t")
    with tracer.start_as_current_span("root") as root:
        assert not root.is_recording()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    provider = telemetry.build_tracer_provider("gateway")
    with provider.get_tracer("t").start_as_current_span("root") as root:
        assert root.is_recording()
    provider.shutdown()


def test_only_requests_with_a_trace_context_take_the_traced_stack() -> None:
    taken: list[str] = []

    def stack(name: str) -> object:
        async def app(scope: object, receive: object, send: object) -> None:
            taken.append(name)

        return app

    app = telemetry.TracedWhenAsked(stack("traced"), stack("plain"))
    traceparent = (b"traceparent", b"00-" + b"1" * 32 + b"-" + b"2" * 16 + b"-01")
    for headers in ([], [traceparent]):
        asyncio.run(app({"type": "http", "headers": headers}, None, None))
    asyncio.run(app({"type": "lifespan"}, None, None))
    assert taken == ["plain", "traced", "traced"]


def test_the_otlp_protocol_comes_from_the_signal_or_the_general_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)
    assert telemetry.otlp_protocol("traces") == "grpc"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    assert telemetry.otlp_protocol("traces") == telemetry.otlp_protocol("metrics")
    assert telemetry.otlp_protocol("metrics") == "http/protobuf"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc")
    assert telemetry.otlp_protocol("traces") == "grpc"


def test_resource_has_version_and_instance_unless_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "k8s.pod.name=p-1,service.instance.id=pod-uid")
    attributes = telemetry.build_tracer_provider("blob", InMemorySpanExporter()).resource.attributes
    assert attributes["k8s.pod.name"] == "p-1" and attributes["service.instance.id"] == "pod-uid"
    assert attributes["service.version"] and attributes["service.name"] == "packyard-blob"
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES")
    attributes = telemetry.build_tracer_provider("blob", InMemorySpanExporter()).resource.attributes
    assert len(str(attributes["service.instance.id"])) == 36  # a UUID


def test_grpc_peers_become_network_peer_attributes() -> None:
    assert peer_attributes("ipv4:10.0.0.7:5123") == {
        "network.peer.address": "10.0.0.7",
        "network.peer.port": 5123,
    }
    assert peer_attributes("ipv6:[::1]:80") == {
        "network.peer.address": "::1",
        "network.peer.port": 80,
    }
    assert peer_attributes("unix:/tmp/s") == {} and peer_attributes(None) == {}
