"""Archive inspection: every refusal of RELIABILITY.md §5 A 19-20 on archives built in memory."""

from __future__ import annotations

import gzip
import io
import os
import struct
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest
from packyard.protocol.archives import (
    DistributionContents,
    InvalidDistribution,
    extract_wheel_metadata,
    inspect_distribution,
)
from packyard.protocol.filenames import parse_distribution_filename

WHEEL = "demo-1.0-py3-none-any.whl"
SDIST = "demo-1.0.tar.gz"
METADATA = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\nA demo.\n"
WHEEL_FILE = b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def wheel_bytes(
    entries: dict[str, bytes] | None = None,
    *,
    omit: tuple[str, ...] = (),
    dist_info: str = "demo-1.0.dist-info",
    compression: int = zipfile.ZIP_DEFLATED,
    force_zip64: bool = False,
) -> bytes:
    files = {
        "demo/__init__.py": b"VALUE = 1\n",
        f"{dist_info}/METADATA": METADATA,
        f"{dist_info}/WHEEL": WHEEL_FILE,
        f"{dist_info}/RECORD": b"",
    }
    files.update(entries or {})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in files.items():
            if name.rsplit("/", 1)[-1] in omit:
                continue
            with zf.open(name, "w", force_zip64=force_zip64) as member:
                member.write(data)
    return buf.getvalue()


def sdist_bytes(members: list[tuple[tarfile.TarInfo, bytes]] | None = None) -> bytes:
    if members is None:
        members = [
            (dir_info("demo-1.0"), b""),
            (file_info("demo-1.0/PKG-INFO", METADATA), METADATA),
            (file_info("demo-1.0/setup.py", b"print(1)\n"), b"print(1)\n"),
        ]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buf.getvalue()


def dir_info(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    return info


def file_info(name: str, data: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info


def link_info(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def inspect(data: bytes, filename: str = WHEEL, **limits: int) -> DistributionContents:
    return inspect_distribution(io.BytesIO(data), parse_distribution_filename(filename), **limits)


def refused(data: bytes, filename: str = WHEEL, **limits: int) -> str:
    with pytest.raises(InvalidDistribution) as info:
        inspect(data, filename, **limits)
    return info.value.message


# --- happy paths -------------------------------------------------------------------------------


def test_wheel_metadata_is_returned_byte_for_byte() -> None:
    contents = inspect(wheel_bytes())
    assert contents == DistributionContents(
        METADATA, "demo-1.0.dist-info/METADATA", wheel_file=WHEEL_FILE
    )


def test_wheel_can_be_inspected_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / WHEEL
    path.write_bytes(wheel_bytes())
    contents = inspect_distribution(path, parse_distribution_filename(WHEEL))
    assert contents.metadata_bytes == METADATA


def test_zip64_wheel_is_accepted() -> None:
    assert inspect(wheel_bytes(force_zip64=True)).metadata_bytes == METADATA


def test_stored_wheel_is_accepted() -> None:
    assert inspect(wheel_bytes(compression=zipfile.ZIP_STORED)).metadata_bytes == METADATA


def test_dist_info_in_project_case_is_accepted() -> None:
    # Older builders: normalized filename, dist-info directory in the project's own case.
    data = wheel_bytes(dist_info="Demo-1.0.dist-info")
    assert inspect(data).metadata_path == "Demo-1.0.dist-info/METADATA"


def test_sdist_pkg_info_is_returned() -> None:
    contents = inspect(sdist_bytes(), SDIST)
    assert contents == DistributionContents(METADATA, "demo-1.0/PKG-INFO")


def test_sdist_with_internal_links_is_accepted() -> None:
    data = sdist_bytes(
        [
            (dir_info("demo-1.0"), b""),
            (file_info("demo-1.0/PKG-INFO", METADATA), METADATA),
            (link_info("demo-1.0/docs/README", "../PKG-INFO"), b""),
            (link_info("demo-1.0/copy", "demo-1.0/PKG-INFO", tarfile.LNKTYPE), b""),
        ]
    )
    assert inspect(data, SDIST).metadata_bytes == METADATA


def test_extract_wheel_metadata_keeps_its_contract() -> None:
    assert extract_wheel_metadata(io.BytesIO(wheel_bytes())) == METADATA
    assert extract_wheel_metadata(io.BytesIO(wheel_bytes(omit=("METADATA",)))) is None
    with pytest.raises(InvalidDistribution, match=r"^Invalid distribution file\. "):
        extract_wheel_metadata(io.BytesIO(b"not a zip"))


# --- file type ---------------------------------------------------------------------------------


def test_random_bytes_wheel_is_not_a_zipfile() -> None:
    assert refused(os.urandom(4096)) == "Invalid distribution file. File is not a zipfile"


def test_random_bytes_sdist_is_not_a_tarfile() -> None:
    assert refused(os.urandom(4096), SDIST) == "Invalid distribution file. File is not a tarfile"


def test_wheel_that_is_a_tar_is_not_a_zipfile() -> None:
    assert refused(sdist_bytes()) == "Invalid distribution file. File is not a zipfile"


def test_gzip_that_is_not_a_tar_is_refused() -> None:
    data = gzip.compress(b"just some text, no tar header here" * 40)
    assert refused(data, SDIST) == "Invalid distribution file. File is not a tarfile"


def test_zip_tar_polyglot_wheel_is_refused() -> None:
    # A tar at the front, a complete zip at the back: zipfile (pip) and tarfile see different files.
    data = sdist_bytes() + wheel_bytes()
    assert zipfile.is_zipfile(io.BytesIO(data))
    assert refused(data) == "Invalid distribution file. File is both a zip and a tar file"


def test_zip_tar_polyglot_sdist_is_refused() -> None:
    data = sdist_bytes() + wheel_bytes()
    assert refused(data, SDIST) == "Invalid distribution file. File is both a zip and a tar file"


# --- zip bombs and compression -----------------------------------------------------------------


def test_zip_bomb_is_refused_by_compression_ratio() -> None:
    buf = io.BytesIO(wheel_bytes())
    with zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("demo/zeros.bin", "w", force_zip64=True) as member:
            zeros = bytes(1 << 20)
            for _ in range(100):  # 100 MiB of zeros, streamed: ~100 KB compressed
                member.write(zeros)
    data = buf.getvalue()
    assert len(data) < 1 << 20
    assert refused(data) == "Invalid distribution file. File exceeds compression ratio of 50"


def test_large_but_incompressible_wheel_is_not_a_bomb() -> None:
    # Under 64 MiB uncompressed, any ratio is fine (schema-heavy wheels compress very well).
    data = wheel_bytes({"demo/zeros.bin": bytes(8 << 20)})
    assert inspect(data).metadata_bytes == METADATA


def test_bzip2_member_is_refused() -> None:
    data = wheel_bytes(compression=zipfile.ZIP_BZIP2)
    assert refused(data) == (
        "Invalid distribution file. File does not use a supported compression type"
    )


def test_metadata_decompressing_past_its_declared_size_is_refused() -> None:
    # Local header and central directory agree on a small size; the stream holds much more.
    big = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n" + b"x" * 100_000
    data = bytearray(wheel_bytes({"demo-1.0.dist-info/METADATA": big}))
    name = b"demo-1.0.dist-info/METADATA"
    local = data.index(name) - 30
    assert data[local : local + 4] == b"PK\x03\x04"
    struct.pack_into("<L", data, local + 22, 10)  # uncompressed size
    central = data.index(name, local + 30 + len(name)) - 46
    assert data[central : central + 4] == b"PK\x01\x02"
    struct.pack_into("<L", data, central + 24, 10)
    message = refused(bytes(data))
    assert message.startswith("Invalid distribution file. ")
    assert "CRC" in message


def test_oversized_metadata_is_refused() -> None:
    message = refused(wheel_bytes(), max_metadata_size=16)
    assert message == (
        "Invalid distribution file. demo-1.0.dist-info/METADATA is larger than 16 bytes"
    )


# --- zip framing ("ZIP confusion") -------------------------------------------------------------


def test_duplicate_zip_entry_is_refused() -> None:
    buf = io.BytesIO(wheel_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns "Duplicate name" and writes it anyway
        with zipfile.ZipFile(buf, "a") as zf:
            zf.writestr("demo/__init__.py", b"EVIL = 1\n")
    assert refused(buf.getvalue()) == (
        "Invalid distribution file. "
        "ZIP archive not accepted: Duplicate filename in central directory"
    )


def test_trailing_data_is_refused() -> None:
    assert refused(wheel_bytes() + b"trailing") == (
        "Invalid distribution file. ZIP archive not accepted: Trailing data"
    )


def test_archive_comment_is_refused() -> None:
    buf = io.BytesIO(wheel_bytes())
    with zipfile.ZipFile(buf, "a") as zf:
        zf.comment = b"hello"
    assert refused(buf.getvalue()) == (
        "Invalid distribution file. ZIP archive not accepted: Comment in archive"
    )


def test_central_directory_comment_is_refused() -> None:
    buf = io.BytesIO(wheel_bytes())
    with zipfile.ZipFile(buf, "a") as zf:
        info = zipfile.ZipInfo("demo/x.py")
        info.comment = b"note"
        zf.writestr(info, b"x")
    assert refused(buf.getvalue()) == (
        "Invalid distribution file. ZIP archive not accepted: Comment in central directory"
    )


def test_local_header_name_mismatch_is_refused() -> None:
    data = bytearray(wheel_bytes())
    assert data[30:35] == b"demo/"
    data[30:35] = b"evil/"  # the first local header now names a file the directory doesn't list
    assert refused(bytes(data)) == (
        "Invalid distribution file. ZIP archive not accepted: Filename not in central directory"
    )


def test_local_header_size_mismatch_is_refused() -> None:
    data = bytearray(wheel_bytes())
    (compressed,) = struct.unpack_from("<L", data, 18)
    struct.pack_into("<L", data, 18, compressed + 1)
    assert refused(bytes(data)) == (
        "Invalid distribution file. ZIP archive not accepted: Mis-matched data size"
    )


def test_prepended_hidden_entry_is_refused() -> None:
    # A streaming reader would see the prepended zip's entries; zipfile only sees the second.
    hidden = wheel_bytes({"demo/__init__.py": b"EVIL = 1\n"})
    data = hidden[: hidden.index(b"PK\x01\x02")] + wheel_bytes()
    message = refused(data)
    assert message == (
        "Invalid distribution file. ZIP archive not accepted: Mismatched central directory offset"
    )


# --- member paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "/abs/path", "demo/..\\..\\x.py", "C:/windows/x.py", "demo/../../x"],
)
def test_unsafe_zip_member_path_is_refused(name: str) -> None:
    assert refused(wheel_bytes({name: b"x"})) == (
        f"Invalid distribution file. Unsafe member path {name!r}"
    )


@pytest.mark.parametrize("name", ["../../etc/passwd", "/abs/path", "demo-1.0/../../x"])
def test_unsafe_tar_member_path_is_refused(name: str) -> None:
    data = sdist_bytes(
        [
            (dir_info("demo-1.0"), b""),
            (file_info("demo-1.0/PKG-INFO", METADATA), METADATA),
            (file_info(name, b"x"), b"x"),
        ]
    )
    assert refused(data, SDIST) == f"Invalid distribution file. Unsafe member path {name!r}"


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("../../etc/passwd", tarfile.SYMTYPE),
        ("/etc/passwd", tarfile.SYMTYPE),
        ("../other-1.0/x", tarfile.SYMTYPE),
        ("../etc/passwd", tarfile.LNKTYPE),
        ("/etc/passwd", tarfile.LNKTYPE),
    ],
)
def test_tar_link_pointing_outside_is_refused(target: str, kind: bytes) -> None:
    data = sdist_bytes(
        [
            (dir_info("demo-1.0"), b""),
            (file_info("demo-1.0/PKG-INFO", METADATA), METADATA),
            (link_info("demo-1.0/evil", target, kind), b""),
        ]
    )
    assert refused(data, SDIST) == (
        f"Invalid distribution file. Unsafe member path 'demo-1.0/evil' (link to {target!r})"
    )


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_tar_device_node_is_refused(kind: bytes) -> None:
    node = tarfile.TarInfo("demo-1.0/dev")
    node.type = kind
    data = sdist_bytes(
        [
            (dir_info("demo-1.0"), b""),
            (file_info("demo-1.0/PKG-INFO", METADATA), METADATA),
            (node, b""),
        ]
    )
    assert refused(data, SDIST) == (
        "Invalid distribution file. Unsafe member path 'demo-1.0/dev' (device or FIFO member)"
    )


def test_sparse_tar_member_is_refused() -> None:
    # tarfile cannot write sparse members: write a GNU regular file and retype its header 'S'.
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        tar.addfile(dir_info("demo-1.0"))
        tar.addfile(file_info("demo-1.0/PKG-INFO", METADATA), io.BytesIO(METADATA))
        tar.addfile(file_info("demo-1.0/sparse", b"x"), io.BytesIO(b"x"))
    block = bytearray(raw.getvalue())
    header = block.index(b"demo-1.0/sparse")
    block[header + 156] = ord(tarfile.GNUTYPE_SPARSE)
    block[header + 148 : header + 156] = b" " * 8
    checksum = sum(block[header : header + 512])
    block[header + 148 : header + 156] = b"%06o\0 " % checksum
    assert refused(gzip.compress(bytes(block)), SDIST) == (
        "Invalid distribution file. tar archive not accepted: Sparse members are not allowed"
    )


def test_duplicate_tar_member_is_refused() -> None:
    data = sdist_bytes(
        [
            (dir_info("demo-1.0"), b""),
            (file_info("demo-1.0/PKG-INFO", METADATA), METADATA),
            (file_info("demo-1.0/PKG-INFO", METADATA), METADATA),
        ]
    )
    assert refused(data, SDIST) == (
        "Invalid distribution file. "
        "tar archive not accepted: Duplicate member name 'demo-1.0/PKG-INFO'"
    )


# --- tar expansion -----------------------------------------------------------------------------


def test_tar_expansion_past_the_limit_is_refused() -> None:
    payload = bytes(256 * 1024)
    data = sdist_bytes(
        [
            (dir_info("demo-1.0"), b""),
            (file_info("demo-1.0/PKG-INFO", METADATA), METADATA),
            (file_info("demo-1.0/zeros", payload), payload),
        ]
    )
    assert refused(data, SDIST, max_expanded_size=64 * 1024) == (
        "Invalid distribution file. tar archive not accepted: Archive expands to more than "
        "65536 bytes"
    )


def test_tar_expansion_counts_header_bytes() -> None:
    # A pax header is read into memory whole: its declared size must count before that happens.
    info = file_info("demo-1.0/PKG-INFO", METADATA)
    info.pax_headers = {"comment": "x" * (512 * 1024)}
    data = sdist_bytes([(dir_info("demo-1.0"), b""), (info, METADATA)])
    assert refused(data, SDIST, max_expanded_size=64 * 1024) == (
        "Invalid distribution file. tar archive not accepted: Archive expands to more than "
        "65536 bytes"
    )


# --- required layout ---------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["METADATA", "WHEEL", "RECORD"])
def test_wheel_missing_required_file_is_refused(missing: str) -> None:
    assert refused(wheel_bytes(omit=(missing,))) == (
        f"Wheel '{WHEEL}' does not contain the required {missing} file: "
        f"demo-1.0.dist-info/{missing}"
    )


def test_wheel_without_dist_info_names_the_expected_path() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("demo/__init__.py", b"")
    assert refused(buf.getvalue()) == (
        f"Wheel '{WHEEL}' does not contain the required METADATA file: demo-1.0.dist-info/METADATA"
    )


def test_wheel_with_two_dist_info_directories_is_refused() -> None:
    data = wheel_bytes({"other-2.0.dist-info/METADATA": METADATA})
    assert refused(data) == (
        "Invalid distribution file. Wheel contains more than one top-level .dist-info directory"
    )


def test_wheel_dist_info_for_another_project_is_refused() -> None:
    data = wheel_bytes(dist_info="evil-1.0.dist-info")
    assert refused(data) == (
        "Invalid distribution file. "
        "Wheel .dist-info directory 'evil-1.0.dist-info' does not match the filename"
    )


def test_sdist_missing_pkg_info_is_refused() -> None:
    data = sdist_bytes([(dir_info("demo-1.0"), b""), (file_info("demo-1.0/x", b"x"), b"x")])
    assert refused(data, SDIST) == (
        "Invalid distribution file. PKG-INFO not found at demo-1.0/PKG-INFO"
    )


def test_sdist_with_two_top_level_directories_is_refused() -> None:
    data = sdist_bytes(
        [
            (file_info("demo-1.0/PKG-INFO", METADATA), METADATA),
            (file_info("other/PKG-INFO", METADATA), METADATA),
        ]
    )
    assert refused(data, SDIST) == (
        "Invalid distribution file. Incorrect number of top-level directories in sdist"
    )


def test_sdist_with_files_at_the_root_is_refused() -> None:
    data = sdist_bytes([(file_info("PKG-INFO", METADATA), METADATA)])
    assert refused(data, SDIST) == (
        "Invalid distribution file. Incorrect number of top-level directories in sdist"
    )


def test_truncated_sdist_is_refused() -> None:
    data = sdist_bytes()
    message = refused(data[: len(data) // 2], SDIST)
    assert message.startswith("Invalid distribution file. ")
