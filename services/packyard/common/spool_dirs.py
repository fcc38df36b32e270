"""Per-process spool directories, and removal of the ones dead processes left behind.

An upload interrupted by a crash or SIGKILL leaves its spool file behind (tens of MB each).
Each process therefore spools into a directory of its own under ``<base>/packyard-spool/``
and holds an exclusive ``flock`` on a lock file inside it for its whole life. The kernel
drops that lock when the process dies, however it dies, so at start a process removes every
sibling directory whose lock it can take: those belong to nobody. Directories of live
processes (another replica, another stack on the same host) stay locked and untouched.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

ROOT_NAME = "packyard-spool"
_LOCK_NAME = ".lock"
# Open lock files of the directories this process claimed; closing one releases its lock.
_held: list[IO[str]] = []


def _directory_size(path: Path) -> int:
    total = 0
    for entry in path.rglob("*"):
        try:
            if entry.is_file():
                total += entry.stat().st_size
        except OSError:
            continue
    return total


def remove_abandoned(root: Path) -> tuple[int, int]:
    """Remove spool directories under ``root`` that no live process holds; returns how many
    and their bytes."""
    removed = removed_bytes = 0
    if not root.is_dir():
        return 0, 0
    for child in root.iterdir():
        if not child.is_dir():
            continue
        try:
            with (child / _LOCK_NAME).open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                size = _directory_size(child)
                shutil.rmtree(child, ignore_errors=True)
        except BlockingIOError:
            continue  # a live process spools here
        except OSError:
            continue  # vanished meanwhile, or not ours to remove
        removed += 1
        removed_bytes += size
    return removed, removed_bytes


def claim_spool_dir(base: str | None, service: str) -> Path:
    """A new spool directory for this process under ``base`` (None or "": the system
    temporary directory), after removing the ones dead processes left behind."""
    root = Path(base or tempfile.gettempdir()) / ROOT_NAME
    root.mkdir(parents=True, exist_ok=True)
    removed, removed_bytes = remove_abandoned(root)
    if removed:
        log.info(
            "spool.leftovers_removed",
            extra={"service": service, "directories": removed, "bytes": removed_bytes},
        )
    path = Path(tempfile.mkdtemp(prefix=f"{service}-{os.getpid()}-", dir=root))
    lock = (path / _LOCK_NAME).open("a")
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    _held.append(lock)
    return path


def release_spool_dir(path: Path) -> None:
    """Remove a directory claimed by this process (at a clean stop)."""
    for lock in list(_held):
        if Path(lock.name).parent == path:
            shutil.rmtree(path, ignore_errors=True)
            lock.close()
            _held.remove(lock)
