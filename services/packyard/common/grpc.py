"""gRPC plumbing shared by the services: the error interceptor, serving with health checks
and graceful shutdown, and client channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

from packyard.common.errors import PackyardError
from packyard.common.grpc_handlers import rewrap_handler
from packyard.common.telemetry import grpc_client_interceptors, grpc_server_interceptors

log = logging.getLogger(__name__)

# Chunks on the wire stay well under gRPC's 4 MiB default message cap.
CHUNK_SIZE = 1024 * 1024
MAX_MESSAGE = 8 * 1024 * 1024
_CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.keepalive_time_ms", 30_000),
    # A restarted service is found again within about a second, not after gRPC's default
    # backoff (which grows to two minutes while a peer is down).
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 1_000),
]


def _wrap(behavior: Callable[..., Any], streaming_response: bool) -> Callable[..., Any]:
    """Turn PackyardError raised by a servicer into the matching status; log the unexpected."""

    async def _handle(exc: BaseException, context: grpc.aio.ServicerContext) -> None:
        if isinstance(exc, PackyardError):
            await context.abort(exc.code, exc.message)
        log.exception("rpc.failed")
        # The details go to the log; the caller learns only that it was not its fault.
        await context.abort(grpc.StatusCode.INTERNAL, "Internal error.")

    if streaming_response:

        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            try:
                async for item in behavior(request, context):
                    yield item
            except (asyncio.CancelledError, grpc.aio.AbortError):
                raise
            except Exception as exc:
                await _handle(exc, context)

        return stream

    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await behavior(request, context)
        except (asyncio.CancelledError, grpc.aio.AbortError):
            raise
        except Exception as exc:
            await _handle(exc, context)

    return unary


class ErrorInterceptor(grpc.aio.ServerInterceptor):
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        return rewrap_handler(handler, lambda behavior, _, streams: _wrap(behavior, streams))


def new_server(*inner: grpc.aio.ServerInterceptor) -> grpc.aio.Server:
    """A server with telemetry and the error table; ``inner`` interceptors sit closest to the
    servicer, so they see its PackyardError before it becomes a status."""
    # Telemetry first: it must see the status ErrorInterceptor aborts with.
    return grpc.aio.server(
        interceptors=[*grpc_server_interceptors(), ErrorInterceptor(), *inner],
        options=_CHANNEL_OPTIONS,
    )


class HealthReporter:
    """The standard grpc.health.v1 service, set for the whole server and each named service."""

    def __init__(self, server: grpc.aio.Server, services: list[str]) -> None:
        self.servicer = health_aio.HealthServicer()
        self.services = ["", *services]
        health_pb2_grpc.add_HealthServicer_to_server(self.servicer, server)

    async def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in self.services:
            await self.servicer.set(name, status)

    async def shutdown(self) -> None:
        await self.servicer.enter_graceful_shutdown()


async def start_server(
    server: grpc.aio.Server, listen_addr: str, services: list[str]
) -> tuple[int, HealthReporter]:
    """Bind, start and mark serving. Returns the bound port (useful with port 0)."""
    reporter = HealthReporter(server, services)
    port = server.add_insecure_port(listen_addr)
    if port == 0:
        raise OSError(f"cannot bind gRPC server to {listen_addr}")
    await server.start()
    await reporter.set_serving(True)
    return port, reporter


async def wait_for_termination_signal() -> None:
    """Return on SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def stop_server(server: grpc.aio.Server, reporter: HealthReporter, grace: float) -> None:
    """Report NOT_SERVING, then let in-flight RPCs finish within ``grace`` seconds."""
    await reporter.shutdown()
    await server.stop(grace)


def insecure_channel(addr: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(
        addr, options=_CHANNEL_OPTIONS, interceptors=grpc_client_interceptors()
    )


async def check_health(addr: str, service: str = "", deadline: float = 2.0) -> bool:
    """True when the gRPC server at ``addr`` reports SERVING."""
    async with insecure_channel(addr) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = await stub.Check(
                health_pb2.HealthCheckRequest(service=service), timeout=deadline
            )
        except grpc.aio.AioRpcError:
            return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
