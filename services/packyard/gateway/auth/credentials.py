"""Parsing HTTP Basic credentials and deciding feed access. Pure: no I/O."""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from packyard.common.errors import Unauthenticated
from packyard.rpc.v1 import metadata_pb2

BAD_CREDENTIALS = "Invalid or non-existent authentication information."


@dataclass(frozen=True)
class BasicCredentials:
    username: str
    password: str


def parse_basic_auth(header: str | None) -> BasicCredentials | None:
    """None when there is no header; Unauthenticated when it is not usable Basic auth."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        raise Unauthenticated(BAD_CREDENTIALS)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthenticated(BAD_CREDENTIALS) from exc
    username, sep, password = decoded.partition(":")
    if not sep or not password:
        raise Unauthenticated(BAD_CREDENTIALS)
    return BasicCredentials(username, password)


class Right(enum.IntEnum):
    """Rights on a feed; each includes the ones below it (access.proto ``Right``)."""

    READ = 1
    PUBLISH = 2
    YANK = 3  # yank, unyank, delete files and releases
    ADMIN = 4  # settings, permissions, project status, the feed's audit log


def _grants(feeds: Iterable[str], feed: str) -> bool:
    return any(granted in ("*", feed) for granted in feeds)


def _feeds_with(principal: metadata_pb2.Principal, right: Right) -> list[str]:
    # Each list names the feeds with at least that right; the lower lists are kept complete
    # by the metadata service, but a higher grant counts here too in case they are not.
    lists = {
        Right.READ: principal.read_feeds,
        Right.PUBLISH: principal.publish_feeds,
        Right.YANK: principal.yank_feeds,
        Right.ADMIN: principal.admin_feeds,
    }
    return [feed for level, feeds in lists.items() if level >= right for feed in feeds]


def has_right(principal: metadata_pb2.Principal | None, feed: str, right: Right) -> bool:
    """Whether the principal holds ``right`` (or more) on the feed named ``feed``."""
    if principal is None:
        return False
    return principal.is_admin or _grants(_feeds_with(principal, right), feed)


def can_read(principal: metadata_pb2.Principal | None, feed: metadata_pb2.Feed) -> bool:
    return feed.anonymous_read or has_right(principal, feed.name, Right.READ)


def can_publish(principal: metadata_pb2.Principal | None, feed: metadata_pb2.Feed) -> bool:
    return has_right(principal, feed.name, Right.PUBLISH)
