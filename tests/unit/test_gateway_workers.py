"""Several gateway workers on one port (gateway/workers.py): the supervisor forks them on
sockets sharing the address, spreads connections, replaces a dead worker and stops them all.

The supervisor runs in a child process (it forks and takes SIGTERM), with a tiny server in
place of the gateway that answers each connection with its own pid.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest
from packyard.gateway.settings import GatewaySettings
from packyard.gateway.workers import (
    MAX_DEFAULT_WORKERS,
    listening_socket,
    name_instance,
    share_budgets,
    worker_count,
)

from tests.fixtures.polling import wait_until

SUPERVISED = textwrap.dedent(
    """
    import socket, sys
    from packyard.gateway.workers import Supervisor

    def serve(sock: socket.socket) -> None:
        while True:
            conn, _ = sock.accept()
            with conn:
                conn.sendall(str(__import__("os").getpid()).encode())

    raise SystemExit(Supervisor(int(sys.argv[1]), "127.0.0.1", int(sys.argv[2]), serve).run())
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answer(port: int) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        return int(conn.recv(64))


@pytest.fixture
def supervised() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SUPERVISED, "2", str(port)], start_new_session=True
    )
    try:
        wait_until(lambda: _connects(port) and len(_children(proc.pid)) == 2, within=20)
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _connects(port: int) -> bool:
    try:
        _answer(port)
    except OSError:
        return False
    return True


def _children(pid: int) -> set[int]:
    try:
        found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)],
                               capture_output=True, text=True, check=False).stdout  # fmt: skip
    except FileNotFoundError:
        pytest.skip("ps is not installed")
    return {int(line) for line in found.split()}


def test_connections_are_spread_over_every_worker(
    supervised: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = supervised
    workers = _children(proc.pid)
    assert len(workers) == 2
    # New connections hash to either socket: 40 of them all on one worker would be 1 in 2**39.
    answered = {_answer(port) for _ in range(40)}
    assert answered == workers


def test_a_dead_worker_is_replaced(supervised: tuple[subprocess.Popen[bytes], int]) -> None:
    proc, port = supervised
    first = _children(proc.pid)
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(_children(proc.pid) - {victim}) == 2, within=10)
    replaced = _children(proc.pid)
    wait_until(lambda: {_answer(port) for _ in range(40)} == replaced, within=10)


def test_sigterm_stops_every_worker_and_frees_the_port(
    supervised: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = supervised
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    for pid in workers:
        wait_until(lambda pid=pid: not _alive(pid), within=5)
    assert not _connects(port)


def test_ctrl_c_reaches_the_workers_once_through_the_supervisor(
    supervised: tuple[subprocess.Popen[bytes], int],
) -> None:
    # A terminal's Ctrl-C goes to the whole process group; workers in it would be interrupted
    # (here: exit 1) besides getting the supervisor's SIGTERM.
    proc, port = supervised
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(10) == 0
    assert not _connects(port)


def test_workers_die_with_a_killed_supervisor(
    supervised: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, _ = supervised
    workers = _children(proc.pid)
    proc.kill()
    proc.wait()
    for pid in workers:
        wait_until(lambda pid=pid: not _alive(pid), within=5)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_port_in_use_fails_at_start() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", SUPERVISED, "2", str(port)],
                              capture_output=True, timeout=30, check=False)  # fmt: skip
    assert proc.returncode != 0
    assert b"Address already in use" in proc.stderr
    assert time.monotonic() - started < 30


def test_worker_count_defaults_to_the_cores_capped() -> None:
    assert worker_count(3) == 3
    cores = len(os.sched_getaffinity(0))
    assert worker_count(0) == max(1, min(cores, MAX_DEFAULT_WORKERS))


def test_sockets_share_one_address() -> None:
    first = listening_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = listening_socket("127.0.0.1", port)
    try:
        assert second.getsockname() == first.getsockname()
    finally:
        first.close()
        second.close()


def test_workers_share_the_cache_budgets() -> None:
    settings = GatewaySettings(page_cache_max_bytes=64_000_000, blob_cache_max_bytes=1_000_000_000)
    share_budgets(settings, 4)
    assert (settings.page_cache_max_bytes, settings.blob_cache_max_bytes) == (
        16_000_000,
        250_000_000,
    )


def test_each_worker_has_a_telemetry_identity_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod")
    name_instance()
    attributes = os.environ["OTEL_RESOURCE_ATTRIBUTES"].split(",")
    assert attributes[0] == "deployment.environment=prod"
    assert attributes[1] == f"service.instance.id={socket.gethostname()}-{os.getpid()}"
    name_instance()  # this process's own is kept
    assert os.environ["OTEL_RESOURCE_ATTRIBUTES"].split(",") == attributes
    # The pod's id (the chart gives the pod UID) becomes this worker's: pod id and process id.
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=pod-1,k8s.pod.name=p")
    name_instance()
    assert os.environ["OTEL_RESOURCE_ATTRIBUTES"].split(",") == [
        "k8s.pod.name=p",
        f"service.instance.id=pod-1-{os.getpid()}",
    ]
