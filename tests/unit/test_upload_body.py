from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from packyard.common.errors import InvalidArgument
from packyard.gateway.pypi.upload_body import FileTooLarge, read_upload_body

BOUNDARY = "xYzZY"
CTYPE = f"multipart/form-data; boundary={BOUNDARY}"


def _body(
    fields: list[tuple[str, str]], content: bytes | None, filename: str = "a-1.0.tar.gz"
) -> bytes:
    out = b""
    for name, value in fields:
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    if content is not None:
        out += (
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="content"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    return out + f"--{BOUNDARY}--\r\n".encode()


async def _chunks(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def test_fields_and_file_are_parsed_and_hashed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    content = os.urandom(50_000)
    raw = _body([("name", "a"), ("classifiers", "X"), ("classifiers", "Y")], content)
    body = await read_upload_body(CTYPE, _chunks(raw), max_size=10**6, spool_dir=str(tmp_path))
    try:
        assert body.fields == {"name": ["a"], "classifiers": ["X", "Y"]}
        assert body.file is not None
        assert body.file.size == len(content)
        assert body.file.hashes["sha256"] == hashlib.sha256(content).hexdigest()
        assert body.file.hashes["md5"] == hashlib.md5(content).hexdigest()
        assert (
            body.file.hashes["blake2b_256"] == hashlib.blake2b(content, digest_size=32).hexdigest()
        )
        assert Path(body.file.path).read_bytes() == content
    finally:
        body.discard()
    assert list(tmp_path.iterdir()) == []


async def test_oversize_file_stops_the_parse_and_leaves_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    raw = _body([("name", "big-thing")], b"x" * 300_000)
    with pytest.raises(FileTooLarge) as info:
        await read_upload_body(CTYPE, _chunks(raw), max_size=100_000, spool_dir=str(tmp_path))
    assert "big-thing" in info.value.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ctype", [None, "application/json", "multipart/form-data"])
async def test_not_multipart(ctype: str | None) -> None:
    with pytest.raises(InvalidArgument, match="Malformed multipart body"):
        await read_upload_body(ctype, _chunks(b"abc"), max_size=100)


async def test_truncated_body_is_malformed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    raw = _body([("name", "a")], b"y" * 10_000)[:-30]
    with pytest.raises(InvalidArgument, match="Malformed multipart body"):
        await read_upload_body(CTYPE, _chunks(raw), max_size=10**6, spool_dir=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


async def test_invalid_utf8_field() -> None:
    raw = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="summary"\r\n\r\n'.encode()
        + b"\xff\xfe\r\n"
        + f"--{BOUNDARY}--\r\n".encode()
    )
    with pytest.raises(InvalidArgument, match="Invalid UTF-8 in field 'summary'"):
        await read_upload_body(CTYPE, _chunks(raw), max_size=100)
