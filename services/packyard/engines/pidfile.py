"""PostgreSQL's ``postmaster.pid`` left behind by a killed server: when it may go.

A SIGKILLed postmaster leaves its lock file. PostgreSQL removes it by itself only when the
PID in it no longer exists; an unreaped zombie, or a PID since reused by another process,
makes it refuse to start. We remove the file only when that PID is not a live postgres
process: a live one means another server really owns the data directory.
"""

from __future__ import annotations

import os
from pathlib import Path

PID_FILE = "postmaster.pid"


def pid_exists(pid: int) -> bool:
    """Whether a process ``pid`` exists (someone else's included), by signal 0."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_live_postgres(pid: int) -> bool:
    """True when ``pid`` is a running (not zombie) process named postgres."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        # No /proc (not Linux): all we can tell is whether the PID exists.
        return pid_exists(pid)
    name = stat[stat.find("(") + 1 : stat.rfind(")")]
    state = stat[stat.rfind(")") + 1 :].split()[0]
    return state not in {"Z", "X"} and name.startswith("postgres")


def remove_stale_pid_file(pgdata: Path) -> bool:
    """Remove ``pgdata/postmaster.pid`` if its PID is not a live postgres; True if removed."""
    path = pgdata / PID_FILE
    try:
        first_line = path.read_text().split("\n", 1)[0]
    except FileNotFoundError:
        return False
    try:
        pid = int(first_line.strip())
    except ValueError:
        # Not ours to judge (a half-written file): PostgreSQL decides.
        return False
    if is_live_postgres(pid):
        return False
    path.unlink(missing_ok=True)
    return True
