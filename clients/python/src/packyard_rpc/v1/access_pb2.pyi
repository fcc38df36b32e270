import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from packyard_rpc.v1 import common_pb2 as _common_pb2
from packyard_rpc.v1 import surface_pb2 as _surface_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Right(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RIGHT_UNSPECIFIED: _ClassVar[Right]
    RIGHT_READ: _ClassVar[Right]
    RIGHT_PUBLISH: _ClassVar[Right]
    RIGHT_YANK: _ClassVar[Right]
    RIGHT_ADMIN: _ClassVar[Right]
    RIGHT_PROMOTE: _ClassVar[Right]
RIGHT_UNSPECIFIED: Right
RIGHT_READ: Right
RIGHT_PUBLISH: Right
RIGHT_YANK: Right
RIGHT_ADMIN: Right
RIGHT_PROMOTE: Right

class User(_message.Message):
    __slots__ = ("name", "is_admin", "disabled", "created")
    NAME_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    name: str
    is_admin: bool
    disabled: bool
    created: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., is_admin: _Optional[bool] = ..., disabled: _Optional[bool] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ApiKey(_message.Message):
    __slots__ = ("prefix", "name", "owner", "is_admin", "created", "expires", "revoked")
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    prefix: str
    name: str
    owner: str
    is_admin: bool
    created: _timestamp_pb2.Timestamp
    expires: _timestamp_pb2.Timestamp
    revoked: _timestamp_pb2.Timestamp
    def __init__(self, prefix: _Optional[str] = ..., name: _Optional[str] = ..., owner: _Optional[str] = ..., is_admin: _Optional[bool] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Permission(_message.Message):
    __slots__ = ("subject", "feed", "right")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    FEED_FIELD_NUMBER: _ClassVar[int]
    RIGHT_FIELD_NUMBER: _ClassVar[int]
    subject: str
    feed: str
    right: Right
    def __init__(self, subject: _Optional[str] = ..., feed: _Optional[str] = ..., right: _Optional[_Union[Right, str]] = ...) -> None: ...

class AuditEvent(_message.Message):
    __slots__ = ("id", "time", "actor", "actor_key", "client_address", "action", "feed", "target", "detail")
    ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTOR_KEY_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    FEED_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    id: int
    time: _timestamp_pb2.Timestamp
    actor: str
    actor_key: str
    client_address: str
    action: str
    feed: str
    target: str
    detail: str
    def __init__(self, id: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., actor_key: _Optional[str] = ..., client_address: _Optional[str] = ..., action: _Optional[str] = ..., feed: _Optional[str] = ..., target: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class AuthenticateRequest(_message.Message):
    __slots__ = ("username", "password")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    username: str
    password: str
    def __init__(self, username: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class AuthenticateResponse(_message.Message):
    __slots__ = ("principal", "principal_token")
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_TOKEN_FIELD_NUMBER: _ClassVar[int]
    principal: _common_pb2.Principal
    principal_token: str
    def __init__(self, principal: _Optional[_Union[_common_pb2.Principal, _Mapping]] = ..., principal_token: _Optional[str] = ...) -> None: ...

class CreateUserRequest(_message.Message):
    __slots__ = ("name", "password", "is_admin", "audit")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    password: str
    is_admin: bool
    audit: _common_pb2.AuditContext
    def __init__(self, name: _Optional[str] = ..., password: _Optional[str] = ..., is_admin: _Optional[bool] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ...) -> None: ...

class CreateUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class GetUserRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class ListUsersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListUsersResponse(_message.Message):
    __slots__ = ("users",)
    USERS_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[User]
    def __init__(self, users: _Optional[_Iterable[_Union[User, _Mapping]]] = ...) -> None: ...

class UpdateUserRequest(_message.Message):
    __slots__ = ("name", "password", "is_admin", "disabled", "audit")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    password: str
    is_admin: bool
    disabled: bool
    audit: _common_pb2.AuditContext
    def __init__(self, name: _Optional[str] = ..., password: _Optional[str] = ..., is_admin: _Optional[bool] = ..., disabled: _Optional[bool] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ...) -> None: ...

class UpdateUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class DeleteUserRequest(_message.Message):
    __slots__ = ("name", "audit")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    audit: _common_pb2.AuditContext
    def __init__(self, name: _Optional[str] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ...) -> None: ...

class DeleteUserResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateKeyRequest(_message.Message):
    __slots__ = ("name", "owner", "is_admin", "permissions", "expires", "audit", "key")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    name: str
    owner: str
    is_admin: bool
    permissions: _containers.RepeatedCompositeFieldContainer[Permission]
    expires: _timestamp_pb2.Timestamp
    audit: _common_pb2.AuditContext
    key: str
    def __init__(self, name: _Optional[str] = ..., owner: _Optional[str] = ..., is_admin: _Optional[bool] = ..., permissions: _Optional[_Iterable[_Union[Permission, _Mapping]]] = ..., expires: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ..., key: _Optional[str] = ...) -> None: ...

class CreateKeyResponse(_message.Message):
    __slots__ = ("key", "info", "created")
    KEY_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    key: str
    info: ApiKey
    created: bool
    def __init__(self, key: _Optional[str] = ..., info: _Optional[_Union[ApiKey, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ListKeysRequest(_message.Message):
    __slots__ = ("owner", "standalone", "include_revoked", "prefix")
    OWNER_FIELD_NUMBER: _ClassVar[int]
    STANDALONE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_REVOKED_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    owner: str
    standalone: bool
    include_revoked: bool
    prefix: str
    def __init__(self, owner: _Optional[str] = ..., standalone: _Optional[bool] = ..., include_revoked: _Optional[bool] = ..., prefix: _Optional[str] = ...) -> None: ...

class ListKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ApiKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[ApiKey, _Mapping]]] = ...) -> None: ...

class RevokeKeyRequest(_message.Message):
    __slots__ = ("prefix", "audit")
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    prefix: str
    audit: _common_pb2.AuditContext
    def __init__(self, prefix: _Optional[str] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ...) -> None: ...

class RevokeKeyResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: ApiKey
    def __init__(self, key: _Optional[_Union[ApiKey, _Mapping]] = ...) -> None: ...

class SetPermissionRequest(_message.Message):
    __slots__ = ("permission", "audit")
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    permission: Permission
    audit: _common_pb2.AuditContext
    def __init__(self, permission: _Optional[_Union[Permission, _Mapping]] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ...) -> None: ...

class SetPermissionResponse(_message.Message):
    __slots__ = ("permission",)
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    permission: Permission
    def __init__(self, permission: _Optional[_Union[Permission, _Mapping]] = ...) -> None: ...

class DeletePermissionRequest(_message.Message):
    __slots__ = ("subject", "feed", "audit")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    FEED_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    subject: str
    feed: str
    audit: _common_pb2.AuditContext
    def __init__(self, subject: _Optional[str] = ..., feed: _Optional[str] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ...) -> None: ...

class DeletePermissionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPermissionsRequest(_message.Message):
    __slots__ = ("feed", "subject")
    FEED_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    subject: str
    def __init__(self, feed: _Optional[str] = ..., subject: _Optional[str] = ...) -> None: ...

class ListPermissionsResponse(_message.Message):
    __slots__ = ("permissions",)
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    permissions: _containers.RepeatedCompositeFieldContainer[Permission]
    def __init__(self, permissions: _Optional[_Iterable[_Union[Permission, _Mapping]]] = ...) -> None: ...

class ListAuditEventsRequest(_message.Message):
    __slots__ = ("feed", "actor", "action", "before_id", "limit")
    FEED_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    BEFORE_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    actor: str
    action: str
    before_id: int
    limit: int
    def __init__(self, feed: _Optional[str] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., before_id: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListAuditEventsResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[AuditEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[AuditEvent, _Mapping]]] = ...) -> None: ...

class DirectoryIdentity(_message.Message):
    __slots__ = ("source", "name", "groups", "is_admin")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    source: str
    name: str
    groups: _containers.RepeatedScalarFieldContainer[str]
    is_admin: bool
    def __init__(self, source: _Optional[str] = ..., name: _Optional[str] = ..., groups: _Optional[_Iterable[str]] = ..., is_admin: _Optional[bool] = ...) -> None: ...

class StartSessionRequest(_message.Message):
    __slots__ = ("username", "password", "directory", "idle_seconds", "absolute_seconds")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    IDLE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ABSOLUTE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    username: str
    password: str
    directory: DirectoryIdentity
    idle_seconds: int
    absolute_seconds: int
    def __init__(self, username: _Optional[str] = ..., password: _Optional[str] = ..., directory: _Optional[_Union[DirectoryIdentity, _Mapping]] = ..., idle_seconds: _Optional[int] = ..., absolute_seconds: _Optional[int] = ...) -> None: ...

class StartSessionResponse(_message.Message):
    __slots__ = ("session", "principal", "principal_token")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_TOKEN_FIELD_NUMBER: _ClassVar[int]
    session: str
    principal: _common_pb2.Principal
    principal_token: str
    def __init__(self, session: _Optional[str] = ..., principal: _Optional[_Union[_common_pb2.Principal, _Mapping]] = ..., principal_token: _Optional[str] = ...) -> None: ...

class ResolveSessionRequest(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: str
    def __init__(self, session: _Optional[str] = ...) -> None: ...

class ResolveSessionResponse(_message.Message):
    __slots__ = ("principal", "principal_token")
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_TOKEN_FIELD_NUMBER: _ClassVar[int]
    principal: _common_pb2.Principal
    principal_token: str
    def __init__(self, principal: _Optional[_Union[_common_pb2.Principal, _Mapping]] = ..., principal_token: _Optional[str] = ...) -> None: ...

class EndSessionRequest(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: str
    def __init__(self, session: _Optional[str] = ...) -> None: ...

class EndSessionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
