"""Keep the parts of `packyard up` running: restart what dies, with backoff, and say so.

A part (an engine or a service) that exits is restarted after a delay that starts at
``INITIAL_DELAY`` and doubles up to ``MAX_DELAY`` while restarts keep failing; a part that
stayed up for ``HEALTHY_AFTER`` seconds starts over at the short delay. Parts are restarted
one by one and independently: a dead connector does not stop hosted traffic, and a dead
PostgreSQL is restarted while the services that need it wait for it.

The state of every part is kept in a small JSON file (``status.json`` in the data
directory) that `packyard status` reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from packyard.engines.pidfile import pid_exists

log = logging.getLogger(__name__)

INITIAL_DELAY = 0.5
MAX_DELAY = 10.0
HEALTHY_AFTER = 60.0
STATUS_FILE = "status.json"

RUNNING = "running"
RESTARTING = "restarting"
FAILED = "failed"


def restart_delay(
    failures: int, initial: float = INITIAL_DELAY, maximum: float = MAX_DELAY
) -> float:
    """Seconds to wait before restart number ``failures + 1`` of a run of quick deaths."""
    return min(maximum, initial * 2 ** min(failures, 32))


class Parts(Protocol):
    """What the supervisor needs of a stack: its parts by name, and how to restart one."""

    def part_names(self) -> list[str]: ...

    def part_pid(self, name: str) -> int | None: ...

    def part_exit_code(self, name: str) -> int | None:
        """The exit code once the part's process has exited (reaping it), else None."""

    async def restart_part(self, name: str) -> None:
        """Start the part again and return once it serves; raise if it cannot."""


@dataclass
class PartState:
    name: str
    state: str = RUNNING
    pid: int | None = None
    restarts: int = 0
    # Wall-clock start of the current process (for uptime); None while it is not running.
    started_at: float | None = None
    last_exit: int | None = None
    last_error: str = ""
    # Consecutive quick deaths: the exponent of the backoff.
    failures: int = field(default=0, repr=False)
    started_mono: float = field(default=0.0, repr=False)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        del data["failures"], data["started_mono"]
        return data


class Supervisor:
    def __init__(
        self,
        parts: Parts,
        status_path: Path,
        *,
        poll_interval: float = 0.2,
        healthy_after: float = HEALTHY_AFTER,
        initial_delay: float = INITIAL_DELAY,
        max_delay: float = MAX_DELAY,
    ) -> None:
        self.parts = parts
        self.status_path = status_path
        self.poll_interval = poll_interval
        self.healthy_after = healthy_after
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        now, mono = time.time(), time.monotonic()
        self.states = {
            name: PartState(name, pid=parts.part_pid(name), started_at=now, started_mono=mono)
            for name in parts.part_names()
        }
        self._restarts: dict[str, asyncio.Task[None]] = {}

    async def run(self, stopping: asyncio.Event) -> None:
        """Watch and restart until ``stopping`` is set; then cancel restarts in progress."""
        self.write_status()
        try:
            while not stopping.is_set():
                self._check()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), self.poll_interval)
        finally:
            tasks = list(self._restarts.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.write_status(stopping=True)

    def _check(self) -> None:
        for name, state in self.states.items():
            if name in self._restarts:
                continue
            code = self.parts.part_exit_code(name)
            if code is None:
                continue
            state.last_exit = code
            if time.monotonic() - state.started_mono >= self.healthy_after:
                state.failures = 0
            _say(f"{name} exited with code {code}; restarting")
            self._restarts[name] = asyncio.create_task(self._restart(state))

    async def _restart(self, state: PartState) -> None:
        name = state.name
        try:
            state.state, state.pid, state.started_at = RESTARTING, None, None
            self.write_status()
            while True:
                # While waiting after a failed attempt the part shows as "failed".
                delay = restart_delay(state.failures, self.initial_delay, self.max_delay)
                state.failures += 1
                await asyncio.sleep(delay)
                state.state = RESTARTING
                state.restarts += 1
                self.write_status()
                try:
                    await self.parts.restart_part(name)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # any failure means: try again later
                    state.state, state.last_error = FAILED, _one_line(exc)
                    _say(f"{name} did not come back: {state.last_error}")
                    self.write_status()
                    continue
                state.state, state.last_error = RUNNING, ""
                state.pid = self.parts.part_pid(name)
                state.started_at, state.started_mono = time.time(), time.monotonic()
                _say(f"{name} is running again (pid {state.pid})")
                self.write_status()
                return
        finally:
            self._restarts.pop(name, None)

    def write_status(self, *, stopping: bool = False) -> None:
        """Replace status.json atomically (a reader never sees half a file)."""
        document = {
            "pid": os.getpid(),
            "updated_at": time.time(),
            "stopping": stopping,
            "parts": [state.public() for state in self.states.values()],
        }
        tmp = self.status_path.with_name(f".{self.status_path.name}.tmp")
        try:
            tmp.write_text(json.dumps(document, indent=2))
            os.replace(tmp, self.status_path)
        except OSError as exc:
            log.warning("supervisor.status_unwritable", extra={"error": str(exc)})


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def _say(message: str) -> None:
    print(f"packyard up: {message}", file=sys.stderr, flush=True)


# -- `packyard status` -------------------------------------------------------------------


def read_status(data_dir: Path) -> dict[str, Any] | None:
    try:
        document = json.loads((data_dir / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def format_uptime(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def format_status(document: dict[str, Any], now: float) -> list[str]:
    """The table `packyard status` prints: one line per part."""
    lines = [f"{'PART':<10} {'STATE':<11} {'PID':>7} {'RESTARTS':>8}  UPTIME"]
    for part in document.get("parts", []):
        started = part.get("started_at")
        uptime = format_uptime(now - started) if started else "-"
        pid = part.get("pid") or "-"
        line = f"{part['name']:<10} {part['state']:<11} {pid!s:>7} {part['restarts']:>8}  {uptime}"
        if part.get("last_error"):
            line += f"  ({part['last_error']})"
        lines.append(line)
    return lines


def status_command(data_dir: Path) -> int:
    """Print the parts of the `packyard up` on ``data_dir``; exit 0 while it runs, else 1."""
    document = read_status(data_dir)
    if document is None:
        print(f"packyard status: no `packyard up` has run on {data_dir}", file=sys.stderr)
        return 1
    if document.get("stopping") or not pid_exists(int(document.get("pid", 0))):
        print(f"packyard status: `packyard up` on {data_dir} is not running", file=sys.stderr)
        return 1
    print(f"packyard up (pid {document['pid']}) on {data_dir}")
    for line in format_status(document, time.time()):
        print(line)
    return 0
