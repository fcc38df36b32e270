"""One child process: start with a log file, wait until ready, stop by PID, reap."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TypedDict

from packyard.common.lifeline import spawn
from packyard.engines.errors import EngineError


class _UserOptions(TypedDict, total=False):
    user: str
    group: int
    extra_groups: list[int]


def as_user(user: str | None) -> _UserOptions:
    """subprocess options that run a child as ``user`` with that user's group only.

    ``user=`` alone keeps our groups (root's, when we run as root), which would let the child
    into root-group files and keep it out of folders whose group is root but open to others.
    """
    if user is None:
        return {}
    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


class EngineProcess:
    """A child process we started and therefore may stop.

    Children run in their own session, so a Ctrl-C in the terminal reaches only the parent,
    which then stops services before engines instead of everything dying at once. They die
    with the parent all the same if it is killed (see ``lifeline``). ``running()`` reaps an
    exited child, so a supervisor that polls it leaves no zombie behind.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        user: str | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.user = user
        self.env = env
        self.cwd = cwd
        self.stop_signal = stop_signal
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        try:
            self._proc = spawn(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                **as_user(self.user),
            )
        except OSError as exc:
            self._close_log()
            raise EngineError(f"{self.name}: cannot run {self.argv[0]}: {exc}") from exc

    def wait_ready(self, ready: Callable[[], bool], timeout: float, interval: float = 0.1) -> None:
        """Poll ``ready`` until it returns True; raise EngineError if the child dies or stalls."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.running():
                code = self._proc.returncode if self._proc else None
                raise EngineError(
                    f"{self.name}: exited with code {code} while starting: {self.log_tail()}"
                )
            if ready():
                return
            if time.monotonic() > deadline:
                raise EngineError(
                    f"{self.name}: not ready after {timeout:.0f}s (log: {self.log_path})"
                )
            time.sleep(interval)

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the child to stop, then kill it (by its PID) if it has not within ``timeout``."""
        self.request_stop()
        self.wait_stopped(timeout)

    def request_stop(self) -> None:
        """Send the stop signal without waiting, so several children can stop at once."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                os.kill(proc.pid, self.stop_signal)
            except ProcessLookupError:
                pass

    def wait_stopped(self, timeout: float) -> None:
        """Wait for a child asked to stop; SIGKILL it (by its PID) after ``timeout``."""
        proc = self._proc
        if proc is not None:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        self._close_log()

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._proc else None

    def log_tail(self, lines: int = 1) -> str:
        """The last non-empty line(s) of the log, joined into one line for error messages."""
        return " | ".join(self.log_lines(lines)) or "(empty log)"

    def log_lines(self, lines: int) -> list[str]:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [line.rstrip() for line in text.splitlines() if line.strip()][-lines:]

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class ProcessEngine:
    """An engine that runs as one ``EngineProcess``: launched until ready, then stopped."""

    stop_timeout = 15.0  # seconds from SIGTERM (or the engine's stop signal) to SIGKILL
    _process: EngineProcess | None = None

    @property
    def process(self) -> EngineProcess | None:
        return self._process

    def stop(self, timeout: float | None = None) -> None:
        if self._process is not None:
            self._process.stop(self.stop_timeout if timeout is None else timeout)

    def _launch(
        self,
        process: EngineProcess,
        ready: Callable[[], bool],
        timeout: float,
        interval: float = 0.1,
    ) -> None:
        """Start ``process`` and wait until ``ready``; one that never gets ready is stopped."""
        self._process = process
        process.start()
        try:
            process.wait_ready(ready, timeout, interval)
        except BaseException:
            process.stop()
            raise
