from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class RecordProvenanceRequest(_message.Message):
    __slots__ = ("feed", "filename", "provenance")
    FEED_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    feed: str
    filename: str
    provenance: bytes
    def __init__(self, feed: _Optional[str] = ..., filename: _Optional[str] = ..., provenance: _Optional[bytes] = ...) -> None: ...

class RecordProvenanceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetProvenanceRequest(_message.Message):
    __slots__ = ("feed", "filename")
    FEED_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    feed: str
    filename: str
    def __init__(self, feed: _Optional[str] = ..., filename: _Optional[str] = ...) -> None: ...

class GetProvenanceResponse(_message.Message):
    __slots__ = ("provenance",)
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    provenance: bytes
    def __init__(self, provenance: _Optional[bytes] = ...) -> None: ...

class ListProvenanceRequest(_message.Message):
    __slots__ = ("feed", "project")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class ListProvenanceResponse(_message.Message):
    __slots__ = ("filenames",)
    FILENAMES_FIELD_NUMBER: _ClassVar[int]
    filenames: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, filenames: _Optional[_Iterable[str]] = ...) -> None: ...
