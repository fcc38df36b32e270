"""Who may do what on a feed: the one rights matrix the gateway's HTTP routes and the metadata
service's RPCs both decide with. Pure: no I/O.

Rights on a feed are ordered, each including the ones below it: read < publish < yank <
admin. ``promote`` stands apart: it includes read and lets a principal promote releases into
the feed without publishing to it; only admin includes it. A grant on feed ``*`` counts for
every feed and a global administrator holds every right. A feed with ``anonymous_read`` may be
read by anyone, without credentials.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from packyard_rpc.v1 import common_pb2


class Right(enum.IntEnum):
    """Rights on a feed; each includes the ones below it (access.proto ``Right``)."""

    READ = 1
    PUBLISH = 2
    YANK = 3  # yank, unyank, delete files and releases
    ADMIN = 4  # settings, permissions, project status, the feed's audit log
    PROMOTE = 5  # promote into the feed; outside the order (only ADMIN includes it)


def _grants(feeds: Iterable[str], feed: str) -> bool:
    return any(granted in ("*", feed) for granted in feeds)


def _feeds_with(principal: common_pb2.Principal, right: Right) -> list[str]:
    if right is Right.PROMOTE:
        return [*principal.promote_feeds, *principal.admin_feeds]
    # Each list names the feeds with at least that right; the lower lists are kept complete
    # by the metadata service, but a higher grant counts here too in case they are not.
    lists = {
        Right.READ: principal.read_feeds,
        Right.PUBLISH: principal.publish_feeds,
        Right.YANK: principal.yank_feeds,
        Right.ADMIN: principal.admin_feeds,
    }
    return [feed for level, feeds in lists.items() if level >= right for feed in feeds]


def has_right(principal: common_pb2.Principal | None, feed: str, right: Right) -> bool:
    """Whether the principal holds ``right`` (or more) on the feed named ``feed``."""
    if principal is None:
        return False
    return principal.is_admin or _grants(_feeds_with(principal, right), feed)


def may_promote_into(
    principal: common_pb2.Principal | None, feed: str, *, promote_right_required: bool = False
) -> bool:
    """Whether the principal may promote releases into ``feed``: with the promote right, or
    with publish unless the feed's promotion policy requires the promote right."""
    if has_right(principal, feed, Right.PROMOTE):
        return True
    return not promote_right_required and has_right(principal, feed, Right.PUBLISH)


def can_read_feed(
    principal: common_pb2.Principal | None, feed: str, *, anonymous_read: bool
) -> bool:
    """Whether the principal (None: anonymous) may read the feed's projects and files."""
    return anonymous_read or has_right(principal, feed, Right.READ)


def is_global_admin(principal: common_pb2.Principal | None) -> bool:
    return principal is not None and principal.is_admin


def key_request_denial(
    caller: common_pb2.Principal, *, is_admin: bool, owner: str, feeds: Iterable[str]
) -> str | None:
    """Why ``caller`` may not create this API key (None: it may). A non-administrator makes
    keys for itself or standalone keys, granting only on feeds it administers."""
    feeds = list(feeds)
    if caller.is_admin:
        return None
    if is_admin:
        return "Only an administrator may create an administrator key."
    if owner and owner != caller.user:
        return f"'{caller.name}' may not create keys for '{owner}'."
    for feed in feeds:
        if not has_right(caller, feed, Right.ADMIN):
            return (
                f"'{caller.name}' may not grant rights on feed '{feed}': "
                "that needs the admin right on it."
            )
    if not owner and not feeds:
        return "A standalone key needs permissions on feeds you administer."
    return None


def may_manage_user(caller: common_pb2.Principal, name: str) -> bool:
    """Administrators manage every user; a user sees and changes (its password) itself."""
    return caller.is_admin or (bool(caller.user) and caller.user == name)
