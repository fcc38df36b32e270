"""The words of a login lockout, shared by the metadata service that decides it and the
gateway that turns it into ``429`` with ``Retry-After`` (the seconds travel in the message,
the only thing a gRPC status carries besides its code)."""

from __future__ import annotations

import re

_MESSAGE = "Too many failed authentication attempts; try again in {seconds} s."
_SECONDS = re.compile(r"try again in (\d+) s\.$")


def lockout_message(seconds: int) -> str:
    return _MESSAGE.format(seconds=max(1, seconds))


def retry_after(message: str) -> int | None:
    """The seconds a lockout message names, or None for any other message."""
    found = _SECONDS.search(message)
    return int(found.group(1)) if found else None


# Usernames that mean "the password is an API key" (pip and twine conventions).
KEY_USERNAMES = frozenset({"api", "__token__"})
# An API key is "pky_<12-character public prefix>_<secret>" (metadata/access/keys.py).
_KEY_PREFIX = re.compile(r"^pky_([A-Za-z0-9_-]{12})_")


def credential_identity(username: str, password: str) -> str:
    """Whom a login tries to be, which failed logins are counted against: ``key:<prefix>`` for
    an API key (``key:`` when malformed, as no valid key is), else ``user:<name>``."""
    if username in KEY_USERNAMES:
        found = _KEY_PREFIX.match(password)
        return f"key:{found.group(1)}" if found else "key:"
    return f"user:{username}"
