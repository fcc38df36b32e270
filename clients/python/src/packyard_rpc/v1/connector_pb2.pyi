import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from packyard_rpc.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetUpstreamProjectRequest(_message.Message):
    __slots__ = ("feed", "project")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class GetUpstreamProjectResponse(_message.Message):
    __slots__ = ("files", "versions", "stale", "connector", "serial", "merge_with_hosted", "fetched", "status")
    FILES_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    MERGE_WITH_HOSTED_FIELD_NUMBER: _ClassVar[int]
    FETCHED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    files: _containers.RepeatedCompositeFieldContainer[_common_pb2.FileInfo]
    versions: _containers.RepeatedScalarFieldContainer[str]
    stale: bool
    connector: str
    serial: int
    merge_with_hosted: bool
    fetched: _timestamp_pb2.Timestamp
    status: _common_pb2.ProjectStatus
    def __init__(self, files: _Optional[_Iterable[_Union[_common_pb2.FileInfo, _Mapping]]] = ..., versions: _Optional[_Iterable[str]] = ..., stale: _Optional[bool] = ..., connector: _Optional[str] = ..., serial: _Optional[int] = ..., merge_with_hosted: _Optional[bool] = ..., fetched: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.ProjectStatus, str]] = ...) -> None: ...

class FetchFileRequest(_message.Message):
    __slots__ = ("feed", "filename", "project")
    FEED_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    filename: str
    project: str
    def __init__(self, feed: _Optional[str] = ..., filename: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class FetchFileResponse(_message.Message):
    __slots__ = ("file", "chunk")
    FILE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    file: _common_pb2.FileInfo
    chunk: bytes
    def __init__(self, file: _Optional[_Union[_common_pb2.FileInfo, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class FetchMetadataRequest(_message.Message):
    __slots__ = ("feed", "filename", "project")
    FEED_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    filename: str
    project: str
    def __init__(self, feed: _Optional[str] = ..., filename: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class FetchMetadataResponse(_message.Message):
    __slots__ = ("file", "metadata_size")
    FILE_FIELD_NUMBER: _ClassVar[int]
    METADATA_SIZE_FIELD_NUMBER: _ClassVar[int]
    file: _common_pb2.FileInfo
    metadata_size: int
    def __init__(self, file: _Optional[_Union[_common_pb2.FileInfo, _Mapping]] = ..., metadata_size: _Optional[int] = ...) -> None: ...
