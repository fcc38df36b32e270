from __future__ import annotations

import pytest
from packyard.common.errors import ResourceExhausted
from packyard.common.login_lockout import credential_identity, lockout_message, retry_after
from packyard.gateway.auth.credentials import Right, has_right
from packyard.gateway.auth.limits import LockoutMemo, TooManyFailures
from packyard_rpc.v1 import common_pb2


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_lockout_is_remembered_until_it_ends_for_that_address_and_identity() -> None:
    clock = Clock()
    memo = LockoutMemo(clock=clock)
    answer = memo.locked("10.0.0.1", "user:x", ResourceExhausted(lockout_message(57)))
    assert answer.headers == {"Retry-After": "57"}
    with pytest.raises(TooManyFailures) as blocked:
        memo.check("10.0.0.1", "user:x")  # no round trip while the lockout lasts
    assert blocked.value.headers == {"Retry-After": "57"}
    memo.check("10.0.0.1", "key:abc")  # another credential from the same address
    memo.check("10.0.0.2", "user:x")  # the same user from elsewhere
    clock.now += 57
    memo.check("10.0.0.1", "user:x")


def test_the_identity_is_the_user_or_the_keys_public_prefix() -> None:
    assert credential_identity("alice", "pw") == "user:alice"
    key = "pky_AbCdEfGhIjKl_" + "s" * 43
    assert credential_identity("api", key) == credential_identity("__token__", key)
    assert credential_identity("api", key) == "key:AbCdEfGhIjKl"
    assert credential_identity("api", "not-a-key") == "key:"
    assert retry_after(lockout_message(12)) == 12 and retry_after("other") is None


def test_rights_ladder() -> None:
    yanker = common_pb2.Principal(name="y", read_feeds=["t"], publish_feeds=["t"], yank_feeds=["t"])
    assert has_right(yanker, "t", Right.YANK) and not has_right(yanker, "t", Right.ADMIN)
    assert not has_right(yanker, "other", Right.READ)
    # A higher grant counts for the lower rights even if a lower list omits the feed.
    admin_of_all = common_pb2.Principal(name="a", admin_feeds=["*"])
    assert all(has_right(admin_of_all, "any", right) for right in Right)
    assert has_right(common_pb2.Principal(name="root", is_admin=True), "x", Right.ADMIN)
    assert not has_right(None, "t", Right.READ)
