"""Fault drills: SIGKILL each part of a running `packyard up` under load; it heals itself.

One `packyard up` serves all drills, services and engines alike, one fault at a time. For
each: the stack serves again within 10 s, every upload that got 200 is intact, and what
failed meanwhile failed with 503 and a reason (never 500, never a dropped connection: the
gateway itself lives). Then a SIGKILL of `up` takes every child with it, and Ctrl-C stops a
stack within 3 s.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from packyard.engines.ports import free_port

from tests.fixtures.drill import (
    HEADER,
    RECOVERY_LIMIT,
    DrillRow,
    UpProcess,
    drill,
    process_alive,
    running_up,
    seed,
)

pytestmark = [pytest.mark.fault, pytest.mark.timeout(240)]

FAULTS = ["connector", "blob", "metadata", "nats", "postgres", "s3"]
_rows: list[DrillRow] = []


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpProcess]:
    with running_up(tmp_path_factory.mktemp("up"), free_port()) as running:
        yield running
    if _rows:
        table = "\n".join(
            ["", "fault drills (SIGKILL under load):", HEADER, *(r.line() for r in _rows)]
        )
        print(table)
        (Path(os.environ.get("PACKYARD_DRILL_TABLE", running.data_dir / "drills.txt"))).write_text(
            table + "\n"
        )


@pytest.fixture(scope="module")
def seeded(up: UpProcess, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return seed(up, tmp_path_factory.mktemp("seed"))


@pytest.mark.parametrize("part", FAULTS)
def test_the_stack_heals_after_a_part_is_killed(
    up: UpProcess, seeded: tuple[str, str], part: str, tmp_path: Path
) -> None:
    row = drill(up, part, tmp_path, seeded)
    _rows.append(row)
    assert row.recovered_after is not None and row.recovered_after <= RECOVERY_LIMIT, row.line()
    assert row.lost == 0, row.line()
    assert row.bad_errors == [], row.bad_errors[:5]
    # The rest of the stack was left alone: only the killed part restarted.
    status = up.status() or {}
    assert {n for n, s in status.items() if s["restarts"]} <= set(FAULTS[: FAULTS.index(part) + 1])


def test_a_killed_up_takes_its_children_along(tmp_path: Path) -> None:
    up = UpProcess(tmp_path / "up", free_port())
    try:
        up.wait_ready()
        children = up.child_pids()
        assert set(children) >= {"postgres", "nats", "s3", "metadata", "blob", "gateway"}
        os.kill(up.proc.pid, signal.SIGKILL)
        up.proc.wait(5)
        deadline = time.monotonic() + 5
        while any(process_alive(pid) for pid in children.values()):
            assert time.monotonic() < deadline, {
                n: p for n, p in children.items() if process_alive(p)
            }
            time.sleep(0.05)
    finally:
        up.stop()


def test_ctrl_c_stops_everything_within_3_seconds(up: UpProcess) -> None:
    # Last in the module: it stops the shared stack.
    children = up.child_pids()
    started = time.monotonic()
    up.proc.send_signal(signal.SIGINT)
    up.proc.wait(10)
    while any(process_alive(pid) for pid in children.values()):
        time.sleep(0.02)
    took = time.monotonic() - started
    assert took <= 3.0, f"stopping took {took:.1f}s"
    assert up.proc.returncode == 0
