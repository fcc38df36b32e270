"""The heap a service starts with, set aside from the garbage collector.

A service imports some thousand modules and builds its application before it serves: hundreds
of thousands of objects that live as long as the process. Python's full (oldest generation)
collection walks every one of them each time it runs, a pause of many milliseconds in the middle
of whichever request triggered it: the slowest percent of requests (issue 13's p99). Frozen,
they are left out of every collection; only what requests make is collected. Frozen objects
are also never written by the collector, so pages a forked worker shares with its parent stay
shared.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Collect what starting made and let go of, then freeze everything still alive."""
    gc.collect()
    gc.freeze()
