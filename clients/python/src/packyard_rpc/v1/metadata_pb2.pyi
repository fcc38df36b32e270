import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from packyard_rpc.v1 import access_pb2 as _access_pb2
from packyard_rpc.v1 import common_pb2 as _common_pb2
from packyard_rpc.v1 import surface_pb2 as _surface_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Feed(_message.Message):
    __slots__ = ("name", "description", "anonymous_read", "refuse_local_versions", "max_file_size", "created")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ANONYMOUS_READ_FIELD_NUMBER: _ClassVar[int]
    REFUSE_LOCAL_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    MAX_FILE_SIZE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    anonymous_read: bool
    refuse_local_versions: bool
    max_file_size: int
    created: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., anonymous_read: _Optional[bool] = ..., refuse_local_versions: _Optional[bool] = ..., max_file_size: _Optional[int] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateFeedRequest(_message.Message):
    __slots__ = ("feed", "if_not_exists", "audit")
    FEED_FIELD_NUMBER: _ClassVar[int]
    IF_NOT_EXISTS_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    feed: Feed
    if_not_exists: bool
    audit: _common_pb2.AuditContext
    def __init__(self, feed: _Optional[_Union[Feed, _Mapping]] = ..., if_not_exists: _Optional[bool] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ...) -> None: ...

class CreateFeedResponse(_message.Message):
    __slots__ = ("feed", "created")
    FEED_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    feed: Feed
    created: bool
    def __init__(self, feed: _Optional[_Union[Feed, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetFeedRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetFeedResponse(_message.Message):
    __slots__ = ("feed",)
    FEED_FIELD_NUMBER: _ClassVar[int]
    feed: Feed
    def __init__(self, feed: _Optional[_Union[Feed, _Mapping]] = ...) -> None: ...

class ListFeedsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFeedsResponse(_message.Message):
    __slots__ = ("feeds", "next_page_token")
    FEEDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    feeds: _containers.RepeatedCompositeFieldContainer[Feed]
    next_page_token: str
    def __init__(self, feeds: _Optional[_Iterable[_Union[Feed, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ProjectSummary(_message.Message):
    __slots__ = ("name", "display_name", "serial", "status")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    serial: int
    status: _common_pb2.ProjectStatus
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., serial: _Optional[int] = ..., status: _Optional[_Union[_common_pb2.ProjectStatus, str]] = ...) -> None: ...

class ListProjectsRequest(_message.Message):
    __slots__ = ("feed", "page_size", "page_token")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    feed: str
    page_size: int
    page_token: str
    def __init__(self, feed: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListProjectsResponse(_message.Message):
    __slots__ = ("projects", "next_page_token")
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    projects: _containers.RepeatedCompositeFieldContainer[ProjectSummary]
    next_page_token: str
    def __init__(self, projects: _Optional[_Iterable[_Union[ProjectSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Project(_message.Message):
    __slots__ = ("feed", "name", "display_name", "status", "status_reason", "serial", "versions", "files", "releases")
    class ReleasesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.CoreMetadata
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.CoreMetadata, _Mapping]] = ...) -> None: ...
    FEED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    RELEASES_FIELD_NUMBER: _ClassVar[int]
    feed: str
    name: str
    display_name: str
    status: _common_pb2.ProjectStatus
    status_reason: str
    serial: int
    versions: _containers.RepeatedScalarFieldContainer[str]
    files: _containers.RepeatedCompositeFieldContainer[_common_pb2.FileInfo]
    releases: _containers.MessageMap[str, _common_pb2.CoreMetadata]
    def __init__(self, feed: _Optional[str] = ..., name: _Optional[str] = ..., display_name: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.ProjectStatus, str]] = ..., status_reason: _Optional[str] = ..., serial: _Optional[int] = ..., versions: _Optional[_Iterable[str]] = ..., files: _Optional[_Iterable[_Union[_common_pb2.FileInfo, _Mapping]]] = ..., releases: _Optional[_Mapping[str, _common_pb2.CoreMetadata]] = ...) -> None: ...

class GetProjectRequest(_message.Message):
    __slots__ = ("feed", "project")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class GetProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: Project
    def __init__(self, project: _Optional[_Union[Project, _Mapping]] = ...) -> None: ...

class GetFileRequest(_message.Message):
    __slots__ = ("feed", "filename")
    FEED_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    feed: str
    filename: str
    def __init__(self, feed: _Optional[str] = ..., filename: _Optional[str] = ...) -> None: ...

class GetFileResponse(_message.Message):
    __slots__ = ("file",)
    FILE_FIELD_NUMBER: _ClassVar[int]
    file: _common_pb2.FileInfo
    def __init__(self, file: _Optional[_Union[_common_pb2.FileInfo, _Mapping]] = ...) -> None: ...

class RegisterFileRequest(_message.Message):
    __slots__ = ("feed", "file", "metadata", "uploader", "audit")
    FEED_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    UPLOADER_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    file: _common_pb2.FileInfo
    metadata: _common_pb2.CoreMetadata
    uploader: str
    audit: _common_pb2.AuditContext
    def __init__(self, feed: _Optional[str] = ..., file: _Optional[_Union[_common_pb2.FileInfo, _Mapping]] = ..., metadata: _Optional[_Union[_common_pb2.CoreMetadata, _Mapping]] = ..., uploader: _Optional[str] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ...) -> None: ...

class RegisterFileResponse(_message.Message):
    __slots__ = ("file", "created")
    FILE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    file: _common_pb2.FileInfo
    created: bool
    def __init__(self, file: _Optional[_Union[_common_pb2.FileInfo, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class SetReleaseYankedRequest(_message.Message):
    __slots__ = ("feed", "project", "version", "yanked", "reason", "audit")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    YANKED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    version: str
    yanked: bool
    reason: str
    audit: _common_pb2.AuditContext
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., version: _Optional[str] = ..., yanked: _Optional[bool] = ..., reason: _Optional[str] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ...) -> None: ...

class SetReleaseYankedResponse(_message.Message):
    __slots__ = ("files",)
    FILES_FIELD_NUMBER: _ClassVar[int]
    files: int
    def __init__(self, files: _Optional[int] = ...) -> None: ...

class SetProjectStatusRequest(_message.Message):
    __slots__ = ("feed", "project", "status", "reason", "audit")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    status: _common_pb2.ProjectStatus
    reason: str
    audit: _common_pb2.AuditContext
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.ProjectStatus, str]] = ..., reason: _Optional[str] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ...) -> None: ...

class SetProjectStatusResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: Project
    def __init__(self, project: _Optional[_Union[Project, _Mapping]] = ...) -> None: ...

class DeleteFileRequest(_message.Message):
    __slots__ = ("feed", "filename", "audit")
    FEED_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    filename: str
    audit: _common_pb2.AuditContext
    def __init__(self, feed: _Optional[str] = ..., filename: _Optional[str] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ...) -> None: ...

class DeleteFileResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("name", "is_admin", "publish_feeds", "read_feeds", "key", "expires")
    NAME_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_FEEDS_FIELD_NUMBER: _ClassVar[int]
    READ_FEEDS_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_FIELD_NUMBER: _ClassVar[int]
    name: str
    is_admin: bool
    publish_feeds: _containers.RepeatedScalarFieldContainer[str]
    read_feeds: _containers.RepeatedScalarFieldContainer[str]
    key: str
    expires: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., is_admin: _Optional[bool] = ..., publish_feeds: _Optional[_Iterable[str]] = ..., read_feeds: _Optional[_Iterable[str]] = ..., key: _Optional[str] = ..., expires: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateApiKeyResponse(_message.Message):
    __slots__ = ("key", "prefix", "created")
    KEY_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    key: str
    prefix: str
    created: bool
    def __init__(self, key: _Optional[str] = ..., prefix: _Optional[str] = ..., created: _Optional[bool] = ...) -> None: ...

class UpdateFeedRequest(_message.Message):
    __slots__ = ("feed", "update_mask", "audit", "field_mask")
    FEED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    FIELD_MASK_FIELD_NUMBER: _ClassVar[int]
    feed: Feed
    update_mask: _containers.RepeatedScalarFieldContainer[str]
    audit: _common_pb2.AuditContext
    field_mask: _field_mask_pb2.FieldMask
    def __init__(self, feed: _Optional[_Union[Feed, _Mapping]] = ..., update_mask: _Optional[_Iterable[str]] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ..., field_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateFeedResponse(_message.Message):
    __slots__ = ("feed",)
    FEED_FIELD_NUMBER: _ClassVar[int]
    feed: Feed
    def __init__(self, feed: _Optional[_Union[Feed, _Mapping]] = ...) -> None: ...

class DeleteFeedRequest(_message.Message):
    __slots__ = ("name", "audit")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    audit: _common_pb2.AuditContext
    def __init__(self, name: _Optional[str] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ...) -> None: ...

class DeleteFeedResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteReleaseRequest(_message.Message):
    __slots__ = ("feed", "project", "version", "audit")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    version: str
    audit: _common_pb2.AuditContext
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., version: _Optional[str] = ..., audit: _Optional[_Union[_common_pb2.AuditContext, _Mapping]] = ...) -> None: ...

class DeleteReleaseResponse(_message.Message):
    __slots__ = ("files",)
    FILES_FIELD_NUMBER: _ClassVar[int]
    files: int
    def __init__(self, files: _Optional[int] = ...) -> None: ...
