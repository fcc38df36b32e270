"""How the gateway's clients call: each RPC is a typed attribute of its service's client, and a
failed RPC becomes the domain error its status stands for (``common/errors.py``).

A client declares its calls as a table::

    class MetadataClient(Client, stub=metadata_pb2_grpc.MetadataServiceStub):
        get_feed = Unary[metadata_pb2.GetFeedRequest, metadata_pb2.GetFeedResponse]()

and a caller writes ``await backends.metadata.get_feed(request)``: the attribute's name, in
CamelCase, is the RPC's; the deadline is the gateway's RPC timeout unless the call says otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar

import grpc

from packyard.common.errors import NotFound, PackyardError, Unavailable, error_for_status
from packyard.gateway.clients.principal import call_metadata

# What a user sees when a backend cannot be reached (its own reason goes to the log).
UNAVAILABLE_MESSAGE = "Service temporarily unavailable, try again shortly."

Request = TypeVar("Request")
Reply = TypeVar("Reply")
ErrorMap = Callable[[grpc.aio.AioRpcError], PackyardError]


def status_error(exc: grpc.aio.AioRpcError) -> PackyardError:
    """The domain error a failed RPC stands for."""
    if exc.code() == grpc.StatusCode.UNAVAILABLE:
        return Unavailable(UNAVAILABLE_MESSAGE)
    return error_for_status(exc.code(), exc.details() or exc.code().name)


async def if_found(call: Awaitable[Reply]) -> Reply | None:
    """The reply, or None where the service answers NOT_FOUND (a lookup that may miss)."""
    try:
        return await call
    except NotFound:
        return None


class Client:
    """One service's stub on a channel the gateway's lifespan opened."""

    stub_class: Callable[[grpc.aio.Channel], Any]
    # The metadata process's services decide permissions from the principal of each call.
    sends_principal: bool = False
    # How a failed RPC of this service reads as a domain error.
    errors: ErrorMap = staticmethod(status_error)

    def __init_subclass__(cls, stub: Callable[[grpc.aio.Channel], Any]) -> None:
        cls.stub_class = stub

    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self.stub = self.stub_class(channel)
        self.timeout = timeout


class _Call:
    def __init__(self, *, rpc: str = "", deadline: bool = True, min_timeout: float = 0.0) -> None:
        self._rpc = rpc
        self._deadline = deadline
        self._min_timeout = min_timeout

    def __set_name__(self, owner: type, name: str) -> None:
        self._rpc = self._rpc or "".join(part.capitalize() for part in name.split("_"))

    @property
    def rpc(self) -> str:
        """The RPC's name in the proto."""
        return self._rpc

    def _start(self, client: Client, request: object) -> Any:
        timeout = max(client.timeout, self._min_timeout) if self._deadline else None
        metadata = call_metadata() if client.sends_principal else ()
        return getattr(client.stub, self._rpc)(request, timeout=timeout, metadata=metadata)


class Unary(_Call, Generic[Request, Reply]):
    """A unary (or client-streaming) RPC: awaiting it gives the reply."""

    def __get__(self, client: Client, owner: type) -> Callable[[Request], Awaitable[Reply]]:
        async def call(request: Request) -> Reply:
            try:
                return await self._start(client, request)  # type: ignore[no-any-return]
            except grpc.aio.AioRpcError as exc:
                raise client.errors(exc) from None

        return call


class ServerStream(_Call, Generic[Request, Reply]):
    """A server-streaming RPC: iterating it gives the messages; stopping early cancels it."""

    def __get__(self, client: Client, owner: type) -> Callable[[Request], AsyncIterator[Reply]]:
        async def call(request: Request) -> AsyncIterator[Reply]:
            started = self._start(client, request)
            try:
                async for message in started:
                    yield message
            except grpc.aio.AioRpcError as exc:
                raise client.errors(exc) from None
            finally:
                started.cancel()

        return call
