"""Client-side gRPC tracing for ``grpc.aio`` channels.

Each call gets a CLIENT span named ``package.Service/Method`` with the semantic-convention
``rpc.*`` attributes and the request's feed/project/filename, and the W3C trace context is
added to the call metadata (the server interceptor continues the trace from it). The
interceptor returns the call object as soon as the call has started and ends the span from a
done callback, so cancelling the returned call cancels the RPC itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from opentelemetry import propagate, trace
from opentelemetry.propagators.textmap import Setter
from opentelemetry.trace import SpanKind, Status, StatusCode

from packyard.common.span_fields import set_span_fields

_tracer = trace.get_tracer("packyard.grpc")
_HEALTH = "/grpc.health.v1.Health/"


class _MetadataSetter(Setter[grpc.aio.Metadata]):
    def set(self, carrier: grpc.aio.Metadata, key: str, value: str) -> None:
        carrier[key] = value


_SETTER = _MetadataSetter()
# Done callbacks may fire before the task that reads the status is scheduled; keep
# references so those tasks are not garbage-collected mid-flight.
_pending: set[asyncio.Task[None]] = set()


def _method_name(details: grpc.aio.ClientCallDetails) -> str:
    method = details.method
    return method.decode() if isinstance(method, bytes) else str(method)


async def _finish(span: trace.Span, call: Any) -> None:
    try:
        code = await call.code()
    except Exception:  # a call that failed to even start has no status to read
        code = grpc.StatusCode.UNKNOWN
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if code != grpc.StatusCode.OK:
        span.set_status(Status(StatusCode.ERROR, code.name))
    span.end()


def _on_done(span: trace.Span) -> Any:
    def callback(call: Any) -> None:
        task = asyncio.ensure_future(_finish(span, call))
        _pending.add(task)
        task.add_done_callback(_pending.discard)

    return callback


class _TracingInterceptor:
    async def _intercept(self, continuation: Any, details: grpc.aio.ClientCallDetails,
                         request: Any) -> Any:  # fmt: skip
        method = _method_name(details)
        if method.startswith(_HEALTH):
            return await continuation(details, request)
        service, _, name = method.lstrip("/").rpartition("/")
        span = _tracer.start_span(
            method.lstrip("/"),
            kind=SpanKind.CLIENT,
            attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": name},
        )
        set_span_fields(span, request)
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        propagate.inject(metadata, context=trace.set_span_in_context(span), setter=_SETTER)
        traced = grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )
        try:
            call = await continuation(traced, request)
        except BaseException as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            span.end()
            raise
        call.add_done_callback(_on_done(span))
        return call


class _UnaryUnary(_TracingInterceptor, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any,
                                    request: Any) -> Any:  # fmt: skip
        return await self._intercept(continuation, client_call_details, request)


class _UnaryStream(_TracingInterceptor, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any,
                                     request: Any) -> Any:  # fmt: skip
        return await self._intercept(continuation, client_call_details, request)


class _StreamUnary(_TracingInterceptor, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Any, client_call_details: Any,
                                     request_iterator: Any) -> Any:  # fmt: skip
        return await self._intercept(continuation, client_call_details, request_iterator)


class _StreamStream(_TracingInterceptor, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Any, client_call_details: Any,
                                      request_iterator: Any) -> Any:  # fmt: skip
        return await self._intercept(continuation, client_call_details, request_iterator)


def client_interceptors() -> list[Any]:  # the four kinds; grpc-stubs knows only two
    return [_UnaryUnary(), _UnaryStream(), _StreamUnary(), _StreamStream()]
