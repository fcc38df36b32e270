"""gRPC plumbing shared by the services: mutual TLS, the access and error interceptors,
serving with health checks, reflection and graceful shutdown, and client channels.

There is no plaintext mode: every server requires a client certificate from the CA and every
channel presents one (common/tls.py); the access interceptor then allows each method only to
the identities common/rpc_access.py names.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import signal
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]
from grpc_reflection.v1alpha import reflection

from packyard.common.errors import PackyardError
from packyard.common.grpc_handlers import Wrap, WrappingInterceptor
from packyard.common.heap import freeze_startup_heap
from packyard.common.rpc_access import is_allowed
from packyard.common.telemetry import grpc_client_interceptors, grpc_server_interceptors
from packyard.common.tls_files import TlsFiles, peer_identity

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
    # Every address the name resolves to gets calls: behind a headless Service (the chart's
    # default) that is every replica; one address (loopback, a ClusterIP) behaves as before.
    ("grpc.lb_policy_name", "round_robin"),
]
# Servers: a client's connection is told to go (GOAWAY) after a few minutes, so the client
# re-resolves and spreads over replicas added since it connected. No grace limit: calls in
# flight (a long download stream) finish on the old connection.
_SERVER_OPTIONS = [*_CHANNEL_OPTIONS, ("grpc.max_connection_age_ms", 300_000)]


def _wrap(behavior: Callable[..., Any], streaming_response: bool) -> Callable[..., Any]:
    """Turn PackyardError raised by a servicer into the matching status; log the unexpected."""

    async def _handle(exc: BaseException, context: grpc.aio.ServicerContext) -> None:
        if isinstance(exc, PackyardError):
            await context.abort(grpc.StatusCode[exc.code], exc.message)
        log.exception("rpc.failed")
        # The details go to the log; the caller learns only that it was not its fault.
        await context.abort(grpc.StatusCode.INTERNAL, "Internal error.")

    # A streaming handler may also be a coroutine that writes with context.write (the health
    # servicer's Watch): that one is wrapped like a unary call.
    if streaming_response and not inspect.iscoroutinefunction(behavior):

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


class ErrorInterceptor(WrappingInterceptor):
    def wrap_for(self, method: str) -> Wrap:
        return lambda behavior, _, streams: _wrap(behavior, streams)


def caller_identity(context: grpc.aio.ServicerContext) -> str | None:
    """The identity in the caller's verified client certificate (None without one)."""
    return peer_identity(context.auth_context().get("x509_common_name", []))


def _guard(method: str, behavior: Callable[..., Any], streaming_response: bool) -> Any:
    """Refuse the call with PERMISSION_DENIED unless the caller's identity may call it."""

    async def check(context: grpc.aio.ServicerContext) -> None:
        identity = caller_identity(context)
        if not is_allowed(identity, method):
            log.warning("rpc.denied", extra={"method": method, "identity": identity})
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, f"{identity} may not call {method}"
            )

    if streaming_response and not inspect.iscoroutinefunction(behavior):

        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            await check(context)
            async for item in behavior(request, context):
                yield item

        return stream

    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await check(context)
        return await behavior(request, context)

    return unary


class AccessInterceptor(WrappingInterceptor):
    """Per-RPC authorization by the caller's certificate identity (common/rpc_access.py)."""

    def wrap_for(self, method: str) -> Wrap:
        return lambda behavior, _, streams: _guard(method, behavior, streams)


def new_server(*inner: grpc.aio.ServerInterceptor) -> grpc.aio.Server:
    """A server with telemetry, the access table and the error table; ``inner`` interceptors
    sit closest to the servicer, so they see its PackyardError before it becomes a status."""
    # Telemetry first: it must see the status the other interceptors abort with.
    return grpc.aio.server(
        interceptors=[*grpc_server_interceptors(), AccessInterceptor(), ErrorInterceptor(), *inner],
        options=_SERVER_OPTIONS,
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


HEALTH_SERVICE = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name


def enable_reflection(server: grpc.aio.Server, services: list[str]) -> None:
    """Serve grpc.reflection.v1alpha, so generic tools (grpcurl, grpc_requests) list and call
    ``services`` without the .proto files. Reflection goes through the same mutual TLS and
    access table as every method: only callers with a certificate from the CA reach it, and
    a method it describes is still refused to an identity the table does not name."""
    reflection.enable_server_reflection(
        [*services, HEALTH_SERVICE, reflection.SERVICE_NAME], server
    )


def server_credentials(tls: TlsFiles) -> grpc.ServerCredentials:
    """Serve with ``tls``'s certificate; require a client certificate from its trust bundle."""
    material = tls.read()
    return grpc.ssl_server_credentials(
        [(material.key, material.cert)],
        root_certificates=material.ca,
        require_client_auth=True,
    )


def channel_credentials(tls: TlsFiles) -> grpc.ChannelCredentials:
    """Present ``tls``'s certificate; trust servers signed by its trust bundle."""
    material = tls.read()
    return grpc.ssl_channel_credentials(material.ca, material.key, material.cert)


async def start_server(
    server: grpc.aio.Server, listen_addr: str, services: list[str], tls: TlsFiles
) -> tuple[int, HealthReporter]:
    """Bind with mutual TLS, start and mark serving. Returns the bound port (useful with
    port 0)."""
    reporter = HealthReporter(server, services)
    enable_reflection(server, services)
    port = server.add_secure_port(listen_addr, server_credentials(tls))
    if port == 0:
        raise OSError(f"cannot bind gRPC server to {listen_addr}")
    await server.start()
    # What the service built to get here lives as long as it does: out of the collector's way.
    freeze_startup_heap()
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


def secure_channel(addr: str, tls: TlsFiles) -> grpc.aio.Channel:
    """A channel to ``addr`` that presents ``tls``'s certificate (mutual TLS)."""
    return grpc.aio.secure_channel(
        addr,
        channel_credentials(tls),
        options=_CHANNEL_OPTIONS,
        interceptors=grpc_client_interceptors(),
    )


async def check_health(addr: str, tls: TlsFiles, service: str = "", deadline: float = 2.0) -> bool:
    """True when the gRPC server at ``addr`` reports SERVING."""
    async with secure_channel(addr, tls) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = await stub.Check(
                health_pb2.HealthCheckRequest(service=service), timeout=deadline
            )
        except grpc.aio.AioRpcError:
            return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
