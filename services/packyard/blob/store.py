"""The bucket, behind the blocking ``minio`` client.

This is the only module that calls minio, and every call runs in a worker thread
(``asyncio.to_thread``) so the event loop never waits on S3. Storage failures come out as
``Unavailable`` ("Storage temporarily unavailable"), a missing object as ``None`` or
``NotFound``; nothing from minio or urllib3 leaks past this module.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import urllib3
from minio import Minio
from minio.commonconfig import REPLACE, CopySource
from minio.error import MinioException, S3Error
from opentelemetry.trace import StatusCode
from urllib3.exceptions import HTTPError

from packyard.blob.digests import Digests
from packyard.blob.settings import BlobSettings
from packyard.common.errors import NotFound, PackyardError, Unavailable
from packyard.common.telemetry import tracer

log = logging.getLogger(__name__)
_tracer = tracer(__name__)

T = TypeVar("T")

STORAGE_UNAVAILABLE = "Storage temporarily unavailable"
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "ResourceNotFound"})
_META_PREFIX = "x-amz-meta-packyard-"
QUARANTINE_DIR = "quarantine/"


class BlobCorrupted(PackyardError):
    """A stored object's bytes no longer hash to its key (bit rot, tampering)."""

    code = "DATA_LOSS"


def corrupted_message(sha256: str) -> str:
    return (
        f"Blob {sha256} failed its integrity check and is quarantined; "
        "it will not be served. An administrator must restore it."
    )


@dataclass(frozen=True)
class StoredBlob:
    size: int
    digests: Digests


@dataclass(frozen=True)
class ObjectState:
    """What S3 says about an object, for the tamper check before a read."""

    blob: StoredBlob
    recorded_sha256: str  # our metadata header; "" when the object was written without it
    recorded_size: int  # -1 when missing
    etag: str
    modified: datetime | None


@dataclass(frozen=True)
class ListedObject:
    sha256: str
    size: int
    age_seconds: float


def object_key(prefix: str, sha256: str) -> str:
    """Content-addressed key: ``{prefix}sha256/ab/cd/<sha256>`` (fan-out keeps listings short)."""
    return f"{prefix}sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _http_client(settings: BlobSettings) -> urllib3.PoolManager:
    # minio's default retries a refused connection five times with backoff (~6 s) and waits
    # up to five minutes on a silent server; a storage outage should fail fast as UNAVAILABLE.
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=settings.s3_connect_timeout, read=settings.s3_read_timeout),
        maxsize=16,
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


class BlobStore:
    """Objects keyed by sha256, with their size and digests as S3 user metadata."""

    def __init__(self, client: Minio, bucket: str, *, prefix: str = "", part_size: int) -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix
        self._part_size = part_size

    @classmethod
    def from_settings(cls, settings: BlobSettings) -> BlobStore:
        client = Minio(
            settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            secure=settings.s3_secure,
            region=settings.s3_region,
            http_client=_http_client(settings),
        )
        return cls(
            client, settings.s3_bucket, prefix=settings.key_prefix, part_size=settings.s3_part_size
        )

    def key(self, sha256: str) -> str:
        return object_key(self.prefix, sha256)

    def quarantine_key(self, sha256: str) -> str:
        return f"{self.prefix}{QUARANTINE_DIR}{sha256}"

    async def _call(self, op: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with _tracer.start_as_current_span(
            f"s3.{op}",
            attributes={"s3.bucket": self.bucket},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                return await asyncio.to_thread(fn, *args, **kwargs)
            except (MinioException, HTTPError, OSError) as exc:
                error = _translate(op, exc)
                # A missing object is an answer (stat before put), not a failed call.
                if not isinstance(error, NotFound):
                    span.record_exception(exc)
                    span.set_status(StatusCode.ERROR, type(exc).__name__)
                raise error from exc

    async def ensure_bucket(self) -> None:
        if not await self._call("bucket_exists", self._client.bucket_exists, self.bucket):
            try:
                await self._call("make_bucket", self._client.make_bucket, self.bucket)
            except Unavailable:
                # Another replica may have created it first.
                if not await self._call("bucket_exists", self._client.bucket_exists, self.bucket):
                    raise

    async def ping(self) -> None:
        """Return when storage answers (a health probe: no span, no translation)."""
        await asyncio.to_thread(self._client.bucket_exists, self.bucket)

    async def stat(self, sha256: str) -> StoredBlob | None:
        state = await self.state(sha256)
        return None if state is None else state.blob

    async def state(self, sha256: str) -> ObjectState | None:
        try:
            obj = await self._call(
                "stat_object", self._client.stat_object, self.bucket, self.key(sha256)
            )
        except NotFound:
            return None
        return _state(sha256, int(obj.size or 0), obj.metadata or {}, obj.etag, obj.last_modified)

    async def open_read(
        self, sha256: str, length: int
    ) -> tuple[ObjectState, urllib3.BaseHTTPResponse] | None:
        """A GET of the first ``length`` bytes (0: the whole object) whose response headers
        also give S3's record of the object (what ``state`` asks a HEAD for): one round trip
        instead of two. None when there is no object; raises ``RangeUnanswered`` when S3 has
        no bytes to send for the range (an empty object): ask ``state`` then."""
        try:
            response = await self._call("get_object", self._get_from_start, sha256, length)
        except NotFound:
            return None
        headers = response.headers
        size = _total_size(headers)
        if size is None:
            await asyncio.to_thread(_release, response)
            raise RangeUnanswered(sha256)
        modified = headers.get("last-modified")
        state = _state(
            sha256,
            size,
            headers,
            headers.get("etag"),
            parsedate_to_datetime(modified) if modified else None,
        )
        return state, response

    async def touch(self, sha256: str) -> None:
        """Rewrite the object's metadata in place, which resets its last-modified time.

        A deduplicated upload reuses an object that may be old and, until the upload is
        registered, referenced by nothing; touching it restarts the garbage collector's grace
        period, so the object cannot be collected between the upload and its registration.
        """
        state = await self.state(sha256)
        if state is None:
            raise NotFound(f"Blob {sha256} not found.")
        key = self.key(sha256)
        metadata = _metadata_headers(state.blob)
        await self._call(
            "copy_object",
            self._client.copy_object,
            self.bucket,
            key,
            CopySource(self.bucket, key),
            metadata=metadata,
            metadata_directive=REPLACE,
        )

    async def quarantine(self, sha256: str) -> None:
        """Move the object out of its serving key (kept under ``quarantine/`` for forensics)."""
        key = self.key(sha256)
        await self._call(
            "copy_object",
            self._client.copy_object,
            self.bucket,
            self.quarantine_key(sha256),
            CopySource(self.bucket, key),
        )
        await self._call("remove_object", self._client.remove_object, self.bucket, key)

    async def is_quarantined(self, sha256: str) -> bool:
        try:
            await self._call(
                "stat_object", self._client.stat_object, self.bucket, self.quarantine_key(sha256)
            )
        except NotFound:
            return False
        return True

    def list_root(self, quarantined: bool) -> str:
        return f"{self.prefix}{QUARANTINE_DIR if quarantined else 'sha256/'}"

    async def list_page(
        self, start_after: str, limit: int, *, quarantined: bool = False
    ) -> tuple[list[ListedObject], str]:
        """Up to ``limit`` objects (served, or quarantined) after the key ``start_after``;
        returns them and the key to continue after ("" when the listing is complete)."""
        root = self.list_root(quarantined)

        def _list() -> tuple[list[ListedObject], str]:
            now = datetime.now(UTC)
            found: list[ListedObject] = []
            last = ""
            objects = self._client.list_objects(
                self.bucket, prefix=root, recursive=True, start_after=start_after or None
            )
            for obj in objects:
                name = obj.object_name or ""
                last = name
                digest = name.rsplit("/", 1)[-1]
                modified = obj.last_modified or now
                found.append(
                    ListedObject(
                        sha256=digest,
                        size=int(obj.size or 0),
                        age_seconds=max(0.0, (now - modified).total_seconds()),
                    )
                )
                if len(found) >= limit:
                    return found, last
            return found, ""

        return await self._call("list_objects", _list)

    async def put_new(self, blob: StoredBlob, source: Path | bytes) -> bool:
        """Store ``source`` under its key unless an object is there; False when one was.

        Content addressing makes an object under the key identical to ours. An object that
        fits in one part goes up in one conditional PUT (``If-None-Match: *``), so the common
        small upload costs one request instead of a HEAD and a PUT; a larger one is looked up
        first, then streamed in parts. A server that ignores the condition overwrites the key
        with the same bytes and reports it as new, which is harmless.
        """
        if blob.size <= self._part_size:
            return await self._call("put_object", self._put_if_absent, blob, source)
        if await self.stat(blob.digests.sha256) is not None:
            return False
        await self.put(blob, source)
        return True

    def _put_if_absent(self, blob: StoredBlob, source: Path | bytes) -> bool:
        # Runs in a worker thread. At most one part is read into memory, as put_object would.
        data = source if isinstance(source, bytes) else source.read_bytes()
        if len(data) != blob.size:
            raise OSError(f"spooled upload changed size: {len(data)} != {blob.size}")
        key = self.key(blob.digests.sha256)
        headers: dict[str, str | list[str] | tuple[str]] = {
            "Content-Type": "application/octet-stream",
            **_metadata_headers(blob),
        }
        try:
            # minio's public put_object cannot send a precondition header.
            self._client._put_object(self.bucket, key, data, {**headers, "If-None-Match": "*"})
        except S3Error as exc:
            if exc.code == "PreconditionFailed":
                return False
            if exc.code != "ConditionalRequestConflict":
                raise
            # Another PUT of the same key is in flight and may yet fail: write ours too.
            self._client._put_object(self.bucket, key, data, headers)
        return True

    async def put(self, blob: StoredBlob, source: Path | bytes) -> None:
        """Store ``source`` (a file, or bytes) under the key of ``blob.digests.sha256``.

        S3 makes an object visible only when its PUT (or multipart completion) succeeds, so
        a failure here never leaves a partial object under the key.
        """
        metadata = _metadata_headers(blob)
        key = self.key(blob.digests.sha256)

        def _put() -> None:
            with _open(source) as data:
                self._client.put_object(
                    self.bucket,
                    key,
                    data,
                    blob.size,
                    metadata=metadata,
                    part_size=self._part_size,
                    # One part in flight bounds an upload's memory to one part.
                    num_parallel_uploads=1,
                )

        await self._call("put_object", _put)

    async def read(
        self, sha256: str, offset: int, length: int, chunk_size: int, *, verify: bool
    ) -> AsyncIterator[bytes]:
        """The bytes ``[offset, offset+length)`` (``length`` 0: to the end) in chunks.

        With ``verify`` (whole object only) the last chunk is held back until the bytes read
        hash to ``sha256``; a mismatch raises BlobCorrupted instead of completing the stream.
        """
        response = await self._call(
            "get_object",
            self._client.get_object,
            self.bucket,
            self.key(sha256),
            offset=offset,
            length=length,
        )
        async for chunk in self.stream(response, sha256, chunk_size, verify=verify):
            yield chunk

    async def stream(
        self,
        response: urllib3.BaseHTTPResponse,
        sha256: str,
        chunk_size: int,
        *,
        verify: bool,
    ) -> AsyncIterator[bytes]:
        """The body of an opened GET in chunks (``verify``: as ``read``); releases it."""
        hasher = hashlib.sha256() if verify else None
        try:
            pending = await self._read_chunk(response, chunk_size, hasher)
            while pending:
                following = await self._read_chunk(response, chunk_size, hasher)
                if not following and hasher is not None and hasher.hexdigest() != sha256:
                    log.error("blob.corrupted", extra={"sha256": sha256})
                    raise BlobCorrupted(f"Blob {sha256} failed its integrity check.")
                yield pending
                pending = following
        finally:
            await asyncio.to_thread(_release, response)

    def _get_from_start(self, sha256: str, length: int) -> urllib3.BaseHTTPResponse:
        try:
            return self._client.get_object(self.bucket, self.key(sha256), offset=0, length=length)
        except S3Error as exc:
            if exc.code == "InvalidRange":
                raise RangeUnanswered(sha256) from None
            raise

    @staticmethod
    async def release(response: urllib3.BaseHTTPResponse) -> None:
        """Give back an opened GET that will not be read."""
        await asyncio.to_thread(_release, response)

    async def _read_chunk(
        self, response: urllib3.BaseHTTPResponse, size: int, hasher: Any
    ) -> bytes:
        try:
            return await asyncio.to_thread(_read_and_hash, response, size, hasher)
        except (MinioException, HTTPError, OSError) as exc:
            raise _translate("get_object.read", exc) from exc

    async def delete(self, sha256: str) -> bool:
        """Remove the object; False when there was none (S3 DELETE itself cannot tell)."""
        if await self.stat(sha256) is None:
            return False
        await self._call("remove_object", self._client.remove_object, self.bucket, self.key(sha256))
        return True

    async def delete_if_older(self, sha256: str, seconds: float) -> bool:
        """Remove the object only when it was last written more than ``seconds`` ago."""
        state = await self.state(sha256)
        if state is None or state.modified is None:
            return False
        if (datetime.now(UTC) - state.modified).total_seconds() <= seconds:
            return False
        await self._call("remove_object", self._client.remove_object, self.bucket, self.key(sha256))
        return True

    async def keys(self) -> list[str]:
        """Every key under the prefix (for tests and operators; not used by RPCs)."""

        def _list() -> list[str]:
            objects = self._client.list_objects(self.bucket, prefix=self.prefix, recursive=True)
            return [obj.object_name for obj in objects if obj.object_name]

        return await self._call("list_objects", _list)


class RangeUnanswered(Exception):
    """S3 sent no bytes for a range from the first byte: the object is empty."""


def _total_size(headers: Any) -> int | None:
    """The object's size from a GET's headers: after the slash of Content-Range for a range,
    else Content-Length."""
    ranged = headers.get("content-range", "")
    if ranged:
        total = ranged.rpartition("/")[2]
        return int(total) if total.isdigit() else None
    length = headers.get("content-length", "")
    return int(length) if length.isdigit() else None


def _state(
    sha256: str, size: int, metadata: Any, etag: str | None, modified: datetime | None
) -> ObjectState:
    """S3's record of an object, from a HEAD's or a GET's headers."""
    meta = {k.lower(): v for k, v in metadata.items()}
    blob = StoredBlob(
        size=size,
        digests=Digests(
            sha256=sha256,
            blake2b_256=meta.get(_META_PREFIX + "blake2b-256", ""),
            md5=meta.get(_META_PREFIX + "md5", ""),
        ),
    )
    recorded_size = meta.get(_META_PREFIX + "size", "")
    return ObjectState(
        blob=blob,
        recorded_sha256=meta.get(_META_PREFIX + "sha256", ""),
        recorded_size=int(recorded_size) if recorded_size.isdigit() else -1,
        etag=(etag or "").strip('"'),
        modified=modified,
    )


def _metadata_headers(blob: StoredBlob) -> dict[str, str | list[str] | tuple[str]]:
    return {
        _META_PREFIX + "sha256": blob.digests.sha256,
        _META_PREFIX + "blake2b-256": blob.digests.blake2b_256,
        _META_PREFIX + "md5": blob.digests.md5,
        _META_PREFIX + "size": str(blob.size),
    }


def _open(source: Path | bytes) -> BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def _read_and_hash(response: urllib3.BaseHTTPResponse, size: int, hasher: Any) -> bytes:
    data = response.read(size)
    if hasher is not None:
        hasher.update(data)
    return data


def _release(response: urllib3.BaseHTTPResponse) -> None:
    response.close()
    response.release_conn()


def _translate(op: str, exc: BaseException) -> PackyardError:
    if isinstance(exc, S3Error) and exc.code in _MISSING_CODES:
        return NotFound("Blob not found.")
    # Everything else (refused, timed out, 5xx, access denied, missing bucket) is an outage
    # from the caller's point of view; the details go to the log, not to the user.
    log.warning(
        "storage.failed",
        extra={"op": op, "error": type(exc).__name__, "detail": str(exc)[:300]},
    )
    return Unavailable(STORAGE_UNAVAILABLE)
