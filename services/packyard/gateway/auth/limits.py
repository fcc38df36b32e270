"""Brute-force protection: failed authentications counted per source address.

After ``limit`` failures within ``window`` seconds an address gets 429 with Retry-After for
every credentialed request, even a correct one, until its oldest failure leaves the window;
guessing then costs a window per ``limit`` tries. State is per gateway process and bounded.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from packyard.common.errors import ResourceExhausted

TOO_MANY_FAILURES = "Too many failed authentication attempts; try again later."
_MAX_ADDRESSES = 100_000


class TooManyFailures(ResourceExhausted):
    def __init__(self, retry_after: int) -> None:
        super().__init__(TOO_MANY_FAILURES)
        self.headers = {"Retry-After": str(retry_after)}


class FailureLimiter:
    def __init__(
        self,
        limit: int = 10,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        horizon = self._clock() - self._window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures

    def check(self, address: str) -> None:
        """Raise TooManyFailures while the address is over its limit."""
        if self._limit <= 0:
            return
        failures = self._recent(address)
        if failures is not None and len(failures) >= self._limit:
            wait = failures[0] + self._window - self._clock()
            raise TooManyFailures(max(1, math.ceil(wait)))

    def record_failure(self, address: str) -> None:
        if self._limit <= 0:
            return
        if address not in self._failures and len(self._failures) >= _MAX_ADDRESSES:
            # Under a flood of addresses forget the oldest-seen ones rather than grow.
            for stale in list(self._failures)[: _MAX_ADDRESSES // 10]:
                del self._failures[stale]
        failures = self._failures.setdefault(address, deque())
        failures.append(self._clock())
        while len(failures) > self._limit:
            failures.popleft()
