"""Reading a wheel's METADATA out of a few byte ranges (packyard.protocol.zip_tail)."""

from __future__ import annotations

import io
import zipfile

import pytest
from packyard.protocol.zip_tail import (
    TAIL_SIZE,
    ZipTailError,
    central_directory_span,
    data_span,
    inflate,
    metadata_member,
)

METADATA = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: other>=2\n\n" + (
    b"A long description. " * 500
)


def make_wheel(
    compression: int = zipfile.ZIP_DEFLATED, comment: bytes = b"", extra_files: int = 3
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for i in range(extra_files):
            zf.writestr(f"demo/module{i}.py", f"x = {i}\n" * 1000)
        zf.writestr("demo-1.0.dist-info/METADATA", METADATA)
        zf.writestr("demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\n")
        zf.writestr("demo-1.0.dist-info/RECORD", "")
        zf.comment = comment
    return buffer.getvalue()


def read_metadata(archive: bytes, tail_size: int = TAIL_SIZE) -> bytes:
    """What the connector does with range requests, against bytes in memory."""
    tail = archive[-tail_size:]
    span = central_directory_span(tail, len(archive))
    member = metadata_member(archive[span.start : span.end])
    local = archive[member.local_span().start : member.local_span().end]
    data = data_span(member, local)
    return inflate(member, archive[data.start : data.end])


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_reads_the_metadata_member_byte_for_byte(compression: int) -> None:
    assert read_metadata(make_wheel(compression)) == METADATA


def test_archive_comment_and_small_archives() -> None:
    archive = make_wheel(comment=b"c" * 60_000, extra_files=0)
    assert len(archive) < TAIL_SIZE  # the "tail" is the whole archive
    assert read_metadata(archive) == METADATA


def test_zip64_structures_are_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tiny limits make zipfile write what a >4 GiB wheel has: ZIP64 EOCD and extra fields.
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 100)
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)
    archive = make_wheel()
    assert b"PK\x06\x06" in archive[-200:]
    assert read_metadata(archive) == METADATA


def test_not_a_zip_is_refused() -> None:
    with pytest.raises(ZipTailError):
        central_directory_span(b"\x00" * 1000, 1000)


def test_central_directory_pointing_outside_the_archive_is_refused() -> None:
    archive = bytearray(make_wheel())
    eocd = archive.rfind(b"PK\x05\x06")
    archive[eocd + 16 : eocd + 20] = (len(archive) * 2).to_bytes(4, "little")
    with pytest.raises(ZipTailError, match="outside"):
        central_directory_span(bytes(archive), len(archive))


def test_corrupted_metadata_fails_the_crc_check() -> None:
    archive = bytearray(make_wheel(zipfile.ZIP_STORED))
    at = archive.find(b"A long description")
    archive[at] ^= 1
    with pytest.raises(ZipTailError, match="CRC"):
        read_metadata(bytes(archive))


def test_inflation_is_bounded_by_the_declared_size() -> None:
    archive = make_wheel()
    span = central_directory_span(archive[-TAIL_SIZE:], len(archive))
    member = metadata_member(archive[span.start : span.end])
    local = archive[member.local_span().start : member.local_span().end]
    data = data_span(member, local)
    from dataclasses import replace

    # A central directory that understates the size never makes us inflate past it.
    lying = replace(member, uncompressed_size=10)
    with pytest.raises(ZipTailError, match="size"):
        inflate(lying, archive[data.start : data.end])


def test_a_wheel_without_metadata_or_with_two_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a-1.0.dist-info/METADATA", "x")
        zf.writestr("b-1.0.dist-info/METADATA", "y")
    archive = buffer.getvalue()
    span = central_directory_span(archive, len(archive))
    with pytest.raises(ZipTailError, match="METADATA"):
        metadata_member(archive[span.start : span.end])
