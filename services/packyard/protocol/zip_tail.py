"""Reading one member of a remote zip (a wheel's METADATA) from a few byte ranges. No I/O.

A wheel's METADATA can be read without downloading the wheel: the end of the archive holds
the end-of-central-directory record, which locates the central directory, whose entry for the
member locates its local header and compressed bytes. The caller fetches the ranges this
module asks for (``TAIL_SIZE`` bytes from the end first), hands the bytes back, and gets the
member inflated and CRC-checked. Every size taken from the archive is bounded before it is
used to ask for bytes or to allocate, so a hostile archive costs at most a few small reads.

ZIP64 archives (wheels over 4 GiB or with more than 65,535 members) are followed through
their ZIP64 end-of-central-directory locator and record and ZIP64 extra fields.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from packyard.protocol.archives import MAX_METADATA_SIZE, wheel_metadata_member

# The EOCD record (22 bytes) plus the longest comment, plus the ZIP64 locator before it.
TAIL_SIZE = 22 + 0xFFFF + 20
# A central directory larger than this is not read piecemeal (the whole file is cheaper then).
MAX_CENTRAL_DIRECTORY = 16 * 1024 * 1024

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_STORED, _DEFLATED = 0, 8
_LOCAL_HEADER_SIZE = 30


class ZipTailError(ValueError):
    """The bytes do not describe a readable zip member (or it exceeds the bounds)."""


@dataclass(frozen=True, slots=True)
class Span:
    """``length`` bytes of the archive from ``start``."""

    start: int
    length: int

    @property
    def end(self) -> int:
        return self.start + self.length


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    method: int
    crc32: int
    compressed_size: int
    uncompressed_size: int
    header_offset: int

    def local_span(self) -> Span:
        """Where to read the local header and data: the local extra field may differ from the
        central one, so 1 KiB of slack usually saves a second request."""
        name_length = len(self.name.encode("utf-8"))
        slack = _LOCAL_HEADER_SIZE + name_length + 1024
        return Span(self.header_offset, slack + self.compressed_size)


def central_directory_span(tail: bytes, archive_size: int) -> Span:
    """Where the central directory is, from the last ``len(tail)`` bytes of the archive."""
    tail_start = archive_size - len(tail)
    at = tail.rfind(_EOCD)
    while at >= 0 and len(tail) - at < 22:
        at = tail.rfind(_EOCD, 0, at)
    if at < 0:
        raise ZipTailError("no end-of-central-directory record")
    (_, disk, cd_disk, _, entries, size, offset, _) = struct.unpack_from("<4sHHHHIIH", tail, at)
    if disk != 0 or cd_disk != 0:
        raise ZipTailError("multi-disk archives are not supported")
    if entries == 0xFFFF or size == 0xFFFFFFFF or offset == 0xFFFFFFFF:
        locator = at - 20
        if locator < 0 or tail[locator : locator + 4] != _ZIP64_LOCATOR:
            raise ZipTailError("ZIP64 locator missing")
        (record_offset,) = struct.unpack_from("<Q", tail, locator + 8)
        record = record_offset - tail_start
        if record < 0 or tail[record : record + 4] != _ZIP64_EOCD:
            raise ZipTailError("ZIP64 end-of-central-directory record not in the tail")
        size, offset = struct.unpack_from("<QQ", tail, record + 40)
    if size > MAX_CENTRAL_DIRECTORY:
        raise ZipTailError("central directory too large")
    if offset + size > archive_size:
        raise ZipTailError("central directory outside the archive")
    return Span(offset, size)


def metadata_member(central_directory: bytes) -> Member:
    """The wheel's ``*.dist-info/METADATA`` entry (chosen as the blob service chooses it)."""
    members = {m.name: m for m in _entries(central_directory)}
    name = wheel_metadata_member(list(members))
    if name is None:
        raise ZipTailError("no single *.dist-info/METADATA member")
    member = members[name]
    if member.uncompressed_size > MAX_METADATA_SIZE or member.compressed_size > MAX_METADATA_SIZE:
        raise ZipTailError("METADATA too large")
    if member.method not in (_STORED, _DEFLATED):
        raise ZipTailError(f"unsupported compression method {member.method}")
    return member


def _entries(data: bytes) -> list[Member]:
    found = []
    at = 0
    while at + 46 <= len(data) and data[at : at + 4] == _CENTRAL:
        (flags, method, crc, csize, usize, name_len, extra_len, comment_len) = struct.unpack_from(
            "<4x4xHH4xIIIHHH", data, at
        )
        (offset,) = struct.unpack_from("<I", data, at + 42)
        name_bytes = data[at + 46 : at + 46 + name_len]
        extra = data[at + 46 + name_len : at + 46 + name_len + extra_len]
        if len(name_bytes) != name_len:
            raise ZipTailError("truncated central directory")
        usize, csize, offset = _zip64_sizes(extra, usize, csize, offset)
        encoding = "utf-8" if flags & 0x800 else "cp437"
        found.append(
            Member(name_bytes.decode(encoding, "replace"), method, crc, csize, usize, offset)
        )
        at += 46 + name_len + extra_len + comment_len
    return found


def _zip64_sizes(extra: bytes, usize: int, csize: int, offset: int) -> tuple[int, int, int]:
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, at)
        if tag == 0x0001:
            values = extra[at + 4 : at + 4 + length]
            pos = 0
            # Only the fields whose 32-bit value is saturated are present, in this order.
            if usize == 0xFFFFFFFF and pos + 8 <= len(values):
                (usize,) = struct.unpack_from("<Q", values, pos)
                pos += 8
            if csize == 0xFFFFFFFF and pos + 8 <= len(values):
                (csize,) = struct.unpack_from("<Q", values, pos)
                pos += 8
            if offset == 0xFFFFFFFF and pos + 8 <= len(values):
                (offset,) = struct.unpack_from("<Q", values, pos)
            break
        at += 4 + length
    return usize, csize, offset


def data_span(member: Member, local: bytes) -> Span:
    """Where the member's compressed bytes are, from the start of its local header."""
    if len(local) < _LOCAL_HEADER_SIZE or local[:4] != _LOCAL:
        raise ZipTailError("no local file header where the central directory points")
    name_len, extra_len = struct.unpack_from("<HH", local, 26)
    return Span(member.header_offset + _LOCAL_HEADER_SIZE + name_len + extra_len,
                member.compressed_size)  # fmt: skip


def inflate(member: Member, compressed: bytes) -> bytes:
    """The member's bytes, checked against its size and CRC-32 from the central directory."""
    if len(compressed) != member.compressed_size:
        raise ZipTailError("truncated member data")
    if member.method == _STORED:
        data = compressed
    else:
        inflater = zlib.decompressobj(-15)
        try:
            data = inflater.decompress(compressed, member.uncompressed_size + 1)
        except zlib.error as exc:
            raise ZipTailError(f"corrupt deflate stream: {exc}") from None
    if len(data) != member.uncompressed_size:
        raise ZipTailError("member size differs from the central directory")
    if zlib.crc32(data) != member.crc32:
        raise ZipTailError("CRC-32 mismatch")
    return data
