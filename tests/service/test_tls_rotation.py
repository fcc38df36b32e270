"""Certificate rotation without a failed request: new CA, new leaves, old CA dropped, each
step followed by restarting the processes one by one (docs/architecture.md, "Rotation")."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from packyard.common.grpc import new_server, secure_channel, start_server, stop_server
from packyard.common.tls import add_ca, drop_old_cas, ensure_material, reissue
from packyard.common.tls_files import TlsFiles

pytestmark = pytest.mark.timeout(120)


@asynccontextmanager
async def serving(addr: str, tls: TlsFiles) -> AsyncIterator[int]:
    server = new_server()
    port, health = await start_server(server, addr, [], tls)
    try:
        yield port
    finally:
        await stop_server(server, health, 1.0)


class Client:
    """Calls without pause over the current channel; a restart swaps in a new channel."""

    def __init__(self, addr: str, tls: TlsFiles) -> None:
        self.addr, self.tls = addr, tls
        self.channel = secure_channel(addr, tls)
        self.ok = 0
        self.failures: list[str] = []
        self.running = True

    def restart(self) -> None:
        """A restarted client process: new calls go over a new channel; the old one is closed
        once the call in flight on it has finished (a process stops after draining)."""
        self.channel = secure_channel(self.addr, self.tls)

    async def run(self) -> None:
        while self.running:
            channel = self.channel
            stub = health_pb2_grpc.HealthStub(channel)
            # wait_for_ready: a server restarting is waited for; a refused handshake is not a
            # wait but a failure once the deadline passes. A call that lands on the one server
            # in the moment it stops can be cancelled by it (a race of any restart, with or
            # without rotation): an idempotent call is retried once, as a client would; a
            # certificate problem fails the retry too.
            for attempt in (1, 2):
                try:
                    await stub.Check(
                        health_pb2.HealthCheckRequest(), timeout=10, wait_for_ready=True
                    )
                    self.ok += 1
                    break
                except grpc.aio.AioRpcError as exc:
                    if attempt == 2 or exc.code() != grpc.StatusCode.CANCELLED:
                        self.failures.append(f"{exc.code()}: {exc.details()}")
                        break
            if channel is not self.channel:
                await channel.close()
            await asyncio.sleep(0.01)


async def _rolling_restart(
    step: Callable[[], None], client: Client, restart_server: Callable[[], object]
) -> None:
    step()
    await restart_server()  # type: ignore[misc]
    client.restart()
    # Calls keep being answered after the step (a poll, not a time budget: a loaded machine
    # may take a while to make the new handshakes).
    calls = client.ok
    for _ in range(1000):
        if client.ok > calls + 2:
            break
        await asyncio.sleep(0.01)
    assert client.ok > calls + 2, "the client stopped getting answers"


async def test_rotation_with_rolling_restarts_fails_no_request(tmp_path: Path) -> None:
    directory = tmp_path / "tls"
    material = ensure_material(directory, ["metadata", "gateway"])
    before = tmp_path / "before"
    shutil.copytree(directory, before)
    server_tls, client_tls = material["metadata"], material["gateway"]

    stack: list[object] = []
    first = serving("127.0.0.1:0", server_tls)
    port = await first.__aenter__()
    stack.append(first)
    addr = f"127.0.0.1:{port}"

    async def restart_server() -> None:
        await stack.pop().__aexit__(None, None, None)  # type: ignore[attr-defined]
        again = serving(addr, server_tls)
        await again.__aenter__()
        stack.append(again)

    client = Client(addr, client_tls)
    calling = asyncio.create_task(client.run())
    try:
        await asyncio.sleep(0.3)
        await _rolling_restart(lambda: add_ca(directory), client, restart_server)
        await _rolling_restart(
            lambda: reissue(directory, ["metadata", "gateway"]), client, restart_server
        )
        await _rolling_restart(lambda: drop_old_cas(directory), client, restart_server)
        client.running = False
        await calling

        assert client.failures == []
        assert client.ok > 10
        # The rotation took effect: material from before it is refused now.
        old = TlsFiles(before / "ca.pem", before / "gateway.pem", before / "gateway.key")
        async with secure_channel(addr, old) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=3
                )
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        client.running = False
        await calling
        await client.channel.close()
        await stack.pop().__aexit__(None, None, None)  # type: ignore[attr-defined]


async def test_new_leaves_before_every_peer_trusts_the_new_ca_are_refused(
    tmp_path: Path,
) -> None:
    """Why each step needs its rolling restart: a peer that still holds only the old CA
    refuses a certificate from the new one."""
    directory = tmp_path / "tls"
    material = ensure_material(directory, ["metadata", "gateway"])
    before = tmp_path / "before"
    shutil.copytree(directory, before)
    # A client that loaded its material before the rotation and was not restarted.
    stale = TlsFiles(before / "ca.pem", before / "gateway.pem", before / "gateway.key")
    add_ca(directory)
    reissue(directory, ["metadata"])
    async with serving("127.0.0.1:0", material["metadata"]) as port:
        addr = f"127.0.0.1:{port}"
        async with secure_channel(addr, stale) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=3
                )
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        # Restarted after step 1, the same client trusts both CAs and gets through.
        restarted = TlsFiles(directory / "ca.pem", stale.cert, stale.key)
        async with secure_channel(addr, restarted) as channel:
            assert await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=3
            )
