"""Client interceptors: every call carries the API key, and a failed call raises one of
errors.py's classes instead of a bare grpc.RpcError."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, NamedTuple

import grpc
import grpc.aio

from packyard_rpc.errors import from_rpc_error

# The metadata service reads an internal client's key from here, as HTTP reads Basic api:KEY.
AUTHORIZATION = "authorization"


def bearer(api_key: str) -> tuple[str, str]:
    return (AUTHORIZATION, f"Bearer {api_key}")


class _Details(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: grpc.Compression | None


class _SyncDetails(_Details, grpc.ClientCallDetails):
    pass


def _with_key(metadata: Any, api_key: str | None) -> list[tuple[str, str | bytes]]:
    items = list(metadata or ())
    if api_key is not None and not any(k == AUTHORIZATION for k, _ in items):
        items.append(bearer(api_key))
    return items


class _MappedStream:
    """A server stream whose failure raises errors.py's class; cancel() and the rest of the
    grpc.Call methods pass through."""

    def __init__(self, call: Any) -> None:
        self._call = call

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            return next(self._call)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)


class SyncCalls(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):  # type: ignore[misc]
    def __init__(self, api_key: str | None) -> None:
        self._api_key = api_key

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        return _SyncDetails(
            details.method,
            details.timeout,
            _with_key(details.metadata, self._api_key),
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        call = continuation(self._details(details), request)
        error = call.exception()
        if error is not None:
            raise from_rpc_error(error) from None
        return call

    def intercept_unary_stream(
        self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        return _MappedStream(continuation(self._details(details), request))


async def _mapped(call: Any) -> AsyncIterator[Any]:
    try:
        async for item in call:
            yield item
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc) from None


class _AsyncKey:
    def __init__(self, api_key: str | None) -> None:
        self._api_key = api_key

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        return grpc.aio.ClientCallDetails(
            details.method,
            details.timeout,
            grpc.aio.Metadata(*_with_key(details.metadata, self._api_key)),
            details.credentials,
            details.wait_for_ready,
        )


class _AsyncUnary(_AsyncKey, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        call = await continuation(self._details(details), request)
        try:
            await call
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None
        return call


class _AsyncStream(_AsyncKey, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        return _mapped(await continuation(self._details(details), request))


def async_calls(api_key: str | None) -> list[Any]:
    """The interceptors of an asyncio channel. One object per kind: grpc.aio files each
    interceptor under the first kind it is an instance of."""
    return [_AsyncUnary(api_key), _AsyncStream(api_key)]
