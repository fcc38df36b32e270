"""Parsing HTTP Basic credentials and deciding feed access. Pure: no I/O."""

from __future__ import annotations

import base64
import binascii
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


def _grants(feeds: list[str] | tuple[str, ...], feed: str) -> bool:
    return "*" in feeds or feed in feeds


def can_read(principal: metadata_pb2.Principal | None, feed: metadata_pb2.Feed) -> bool:
    if feed.anonymous_read:
        return True
    if principal is None:
        return False
    return principal.is_admin or _grants(
        list(principal.read_feeds), feed.name
    ) or _grants(list(principal.publish_feeds), feed.name)


def can_publish(principal: metadata_pb2.Principal | None, feed: metadata_pb2.Feed) -> bool:
    if principal is None:
        return False
    return principal.is_admin or _grants(list(principal.publish_feeds), feed.name)
