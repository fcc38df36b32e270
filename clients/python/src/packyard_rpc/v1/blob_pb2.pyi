from packyard_rpc.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PutBlobHeader(_message.Message):
    __slots__ = ("expected", "max_size", "filename")
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    MAX_SIZE_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    expected: _common_pb2.Hashes
    max_size: int
    filename: str
    def __init__(self, expected: _Optional[_Union[_common_pb2.Hashes, _Mapping]] = ..., max_size: _Optional[int] = ..., filename: _Optional[str] = ...) -> None: ...

class PutBlobRequest(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: PutBlobHeader
    chunk: bytes
    def __init__(self, header: _Optional[_Union[PutBlobHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class BlobInfo(_message.Message):
    __slots__ = ("hashes", "size")
    HASHES_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    hashes: _common_pb2.Hashes
    size: int
    def __init__(self, hashes: _Optional[_Union[_common_pb2.Hashes, _Mapping]] = ..., size: _Optional[int] = ...) -> None: ...

class PutBlobResponse(_message.Message):
    __slots__ = ("blob", "created", "core_metadata")
    BLOB_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    CORE_METADATA_FIELD_NUMBER: _ClassVar[int]
    blob: BlobInfo
    created: bool
    core_metadata: BlobInfo
    def __init__(self, blob: _Optional[_Union[BlobInfo, _Mapping]] = ..., created: _Optional[bool] = ..., core_metadata: _Optional[_Union[BlobInfo, _Mapping]] = ...) -> None: ...

class GetBlobRequest(_message.Message):
    __slots__ = ("sha256", "offset", "length")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    offset: int
    length: int
    def __init__(self, sha256: _Optional[str] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ...) -> None: ...

class GetBlobResponse(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    def __init__(self, chunk: _Optional[bytes] = ...) -> None: ...

class StatBlobRequest(_message.Message):
    __slots__ = ("sha256",)
    SHA256_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    def __init__(self, sha256: _Optional[str] = ...) -> None: ...

class StatBlobResponse(_message.Message):
    __slots__ = ("blob",)
    BLOB_FIELD_NUMBER: _ClassVar[int]
    blob: BlobInfo
    def __init__(self, blob: _Optional[_Union[BlobInfo, _Mapping]] = ...) -> None: ...

class DeleteBlobRequest(_message.Message):
    __slots__ = ("sha256", "older_than_seconds")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    OLDER_THAN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    older_than_seconds: int
    def __init__(self, sha256: _Optional[str] = ..., older_than_seconds: _Optional[int] = ...) -> None: ...

class DeleteBlobResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...

class ListBlobsRequest(_message.Message):
    __slots__ = ("page_token", "page_size", "quarantined")
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    QUARANTINED_FIELD_NUMBER: _ClassVar[int]
    page_token: str
    page_size: int
    quarantined: bool
    def __init__(self, page_token: _Optional[str] = ..., page_size: _Optional[int] = ..., quarantined: _Optional[bool] = ...) -> None: ...

class ListedBlob(_message.Message):
    __slots__ = ("sha256", "size", "age_seconds")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    AGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    size: int
    age_seconds: int
    def __init__(self, sha256: _Optional[str] = ..., size: _Optional[int] = ..., age_seconds: _Optional[int] = ...) -> None: ...

class ListBlobsResponse(_message.Message):
    __slots__ = ("blobs", "next_page_token")
    BLOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    blobs: _containers.RepeatedCompositeFieldContainer[ListedBlob]
    next_page_token: str
    def __init__(self, blobs: _Optional[_Iterable[_Union[ListedBlob, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class VerifyBlobRequest(_message.Message):
    __slots__ = ("sha256",)
    SHA256_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    def __init__(self, sha256: _Optional[str] = ...) -> None: ...

class VerifyBlobResponse(_message.Message):
    __slots__ = ("intact", "quarantined", "size")
    INTACT_FIELD_NUMBER: _ClassVar[int]
    QUARANTINED_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    intact: bool
    quarantined: bool
    size: int
    def __init__(self, intact: _Optional[bool] = ..., quarantined: _Optional[bool] = ..., size: _Optional[int] = ...) -> None: ...
