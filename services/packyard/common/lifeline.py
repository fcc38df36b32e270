"""Children that die with their parent, even when the parent is SIGKILLed.

On Linux a child can ask the kernel for a signal when its parent dies
(``prctl(PR_SET_PDEATHSIG)``). The kernel means the parent *thread*: so every child is
spawned from one thread that lives as long as the process, never from a worker thread or an
event loop thread that may end before the child should.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_PR_SET_PDEATHSIG = 1
_libc: Any = None
if sys.platform.startswith("linux"):
    # Loaded here, in the parent: the forked child should only make the call.
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)

# One thread, never shut down before interpreter exit: the "parent" of every child.
_spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="packyard-spawn")


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGKILL when its parent dies (Linux only)."""
    if _libc is None:
        return None
    parent = os.getpid()

    def arm() -> None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        # The parent may have died between fork and prctl: then nobody would signal us.
        if os.getppid() != parent:
            os._exit(1)

    return arm


def spawn(argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """``subprocess.Popen`` from the long-lived spawner thread, armed to die with us."""

    def popen() -> subprocess.Popen[bytes]:
        return subprocess.Popen(argv, preexec_fn=die_with_parent(), **kwargs)

    return _spawner.submit(popen).result()
