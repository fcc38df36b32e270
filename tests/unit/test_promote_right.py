"""The promote right (issue 16) stands outside read < publish < yank < admin: it includes read,
only admin includes it, and publish does not include it (common/rights.py and the principal the
metadata service builds from permission rows)."""

from __future__ import annotations

from packyard.common.rights import Right, has_right, may_promote_into
from packyard.metadata.access.models import Permission
from packyard.metadata.access.models import Right as Level
from packyard.metadata.access.service import build_principal
from packyard_rpc.v1 import common_pb2


def _principal(*grants: tuple[str, Level]) -> common_pb2.Principal:
    built = build_principal(
        "someone", False, [Permission("someone", feed, level) for feed, level in grants],
        user="someone", key_prefix="",
    )  # fmt: skip
    return common_pb2.Principal(
        name=built.name,
        read_feeds=built.read_feeds,
        publish_feeds=built.publish_feeds,
        yank_feeds=built.yank_feeds,
        admin_feeds=built.admin_feeds,
        promote_feeds=built.promote_feeds,
    )


def test_promote_reads_and_promotes_but_does_not_publish() -> None:
    promoter = _principal(("approved", Level.PROMOTE))
    assert has_right(promoter, "approved", Right.READ)
    assert not has_right(promoter, "approved", Right.PUBLISH)
    assert may_promote_into(promoter, "approved", promote_right_required=True)


def test_publish_promotes_only_where_the_policy_does_not_require_the_right() -> None:
    publisher = _principal(("approved", Level.YANK))
    assert not has_right(publisher, "approved", Right.PROMOTE)
    assert may_promote_into(publisher, "approved")
    assert not may_promote_into(publisher, "approved", promote_right_required=True)


def test_admin_includes_promote_and_grants_on_one_feed_add_up() -> None:
    assert may_promote_into(
        _principal(("approved", Level.ADMIN)), "approved", promote_right_required=True
    )
    # A user's publish and a group's promote on the same feed: both hold.
    both = _principal(("approved", Level.PUBLISH), ("approved", Level.PROMOTE))
    assert has_right(both, "approved", Right.PUBLISH)
    assert has_right(both, "approved", Right.PROMOTE)
    assert not may_promote_into(_principal(("staging", Level.PROMOTE)), "approved")
