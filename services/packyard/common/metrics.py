"""Packyard's own OpenTelemetry metrics, and the two observers that record them.

Request rate, latency and errors per HTTP route come from the FastAPI instrumentation
(``http.server.*``); per RPC from ``RpcMetricsInterceptor`` (``rpc.server.call.duration``,
seconds, by service, method and status code — the span instrumentation has no metrics).
``GatewayObserver`` counts bytes served and uploads accepted/refused, and puts the
feed/project/filename of the matched route on the gateway's server span.

The connector records cache lookups and upstream fetches, and the event outbox the events it
dropped, through the ``record_*`` functions. Instruments are made from the global
(proxy) meter, so they start exporting once ``setup_telemetry`` has installed a provider and
cost nothing before.
Attribute values are low-cardinality (feed, kind, outcome): never a project or filename.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import grpc
from opentelemetry import metrics, trace

from packyard.common.grpc_handlers import (
    Begin,
    Wrap,
    WrappingInterceptor,
    call_status,
    observed,
)
from packyard.common.span_fields import set_span_fields

_meter = metrics.get_meter("packyard")

# Seconds, as every duration in the current semantic conventions (http.server.request.duration,
# db.client.operation.duration); the RPC conventions' current name.
rpc_duration = _meter.create_histogram(
    "rpc.server.call.duration", unit="s", description="Duration of inbound RPCs."
)
bytes_served = _meter.create_counter(
    "packyard.bytes_served", unit="By", description="Bytes of distribution files sent to clients."
)
uploads = _meter.create_counter(
    "packyard.uploads", unit="{upload}", description="Upload requests by outcome."
)
cache_lookups = _meter.create_counter(
    "packyard.cache.lookups",
    unit="{lookup}",
    description="Cache lookups of upstream listings and files, by result (hit or miss).",
)
upstream_fetch_duration = _meter.create_histogram(
    "packyard.upstream.fetch.duration",
    unit="s",
    description="Duration of requests to upstream indexes, by outcome.",
)
events_dropped = _meter.create_counter(
    "packyard.events.dropped",
    unit="{message}",
    description="Events an outbox dropped (full while NATS was away, or not sendable).",
)
dependency_up = _meter.create_gauge(
    "packyard.dependency.up",
    unit="1",
    description="1 while a dependency answers (as last checked by a health probe), else 0.",
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_FILES_ROUTE = "/pypi/{feed}/packages/{project}/{filename}"
_UPLOAD_ROUTE_PREFIX = "/pypi/{feed}/legacy"


# -- for the connector and the event outbox ---------------------------------------------


def record_cache_lookup(kind: str, hit: bool, feed: str = "") -> None:
    """``kind``: "listing" or "file"."""
    cache_lookups.add(1, {"kind": kind, "result": "hit" if hit else "miss", "feed": feed})


def record_upstream_fetch(seconds: float, outcome: str, upstream: str = "") -> None:
    """``outcome``: "ok", "not_modified", "not_found", "error"; ``upstream``: a host name."""
    upstream_fetch_duration.record(seconds, {"outcome": outcome, "upstream": upstream})


def record_event_dropped(reason: str) -> None:
    """``reason``: "outbox_full" or the NATS error that made the message unsendable."""
    events_dropped.add(1, {"reason": reason})


def record_dependency(service: str, dependency: str, up: bool) -> None:
    """``service`` saw ``dependency`` (a service or an engine) answer or not."""
    dependency_up.set(1 if up else 0, {"service": service, "dependency": dependency})


# -- gRPC ------------------------------------------------------------------------------


def _split_method(full_method: str) -> tuple[str, str]:
    service, _, method = full_method.lstrip("/").rpartition("/")
    return service, method


class RpcMetricsInterceptor(WrappingInterceptor):
    """Duration and status of every RPC except health checks; also copies the request's
    feed/project/filename onto the (already started) server span."""

    def wrap_for(self, method: str) -> Wrap | None:
        if method.startswith("/grpc.health.v1.Health/"):
            return None
        service, name = _split_method(method)
        attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}

        def record(start: float, context: grpc.aio.ServicerContext, failed: Any) -> None:
            rpc_duration.record(
                time.monotonic() - start,
                {**attributes, "rpc.grpc.status_code": call_status(context, failed)},
            )

        def begin_for(annotate: bool) -> Begin:
            @contextlib.contextmanager
            def begin(
                request: Any, context: grpc.aio.ServicerContext
            ) -> Iterator[Callable[[Any], None]]:
                if annotate:
                    set_span_fields(trace.get_current_span(), request)
                start = time.monotonic()
                yield lambda failed: record(start, context, failed)

            return begin

        # Only a unary request can be read for feed/project/filename before the call runs.
        return lambda behavior, request_streams, response_streams: observed(
            behavior, response_streams, begin_for(not request_streams)
        )


# -- HTTP ------------------------------------------------------------------------------


class GatewayObserver:
    """ASGI middleware: bytes served, upload outcomes, and route fields on the server span."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = {"route": "", "status": 0}

        async def observed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Routing has happened by now: the route and its path parameters are known.
                route = scope.get("route")
                state["route"] = getattr(route, "path", "")
                state["status"] = int(message.get("status", 0))
                _annotate_span(scope.get("path_params") or {})
            elif message["type"] == "http.response.body" and state["route"] == _FILES_ROUTE:
                size = len(message.get("body", b""))
                if size and 200 <= state["status"] < 300:
                    params = scope.get("path_params") or {}
                    kind = (
                        "metadata"
                        if str(params.get("filename", "")).endswith(".metadata")
                        else "file"
                    )
                    bytes_served.add(size, {"feed": str(params.get("feed", "")), "kind": kind})
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            if scope.get("method") == "POST" and state["route"].startswith(_UPLOAD_ROUTE_PREFIX):
                status = state["status"] or 500
                uploads.add(
                    1,
                    {
                        "feed": str((scope.get("path_params") or {}).get("feed", "")),
                        "outcome": "accepted" if 200 <= status < 300 else "refused",
                        "http.response.status_code": status,
                    },
                )


def _annotate_span(path_params: dict[str, Any]) -> None:
    span = trace.get_current_span()
    if not span.is_recording():
        return
    for field in ("feed", "project", "filename"):
        value = path_params.get(field)
        if isinstance(value, str) and value:
            span.set_attribute(f"packyard.{field}", value)


# -- storage hygiene (blob service quarantine, metadata garbage collector) -------------

blobs_quarantined = _meter.create_counter(
    "packyard.storage.quarantined",
    unit="{object}",
    description="Stored objects that failed their integrity check and were quarantined.",
)
blobs_collected = _meter.create_counter(
    "packyard.storage.collected",
    unit="{object}",
    description="Objects the garbage collector removed (unreferenced past their grace).",
)
blobs_scrubbed = _meter.create_counter(
    "packyard.storage.scrubbed",
    unit="{object}",
    description="Objects the scrubber re-hashed, by result (intact, corrupted).",
)


def record_quarantine(found_by: str) -> None:
    """``found_by``: "read" (a download noticed) or "scrub"."""
    blobs_quarantined.add(1, {"found_by": found_by})


def record_collected(reason: str, count: int) -> None:
    blobs_collected.add(count, {"reason": reason})


def record_scrubbed(intact: bool) -> None:
    blobs_scrubbed.add(1, {"result": "intact" if intact else "corrupted"})
