"""Opaque page tokens for the List* RPCs (AIP-158), as pure functions.

A token is the URL-safe base64 of a small JSON object: the list it belongs to (``scope``, e.g.
the method and feed) and where the next page starts (``after``, the last sort key served, or
an offset for orders that have no unique key). It carries no rights: every call checks the
caller's read right on the feed again, and a token names its feed, so a token cut for one
feed (or order) is refused with INVALID_ARGUMENT on another instead of leaking its position.
Tokens are not signed: a caller who forges one only moves its own cursor within what it may
read anyway.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from packyard.common.errors import InvalidArgument

_VERSION = 1


@dataclass(frozen=True)
class PageRequest:
    """A decoded request: how many items (None = every remaining one) and where to start."""

    size: int | None
    after: str  # "" = from the start


def encode(scope: str, after: str) -> str:
    raw = json.dumps({"v": _VERSION, "s": scope, "a": after}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str, scope: str) -> str:
    """Where the page of ``token`` starts; INVALID_ARGUMENT unless it is a token of ``scope``."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        body = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidArgument("Invalid page_token.") from None
    if (
        not isinstance(body, dict)
        or body.get("v") != _VERSION
        or body.get("s") != scope
        or not isinstance(body.get("a"), str)
    ):
        raise InvalidArgument("Invalid page_token (not a token of this list).")
    after: str = body["a"]
    return after


def page_request(
    page_size: int, page_token: str, scope: str, *, default: int, maximum: int
) -> PageRequest:
    """The page a request asks for. No page_size and no token: everything, as before page
    tokens existed (the v1 compatibility promise); otherwise at most ``maximum`` items,
    ``default`` when page_size is 0."""
    if page_size < 0:
        raise InvalidArgument("page_size must not be negative.")
    after = decode(page_token, scope) if page_token else ""
    if page_size == 0 and not page_token:
        return PageRequest(None, "")
    return PageRequest(min(page_size or default, maximum), after)
