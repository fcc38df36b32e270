"""Rebuilding a gRPC method handler around a wrapped behaviour, whatever its streaming kind.

Server interceptors that wrap the servicer's call (error mapping, metrics) all need this.
"""

from __future__ import annotations

from collections.abc import Callable
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
