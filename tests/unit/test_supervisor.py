"""The supervisor's rules, with a fake stack: backoff, restarts, status, the stale pid file."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from packyard.engines.pidfile import remove_stale_pid_file
from packyard.supervisor import (
    FAILED,
    RESTARTING,
    RUNNING,
    Supervisor,
    format_status,
    format_uptime,
    read_status,
    restart_delay,
)


def test_restart_delay_doubles_from_half_a_second_up_to_ten() -> None:
    assert [restart_delay(n) for n in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert restart_delay(10_000) == 10.0


class FakeParts:
    """Parts whose processes we kill and whose restarts fail a given number of times."""

    def __init__(self, names: list[str]) -> None:
        self.pids = {name: 100 + i for i, name in enumerate(names)}
        self.dead: set[str] = set()
        self.failures_left: dict[str, int] = {}
        self.restarted: list[tuple[str, float]] = []

    def part_names(self) -> list[str]:
        return list(self.pids)

    def part_pid(self, name: str) -> int | None:
        return self.pids[name]

    def part_exit_code(self, name: str) -> int | None:
        return -9 if name in self.dead else None

    async def restart_part(self, name: str) -> None:
        self.restarted.append((name, asyncio.get_running_loop().time()))
        if self.failures_left.get(name, 0):
            self.failures_left[name] -= 1
            raise RuntimeError(f"{name}: exited with code 1 while starting")
        self.dead.discard(name)
        self.pids[name] += 1000


async def _run_until(supervisor: Supervisor, done: object, within: float = 5.0) -> None:
    stopping = asyncio.Event()
    task = asyncio.create_task(supervisor.run(stopping))
    deadline = asyncio.get_running_loop().time() + within
    while not done():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    stopping.set()
    await task


async def test_a_dead_part_is_restarted_alone_and_counted(tmp_path: Path) -> None:
    parts = FakeParts(["postgres", "metadata", "gateway"])
    supervisor = Supervisor(
        parts, tmp_path / "status.json", poll_interval=0.01, initial_delay=0.01, max_delay=0.05
    )
    parts.dead.add("metadata")
    await _run_until(supervisor, lambda: supervisor.states["metadata"].state == RUNNING
                     and parts.restarted)  # fmt: skip
    assert [name for name, _ in parts.restarted] == ["metadata"]
    state = supervisor.states["metadata"]
    assert (state.restarts, state.pid, state.last_exit) == (1, 1101, -9)
    assert supervisor.states["gateway"].restarts == 0
    written = read_status(tmp_path)
    assert written is not None and written["pid"] == os.getpid() and written["stopping"]
    assert {p["name"]: p["restarts"] for p in written["parts"]} == {
        "postgres": 0, "metadata": 1, "gateway": 0,
    }  # fmt: skip


async def test_failed_restarts_back_off_then_succeed(tmp_path: Path) -> None:
    parts = FakeParts(["blob"])
    supervisor = Supervisor(
        parts, tmp_path / "status.json", poll_interval=0.01, initial_delay=0.02, max_delay=0.08
    )
    parts.dead.add("blob")
    parts.failures_left["blob"] = 3
    seen: set[str] = set()

    def done() -> bool:
        seen.add(supervisor.states["blob"].state)
        return len(parts.restarted) == 4 and supervisor.states["blob"].state == RUNNING

    await _run_until(supervisor, done)
    times = [t for _, t in parts.restarted]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # 0.04, 0.08, 0.08 (capped): each wait at least the one before, never above the cap.
    assert gaps[0] >= 0.035 and gaps[1] >= 0.075 and gaps[2] >= 0.075
    assert {RESTARTING, FAILED} <= seen
    assert supervisor.states["blob"].restarts == 4


def test_status_table_shows_state_pid_restarts_and_uptime() -> None:
    document = {
        "pid": 1,
        "parts": [
            {"name": "postgres", "state": "running", "pid": 42, "restarts": 2,
             "started_at": 1000.0, "last_error": ""},
            {"name": "blob", "state": "failed", "pid": None, "restarts": 5,
             "started_at": None, "last_error": "blob: exited with code 1"},
        ],
    }  # fmt: skip
    lines = format_status(document, now=1000.0 + 3725)
    assert lines[1].split() == ["postgres", "running", "42", "2", "1h02m"]
    assert lines[2].split()[:5] == ["blob", "failed", "-", "5", "-"]
    assert lines[2].endswith("(blob: exited with code 1)")
    assert [format_uptime(s) for s in (5, 65, 90000)] == ["5s", "1m05s", "1d1h"]


def test_status_command_says_when_up_is_not_running(tmp_path: Path) -> None:
    (tmp_path / "status.json").write_text(json.dumps({"pid": 999_999_999, "parts": []}))
    result = subprocess.run(
        [sys.executable, "-m", "packyard.cli", "status", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "is not running" in result.stderr


def _named_postgres(tmp_path: Path, seconds: str) -> subprocess.Popen[bytes]:
    """A process the kernel calls "postgres" (a copy of sleep by that name)."""
    binary = tmp_path / "postgres"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", binary)
    return subprocess.Popen([str(binary), seconds])


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]


@pytest.mark.parametrize(
    ("first_line", "removed"),
    [
        ("999999999", True),  # no such process
        (str(os.getpid()), True),  # a PID reused by another program (this test)
        ("not a pid", False),  # not ours to judge: PostgreSQL decides
    ],
)
def test_stale_postmaster_pid_is_removed(tmp_path: Path, first_line: str, removed: bool) -> None:
    path = tmp_path / "postmaster.pid"
    path.write_text(f"{first_line}\n/data\n")
    assert remove_stale_pid_file(tmp_path) is removed
    assert path.exists() is not removed


def test_a_live_postgres_keeps_its_pid_file_and_a_zombie_does_not(tmp_path: Path) -> None:
    server = _named_postgres(tmp_path, "30")
    try:
        (tmp_path / "postmaster.pid").write_text(f"{server.pid}\n")
        assert remove_stale_pid_file(tmp_path) is False
        server.kill()
        while _state(server.pid) != "Z":  # killed, not yet reaped
            time.sleep(0.01)
        assert remove_stale_pid_file(tmp_path) is True
    finally:
        server.kill()
        server.wait()
