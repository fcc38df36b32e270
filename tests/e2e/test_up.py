"""`packyard up`: ready line, admin key, restart with data kept, clean stop, clear errors."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc
import httpx
import packyard
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from minio import Minio
from packyard.common.grpc import check_health
from packyard.up import Stack, StackError

_SOURCE_ROOT = str(Path(packyard.__file__).resolve().parent.parent)
# Every engine embedded, whatever the outer environment points at.
# As a newcomer runs it: embedded engines, and `up` makes its own PACKYARD_SECRET_KEY.
_EMBEDDED = {
    "PACKYARD_DATABASE_URL": "",
    "PACKYARD_NATS_URL": "",
    "PACKYARD_S3_ENDPOINT": "",
    "PACKYARD_SECRET_KEY": "",
}


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A child we no longer wait for may linger as a zombie for a moment.
    status = Path(f"/proc/{pid}/stat")
    return not status.exists() or status.read_text().split()[2] == "Z"


async def _start(stack: Stack) -> None:
    try:
        await stack.start()
    except StackError as exc:
        raise AssertionError("\n".join([str(exc), *exc.log_tail])) from exc


async def test_shared_stack_serves_feed_main(stack: Stack) -> None:
    async with httpx.AsyncClient() as client:
        assert (await client.get(stack.index_url("main"))).status_code == 200
        assert (await client.get(stack.index_url("no-such-feed"))).status_code == 404
    assert stack.admin_key
    assert stack.admin_key_path.read_text().strip() == stack.admin_key
    assert stat.S_IMODE(stack.admin_key_path.stat().st_mode) == 0o600


async def test_grpc_ports_refuse_clients_without_a_certificate_from_the_stack_ca(
    stack: Stack,
) -> None:
    assert stat.S_IMODE(stack.tls_dir.stat().st_mode) == 0o700
    keys = sorted(p.name for p in stack.tls_dir.glob("*.key"))
    assert keys == [
        "blob.key",
        "ca.key",
        "connector.key",
        "gateway.key",
        "metadata.key",
        "operator.key",
    ]
    assert all(stat.S_IMODE((stack.tls_dir / k).stat().st_mode) == 0o600 for k in keys)
    for addr in (stack.metadata_addr, stack.blob_addr, stack.connector_addr):
        async with grpc.aio.insecure_channel(addr) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=5
                )
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE, addr
        assert await check_health(addr, stack.tls("client:probe"))


async def test_restart_keeps_data_and_admin_key() -> None:
    # Outside pytest's basetemp, which a concurrent pytest session may prune (see conftest).
    with tempfile.TemporaryDirectory(prefix="packyard-up-") as tmp:
        await _restart_keeps_data_and_admin_key(Path(tmp) / "data")


async def _restart_keeps_data_and_admin_key(data_dir: Path) -> None:
    first = Stack(data_dir, env=_EMBEDDED, durable=False)
    await _start(first)
    try:
        key = first.admin_key
        assert key and first.admin_key_created
        s3 = Minio(
            first.env["PACKYARD_S3_ENDPOINT"],
            access_key=first.env["PACKYARD_S3_ACCESS_KEY"],
            secret_key=first.env["PACKYARD_S3_SECRET_KEY"],
            secure=False,
        )
        await asyncio.to_thread(s3.put_object, "packyard", "restart-check", io.BytesIO(b"kept"), 4)
        tls_material = {p.name: p.read_bytes() for p in first.tls_dir.iterdir()}
        # The key that seals connector credentials: made once, private, never replaced.
        secret_key = first.secret_key_path.read_text()
        assert stat.S_IMODE(first.secret_key_path.stat().st_mode) == 0o600
        pids = first.pids()
        assert set(pids) == {
            "postgres", "nats", "s3", "metadata", "blob", "connector", "gateway",
        }  # fmt: skip
    finally:
        await asyncio.to_thread(first.stop)
    assert all(_gone(pid) for pid in pids.values()), pids

    second = Stack(data_dir, env=_EMBEDDED, durable=False)
    await _start(second)
    try:
        assert second.admin_key == key
        assert not second.admin_key_created
        # The CA and the certificates are reused, not made again.
        assert {p.name: p.read_bytes() for p in second.tls_dir.iterdir()} == tls_material
        assert second.secret_key_path.read_text() == secret_key
        async with httpx.AsyncClient() as client:
            # Only the first start creates `main`: seeing it now proves PostgreSQL kept it.
            assert (await client.get(second.index_url("main"))).status_code == 200
        s3 = Minio(
            second.env["PACKYARD_S3_ENDPOINT"],
            access_key=second.env["PACKYARD_S3_ACCESS_KEY"],
            secret_key=second.env["PACKYARD_S3_SECRET_KEY"],
            secure=False,
        )
        reply = await asyncio.to_thread(s3.get_object, "packyard", "restart-check")
        assert reply.read() == b"kept"
        reply.close()
    finally:
        await asyncio.to_thread(second.stop)


def test_cli_refuses_a_taken_port_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": _SOURCE_ROOT}
        result = subprocess.run(
            [sys.executable, "-m", "packyard.cli", "up", "--data-dir", str(tmp_path / "d"),
             "--port", str(port)],
            capture_output=True, text=True, env=env, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"packyard up: gateway: port 127.0.0.1:{port} is already in use"
    ]
    assert not (tmp_path / "d").exists()


def test_a_supplied_admin_key_is_used_and_never_printed() -> None:
    """With PACKYARD_ADMIN_KEY set, `packyard up` stores that key as the administrator's and
    prints no key at all: the operator chose it, a terminal log need not hold it."""
    env = {**os.environ, "PYTHONPATH": _SOURCE_ROOT}
    made = subprocess.run(
        [sys.executable, "-m", "packyard.cli", "genkey"],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )  # fmt: skip
    key = made.stdout.strip()
    assert key.startswith("pky_")
    with tempfile.TemporaryDirectory(prefix="packyard-up-") as tmp, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        proc = subprocess.Popen(
            [sys.executable, "-m", "packyard.cli", "up", "--data-dir", f"{tmp}/data",
             "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**env, "PACKYARD_ADMIN_KEY": key},
        )  # fmt: skip
        printed: list[str] = []
        try:
            assert proc.stdout is not None
            for line in proc.stdout:  # up prints the ready line once every part answers
                printed.append(line)
                if line.startswith("Packyard is ready:"):
                    break
            assert printed and printed[-1].startswith("Packyard is ready:"), printed
            assert not any(key in line or "Admin API key" in line for line in printed), printed
            admin = httpx.get(
                f"http://127.0.0.1:{port}/api/v1/feeds",
                headers={"Authorization": f"Bearer {key}"}, timeout=30,
            )  # fmt: skip
            assert admin.status_code == 200 and "main" in admin.text
        finally:
            proc.send_signal(signal.SIGINT)
            assert proc.wait(60) == 0
