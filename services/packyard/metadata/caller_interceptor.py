"""The metadata server's caller interceptor: before a servicer runs, resolve who the call acts
for (access/principals.py) into the ContextVar of metadata/callers.py."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import grpc

from packyard.common.grpc import caller_identity
from packyard.common.grpc_handlers import Wrap, WrappingInterceptor
from packyard.metadata.callers import Caller, set_caller

Resolve = Callable[[str | None, Mapping[str, str]], Awaitable[Caller]]


def _metadata(context: grpc.aio.ServicerContext) -> dict[str, str]:
    return {
        key: value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)
    }


def _resolving(resolve: Resolve, behavior: Callable[..., Any], streams: bool) -> Any:
    async def enter(context: grpc.aio.ServicerContext) -> None:
        set_caller(await resolve(caller_identity(context), _metadata(context)))

    if streams and not inspect.iscoroutinefunction(behavior):

        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            await enter(context)
            async for item in behavior(request, context):
                yield item

        return stream

    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await enter(context)
        return await behavior(request, context)

    return unary


class CallerInterceptor(WrappingInterceptor):
    def __init__(self, resolve: Resolve) -> None:
        self._resolve = resolve

    def wrap_for(self, method: str) -> Wrap | None:
        # Health and reflection act for nobody: they read no feed.
        if method.startswith(("/grpc.health.", "/grpc.reflection.")):
            return None
        return lambda behavior, _, streams: _resolving(self._resolve, behavior, streams)
