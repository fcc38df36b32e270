"""Rebuilding a gRPC method handler around a wrapped behaviour, whatever its streaming kind.

Server interceptors that wrap the servicer's call (error mapping, access, metrics) all need
this; ``WrappingInterceptor`` is their common shape.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any

import grpc

# wrap(behavior, request_streams, response_streams) -> the behaviour to serve instead
Wrap = Callable[[Callable[..., Any], bool, bool], Callable[..., Any]]

_KINDS = (
    ("unary_unary", grpc.unary_unary_rpc_method_handler, False, False),
    ("unary_stream", grpc.unary_stream_rpc_method_handler, False, True),
    ("stream_unary", grpc.stream_unary_rpc_method_handler, True, False),
    ("stream_stream", grpc.stream_stream_rpc_method_handler, True, True),
)


def rewrap_handler(handler: grpc.RpcMethodHandler, wrap: Wrap) -> grpc.RpcMethodHandler:
    for attr, make, request_streams, response_streams in _KINDS:
        behavior = getattr(handler, attr)
        if behavior:
            return make(
                wrap(behavior, request_streams, response_streams),
                handler.request_deserializer,
                handler.response_serializer,
            )
    return handler


class WrappingInterceptor(grpc.aio.ServerInterceptor):
    """A server interceptor that serves each method's behaviour wrapped by ``wrap_for``."""

    def wrap_for(self, method: str) -> Wrap | None:
        """The wrapper for calls of ``method`` (a full name); None leaves them as they are."""
        raise NotImplementedError

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        wrap = None if handler is None else self.wrap_for(handler_call_details.method)
        return handler if wrap is None else rewrap_handler(handler, wrap)


# begin(request, context): entered around the call; what it yields is told how the call ended
# (the exception its behaviour raised, or None).
Begin = Callable[[Any, grpc.aio.ServicerContext], AbstractContextManager[Callable[[Any], None]]]


def observed(
    behavior: Callable[..., Any], response_streams: bool, begin: Begin
) -> Callable[..., Any]:
    """``behavior`` run inside ``begin``, whose ending is told the outcome: the one shape of
    the observing interceptors (traces, metrics), unary or response-streaming alike."""
    if response_streams:

        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            with begin(request, context) as ended:
                failed = None
                try:
                    async for item in behavior(request, context):
                        yield item
                except BaseException as exc:
                    failed = exc
                    raise
                finally:
                    ended(failed)

        return stream

    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        with begin(request, context) as ended:
            failed = None
            try:
                return await behavior(request, context)
            except BaseException as exc:
                failed = exc
                raise
            finally:
                ended(failed)

    return unary


def call_status(context: grpc.aio.ServicerContext, failed: BaseException | None) -> int:
    """The numeric status a call ended with (``failed``: what its behaviour raised, if any)."""
    code = context.code()
    if code is None:
        # An exception that was not an abort reaches the client as UNKNOWN.
        code = grpc.StatusCode.UNKNOWN if failed is not None else grpc.StatusCode.OK
    if isinstance(code, grpc.StatusCode):
        return int(code.value[0])
    return int(code)
