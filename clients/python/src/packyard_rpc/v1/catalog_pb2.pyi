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

class ProjectOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROJECT_ORDER_UNSPECIFIED: _ClassVar[ProjectOrder]
    PROJECT_ORDER_NAME: _ClassVar[ProjectOrder]
    PROJECT_ORDER_LAST_UPLOAD: _ClassVar[ProjectOrder]
    PROJECT_ORDER_DOWNLOADS: _ClassVar[ProjectOrder]
    PROJECT_ORDER_ORIGIN: _ClassVar[ProjectOrder]
PROJECT_ORDER_UNSPECIFIED: ProjectOrder
PROJECT_ORDER_NAME: ProjectOrder
PROJECT_ORDER_LAST_UPLOAD: ProjectOrder
PROJECT_ORDER_DOWNLOADS: ProjectOrder
PROJECT_ORDER_ORIGIN: ProjectOrder

class CatalogProject(_message.Message):
    __slots__ = ("feed", "name", "display_name", "latest_version", "summary", "last_upload", "downloads", "status", "score", "origin", "connector", "not_cached")
    FEED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    LAST_UPLOAD_FIELD_NUMBER: _ClassVar[int]
    DOWNLOADS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    NOT_CACHED_FIELD_NUMBER: _ClassVar[int]
    feed: str
    name: str
    display_name: str
    latest_version: str
    summary: str
    last_upload: _timestamp_pb2.Timestamp
    downloads: int
    status: _common_pb2.ProjectStatus
    score: float
    origin: _common_pb2.Origin
    connector: str
    not_cached: bool
    def __init__(self, feed: _Optional[str] = ..., name: _Optional[str] = ..., display_name: _Optional[str] = ..., latest_version: _Optional[str] = ..., summary: _Optional[str] = ..., last_upload: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., downloads: _Optional[int] = ..., status: _Optional[_Union[_common_pb2.ProjectStatus, str]] = ..., score: _Optional[float] = ..., origin: _Optional[_Union[_common_pb2.Origin, str]] = ..., connector: _Optional[str] = ..., not_cached: _Optional[bool] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("query", "feeds", "limit")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    FEEDS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    query: str
    feeds: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    def __init__(self, query: _Optional[str] = ..., feeds: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("projects",)
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    projects: _containers.RepeatedCompositeFieldContainer[CatalogProject]
    def __init__(self, projects: _Optional[_Iterable[_Union[CatalogProject, _Mapping]]] = ...) -> None: ...

class ListFeedProjectsRequest(_message.Message):
    __slots__ = ("feed", "order", "page", "page_size", "origin", "page_token")
    FEED_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    feed: str
    order: ProjectOrder
    page: int
    page_size: int
    origin: _common_pb2.Origin
    page_token: str
    def __init__(self, feed: _Optional[str] = ..., order: _Optional[_Union[ProjectOrder, str]] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., origin: _Optional[_Union[_common_pb2.Origin, str]] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFeedProjectsResponse(_message.Message):
    __slots__ = ("projects", "total", "next_page_token")
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    projects: _containers.RepeatedCompositeFieldContainer[CatalogProject]
    total: int
    next_page_token: str
    def __init__(self, projects: _Optional[_Iterable[_Union[CatalogProject, _Mapping]]] = ..., total: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class FeedStats(_message.Message):
    __slots__ = ("feed", "projects", "downloads", "last_upload")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    DOWNLOADS_FIELD_NUMBER: _ClassVar[int]
    LAST_UPLOAD_FIELD_NUMBER: _ClassVar[int]
    feed: str
    projects: int
    downloads: int
    last_upload: _timestamp_pb2.Timestamp
    def __init__(self, feed: _Optional[str] = ..., projects: _Optional[int] = ..., downloads: _Optional[int] = ..., last_upload: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetFeedStatsRequest(_message.Message):
    __slots__ = ("feeds",)
    FEEDS_FIELD_NUMBER: _ClassVar[int]
    feeds: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, feeds: _Optional[_Iterable[str]] = ...) -> None: ...

class GetFeedStatsResponse(_message.Message):
    __slots__ = ("stats",)
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _containers.RepeatedCompositeFieldContainer[FeedStats]
    def __init__(self, stats: _Optional[_Iterable[_Union[FeedStats, _Mapping]]] = ...) -> None: ...

class DownloadCount(_message.Message):
    __slots__ = ("feed", "filename", "count")
    FEED_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    filename: str
    count: int
    def __init__(self, feed: _Optional[str] = ..., filename: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class RecordDownloadsRequest(_message.Message):
    __slots__ = ("counts",)
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedCompositeFieldContainer[DownloadCount]
    def __init__(self, counts: _Optional[_Iterable[_Union[DownloadCount, _Mapping]]] = ...) -> None: ...

class RecordDownloadsResponse(_message.Message):
    __slots__ = ("recorded",)
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    recorded: int
    def __init__(self, recorded: _Optional[int] = ...) -> None: ...

class GetDownloadCountsRequest(_message.Message):
    __slots__ = ("feed", "project")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class GetDownloadCountsResponse(_message.Message):
    __slots__ = ("project", "files")
    class FilesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    project: int
    files: _containers.ScalarMap[str, int]
    def __init__(self, project: _Optional[int] = ..., files: _Optional[_Mapping[str, int]] = ...) -> None: ...

class ReleaseEntry(_message.Message):
    __slots__ = ("feed", "project", "display_name", "version", "summary", "uploaded", "author")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    UPLOADED_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    display_name: str
    version: str
    summary: str
    uploaded: _timestamp_pb2.Timestamp
    author: str
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., display_name: _Optional[str] = ..., version: _Optional[str] = ..., summary: _Optional[str] = ..., uploaded: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., author: _Optional[str] = ...) -> None: ...

class ListRecentReleasesRequest(_message.Message):
    __slots__ = ("feed", "project", "limit")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    limit: int
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListRecentReleasesResponse(_message.Message):
    __slots__ = ("releases",)
    RELEASES_FIELD_NUMBER: _ClassVar[int]
    releases: _containers.RepeatedCompositeFieldContainer[ReleaseEntry]
    def __init__(self, releases: _Optional[_Iterable[_Union[ReleaseEntry, _Mapping]]] = ...) -> None: ...
