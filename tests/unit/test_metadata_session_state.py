"""The metadata pool does not reset sessions on release (one round trip less per RPC), which is
only safe while no code leaves session state on a pooled connection. These checks fail when a
statement that would (a session SET, a session advisory lock, LISTEN, a cursor) appears."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packyard.metadata import db

METADATA = Path(db.__file__).resolve().parent
# Modules whose statements run on connections of their own, never on the pool's.
OWN_CONNECTION = {"migrate.py", "wakeup.py"}

SESSION_STATE = {
    "a session-level SET (use SET LOCAL inside a transaction)": re.compile(
        r"""["'(]\s*SET\s+(?!LOCAL\b)""", re.IGNORECASE
    ),
    "a session advisory lock (use pg_advisory_xact_lock)": re.compile(
        r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.IGNORECASE
    ),
    "LISTEN": re.compile(r"""["']\s*LISTEN\b|add_listener\(""", re.IGNORECASE),
    "a cursor": re.compile(r"\bDECLARE\s+\w+\s+CURSOR\b|WITH\s+HOLD|\.cursor\(", re.IGNORECASE),
    "set_config(..., false)": re.compile(r"set_config\([^)]*false", re.IGNORECASE),
}


def _sources() -> list[Path]:
    return [p for p in sorted(METADATA.rglob("*.py")) if p.name not in OWN_CONNECTION]


@pytest.mark.parametrize("kind", sorted(SESSION_STATE))
def test_no_pooled_code_leaves_session_state(kind: str) -> None:
    pattern = SESSION_STATE[kind]
    found = [
        f"{path.relative_to(METADATA)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, f"{kind} on a pooled connection:\n" + "\n".join(found)


def test_the_guard_recognises_session_state() -> None:
    # The patterns must catch what they are for, or the test above could never fail.
    assert SESSION_STATE["a session-level SET (use SET LOCAL inside a transaction)"].search(
        'await conn.execute("SET statement_timeout = 0")'
    )
    assert not SESSION_STATE["a session-level SET (use SET LOCAL inside a transaction)"].search(
        'await conn.execute("SET LOCAL enable_seqscan = off")'
    )
    assert not SESSION_STATE["a session-level SET (use SET LOCAL inside a transaction)"].search(
        "UPDATE projects SET serial = 1"
    )
    assert SESSION_STATE["a session advisory lock (use pg_advisory_xact_lock)"].search(
        "SELECT pg_advisory_lock($1)"
    )
    assert not SESSION_STATE["a session advisory lock (use pg_advisory_xact_lock)"].search(
        "SELECT pg_advisory_xact_lock($1)"
    )


@pytest.mark.parametrize("module", ["migrate.py", "outbox/wakeup.py"])
def test_migrations_and_the_outbox_listener_use_a_connection_of_their_own(module: str) -> None:
    source = (METADATA / module).read_text()
    assert "asyncpg.connect(" in source
    assert "create_pool" not in source and "pool" not in source.lower()


async def test_the_pool_reset_sends_nothing() -> None:
    # asyncpg rolls back an open transaction itself before calling the reset hook.
    class Untouchable:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"the reset used the connection ({name})")

    await db.keep_session(Untouchable())  # type: ignore[arg-type]
