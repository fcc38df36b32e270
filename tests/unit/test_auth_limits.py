from __future__ import annotations

import pytest
from packyard.gateway.auth.credentials import Right, has_right
from packyard.gateway.auth.limits import FailureLimiter, TooManyFailures
from packyard_rpc.v1 import common_pb2


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_address_is_blocked_after_the_limit_until_the_window_passes() -> None:
    clock = Clock()
    limiter = FailureLimiter(limit=3, window=60.0, clock=clock)
    for _ in range(3):
        limiter.check("10.0.0.1")
        limiter.record_failure("10.0.0.1")
        clock.now += 1
    with pytest.raises(TooManyFailures) as blocked:
        limiter.check("10.0.0.1")
    assert blocked.value.headers == {"Retry-After": "57"}
    limiter.check("10.0.0.2")  # other addresses are not affected
    clock.now += 57
    limiter.check("10.0.0.1")


def test_zero_limit_disables_the_limiter() -> None:
    limiter = FailureLimiter(limit=0)
    for _ in range(100):
        limiter.record_failure("a")
    limiter.check("a")


def test_rights_ladder() -> None:
    yanker = common_pb2.Principal(name="y", read_feeds=["t"], publish_feeds=["t"], yank_feeds=["t"])
    assert has_right(yanker, "t", Right.YANK) and not has_right(yanker, "t", Right.ADMIN)
    assert not has_right(yanker, "other", Right.READ)
    # A higher grant counts for the lower rights even if a lower list omits the feed.
    admin_of_all = common_pb2.Principal(name="a", admin_feeds=["*"])
    assert all(has_right(admin_of_all, "any", right) for right in Right)
    assert has_right(common_pb2.Principal(name="root", is_admin=True), "x", Right.ADMIN)
    assert not has_right(None, "t", Right.READ)
