"""Streaming parse of a twine upload body.

The ``content`` part goes straight to a spool file while it is hashed and counted, and the
parse stops as soon as it passes the size limit, so memory stays flat whatever the upload's
size and an oversize body is refused without being read to the end.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import IO, Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from packyard.common.errors import InvalidArgument

MAX_FIELDS = 1000
MAX_FIELD_BYTES = 4 * 1024 * 1024  # a long README is fine; a 500 MiB "field" is not
MAX_TOTAL_FIELD_BYTES = 8 * 1024 * 1024
MALFORMED = "Malformed multipart body"


class FileTooLarge(InvalidArgument):
    def __init__(self, limit: int, project: str = "") -> None:
        where = f" for project '{project}'" if project else ""
        super().__init__(f"File too large. Limit{where} is {limit // 1_000_000} MB.")


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    path: str
    size: int
    hashes: dict[str, str]


@dataclass
class UploadBody:
    fields: dict[str, list[str]] = field(default_factory=dict)
    file: UploadedFile | None = None
    # Set when the content part appeared more than once or a field was sent as a file.
    file_fields: list[str] = field(default_factory=list)

    def discard(self) -> None:
        if self.file is not None:
            try:
                os.unlink(self.file.path)
            except FileNotFoundError:
                pass


class _Collector:
    """Callbacks for python-multipart's push parser."""

    def __init__(self, body: UploadBody, spool_dir: str | None, max_size: int) -> None:
        self.body = body
        self.spool_dir = spool_dir
        self.max_size = max_size
        self.headers: dict[str, str] = {}
        self._hname = bytearray()
        self._hvalue = bytearray()
        self._name = ""
        self._filename: str | None = None
        self._value = bytearray()
        self._sink: IO[bytes] | None = None
        self._path = ""
        self._size = 0
        self._field_total = 0
        self._hashers: dict[str, Any] = {}

    def on_part_begin(self) -> None:
        self.headers = {}
        self._name, self._filename = "", None
        self._value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._hname += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self._hname.decode("latin-1").lower()] = self._hvalue.decode("latin-1")
        self._hname, self._hvalue = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self.headers.get("content-disposition", ""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        raw_filename = params.get(b"filename")
        if raw_filename is None:
            return
        self._filename = raw_filename.decode("utf-8", "replace")
        if self._name != "content" or self.body.file is not None or self._sink is not None:
            self.body.file_fields.append(self._name)
            self._filename = None
            return
        fd, self._path = tempfile.mkstemp(prefix="upload-", dir=self.spool_dir or None)
        self._sink = os.fdopen(fd, "wb")
        self._size = 0
        self._hashers = {
            "sha256": hashlib.sha256(),
            "blake2b_256": hashlib.blake2b(digest_size=32),
            "md5": hashlib.md5(usedforsecurity=False),
        }

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._sink is not None and self._filename is not None:
            self._size += len(chunk)
            if self._size > self.max_size:
                # twine sends the metadata fields before the file, so the name is known.
                raise FileTooLarge(self.max_size, (self.body.fields.get("name") or [""])[0])
            self._sink.write(chunk)
            for h in self._hashers.values():
                h.update(chunk)
            return
        if self._filename is None:
            self._value += chunk
            self._field_total += len(chunk)
            if len(self._value) > MAX_FIELD_BYTES or self._field_total > MAX_TOTAL_FIELD_BYTES:
                raise InvalidArgument(f"{self._name}: field too large.")

    def on_part_end(self) -> None:
        if self._sink is not None and self._filename is not None:
            self._sink.close()
            self._sink = None
            self.body.file = UploadedFile(
                filename=self._filename,
                # RFC 7578 §4.4: a part without Content-Type is text/plain (uv sends none).
                content_type=self.headers.get("content-type", "text/plain"),
                path=self._path,
                size=self._size,
                hashes={k: h.hexdigest() for k, h in self._hashers.items()},
            )
            return
        if self._filename is None and self._name:
            values = self.body.fields.setdefault(self._name, [])
            if sum(len(v) for v in self.body.fields.values()) >= MAX_FIELDS:
                raise InvalidArgument("Too many form fields.")
            try:
                values.append(bytes(self._value).decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise InvalidArgument(f"Invalid UTF-8 in field '{self._name}'") from exc

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None
            os.unlink(self._path)


async def read_upload_body(
    content_type: str | None,
    stream: AsyncIterator[bytes],
    *,
    max_size: int,
    spool_dir: str | None = None,
) -> UploadBody:
    """Parse the multipart body; the caller must ``discard()`` the result when done."""
    ctype, params = parse_options_header(content_type or "")
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise InvalidArgument(MALFORMED)
    body = UploadBody()
    collector = _Collector(body, spool_dir, max_size)
    parser = MultipartParser(
        boundary,
        callbacks={
            "on_part_begin": collector.on_part_begin,
            "on_part_data": collector.on_part_data,
            "on_part_end": collector.on_part_end,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_headers_finished": collector.on_headers_finished,
        },
    )
    try:
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
        # A body cut short (a dropped connection) must not pass as a complete upload.
        if parser.state != MultipartState.END:
            raise InvalidArgument(MALFORMED)
    except MultipartParseError as exc:
        collector.close()
        body.discard()
        raise InvalidArgument(MALFORMED) from exc
    except BaseException:
        collector.close()
        body.discard()
        raise
    return body
