"""The only place that sets up OpenTelemetry (traces and metrics) and instruments libraries.

Configuration comes from the standard ``OTEL_*`` variables:

- ``OTEL_SERVICE_NAME`` (default ``packyard-<service>``), ``OTEL_RESOURCE_ATTRIBUTES`` (the
  chart adds ``k8s.*`` from the downward API); ``service.version`` is the installed packyard's
  and ``service.instance.id`` a random id per process unless those variables set them;
- ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT`` / ``..._METRICS_ENDPOINT``):
  with an endpoint, spans and metrics go there over OTLP;
- ``OTEL_EXPORTER_OTLP_PROTOCOL`` (or ``..._TRACES_PROTOCOL`` / ``..._METRICS_PROTOCOL``):
  ``grpc`` (default, port 4317) or ``http/protobuf`` (port 4318; the exporter adds
  ``/v1/traces`` and ``/v1/metrics`` to a base endpoint); ``OTEL_EXPORTER_OTLP_HEADERS``,
  ``..._TIMEOUT``, ``..._COMPRESSION``, ``..._CERTIFICATE`` are read by the exporters;
- ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER``: ``otlp``, ``console`` or ``none``
  (default: ``otlp`` when an endpoint is set, else nothing is exported, so a laptop run
  sends nothing anywhere);
- ``OTEL_TRACES_SAMPLER`` / ``OTEL_TRACES_SAMPLER_ARG``, ``OTEL_BSP_*``,
  ``OTEL_METRIC_EXPORT_INTERVAL``, ``OTEL_SDK_DISABLED`` — read by the SDK itself.

Exporting runs in background threads with bounded queues: a collector that is down costs
dropped spans, never a failed or slower request.

Instrumentation hooks for the services: ``grpc_server_interceptors()``,
``grpc_client_interceptors()``, ``instrument_fastapi(app)``, ``instrument_asyncpg()``,
``instrument_httpx(client)``; and for NATS, ``inject_headers()`` / ``extract_context()`` /
``consumer_span()`` (the aio-pika pattern: the trace context travels in message headers).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import os
import types
import uuid
from collections.abc import Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import SERVICE_INSTANCE_ID, SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

if TYPE_CHECKING:
    import grpc
    import httpx
    from fastapi import FastAPI

from packyard.common.grpc_server_tracing import ServerTracingInterceptor
from packyard.common.grpc_tracing import client_interceptors
from packyard.common.metrics import GatewayObserver, RpcMetricsInterceptor

log = logging.getLogger(__name__)

# Probes run every few seconds; as spans they would drown the traces people look for.
HTTP_EXCLUDED_URLS = "/healthz,/readyz"


def _exporter_names(kind: str) -> list[str]:
    """Exporters for ``kind`` ("traces"/"metrics") from OTEL_<KIND>_EXPORTER and endpoints."""
    configured = os.environ.get(f"OTEL_{kind.upper()}_EXPORTER", "").strip().lower()
    if configured:
        return [n.strip() for n in configured.split(",") if n.strip() and n.strip() != "none"]
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        f"OTEL_EXPORTER_OTLP_{kind.upper()}_ENDPOINT"
    )
    return ["otlp"] if endpoint else []


def _version() -> str:
    try:
        return importlib.metadata.version("packyard")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


# One id per process: replicas of a service are told apart (OpenTelemetry's recommendation for
# service.instance.id is a random UUID when nothing better is configured).
_INSTANCE_ID = str(uuid.uuid4())


def _resource(service: str) -> Resource:
    name = os.environ.get("OTEL_SERVICE_NAME") or f"packyard-{service}"
    # Resource.create merges OTEL_RESOURCE_ATTRIBUTES under the explicit attributes, so the
    # defaults go beneath it and the name (OTEL_SERVICE_NAME or ours) on top.
    defaults = Resource(
        {
            "service.namespace": "packyard",
            SERVICE_VERSION: _version(),
            SERVICE_INSTANCE_ID: _INSTANCE_ID,
        }
    )
    return defaults.merge(Resource.create({SERVICE_NAME: name}))


def otlp_protocol(kind: str) -> str:
    """OTEL_EXPORTER_OTLP_<KIND>_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else grpc."""
    value = os.environ.get(f"OTEL_EXPORTER_OTLP_{kind.upper()}_PROTOCOL") or os.environ.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", ""
    )
    return value.strip().lower() or "grpc"


def _otlp_span_exporter() -> SpanExporter | None:
    protocol = otlp_protocol("traces")
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as HttpSpanExporter,
        )

        return HttpSpanExporter()
    log.warning("telemetry.unknown_protocol", extra={"kind": "traces", "protocol": protocol})
    return None


def _otlp_metric_exporter() -> Any:
    protocol = otlp_protocol("metrics")
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter()
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
            OTLPMetricExporter as HttpMetricExporter,
        )

        return HttpMetricExporter()
    log.warning("telemetry.unknown_protocol", extra={"kind": "metrics", "protocol": protocol})
    return None


def build_tracer_provider(service: str, exporter: SpanExporter | None = None) -> TracerProvider:
    """A provider for ``service``: the given exporter (tests, synchronous) or the configured ones.

    The sampler comes from OTEL_TRACES_SAMPLER (default: parent-based, always on; e.g.
    ``parentbased_traceidratio`` with OTEL_TRACES_SAMPLER_ARG=0.1 keeps a tenth of the traces
    that start here). With no exporter and no sampler configured, spans that start here are
    not recorded at all (parent-based, off at the root): nothing would export them, and
    recording cost a fifth of a cached page's time (issue 13). A caller's sampled trace is
    still followed and passed on.
    """
    names = [] if exporter is not None else _exporter_names("traces")
    sampler = None
    if exporter is None and not names and not os.environ.get("OTEL_TRACES_SAMPLER"):
        sampler = ParentBased(ALWAYS_OFF)
    provider = TracerProvider(resource=_resource(service), sampler=sampler)
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        return provider
    for name in names:
        if name == "otlp":
            otlp = _otlp_span_exporter()
            if otlp is not None:
                provider.add_span_processor(BatchSpanProcessor(otlp))
        elif name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        else:
            log.warning("telemetry.unknown_exporter", extra={"kind": "traces", "exporter": name})
    return provider


def build_meter_provider(service: str, reader: MetricReader | None = None) -> MeterProvider:
    """A provider for ``service`` with the given reader (tests) or the configured exporters."""
    readers: list[MetricReader] = []
    if reader is not None:
        readers.append(reader)
    else:
        for name in _exporter_names("metrics"):
            if name == "otlp":
                otlp = _otlp_metric_exporter()
                if otlp is not None:
                    readers.append(PeriodicExportingMetricReader(otlp))
            elif name == "console":
                readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
            else:
                log.warning(
                    "telemetry.unknown_exporter", extra={"kind": "metrics", "exporter": name}
                )
    return MeterProvider(resource=_resource(service), metric_readers=readers)


# Whether this process sends traces or metrics anywhere (set by setup_telemetry; None until
# then, which counts as yes).
_exporting: bool | None = None


def _sdk_disabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def setup_telemetry(
    service: str,
    *,
    exporter: SpanExporter | None = None,
    metric_reader: MetricReader | None = None,
) -> None:
    """Install the global tracer and meter providers for this process (once; later calls no-op).

    ``exporter`` / ``metric_reader`` replace the configured exporters (in-process tests).
    """
    global _exporting
    if _sdk_disabled() or isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    _exporting = bool(
        exporter or metric_reader or _exporter_names("traces") or _exporter_names("metrics")
    )
    trace.set_tracer_provider(build_tracer_provider(service, exporter))
    metrics.set_meter_provider(build_meter_provider(service, metric_reader))


def traced_only_when_asked() -> bool:
    """Whether an HTTP request without a trace context records nothing here: this process
    exports neither traces nor metrics and no sampler was asked for (see TracedWhenAsked)."""
    return _exporting is False and not os.environ.get("OTEL_TRACES_SAMPLER")


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def meter(name: str) -> metrics.Meter:
    return metrics.get_meter(name)


def shutdown_telemetry() -> None:
    """Flush what is queued and stop the exporters (also done at interpreter exit)."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.shutdown()
    meter_provider = metrics.get_meter_provider()
    if isinstance(meter_provider, MeterProvider):
        meter_provider.shutdown()


# -- span attributes -------------------------------------------------------------------


# -- gRPC ------------------------------------------------------------------------------


def grpc_server_interceptors() -> list[grpc.aio.ServerInterceptor]:
    """Tracing (outermost, so it sees the status the error interceptor aborts with) and RPC
    metrics. Health checks are neither traced nor counted."""
    return [ServerTracingInterceptor(), RpcMetricsInterceptor()]


def grpc_client_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """CLIENT spans that carry the trace context in the call metadata; health checks skipped.

    Ours rather than opentelemetry-instrumentation-grpc's: those await the whole call inside
    the interceptor, so cancelling a client-streaming call (an aborted upload) never reaches
    the server.
    """
    return client_interceptors()


# -- HTTP, SQL -------------------------------------------------------------------------


def _stable_conventions() -> None:
    # One generation of conventions, the stable one, for HTTP and SQL: the route template in
    # metrics as http.route (the old ones only as http.target), server.address rather than
    # net.peer.name, db.query.text rather than db.statement, durations in seconds. Read once,
    # when the first instrumentation starts.
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http,database")


def instrument_fastapi(app: FastAPI) -> None:
    """Server spans and request metrics per route, bytes served and upload outcomes; probes
    excluded. The per-chunk
    receive/send spans of the ASGI instrumentation are left out: an upload has thousands."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    _stable_conventions()
    app.add_middleware(GatewayObserver)
    plain_stack = app.build_middleware_stack
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls=HTTP_EXCLUDED_URLS, exclude_spans=["receive", "send"]
    )
    if traced_only_when_asked():
        traced_stack = app.build_middleware_stack

        def build(self: Any) -> Any:
            return TracedWhenAsked(traced_stack(), plain_stack())

        app.build_middleware_stack = types.MethodType(build, app)  # type: ignore[method-assign]


class TracedWhenAsked:
    """For a process that exports neither traces nor metrics: a request that carries a trace
    context goes through the HTTP instrumentation (its trace continues to the services this
    request calls); any other skips it. Its span would be recorded by nothing and its metrics
    read by nothing, and the instrumentation cost a quarter of a cached page's time (issue 13).
    The gateway's own middleware (GatewayObserver) runs either way."""

    def __init__(self, traced: Any, plain: Any) -> None:
        self.traced, self.plain = traced, plain
        # FastAPI (0.165+) looks for the contrib middleware along ``.app`` to keep its own
        # native telemetry off; without finding it, it would trace every request a second time.
        self.app = traced

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not any(
            name == b"traceparent" for name, _ in scope.get("headers", ())
        ):
            await self.plain(scope, receive, send)
        else:
            await self.traced(scope, receive, send)


def instrument_asyncpg() -> None:
    """Spans for every asyncpg statement (SQL text only: parameters are never captured)."""
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    _stable_conventions()
    instrumentor = AsyncPGInstrumentor(capture_parameters=False)
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def instrument_httpx(client: httpx.AsyncClient) -> None:
    """Client spans for one owned client (URLs are recorded with credentials redacted)."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    _stable_conventions()
    HTTPXClientInstrumentor.instrument_client(client)


# -- NATS ------------------------------------------------------------------------------


def inject_headers(
    headers: MutableMapping[str, str] | None = None,
    context: otel_context.Context | None = None,
) -> MutableMapping[str, str]:
    """Add the current (or given) trace context to message headers; returns the headers.

    Call inside the PRODUCER span so the consumer continues from it.
    """
    carrier: MutableMapping[str, str] = {} if headers is None else headers
    propagate.inject(carrier, context=context)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> otel_context.Context:
    """The trace context a publisher put into message headers (empty when there is none)."""
    return propagate.extract(dict(headers or {}))


@contextlib.contextmanager
def producer_span(subject: str) -> Iterator[trace.Span]:
    """A PRODUCER span for publishing to ``subject``; inject headers inside it."""
    with tracer(__name__).start_as_current_span(
        f"{subject} publish",
        kind=trace.SpanKind.PRODUCER,
        attributes={
            "messaging.system": "nats",
            "messaging.destination.name": subject,
            "messaging.operation.type": "send",
            "messaging.operation.name": "publish",
        },
    ) as span:
        yield span


@contextlib.contextmanager
def consumer_span(subject: str, headers: Mapping[str, str] | None) -> Iterator[trace.Span]:
    """A CONSUMER span for handling one message: a child of the publisher's span (the trace
    continues) that also links to it, with the extracted context attached meanwhile."""
    parent = extract_context(headers)
    producer = trace.get_current_span(parent).get_span_context()
    links = [trace.Link(producer)] if producer.is_valid else []
    token = otel_context.attach(parent)
    try:
        with tracer(__name__).start_as_current_span(
            f"{subject} process",
            kind=trace.SpanKind.CONSUMER,
            links=links,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": subject,
                "messaging.operation.type": "process",
                "messaging.operation.name": "process",
            },
        ) as span:
            yield span
    finally:
        otel_context.detach(token)
