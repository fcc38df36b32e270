import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Origin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORIGIN_UNSPECIFIED: _ClassVar[Origin]
    ORIGIN_HOSTED: _ClassVar[Origin]
    ORIGIN_UPSTREAM: _ClassVar[Origin]

class ProjectStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROJECT_STATUS_UNSPECIFIED: _ClassVar[ProjectStatus]
    PROJECT_STATUS_ACTIVE: _ClassVar[ProjectStatus]
    PROJECT_STATUS_ARCHIVED: _ClassVar[ProjectStatus]
    PROJECT_STATUS_QUARANTINED: _ClassVar[ProjectStatus]
    PROJECT_STATUS_DEPRECATED: _ClassVar[ProjectStatus]
ORIGIN_UNSPECIFIED: Origin
ORIGIN_HOSTED: Origin
ORIGIN_UPSTREAM: Origin
PROJECT_STATUS_UNSPECIFIED: ProjectStatus
PROJECT_STATUS_ACTIVE: ProjectStatus
PROJECT_STATUS_ARCHIVED: ProjectStatus
PROJECT_STATUS_QUARANTINED: ProjectStatus
PROJECT_STATUS_DEPRECATED: ProjectStatus

class Hashes(_message.Message):
    __slots__ = ("sha256", "blake2b_256", "md5")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    BLAKE2B_256_FIELD_NUMBER: _ClassVar[int]
    MD5_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    blake2b_256: str
    md5: str
    def __init__(self, sha256: _Optional[str] = ..., blake2b_256: _Optional[str] = ..., md5: _Optional[str] = ...) -> None: ...

class FileInfo(_message.Message):
    __slots__ = ("feed", "project", "version", "filename", "size", "hashes", "requires_python", "yanked", "yanked_reason", "upload_time", "packagetype", "python_version", "core_metadata_sha256", "origin", "upstream_url")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    HASHES_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_PYTHON_FIELD_NUMBER: _ClassVar[int]
    YANKED_FIELD_NUMBER: _ClassVar[int]
    YANKED_REASON_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_TIME_FIELD_NUMBER: _ClassVar[int]
    PACKAGETYPE_FIELD_NUMBER: _ClassVar[int]
    PYTHON_VERSION_FIELD_NUMBER: _ClassVar[int]
    CORE_METADATA_SHA256_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_URL_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    version: str
    filename: str
    size: int
    hashes: Hashes
    requires_python: str
    yanked: bool
    yanked_reason: str
    upload_time: _timestamp_pb2.Timestamp
    packagetype: str
    python_version: str
    core_metadata_sha256: str
    origin: Origin
    upstream_url: str
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., version: _Optional[str] = ..., filename: _Optional[str] = ..., size: _Optional[int] = ..., hashes: _Optional[_Union[Hashes, _Mapping]] = ..., requires_python: _Optional[str] = ..., yanked: _Optional[bool] = ..., yanked_reason: _Optional[str] = ..., upload_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., packagetype: _Optional[str] = ..., python_version: _Optional[str] = ..., core_metadata_sha256: _Optional[str] = ..., origin: _Optional[_Union[Origin, str]] = ..., upstream_url: _Optional[str] = ...) -> None: ...

class CoreMetadata(_message.Message):
    __slots__ = ("metadata_version", "name", "version", "summary", "description", "description_content_type", "requires_python", "requires_dist", "classifiers", "license", "license_expression", "author", "author_email", "maintainer", "maintainer_email", "keywords", "home_page", "project_urls", "provides_extra", "platforms", "download_url", "license_files", "dynamic")
    METADATA_VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_PYTHON_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_DIST_FIELD_NUMBER: _ClassVar[int]
    CLASSIFIERS_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    LICENSE_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_EMAIL_FIELD_NUMBER: _ClassVar[int]
    MAINTAINER_FIELD_NUMBER: _ClassVar[int]
    MAINTAINER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    HOME_PAGE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_URLS_FIELD_NUMBER: _ClassVar[int]
    PROVIDES_EXTRA_FIELD_NUMBER: _ClassVar[int]
    PLATFORMS_FIELD_NUMBER: _ClassVar[int]
    DOWNLOAD_URL_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FILES_FIELD_NUMBER: _ClassVar[int]
    DYNAMIC_FIELD_NUMBER: _ClassVar[int]
    metadata_version: str
    name: str
    version: str
    summary: str
    description: str
    description_content_type: str
    requires_python: str
    requires_dist: _containers.RepeatedScalarFieldContainer[str]
    classifiers: _containers.RepeatedScalarFieldContainer[str]
    license: str
    license_expression: str
    author: str
    author_email: str
    maintainer: str
    maintainer_email: str
    keywords: str
    home_page: str
    project_urls: _containers.RepeatedScalarFieldContainer[str]
    provides_extra: _containers.RepeatedScalarFieldContainer[str]
    platforms: _containers.RepeatedScalarFieldContainer[str]
    download_url: str
    license_files: _containers.RepeatedScalarFieldContainer[str]
    dynamic: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, metadata_version: _Optional[str] = ..., name: _Optional[str] = ..., version: _Optional[str] = ..., summary: _Optional[str] = ..., description: _Optional[str] = ..., description_content_type: _Optional[str] = ..., requires_python: _Optional[str] = ..., requires_dist: _Optional[_Iterable[str]] = ..., classifiers: _Optional[_Iterable[str]] = ..., license: _Optional[str] = ..., license_expression: _Optional[str] = ..., author: _Optional[str] = ..., author_email: _Optional[str] = ..., maintainer: _Optional[str] = ..., maintainer_email: _Optional[str] = ..., keywords: _Optional[str] = ..., home_page: _Optional[str] = ..., project_urls: _Optional[_Iterable[str]] = ..., provides_extra: _Optional[_Iterable[str]] = ..., platforms: _Optional[_Iterable[str]] = ..., download_url: _Optional[str] = ..., license_files: _Optional[_Iterable[str]] = ..., dynamic: _Optional[_Iterable[str]] = ...) -> None: ...

class AuditContext(_message.Message):
    __slots__ = ("actor", "actor_key", "client_address")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTOR_KEY_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    actor: str
    actor_key: str
    client_address: str
    def __init__(self, actor: _Optional[str] = ..., actor_key: _Optional[str] = ..., client_address: _Optional[str] = ...) -> None: ...

class Principal(_message.Message):
    __slots__ = ("name", "is_admin", "publish_feeds", "read_feeds", "yank_feeds", "admin_feeds", "user", "key_prefix", "key_expires", "promote_feeds")
    NAME_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_FEEDS_FIELD_NUMBER: _ClassVar[int]
    READ_FEEDS_FIELD_NUMBER: _ClassVar[int]
    YANK_FEEDS_FIELD_NUMBER: _ClassVar[int]
    ADMIN_FEEDS_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    KEY_PREFIX_FIELD_NUMBER: _ClassVar[int]
    KEY_EXPIRES_FIELD_NUMBER: _ClassVar[int]
    PROMOTE_FEEDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    is_admin: bool
    publish_feeds: _containers.RepeatedScalarFieldContainer[str]
    read_feeds: _containers.RepeatedScalarFieldContainer[str]
    yank_feeds: _containers.RepeatedScalarFieldContainer[str]
    admin_feeds: _containers.RepeatedScalarFieldContainer[str]
    user: str
    key_prefix: str
    key_expires: _timestamp_pb2.Timestamp
    promote_feeds: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., is_admin: _Optional[bool] = ..., publish_feeds: _Optional[_Iterable[str]] = ..., read_feeds: _Optional[_Iterable[str]] = ..., yank_feeds: _Optional[_Iterable[str]] = ..., admin_feeds: _Optional[_Iterable[str]] = ..., user: _Optional[str] = ..., key_prefix: _Optional[str] = ..., key_expires: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., promote_feeds: _Optional[_Iterable[str]] = ...) -> None: ...
