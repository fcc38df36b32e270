import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from packyard_rpc.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OriginSetting(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORIGIN_SETTING_UNSET: _ClassVar[OriginSetting]
    ORIGIN_SETTING_ALLOW: _ClassVar[OriginSetting]
    ORIGIN_SETTING_BLOCK: _ClassVar[OriginSetting]
ORIGIN_SETTING_UNSET: OriginSetting
ORIGIN_SETTING_ALLOW: OriginSetting
ORIGIN_SETTING_BLOCK: OriginSetting

class Connector(_message.Message):
    __slots__ = ("id", "feed", "url", "simple_path", "priority", "ttl_seconds", "include", "exclude", "file_hosts", "has_credentials", "username", "password", "created", "name_list", "python_versions", "platforms")
    ID_FIELD_NUMBER: _ClassVar[int]
    FEED_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    SIMPLE_PATH_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_FIELD_NUMBER: _ClassVar[int]
    FILE_HOSTS_FIELD_NUMBER: _ClassVar[int]
    HAS_CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    NAME_LIST_FIELD_NUMBER: _ClassVar[int]
    PYTHON_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    PLATFORMS_FIELD_NUMBER: _ClassVar[int]
    id: str
    feed: str
    url: str
    simple_path: str
    priority: int
    ttl_seconds: int
    include: _containers.RepeatedScalarFieldContainer[str]
    exclude: _containers.RepeatedScalarFieldContainer[str]
    file_hosts: _containers.RepeatedScalarFieldContainer[str]
    has_credentials: bool
    username: str
    password: str
    created: _timestamp_pb2.Timestamp
    name_list: bool
    python_versions: _containers.RepeatedScalarFieldContainer[str]
    platforms: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., feed: _Optional[str] = ..., url: _Optional[str] = ..., simple_path: _Optional[str] = ..., priority: _Optional[int] = ..., ttl_seconds: _Optional[int] = ..., include: _Optional[_Iterable[str]] = ..., exclude: _Optional[_Iterable[str]] = ..., file_hosts: _Optional[_Iterable[str]] = ..., has_credentials: _Optional[bool] = ..., username: _Optional[str] = ..., password: _Optional[str] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., name_list: _Optional[bool] = ..., python_versions: _Optional[_Iterable[str]] = ..., platforms: _Optional[_Iterable[str]] = ...) -> None: ...

class AddConnectorRequest(_message.Message):
    __slots__ = ("connector",)
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    connector: Connector
    def __init__(self, connector: _Optional[_Union[Connector, _Mapping]] = ...) -> None: ...

class AddConnectorResponse(_message.Message):
    __slots__ = ("connector",)
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    connector: Connector
    def __init__(self, connector: _Optional[_Union[Connector, _Mapping]] = ...) -> None: ...

class UpdateConnectorRequest(_message.Message):
    __slots__ = ("connector", "update_mask", "field_mask")
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    FIELD_MASK_FIELD_NUMBER: _ClassVar[int]
    connector: Connector
    update_mask: _containers.RepeatedScalarFieldContainer[str]
    field_mask: _field_mask_pb2.FieldMask
    def __init__(self, connector: _Optional[_Union[Connector, _Mapping]] = ..., update_mask: _Optional[_Iterable[str]] = ..., field_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateConnectorResponse(_message.Message):
    __slots__ = ("connector",)
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    connector: Connector
    def __init__(self, connector: _Optional[_Union[Connector, _Mapping]] = ...) -> None: ...

class RemoveConnectorRequest(_message.Message):
    __slots__ = ("feed", "id")
    FEED_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    feed: str
    id: str
    def __init__(self, feed: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class RemoveConnectorResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListConnectorsRequest(_message.Message):
    __slots__ = ("feed", "include_credentials")
    FEED_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    feed: str
    include_credentials: bool
    def __init__(self, feed: _Optional[str] = ..., include_credentials: _Optional[bool] = ...) -> None: ...

class ListConnectorsResponse(_message.Message):
    __slots__ = ("connectors",)
    CONNECTORS_FIELD_NUMBER: _ClassVar[int]
    connectors: _containers.RepeatedCompositeFieldContainer[Connector]
    def __init__(self, connectors: _Optional[_Iterable[_Union[Connector, _Mapping]]] = ...) -> None: ...

class OriginPolicy(_message.Message):
    __slots__ = ("upstream_allowed", "merge_with_hosted", "publish_allowed", "upstream_reason", "publish_reason", "has_hosted", "first_from_upstream")
    UPSTREAM_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    MERGE_WITH_HOSTED_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_REASON_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_REASON_FIELD_NUMBER: _ClassVar[int]
    HAS_HOSTED_FIELD_NUMBER: _ClassVar[int]
    FIRST_FROM_UPSTREAM_FIELD_NUMBER: _ClassVar[int]
    upstream_allowed: bool
    merge_with_hosted: bool
    publish_allowed: bool
    upstream_reason: str
    publish_reason: str
    has_hosted: bool
    first_from_upstream: bool
    def __init__(self, upstream_allowed: _Optional[bool] = ..., merge_with_hosted: _Optional[bool] = ..., publish_allowed: _Optional[bool] = ..., upstream_reason: _Optional[str] = ..., publish_reason: _Optional[str] = ..., has_hosted: _Optional[bool] = ..., first_from_upstream: _Optional[bool] = ...) -> None: ...

class UpstreamListing(_message.Message):
    __slots__ = ("connector", "found", "files", "versions", "etag", "last_modified", "fetched", "serial", "upstream_serial", "status")
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    FOUND_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    FETCHED_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_SERIAL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    connector: str
    found: bool
    files: _containers.RepeatedCompositeFieldContainer[_common_pb2.FileInfo]
    versions: _containers.RepeatedScalarFieldContainer[str]
    etag: str
    last_modified: str
    fetched: _timestamp_pb2.Timestamp
    serial: int
    upstream_serial: int
    status: _common_pb2.ProjectStatus
    def __init__(self, connector: _Optional[str] = ..., found: _Optional[bool] = ..., files: _Optional[_Iterable[_Union[_common_pb2.FileInfo, _Mapping]]] = ..., versions: _Optional[_Iterable[str]] = ..., etag: _Optional[str] = ..., last_modified: _Optional[str] = ..., fetched: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., serial: _Optional[int] = ..., upstream_serial: _Optional[int] = ..., status: _Optional[_Union[_common_pb2.ProjectStatus, str]] = ...) -> None: ...

class GetUpstreamStateRequest(_message.Message):
    __slots__ = ("feed", "project")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class GetUpstreamStateResponse(_message.Message):
    __slots__ = ("policy", "listings", "cached_files", "backfilled")
    POLICY_FIELD_NUMBER: _ClassVar[int]
    LISTINGS_FIELD_NUMBER: _ClassVar[int]
    CACHED_FILES_FIELD_NUMBER: _ClassVar[int]
    BACKFILLED_FIELD_NUMBER: _ClassVar[int]
    policy: OriginPolicy
    listings: _containers.RepeatedCompositeFieldContainer[UpstreamListing]
    cached_files: _containers.RepeatedCompositeFieldContainer[_common_pb2.FileInfo]
    backfilled: _containers.RepeatedCompositeFieldContainer[BackfilledMetadata]
    def __init__(self, policy: _Optional[_Union[OriginPolicy, _Mapping]] = ..., listings: _Optional[_Iterable[_Union[UpstreamListing, _Mapping]]] = ..., cached_files: _Optional[_Iterable[_Union[_common_pb2.FileInfo, _Mapping]]] = ..., backfilled: _Optional[_Iterable[_Union[BackfilledMetadata, _Mapping]]] = ...) -> None: ...

class BackfilledMetadata(_message.Message):
    __slots__ = ("filename", "sha256", "size")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    filename: str
    sha256: str
    size: int
    def __init__(self, filename: _Optional[str] = ..., sha256: _Optional[str] = ..., size: _Optional[int] = ...) -> None: ...

class RecordUpstreamOriginRequest(_message.Message):
    __slots__ = ("feed", "project")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class RecordUpstreamOriginResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: OriginPolicy
    def __init__(self, policy: _Optional[_Union[OriginPolicy, _Mapping]] = ...) -> None: ...

class RecordBackfilledMetadataRequest(_message.Message):
    __slots__ = ("feed", "project", "connector", "metadata")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    connector: str
    metadata: BackfilledMetadata
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., connector: _Optional[str] = ..., metadata: _Optional[_Union[BackfilledMetadata, _Mapping]] = ...) -> None: ...

class RecordBackfilledMetadataResponse(_message.Message):
    __slots__ = ("metadata",)
    METADATA_FIELD_NUMBER: _ClassVar[int]
    metadata: BackfilledMetadata
    def __init__(self, metadata: _Optional[_Union[BackfilledMetadata, _Mapping]] = ...) -> None: ...

class RecordListingRequest(_message.Message):
    __slots__ = ("feed", "project", "listing")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    LISTING_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    listing: UpstreamListing
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., listing: _Optional[_Union[UpstreamListing, _Mapping]] = ...) -> None: ...

class RecordListingResponse(_message.Message):
    __slots__ = ("recorded",)
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    recorded: bool
    def __init__(self, recorded: _Optional[bool] = ...) -> None: ...

class RecordCachedFileRequest(_message.Message):
    __slots__ = ("feed", "connector", "file")
    FEED_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    feed: str
    connector: str
    file: _common_pb2.FileInfo
    def __init__(self, feed: _Optional[str] = ..., connector: _Optional[str] = ..., file: _Optional[_Union[_common_pb2.FileInfo, _Mapping]] = ...) -> None: ...

class RecordCachedFileResponse(_message.Message):
    __slots__ = ("file",)
    FILE_FIELD_NUMBER: _ClassVar[int]
    file: _common_pb2.FileInfo
    def __init__(self, file: _Optional[_Union[_common_pb2.FileInfo, _Mapping]] = ...) -> None: ...

class GetCachedFileRequest(_message.Message):
    __slots__ = ("feed", "filename")
    FEED_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    feed: str
    filename: str
    def __init__(self, feed: _Optional[str] = ..., filename: _Optional[str] = ...) -> None: ...

class GetCachedFileResponse(_message.Message):
    __slots__ = ("file",)
    FILE_FIELD_NUMBER: _ClassVar[int]
    file: _common_pb2.FileInfo
    def __init__(self, file: _Optional[_Union[_common_pb2.FileInfo, _Mapping]] = ...) -> None: ...

class GetOriginPolicyRequest(_message.Message):
    __slots__ = ("feed", "project")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class GetOriginPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: OriginPolicy
    def __init__(self, policy: _Optional[_Union[OriginPolicy, _Mapping]] = ...) -> None: ...

class SetProjectOriginRequest(_message.Message):
    __slots__ = ("feed", "project", "upstream", "publish")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    upstream: OriginSetting
    publish: OriginSetting
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., upstream: _Optional[_Union[OriginSetting, str]] = ..., publish: _Optional[_Union[OriginSetting, str]] = ...) -> None: ...

class SetProjectOriginResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: OriginPolicy
    def __init__(self, policy: _Optional[_Union[OriginPolicy, _Mapping]] = ...) -> None: ...

class FeedOrigin(_message.Message):
    __slots__ = ("feed", "reserved_prefixes", "merge_upstream")
    FEED_FIELD_NUMBER: _ClassVar[int]
    RESERVED_PREFIXES_FIELD_NUMBER: _ClassVar[int]
    MERGE_UPSTREAM_FIELD_NUMBER: _ClassVar[int]
    feed: str
    reserved_prefixes: _containers.RepeatedScalarFieldContainer[str]
    merge_upstream: bool
    def __init__(self, feed: _Optional[str] = ..., reserved_prefixes: _Optional[_Iterable[str]] = ..., merge_upstream: _Optional[bool] = ...) -> None: ...

class SetFeedOriginRequest(_message.Message):
    __slots__ = ("origin",)
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    origin: FeedOrigin
    def __init__(self, origin: _Optional[_Union[FeedOrigin, _Mapping]] = ...) -> None: ...

class SetFeedOriginResponse(_message.Message):
    __slots__ = ("origin",)
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    origin: FeedOrigin
    def __init__(self, origin: _Optional[_Union[FeedOrigin, _Mapping]] = ...) -> None: ...

class GetFeedOriginRequest(_message.Message):
    __slots__ = ("feed",)
    FEED_FIELD_NUMBER: _ClassVar[int]
    feed: str
    def __init__(self, feed: _Optional[str] = ...) -> None: ...

class GetFeedOriginResponse(_message.Message):
    __slots__ = ("origin",)
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    origin: FeedOrigin
    def __init__(self, origin: _Optional[_Union[FeedOrigin, _Mapping]] = ...) -> None: ...

class ProjectUrl(_message.Message):
    __slots__ = ("label", "url")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    label: str
    url: str
    def __init__(self, label: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class UpstreamDescription(_message.Message):
    __slots__ = ("display_name", "version", "summary", "description", "description_content_type", "license", "requires_python", "requires_dist", "project_urls", "source", "connector", "described", "latest_version")
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_PYTHON_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_DIST_FIELD_NUMBER: _ClassVar[int]
    PROJECT_URLS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    DESCRIBED_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    version: str
    summary: str
    description: str
    description_content_type: str
    license: str
    requires_python: str
    requires_dist: _containers.RepeatedScalarFieldContainer[str]
    project_urls: _containers.RepeatedCompositeFieldContainer[ProjectUrl]
    source: str
    connector: str
    described: _timestamp_pb2.Timestamp
    latest_version: str
    def __init__(self, display_name: _Optional[str] = ..., version: _Optional[str] = ..., summary: _Optional[str] = ..., description: _Optional[str] = ..., description_content_type: _Optional[str] = ..., license: _Optional[str] = ..., requires_python: _Optional[str] = ..., requires_dist: _Optional[_Iterable[str]] = ..., project_urls: _Optional[_Iterable[_Union[ProjectUrl, _Mapping]]] = ..., source: _Optional[str] = ..., connector: _Optional[str] = ..., described: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., latest_version: _Optional[str] = ...) -> None: ...

class RecordUpstreamDescriptionRequest(_message.Message):
    __slots__ = ("feed", "project", "description")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    description: UpstreamDescription
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., description: _Optional[_Union[UpstreamDescription, _Mapping]] = ...) -> None: ...

class RecordUpstreamDescriptionResponse(_message.Message):
    __slots__ = ("recorded",)
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    recorded: bool
    def __init__(self, recorded: _Optional[bool] = ...) -> None: ...

class GetUpstreamDescriptionRequest(_message.Message):
    __slots__ = ("feed", "project")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class GetUpstreamDescriptionResponse(_message.Message):
    __slots__ = ("description",)
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    description: UpstreamDescription
    def __init__(self, description: _Optional[_Union[UpstreamDescription, _Mapping]] = ...) -> None: ...

class RecordConnectorHealthRequest(_message.Message):
    __slots__ = ("connector", "success", "error", "breaker_open")
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    BREAKER_OPEN_FIELD_NUMBER: _ClassVar[int]
    connector: str
    success: bool
    error: str
    breaker_open: bool
    def __init__(self, connector: _Optional[str] = ..., success: _Optional[bool] = ..., error: _Optional[str] = ..., breaker_open: _Optional[bool] = ...) -> None: ...

class RecordConnectorHealthResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ConnectorHealth(_message.Message):
    __slots__ = ("connector", "url", "last_success", "last_error", "last_error_at", "breaker_open", "stale_since", "cached_files", "cached_bytes")
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_AT_FIELD_NUMBER: _ClassVar[int]
    BREAKER_OPEN_FIELD_NUMBER: _ClassVar[int]
    STALE_SINCE_FIELD_NUMBER: _ClassVar[int]
    CACHED_FILES_FIELD_NUMBER: _ClassVar[int]
    CACHED_BYTES_FIELD_NUMBER: _ClassVar[int]
    connector: str
    url: str
    last_success: _timestamp_pb2.Timestamp
    last_error: str
    last_error_at: _timestamp_pb2.Timestamp
    breaker_open: bool
    stale_since: _timestamp_pb2.Timestamp
    cached_files: int
    cached_bytes: int
    def __init__(self, connector: _Optional[str] = ..., url: _Optional[str] = ..., last_success: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_error: _Optional[str] = ..., last_error_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., breaker_open: _Optional[bool] = ..., stale_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cached_files: _Optional[int] = ..., cached_bytes: _Optional[int] = ...) -> None: ...

class GetConnectorHealthRequest(_message.Message):
    __slots__ = ("feed",)
    FEED_FIELD_NUMBER: _ClassVar[int]
    feed: str
    def __init__(self, feed: _Optional[str] = ...) -> None: ...

class GetConnectorHealthResponse(_message.Message):
    __slots__ = ("connectors",)
    CONNECTORS_FIELD_NUMBER: _ClassVar[int]
    connectors: _containers.RepeatedCompositeFieldContainer[ConnectorHealth]
    def __init__(self, connectors: _Optional[_Iterable[_Union[ConnectorHealth, _Mapping]]] = ...) -> None: ...

class NameListDue(_message.Message):
    __slots__ = ("connector", "etag", "last_modified")
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    connector: Connector
    etag: str
    last_modified: str
    def __init__(self, connector: _Optional[_Union[Connector, _Mapping]] = ..., etag: _Optional[str] = ..., last_modified: _Optional[str] = ...) -> None: ...

class ListNameListsDueRequest(_message.Message):
    __slots__ = ("older_than_seconds",)
    OLDER_THAN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    older_than_seconds: int
    def __init__(self, older_than_seconds: _Optional[int] = ...) -> None: ...

class ListNameListsDueResponse(_message.Message):
    __slots__ = ("due",)
    DUE_FIELD_NUMBER: _ClassVar[int]
    due: _containers.RepeatedCompositeFieldContainer[NameListDue]
    def __init__(self, due: _Optional[_Iterable[_Union[NameListDue, _Mapping]]] = ...) -> None: ...

class RecordUpstreamNamesRequest(_message.Message):
    __slots__ = ("connector", "etag", "last_modified", "not_modified", "names")
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    NOT_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    connector: str
    etag: str
    last_modified: str
    not_modified: bool
    names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, connector: _Optional[str] = ..., etag: _Optional[str] = ..., last_modified: _Optional[str] = ..., not_modified: _Optional[bool] = ..., names: _Optional[_Iterable[str]] = ...) -> None: ...

class RecordUpstreamNamesResponse(_message.Message):
    __slots__ = ("names",)
    NAMES_FIELD_NUMBER: _ClassVar[int]
    names: int
    def __init__(self, names: _Optional[int] = ...) -> None: ...
