"""Parsing HTTP Basic credentials and deciding feed access. Pure: no I/O.

The rights matrix itself is ``common/rights.py``, shared with the metadata service.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from packyard_rpc.v1 import common_pb2, metadata_pb2

from packyard.common.errors import Unauthenticated
from packyard.common.rights import Right, can_read_feed, has_right

__all__ = [
    "BAD_CREDENTIALS",
    "BasicCredentials",
    "Right",
    "can_publish",
    "can_read",
    "has_right",
    "parse_authorization",
    "parse_basic_auth",
]

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


def parse_authorization(header: str | None) -> BasicCredentials | None:
    """Basic credentials, or ``Bearer KEY`` taken as ``api:KEY`` (what API clients and
    ``curl --oauth2-bearer`` send); None without a header, Unauthenticated when unusable."""
    if header:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() == "bearer":
            if not value.strip():
                raise Unauthenticated(BAD_CREDENTIALS)
            return BasicCredentials("api", value.strip())
    return parse_basic_auth(header)


def can_read(principal: common_pb2.Principal | None, feed: metadata_pb2.Feed) -> bool:
    return can_read_feed(principal, feed.name, anonymous_read=feed.anonymous_read)


def can_publish(principal: common_pb2.Principal | None, feed: metadata_pb2.Feed) -> bool:
    return has_right(principal, feed.name, Right.PUBLISH)
