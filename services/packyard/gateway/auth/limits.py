"""Brute-force protection, the gateway's part: lockouts the metadata service decided.

The metadata service counts failed logins per (client address, credential identity) in
PostgreSQL, shared by every replica (metadata/access/login_failures.py), and refuses a locked
identity with RESOURCE_EXHAUSTED naming the seconds left. Here that becomes 429 with
Retry-After, and the lockout is remembered until it ends, so a guesser hammering a locked
identity costs no round trip. A valid credential never pays for the limiter: it is answered
from the authentication cache, or checked in the same Authenticate call. State is bounded.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from packyard.common.errors import ResourceExhausted
from packyard.common.login_lockout import lockout_message, retry_after

_MAX_REMEMBERED = 100_000


class TooManyFailures(ResourceExhausted):
    def __init__(self, retry_after: int) -> None:
        super().__init__(lockout_message(retry_after))
        self.headers = {"Retry-After": str(max(1, retry_after))}


class LockoutMemo:
    """(address, identity) -> when its lockout ends, as the metadata service said."""

    def __init__(
        self, fallback_wait: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._fallback = fallback_wait
        self._clock = clock
        self._until: dict[tuple[str, str], float] = {}

    def check(self, address: str, identity: str) -> None:
        """Raise TooManyFailures while a lockout of this identity at this address lasts."""
        until = self._until.get((address, identity))
        if until is None:
            return
        wait = until - self._clock()
        if wait <= 0:
            del self._until[(address, identity)]
            return
        raise TooManyFailures(math.ceil(wait))

    def locked(self, address: str, identity: str, error: ResourceExhausted) -> TooManyFailures:
        """Remember the metadata service's lockout; the error to answer with."""
        wait = retry_after(error.message) or math.ceil(self._fallback)
        if len(self._until) >= _MAX_REMEMBERED:
            now = self._clock()
            self._until = {k: v for k, v in self._until.items() if v > now}
            if len(self._until) >= _MAX_REMEMBERED:
                self._until.clear()
        self._until[(address, identity)] = self._clock() + wait
        return TooManyFailures(wait)
