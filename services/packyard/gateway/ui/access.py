"""Which feeds the web UI shows to whom. A feed the caller may not read is answered exactly
like a feed that does not exist, so its name does not leak.
"""

from __future__ import annotations

from packyard_rpc.v1 import common_pb2, metadata_pb2

from packyard.common.errors import NotFound
from packyard.gateway.auth.authenticator import Authenticator
from packyard.gateway.auth.credentials import Right, can_read, has_right
from packyard.gateway.backends import Backends


def feed_not_found(name: str) -> NotFound:
    return NotFound(f"Feed '{name}' not found.")


async def readable_feeds(
    backends: Backends, principal: common_pb2.Principal | None
) -> list[metadata_pb2.Feed]:
    reply = await backends.metadata.list_feeds(metadata_pb2.ListFeedsRequest())
    return [feed for feed in reply.feeds if can_read(principal, feed)]


async def visible_feed(
    auth: Authenticator, name: str, principal: common_pb2.Principal | None
) -> metadata_pb2.Feed:
    """The feed if the caller may read it; NotFound (the same one) if not or if missing."""
    try:
        feed = await auth.feed(name)
    except NotFound:
        raise feed_not_found(name) from None
    if not can_read(principal, feed):
        raise feed_not_found(name)
    return feed


def may_yank(principal: common_pb2.Principal | None, feed: str) -> bool:
    """The right the admin API asks for yank, unyank and delete (guards.FeedYankDep)."""
    return has_right(principal, feed, Right.YANK)
