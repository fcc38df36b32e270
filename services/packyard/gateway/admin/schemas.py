"""JSON bodies of the admin API (``/api/v1/…``) and their conversion from protobuf messages.

The models document the API in OpenAPI (``/api/docs``); secrets appear only in the reply that
creates a key and in the request that sets a password.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from packyard_rpc.v1 import access_pb2, common_pb2, metadata_pb2
from pydantic import BaseModel, Field

from packyard.common.pb_fields import from_pb

RightName = Literal["read", "publish", "yank", "admin", "promote"]
StatusName = Literal["active", "archived", "quarantined", "deprecated"]

# Enum values by name: protobuf constructors take the name of an enum value.
RIGHT_TO_PB: dict[str, str] = {
    "read": "RIGHT_READ",
    "publish": "RIGHT_PUBLISH",
    "yank": "RIGHT_YANK",
    "admin": "RIGHT_ADMIN",
    "promote": "RIGHT_PROMOTE",
}
RIGHT_FROM_PB: dict[int, str] = {
    access_pb2.RIGHT_READ: "read",
    access_pb2.RIGHT_PUBLISH: "publish",
    access_pb2.RIGHT_YANK: "yank",
    access_pb2.RIGHT_ADMIN: "admin",
    access_pb2.RIGHT_PROMOTE: "promote",
}


# Feeds.


class FeedSettings(BaseModel):
    description: str | None = None
    anonymous_read: bool | None = Field(None, description="anyone may read without credentials")
    refuse_local_versions: bool | None = Field(None, description="refuse versions like 1.0+abc")
    max_file_size: int | None = Field(None, ge=0, description="bytes; 0 = the server default")


class FeedCreate(FeedSettings):
    name: str = Field(description="1-64 letters, digits, '.', '_' or '-'")


class FeedOut(BaseModel):
    name: str
    description: str
    anonymous_read: bool
    refuse_local_versions: bool
    max_file_size: int
    created: datetime | None

    @classmethod
    def from_pb(cls, feed: metadata_pb2.Feed) -> FeedOut:
        return from_pb(cls, feed)


# Users.


class UserCreate(BaseModel):
    name: str
    password: str = Field(min_length=8, max_length=1024)
    admin: bool = False


class UserUpdate(BaseModel):
    password: str | None = Field(None, min_length=8, max_length=1024)
    admin: bool | None = None
    disabled: bool | None = None


class UserOut(BaseModel):
    name: str
    admin: bool
    disabled: bool
    created: datetime | None

    @classmethod
    def from_pb(cls, user: access_pb2.User) -> UserOut:
        return from_pb(cls, user, admin=user.is_admin)


# Keys and permissions.


class Grant(BaseModel):
    feed: str
    right: RightName


class KeyCreate(BaseModel):
    name: str = Field(description="what the key is for, e.g. 'ci-upload'")
    owner: str = Field("", description="user the key acts for; empty = standalone service key")
    admin: bool = Field(False, description="global administrator (standalone keys only)")
    permissions: list[Grant] = Field(default_factory=list, description="rights of the key")
    expires: datetime | None = Field(None, description="when the key stops working")


class KeyOut(BaseModel):
    prefix: str
    name: str
    owner: str
    admin: bool
    created: datetime | None
    expires: datetime | None
    revoked: datetime | None

    @classmethod
    def from_pb(cls, key: access_pb2.ApiKey) -> KeyOut:
        return from_pb(cls, key, admin=key.is_admin)


class KeyCreated(KeyOut):
    key: str = Field(description="the secret: shown only in this reply")


class PermissionSet(BaseModel):
    right: RightName


class PermissionOut(BaseModel):
    subject: str = Field(description="a user name, or key:<prefix>")
    feed: str
    right: RightName

    @classmethod
    def from_pb(cls, permission: access_pb2.Permission) -> PermissionOut:
        return cls(
            subject=permission.subject,
            feed=permission.feed,
            right=RIGHT_FROM_PB[permission.right],  # type: ignore[arg-type]
        )


class WhoAmI(BaseModel):
    name: str
    user: str
    key_prefix: str
    admin: bool
    read: list[str]
    publish: list[str]
    yank: list[str]
    administer: list[str]
    promote: list[str]

    @classmethod
    def from_pb(cls, principal: common_pb2.Principal) -> WhoAmI:
        return from_pb(
            cls,
            principal,
            admin=principal.is_admin,
            read=list(principal.read_feeds),
            publish=list(principal.publish_feeds),
            yank=list(principal.yank_feeds),
            administer=list(principal.admin_feeds),
            promote=list(principal.promote_feeds),
        )


# Releases, files, projects.


class YankBody(BaseModel):
    reason: str = ""


class YankOut(BaseModel):
    feed: str
    project: str
    version: str
    yanked: bool
    files: int


class DeletedOut(BaseModel):
    deleted: str
    files: int = 1


class StatusBody(BaseModel):
    status: StatusName
    reason: str = ""


class StatusOut(BaseModel):
    feed: str
    project: str
    status: StatusName
    reason: str


# Audit log.


class AuditEventOut(BaseModel):
    id: int
    time: datetime | None
    actor: str
    actor_key: str
    client_address: str
    action: str
    feed: str
    target: str
    detail: str

    @classmethod
    def from_pb(cls, event: access_pb2.AuditEvent) -> AuditEventOut:
        return from_pb(cls, event)
