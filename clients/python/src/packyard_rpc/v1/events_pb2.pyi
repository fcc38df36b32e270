from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class IndexChanged(_message.Message):
    __slots__ = ("feed", "project", "serial")
    FEED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    feed: str
    project: str
    serial: int
    def __init__(self, feed: _Optional[str] = ..., project: _Optional[str] = ..., serial: _Optional[int] = ...) -> None: ...

class DeadEvent(_message.Message):
    __slots__ = ("subject", "msg_id", "reason", "size")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    MSG_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    subject: str
    msg_id: str
    reason: str
    size: int
    def __init__(self, subject: _Optional[str] = ..., msg_id: _Optional[str] = ..., reason: _Optional[str] = ..., size: _Optional[int] = ...) -> None: ...

class GetChangeSerialsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetChangeSerialsResponse(_message.Message):
    __slots__ = ("feeds",)
    class FeedsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    FEEDS_FIELD_NUMBER: _ClassVar[int]
    feeds: _containers.ScalarMap[str, int]
    def __init__(self, feeds: _Optional[_Mapping[str, int]] = ...) -> None: ...
