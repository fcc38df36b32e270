"""Domain records of access control: users, keys, permissions, audit events. No proto, no SQL."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from packyard.common.errors import InvalidArgument


class Right(enum.IntEnum):
    """Rights on a feed; each includes the ones below it, except PROMOTE, which includes READ
    and is included only by ADMIN (common/rights.py). Stored by name."""

    READ = 1
    PUBLISH = 2
    YANK = 3
    ADMIN = 4
    PROMOTE = 5

    def includes(self, other: Right) -> bool:
        if self is other or self is Right.ADMIN:
            return True
        if self is Right.PROMOTE:
            return other is Right.READ
        return other is not Right.PROMOTE and self >= other

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> Right:
        return cls[label.upper()]


KEY_SUBJECT_PREFIX = "key:"
# A directory group (LDAP, OpenID Connect): rights its members get when they sign in.
GROUP_SUBJECT_PREFIX = "group:"
ALL_FEEDS = "*"
_GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@=,-]{0,127}$")


def is_group_name(name: str) -> bool:
    return bool(_GROUP_NAME.match(name))


def check_group_name(name: str) -> None:
    if not is_group_name(name):
        raise InvalidArgument(
            f"Invalid group name '{name}': use 1-128 letters, digits, spaces, '.', '_', '@', "
            "'=', ',' or '-', starting with a letter or digit."
        )


def group_subject(group: str) -> str:
    return f"{GROUP_SUBJECT_PREFIX}{group}"


def key_subject(prefix: str) -> str:
    return f"{KEY_SUBJECT_PREFIX}{prefix}"


@dataclass(frozen=True)
class User:
    name: str
    is_admin: bool = False
    disabled: bool = False
    created: datetime | None = None


@dataclass(frozen=True)
class StoredUser:
    user: User
    password_hash: str


@dataclass(frozen=True)
class ApiKeyInfo:
    prefix: str
    name: str
    owner: str = ""
    is_admin: bool = False
    created: datetime | None = None
    expires: datetime | None = None
    revoked: datetime | None = None


@dataclass(frozen=True)
class IssuedApiKey:
    key: str  # the only time the secret is available
    info: ApiKeyInfo
    created: bool  # false: the given key was already stored


@dataclass(frozen=True)
class StoredKey:
    info: ApiKeyInfo
    key_hash: bytes


@dataclass(frozen=True)
class Permission:
    subject: str
    feed: str
    right: Right


@dataclass(frozen=True)
class NewKey:
    name: str
    owner: str = ""
    is_admin: bool = False
    grants: tuple[tuple[str, Right], ...] = ()  # (feed, right) for the key itself
    expires: datetime | None = None
    key: str = ""  # empty: generate one


@dataclass(frozen=True)
class AuditEvent:
    id: int
    time: datetime
    actor: str
    actor_key: str
    client_address: str
    action: str
    feed: str
    target: str
    detail: str


@dataclass(frozen=True)
class Principal:
    """Who a credential stands for; each feed list includes the feeds of the lists after it."""

    name: str
    is_admin: bool = False
    publish_feeds: tuple[str, ...] = ()
    read_feeds: tuple[str, ...] = ()
    yank_feeds: tuple[str, ...] = ()
    admin_feeds: tuple[str, ...] = ()
    user: str = ""  # the user behind the credential; "" for a standalone key
    key_prefix: str = ""  # the key used; "" for a password
    key_expires: datetime | None = None  # when the key used stops working; None: never
    promote_feeds: tuple[str, ...] = ()  # promote right, outside the order of the others
