"""Server-side gRPC tracing: a SERVER span per call, continuing the caller's trace.

Ours rather than opentelemetry-instrumentation-grpc's, which records the old ``net.peer.*``
attributes: the spans here carry only current semantic conventions (``rpc.*`` and
``network.peer.address``/``network.peer.port``), like the client side (grpc_tracing.py).
Outermost of the server interceptors, so the status the error interceptor aborts with is the
span's. Health checks are not traced (probes every few seconds would drown real traces).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import grpc
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from packyard.common.grpc_handlers import Wrap, WrappingInterceptor, call_status, observed

Ended = Callable[[Any], None]

_tracer = trace.get_tracer("packyard.grpc")
_HEALTH = "/grpc.health.v1.Health/"
# The RPC conventions: a server span is an error only for the server's own failures; NOT_FOUND,
# PERMISSION_DENIED and the like are the caller's (its client span records them).
SERVER_ERRORS = frozenset(
    code.value[0]
    for code in (
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    )
)


def peer_attributes(peer: str | None) -> dict[str, Any]:
    """``ipv4:10.0.0.1:5000`` / ``ipv6:[::1]:5000`` -> network.peer.address and .port."""
    if not peer:
        return {}
    kind, _, rest = peer.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return {}
    address, _, port = rest.rpartition(":")
    attributes: dict[str, Any] = {"network.peer.address": address.strip("[]")}
    if port.isdigit():
        attributes["network.peer.port"] = int(port)
    return attributes


class ServerTracingInterceptor(WrappingInterceptor):
    def wrap_for(self, method: str) -> Wrap | None:
        if method.startswith(_HEALTH):
            return None
        name = method.lstrip("/")
        service, _, rpc = name.rpartition("/")
        base = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": rpc}

        def start(context: grpc.aio.ServicerContext) -> Any:
            parent = propagate.extract(dict(context.invocation_metadata() or ()))
            attributes = {**base, **peer_attributes(context.peer())}
            return _tracer.start_as_current_span(
                name, context=parent, kind=SpanKind.SERVER, attributes=attributes,
                record_exception=False, set_status_on_exception=False,
            )  # fmt: skip

        def finish(span: trace.Span, context: grpc.aio.ServicerContext, failed: Any) -> None:
            code = call_status(context, failed)
            span.set_attribute("rpc.grpc.status_code", code)
            if code in SERVER_ERRORS:
                span.set_status(Status(StatusCode.ERROR))
                if failed is not None and not isinstance(failed, grpc.aio.AbortError):
                    span.set_attribute("error.type", type(failed).__qualname__)

        @contextlib.contextmanager
        def begin(request: Any, context: grpc.aio.ServicerContext) -> Iterator[Ended]:
            with start(context) as span:
                yield lambda failed: finish(span, context, failed)

        return lambda behavior, request_streams, response_streams: observed(
            behavior, response_streams, begin
        )
