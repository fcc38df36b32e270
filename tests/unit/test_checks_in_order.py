"""Checks that run together still refuse in the order they are listed (issue 13).

An upload's remaining checks (description, origin policy, provenance policy, existing file)
and a wheel's two S3 writes run concurrently; which error the client sees must not depend on
which finished first.
"""

from __future__ import annotations

import asyncio

import pytest
from packyard.common.errors import AlreadyExists, InvalidArgument, PermissionDenied
from packyard.common.together import in_order


async def _fails_after(delay: float, error: Exception) -> None:
    await asyncio.sleep(delay)
    raise error


async def _returns_after(delay: float, value: str) -> str:
    await asyncio.sleep(delay)
    return value


async def test_the_first_listed_refusal_wins_even_when_it_finishes_last() -> None:
    with pytest.raises(InvalidArgument, match="description"):
        await in_order(
            _fails_after(0.05, InvalidArgument("description does not render")),
            _fails_after(0.0, PermissionDenied("origin")),
            _fails_after(0.0, AlreadyExists("exists")),
        )


async def test_results_come_back_in_the_listed_order() -> None:
    got = await in_order(_returns_after(0.03, "a"), _returns_after(0.0, "b"))
    assert got == ["a", "b"]


async def test_a_later_refusal_is_raised_when_the_earlier_checks_pass() -> None:
    with pytest.raises(AlreadyExists):
        await in_order(_returns_after(0.0, "ok"), _fails_after(0.01, AlreadyExists("exists")))


async def test_a_failure_waits_for_the_other_write_before_it_raises() -> None:
    finished: list[str] = []

    async def slow_write() -> bool:
        await asyncio.sleep(0.05)
        finished.append("wheel")
        return True

    with pytest.raises(OSError, match="metadata"):
        await in_order(_fails_after(0.0, OSError("metadata write failed")), slow_write())
    # No write is left running behind the caller's back once the error is out.
    assert finished == ["wheel"]
