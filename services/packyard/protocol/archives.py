"""Inspection of distribution archives without extracting them to disk. Pure: no I/O but
reading the file object it is given.

``inspect_distribution`` decides whether an uploaded wheel or sdist is an archive the index will
store, and returns the one member the rest of the upload needs (METADATA or PKG-INFO). Messages
follow Warehouse (``forklift/legacy.py: _is_valid_dist_file``, ``utils/zipfiles.py``) where twine
users will recognise them; the path-safety, tar-bomb and special-member checks go beyond it.
"""

from __future__ import annotations

import gzip
import posixpath
import re
import struct
import tarfile
import zipfile
import zlib
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from packyard.common.errors import InvalidArgument

MIB = 1024 * 1024

# Warehouse's bomb rule (warehouse#13962): both conditions, because schema/JSON-heavy wheels
# legitimately compress very well while staying small.
COMPRESSION_RATIO_MIN_SIZE = 64 * MIB
COMPRESSION_RATIO_THRESHOLD = 50
# Warehouse has no tar.gz bound at all (audit finding TOB-PYPI-27, accepted); we have one.
MAX_EXPANDED_SIZE = 1024 * MIB
MAX_METADATA_SIZE = 10 * MIB
MAX_MEMBERS = 100_000

PREFIX = "Invalid distribution file."

_ZIP_ALLOWED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_SIG_LOCAL = b"PK\x03\x04"
_SIG_EOCD = b"PK\x05\x06"
_SIG_EOCD64 = b"PK\x06\x06"
_SIG_EOCD64_LOCATOR = b"PK\x06\x07"
_ZIP64_SENTINEL = 0xFFFFFFFF
_FLAG_ENCRYPTED = 0x1
_FLAG_DATA_DESCRIPTOR = 0x8
_FLAG_UTF8 = 0x800


class InvalidDistribution(InvalidArgument):
    """The upload is not an acceptable archive.

    Messages start "Invalid distribution file." except Warehouse's own wording for a wheel
    missing a required ``.dist-info`` file ("Wheel '…' does not contain the required …").
    """


class DistributionRef(Protocol):
    """What inspection needs to know about the filename (``filenames.DistributionFilename``)."""

    @property
    def filename(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def project(self) -> str: ...
    @property
    def name_part(self) -> str: ...
    @property
    def version(self) -> Version: ...


@dataclass(frozen=True, slots=True)
class DistributionContents:
    metadata_bytes: bytes  # byte-for-byte, as PEP 658 serves it
    metadata_path: str  # member name inside the archive
    wheel_file: bytes | None = None  # a wheel's *.dist-info/WHEEL (its Tag lines are checked)


def wheel_metadata_member(names: list[str]) -> str | None:
    """The ``*.dist-info/METADATA`` member of a wheel: exactly one top-level dist-info."""
    candidates = [n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
    return candidates[0] if len(candidates) == 1 else None


def extract_wheel_metadata(source: str | Path | BinaryIO) -> bytes | None:
    """The bytes of a wheel's METADATA (PEP 658 serves them byte-for-byte), None if absent."""
    try:
        with zipfile.ZipFile(source) as zf:
            member = wheel_metadata_member(zf.namelist())
            if member is None:
                return None
            return _read_zip_member(zf, zf.getinfo(member), MAX_METADATA_SIZE)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise InvalidDistribution(f"{PREFIX} {exc}") from exc


def inspect_distribution(
    source: str | Path | BinaryIO,
    dist: DistributionRef,
    *,
    max_expanded_size: int = MAX_EXPANDED_SIZE,
    max_metadata_size: int = MAX_METADATA_SIZE,
) -> DistributionContents:
    """Validate the archive named by ``dist`` and return its core metadata member.

    ``source`` must be seekable and hold only the archive. Nothing is extracted; only the
    metadata member is decompressed (at most ``max_metadata_size`` bytes), and an sdist is
    decompressed at most ``max_expanded_size`` bytes while its members are listed.
    """
    with ExitStack() as stack:
        fp: IO[bytes] = (
            stack.enter_context(open(source, "rb")) if isinstance(source, str | Path) else source
        )
        fp.seek(0)
        if dist.kind == "wheel":
            return _inspect_wheel(fp, dist, max_metadata_size)
        if dist.kind == "sdist":
            return _inspect_sdist(fp, max_expanded_size, max_metadata_size)
        raise InvalidDistribution(f"{PREFIX} Unsupported distribution type {dist.kind!r}")


def _invalid(reason: str) -> InvalidDistribution:
    return InvalidDistribution(f"{PREFIX} {reason}")


def _zip_refused(reason: str) -> InvalidDistribution:
    return _invalid(f"ZIP archive not accepted: {reason}")


def _tar_refused(reason: str) -> InvalidDistribution:
    return _invalid(f"tar archive not accepted: {reason}")


def _unsafe_path(name: str, detail: str = "") -> InvalidDistribution:
    return _invalid(f"Unsafe member path {name!r}{detail}")


def is_unsafe_member_path(name: str) -> bool:
    """A member name an extractor could turn into a write outside its target directory."""
    if not name or name.startswith("/") or "\\" in name or _DRIVE_RE.match(name):
        return True
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return True
    return ".." in name.split("/")


def _file_size(fp: IO[bytes]) -> int:
    fp.seek(0, 2)
    size = fp.tell()
    fp.seek(0)
    return size


def _starts_with_tar(fp: IO[bytes]) -> bool:
    """A tar header (plain or gzip'd) at offset 0: the first half of a zip/tar polyglot."""
    fp.seek(0)
    head = fp.read(64 * 1024)
    fp.seek(0)
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, tarfile.BLOCKSIZE)
        except zlib.error:
            return False
    if len(head) < tarfile.BLOCKSIZE:
        return False
    try:
        tarfile.TarInfo.frombuf(head[: tarfile.BLOCKSIZE], "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


# --- wheels -----------------------------------------------------------------------------------


def _inspect_wheel(fp: IO[bytes], dist: DistributionRef, max_metadata: int) -> DistributionContents:
    if not zipfile.is_zipfile(fp):
        raise _invalid("File is not a zipfile")
    if _starts_with_tar(fp):
        raise _invalid("File is both a zip and a tar file")
    size = _file_size(fp)
    try:
        with zipfile.ZipFile(fp) as zf:
            infos = zf.infolist()
            decompressed = sum(info.file_size for info in infos)
            if (
                decompressed > COMPRESSION_RATIO_MIN_SIZE
                and decompressed / size > COMPRESSION_RATIO_THRESHOLD
            ):
                raise _invalid(f"File exceeds compression ratio of {COMPRESSION_RATIO_THRESHOLD}")
            if any(info.compress_type not in _ZIP_ALLOWED_METHODS for info in infos):
                raise _invalid("File does not use a supported compression type")
            _check_zip_framing(fp, zf, infos, size)
            for info in infos:
                if is_unsafe_member_path(info.filename):
                    raise _unsafe_path(info.filename)
            member = _wheel_metadata_path(zf.namelist(), dist)
            data = _read_zip_member(zf, zf.getinfo(member), max_metadata)
            wheel_member = member.removesuffix("METADATA") + "WHEEL"
            wheel_file = _read_zip_member(zf, zf.getinfo(wheel_member), max_metadata)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as exc:
        raise _invalid(str(exc) or "File is not a valid zipfile") from exc
    return DistributionContents(metadata_bytes=data, metadata_path=member, wheel_file=wheel_file)


def _check_zip_framing(
    fp: IO[bytes], zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], size: int
) -> None:
    """Refuse zips that a central-directory reader and a local-header streamer see differently.

    The "ZIP confusion" class (uv CVE-2025-54368, Warehouse 2025-08): every byte of the file
    must belong to exactly one listed entry, the central directory or its end records, so no
    hidden local header, prepended or trailing data can exist.
    """
    if zf.comment:
        raise _zip_refused("Comment in archive")
    fp.seek(size - 22)
    eocd = fp.read(22)
    if len(eocd) != 22 or eocd[:4] != _SIG_EOCD:
        raise _zip_refused("Trailing data")
    disk, cd_disk, entries_disk, entries, cd_size, cd_offset, _ = struct.unpack("<4xHHHHLLH", eocd)
    cd_end = size - 22
    if disk != 0 or cd_disk != 0 or entries_disk != entries:
        raise _zip_refused("Multi-disk archives are not supported")
    fp.seek(max(size - 22 - 20, 0))
    locator = fp.read(20)
    if locator[:4] == _SIG_EOCD64_LOCATOR:
        (eocd64_offset,) = struct.unpack("<8xQ4x", locator)
        fp.seek(eocd64_offset)
        record = fp.read(56)
        if len(record) != 56 or record[:4] != _SIG_EOCD64:
            raise _zip_refused("Malformed zip file")
        record_size, entries_disk, entries, cd_size, cd_offset = struct.unpack(
            "<4xQ12xQQQQ", record
        )
        if record_size != 44 or eocd64_offset + 56 != size - 22 - 20:
            raise _zip_refused("ZIP64 extensible data not allowed")
        if entries_disk != entries:
            raise _zip_refused("Malformed zip file")
        cd_end = eocd64_offset
    if entries != len(infos):
        raise _zip_refused("Mismatched central directory records")
    if cd_offset + cd_size != cd_end or zf.start_dir != cd_offset:
        raise _zip_refused("Mismatched central directory offset")

    seen: set[str] = set()
    for info in infos:
        if info.orig_filename in seen:
            raise _zip_refused("Duplicate filename in central directory")
        seen.add(info.orig_filename)
        if info.comment:
            raise _zip_refused("Comment in central directory")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in info.orig_filename):
            raise _zip_refused("Invalid character in filename")
        if not info.flag_bits & _FLAG_UTF8 and not info.orig_filename.isascii():
            # Without the UTF-8 flag readers disagree (cp437 vs UTF-8) on what the name is.
            raise _zip_refused("Filename not valid UTF-8")
        if info.flag_bits & _FLAG_ENCRYPTED:
            raise _zip_refused("Encrypted members are not allowed")

    expected = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset != expected:
            raise _zip_refused("Mis-matched local headers and central directory")
        expected = _check_local_header(fp, info)
    if expected != cd_offset:
        raise _zip_refused("Mis-matched local headers and central directory")


def _check_local_header(fp: IO[bytes], info: zipfile.ZipInfo) -> int:
    """Compare one local file header with its central record; return where the next begins."""
    fp.seek(info.header_offset)
    header = fp.read(30)
    if len(header) != 30 or header[:4] != _SIG_LOCAL:
        raise _zip_refused("Mis-matched local headers and central directory")
    flags, method, compressed, uncompressed, name_len, extra_len = struct.unpack(
        "<6xHH8xLLHH", header
    )
    raw_name = fp.read(name_len)
    extra = fp.read(extra_len)
    encoding = "utf-8" if info.flag_bits & _FLAG_UTF8 else "cp437"
    if raw_name != info.orig_filename.encode(encoding):
        raise _zip_refused("Filename not in central directory")
    if flags & _FLAG_DATA_DESCRIPTOR:
        raise _zip_refused("ZIP contains a data descriptor")
    if method != info.compress_type:
        raise _zip_refused("Mis-matched compression method")
    if compressed == _ZIP64_SENTINEL or uncompressed == _ZIP64_SENTINEL:
        uncompressed, compressed = _zip64_local_sizes(extra)
    if compressed != info.compress_size:
        raise _zip_refused("Mis-matched data size")
    if uncompressed != info.file_size:
        raise _zip_refused("Mis-matched file size")
    return info.header_offset + 30 + name_len + extra_len + compressed


def _zip64_local_sizes(extra: bytes) -> tuple[int, int]:
    while len(extra) >= 4:
        extra_id, length = struct.unpack("<HH", extra[:4])
        if extra_id == 0x0001:
            if length < 16:
                break
            uncompressed, compressed = struct.unpack("<QQ", extra[4:20])
            return uncompressed, compressed
        extra = extra[4 + length :]
    raise _zip_refused("Malformed zip file")


def _wheel_metadata_path(names: list[str], dist: DistributionRef) -> str:
    """The METADATA member of the wheel's only top-level ``.dist-info`` directory."""
    version_part = dist.filename.split("-")[1] if dist.filename.count("-") >= 2 else ""
    expected_dir = f"{dist.name_part}-{version_part}.dist-info"
    dist_infos = {
        name.split("/", 1)[0]
        for name in names
        if "/" in name and name.split("/", 1)[0].endswith(".dist-info")
    }
    if len(dist_infos) > 1:
        raise _invalid("Wheel contains more than one top-level .dist-info directory")
    directory = dist_infos.pop() if dist_infos else expected_dir
    if directory != expected_dir and not _dist_info_matches(directory, dist):
        raise _invalid(f"Wheel .dist-info directory {directory!r} does not match the filename")
    present = set(names)
    for required in ("METADATA", "WHEEL", "RECORD"):
        path = f"{directory}/{required}"
        if path not in present:
            raise InvalidDistribution(
                f"Wheel {dist.filename!r} does not contain the required {required} file: {path}"
            )
    return f"{directory}/METADATA"


def _dist_info_matches(directory: str, dist: DistributionRef) -> bool:
    # Older builders kept the project's case (``PyYAML-6.0.dist-info``) in a wheel whose
    # filename is normalized; installers match the directory by canonical name and version.
    name, _, version = directory[: -len(".dist-info")].rpartition("-")
    try:
        return (
            canonicalize_name(name) == canonicalize_name(dist.project)
            and Version(version) == dist.version
        )
    except InvalidVersion:
        return False


def _read_zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise _invalid(f"{info.filename} is larger than {limit} bytes")
    # The declared size can lie; zipfile stops at it and checks the CRC, and the extra read
    # byte catches a member that still decompresses past the limit.
    with zf.open(info) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise _invalid(f"{info.filename} is larger than {limit} bytes")
    return data


# --- sdists -----------------------------------------------------------------------------------


class _ExpansionLimitExceeded(Exception):
    pass


class _CappedReader:
    """A read/seek/tell view of a decompressing stream that stops after ``limit`` bytes.

    Every decompressed byte counts, including those skipped by forward seeks and re-read by
    backward ones, so CPU and memory stay bounded whatever the headers declare (a pax header
    claiming 2 GiB is read in one call by ``tarfile``; ``max_read`` refuses that call).
    """

    def __init__(self, raw: gzip.GzipFile, limit: int, max_read: int) -> None:
        self._raw = raw
        self._limit = limit
        self._max_read = max_read
        self._consumed = 0

    def _count(self, amount: int) -> None:
        self._consumed += amount
        if self._consumed > self._limit:
            raise _ExpansionLimitExceeded

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > self._max_read:
            raise _ExpansionLimitExceeded
        data = self._raw.read(size)
        self._count(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        current = self._raw.tell()
        target = offset if whence == 0 else current + offset
        if whence not in (0, 1) or target < 0:
            raise OSError("unsupported seek")
        if target >= current:
            while current < target:
                chunk = self.read(min(target - current, MIB))
                if not chunk:
                    break
                current += len(chunk)
        else:
            self._count(target)
            self._raw.seek(target)
        return self._raw.tell()

    def tell(self) -> int:
        return self._raw.tell()


def _inspect_sdist(fp: IO[bytes], max_expanded: int, max_metadata: int) -> DistributionContents:
    if fp.read(2) != b"\x1f\x8b":
        raise _invalid("File is not a tarfile")
    fp.seek(0)
    if zipfile.is_zipfile(fp):
        raise _invalid("File is both a zip and a tar file")
    fp.seek(0)
    limit_message = f"Archive expands to more than {max_expanded} bytes"
    reader = _CappedReader(
        gzip.GzipFile(fileobj=fp, mode="rb"), max_expanded, max(16 * MIB, max_metadata + MIB)
    )
    try:
        tar = tarfile.TarFile(fileobj=reader, mode="r")  # type: ignore[arg-type]
    except _ExpansionLimitExceeded as exc:
        raise _tar_refused(limit_message) from exc
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise _invalid("File is not a tarfile") from exc
    try:
        with tar:
            return _scan_sdist(tar, max_expanded, max_metadata)
    except _ExpansionLimitExceeded as exc:
        raise _tar_refused(limit_message) from exc
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise _invalid(f"Truncated or corrupt tar archive: {exc}") from exc


def _scan_sdist(tar: tarfile.TarFile, max_expanded: int, max_metadata: int) -> DistributionContents:
    top: str | None = None
    metadata: DistributionContents | None = None
    seen: set[str] = set()
    count = 0
    while (member := tar.next()) is not None:
        count += 1
        if count > MAX_MEMBERS:
            raise _tar_refused(f"More than {MAX_MEMBERS} members")
        if member.offset_data + member.size > max_expanded:
            raise _tar_refused(f"Archive expands to more than {max_expanded} bytes")
        name = member.name
        if is_unsafe_member_path(name):
            raise _unsafe_path(name)
        if member.issparse():
            raise _tar_refused("Sparse members are not allowed")
        if member.ischr() or member.isblk() or member.isfifo():
            raise _unsafe_path(name, " (device or FIFO member)")
        if member.issym() or member.islnk():
            _check_link(member)
        elif not (member.isreg() or member.isdir()):
            raise _tar_refused(f"Unsupported member type for {name!r}")
        if not member.isdir():
            if name in seen:
                raise _tar_refused(f"Duplicate member name {name!r}")
            seen.add(name)

        first, sep, _ = name.partition("/")
        if top is None:
            top = first
        if first != top or (not sep and not member.isdir()):
            raise _invalid("Incorrect number of top-level directories in sdist")
        if name == f"{top}/PKG-INFO":
            metadata = _read_pkg_info(tar, member, max_metadata)
    if top is None:
        raise _invalid("Incorrect number of top-level directories in sdist")
    if metadata is None:
        raise _invalid(f"PKG-INFO not found at {top}/PKG-INFO")
    return metadata


def _check_link(member: tarfile.TarInfo) -> None:
    link = member.linkname
    detail = f" (link to {link!r})"
    if is_unsafe_member_path(link) and ".." not in link.split("/"):
        raise _unsafe_path(member.name, detail)
    # Symlinks resolve from their own directory, hard links from the archive root.
    base = posixpath.dirname(member.name) if member.issym() else ""
    resolved = posixpath.normpath(posixpath.join(base, link))
    top = member.name.split("/", 1)[0]
    if resolved == ".." or resolved.startswith("../") or resolved.split("/", 1)[0] != top:
        raise _unsafe_path(member.name, detail)


def _read_pkg_info(
    tar: tarfile.TarFile, member: tarfile.TarInfo, limit: int
) -> DistributionContents:
    if not member.isreg():
        raise _invalid(f"{member.name} is not a regular file")
    if member.size > limit:
        raise _invalid(f"{member.name} is larger than {limit} bytes")
    extracted = tar.extractfile(member)
    if extracted is None:  # pragma: no cover - isreg() members always extract
        raise _invalid(f"{member.name} is not a regular file")
    with extracted:
        data = extracted.read(limit + 1)
    return DistributionContents(metadata_bytes=data, metadata_path=member.name)
