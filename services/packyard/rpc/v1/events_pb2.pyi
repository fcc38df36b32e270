import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from packyard.rpc.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UpstreamRefreshed(_message.Message):
    __slots__ = ("feed", "project", "connector", "serial", "files", "versions", "found", "etag", "last_modified", "fetched", "upstream_serial", "status")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    FOUND_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_FIELD_NUMBER: _ClassVar[int]
    FETCHED_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_SERIAL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    connector: str
    serial: int
    files: _containers.RepeatedCompositeFieldContainer[_common_pb2.FileInfo]
    versions: _containers.RepeatedScalarFieldContainer[str]
    found: bool
    etag: str
    last_modified: str
    fetched: _timestamp_pb2.Timestamp
    upstream_serial: int
    status: _common_pb2.ProjectStatus
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., connector: _Optional[str] = ..., serial: _Optional[int] = ..., files: _Optional[_Iterable[_Union[_common_pb2.FileInfo, _Mapping]]] = ..., versions: _Optional[_Iterable[str]] = ..., found: _Optional[bool] = ..., etag: _Optional[str] = ..., last_modified: _Optional[str] = ..., fetched: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., upstream_serial: _Optional[int] = ..., status: _Optional[_Union[_common_pb2.ProjectStatus, str]] = ...) -> None: ...

class FileCached(_message.Message):
    __slots__ = ("feed", "file", "connector")
    FEED_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    feed: str
    file: _common_pb2.FileInfo
    connector: str
    def __init__(self, feed: _Optional[str] = ..., file: _Optional[_Union[_common_pb2.FileInfo, _Mapping]] = ..., connector: _Optional[str] = ...) -> None: ...

class IndexChanged(_message.Message):
    __slots__ = ("feed", "project", "serial")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    serial: int
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., serial: _Optional[int] = ...) -> None: ...
