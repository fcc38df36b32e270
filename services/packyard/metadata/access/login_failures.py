"""Failed logins counted per (client address, credential identity), in PostgreSQL so every
gateway replica sees the same count (issue 18).

The identity is what a guesser aims at: a user name, or the public prefix of an API key. After
``limit`` failures within ``window`` seconds that identity is locked *for that address*: a
correct password for it is refused too (guessing then costs a window per ``limit`` tries),
while every other credential from the same address, and the same user from elsewhere, still
works. A success clears the count. Only uncached authentications reach here: a gateway
answers a credential it verified a moment ago from its cache, without a round trip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import asyncpg

from packyard.common.errors import ResourceExhausted
from packyard.common.login_lockout import lockout_message

# The failures in the current window and the seconds until it ends (no row: none recorded).
SELECT_STATE = """
SELECT CASE WHEN window_start > now() - make_interval(secs => $3) THEN failures ELSE 0 END,
       extract(epoch FROM window_start + make_interval(secs => $3) - now())::float8
FROM login_failures WHERE address = $1 AND identity = $2
"""
RECORD_FAILURE = """
INSERT INTO login_failures AS f (address, identity) VALUES ($1, $2)
ON CONFLICT (address, identity) DO UPDATE SET
    failures = CASE WHEN f.window_start > now() - make_interval(secs => $3)
                    THEN f.failures + 1 ELSE 1 END,
    window_start = CASE WHEN f.window_start > now() - make_interval(secs => $3)
                        THEN f.window_start ELSE now() END
"""
# Each failure removes a few rows of passed windows: rows come only from failures, so the
# table cannot outgrow the recent ones.
PRUNE = """
DELETE FROM login_failures WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM login_failures
    WHERE window_start < now() - make_interval(secs => $1) LIMIT 20))
"""
CLEAR = "DELETE FROM login_failures WHERE address = $1 AND identity = $2"


@dataclass(frozen=True)
class LoginFailures:
    limit: int = 10
    window: float = 60.0

    async def check(self, conn: asyncpg.Connection, address: str, identity: str) -> bool:
        """ResourceExhausted (with the seconds to wait) while the identity is locked here;
        else whether failures are on record (a success then clears them)."""
        if self.limit <= 0:
            return False
        row = await conn.fetchrow(SELECT_STATE, address, identity, self.window)
        if row is None:
            return False
        failures, wait = row
        if failures >= self.limit:
            raise ResourceExhausted(lockout_message(math.ceil(wait)))
        return True

    async def record_failure(self, conn: asyncpg.Connection, address: str, identity: str) -> None:
        if self.limit <= 0:
            return
        await conn.execute(RECORD_FAILURE, address, identity, self.window)
        await conn.execute(PRUNE, self.window)

    async def clear(self, conn: asyncpg.Connection, address: str, identity: str) -> None:
        await conn.execute(CLEAR, address, identity)
