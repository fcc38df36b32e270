from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
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
