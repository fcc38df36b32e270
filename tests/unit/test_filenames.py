from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.tags import Tag
from packaging.version import Version
from packyard.common.errors import InvalidArgument
from packyard.protocol.filenames import (
    INVALID_EXTENSION_MESSAGE,
    InvalidFilename,
    check_filename_safety,
    parse_distribution_filename,
)
from packyard.protocol.names import normalize, wheel_name


def test_pure_python_wheel() -> None:
    parsed = parse_distribution_filename("foo_bar-1.0-py2.py3-none-any.whl")
    assert parsed.project == "foo-bar"
    assert parsed.name_part == "foo_bar"
    assert parsed.version == Version("1.0")
    assert parsed.kind == "wheel"
    assert parsed.packagetype == "bdist_wheel"
    assert parsed.python_version == "py2.py3"
    assert parsed.build_tag is None
    assert parsed.tags == {Tag("py2", "none", "any"), Tag("py3", "none", "any")}


def test_wheel_with_build_tag_keeps_it() -> None:
    parsed = parse_distribution_filename(
        "numpy-2.0.0-1local-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    )
    assert parsed.build_tag == (1, "local")
    assert parsed.python_version == "cp311"
    assert Tag("cp311", "cp311", "manylinux2014_x86_64") in parsed.tags


def test_sdist_pep625() -> None:
    parsed = parse_distribution_filename("foo_bar-2.0rc1.tar.gz")
    assert parsed.project == "foo-bar"
    assert parsed.name_part == "foo_bar"
    assert parsed.version == Version("2.0rc1")
    assert (parsed.kind, parsed.packagetype, parsed.python_version) == (
        "sdist",
        "sdist",
        "source",
    )
    assert parsed.tags == frozenset()


def test_legacy_sdist_name_is_reported_literally() -> None:
    # The upload check compares name_part with the PEP 625 form; it must see the raw text.
    parsed = parse_distribution_filename("Foo.Bar-1.0.tar.gz")
    assert parsed.name_part == "Foo.Bar"
    assert parsed.project == "foo-bar"


@pytest.mark.parametrize(
    "filename",
    ["foo-1.0.zip", "foo-1.0.egg", "foo-1.0.exe", "foo-1.0.tar.bz2", "foo-1.0.tgz", "foo"],
)
def test_other_extensions_refused_with_warehouse_text(filename: str) -> None:
    with pytest.raises(InvalidFilename) as info:
        parse_distribution_filename(filename)
    assert info.value.message == INVALID_EXTENSION_MESSAGE
    assert info.value.message.startswith("Invalid file extension: Use .tar.gz, .whl or .zip")
    assert isinstance(info.value, InvalidArgument)


@pytest.mark.parametrize(
    "filename",
    [
        "foo-1.0-py3-none.whl",  # too few parts
        "foo-notaversion-py3-none-any.whl",
        "foo-bar-1.0-py3-none-any.whl",  # dash in name makes the version "bar"
        "foo-1.0-x-py3-none-any.whl",  # build tag must start with a digit
    ],
)
def test_invalid_wheel_filenames(filename: str) -> None:
    with pytest.raises(InvalidFilename, match=r"^Invalid wheel filename \("):
        parse_distribution_filename(filename)


def test_invalid_sdist_version() -> None:
    with pytest.raises(InvalidFilename, match="Invalid sdist filename"):
        parse_distribution_filename("foo-notaversion.tar.gz")


@pytest.mark.parametrize("filename", ["../foo-1.0.tar.gz", "a/b.whl", "a\\b.whl"])
def test_path_separators_refused(filename: str) -> None:
    with pytest.raises(InvalidFilename) as info:
        check_filename_safety(filename)
    assert info.value.message == "Cannot upload a file with '/' or '\\' in the name."


@pytest.mark.parametrize("char", ["\x00", "\n", "\r", "\x1f", "\x7f"])
def test_control_characters_refused(char: str) -> None:
    with pytest.raises(InvalidFilename) as info:
        check_filename_safety(f"foo{char}-1.0.tar.gz")
    assert info.value.message == (
        "Cannot upload a file with non-printable characters (ordinals 0-31, 127) in the name."
    )


def test_too_long_counts_bytes() -> None:
    check_filename_safety("a" * 248 + ".tar.gz")  # exactly 255 bytes
    with pytest.raises(InvalidFilename, match=r"^Filename is too long"):
        check_filename_safety("a" * 249 + ".tar.gz")
    # 100 two-byte characters plus the extension: under 255 characters, over 255 bytes.
    with pytest.raises(InvalidFilename, match=r"^Filename is too long"):
        check_filename_safety("é" * 125 + ".tar.gz")


def test_ordinary_filename_is_safe() -> None:
    check_filename_safety("foo_bar-1.0-py3-none-any.whl")


names = st.from_regex(r"\A[A-Za-z0-9]([A-Za-z0-9._-]{0,20}[A-Za-z0-9])?\Z", fullmatch=True)


@st.composite
def versions(draw: st.DrawFn) -> Version:
    release = ".".join(str(n) for n in draw(st.lists(st.integers(0, 999), min_size=1, max_size=4)))
    epoch = draw(st.sampled_from(["", "1!"]))
    pre = draw(st.sampled_from(["", "a1", "b2", "rc3"]))
    post = draw(st.sampled_from(["", ".post1"]))
    dev = draw(st.sampled_from(["", ".dev0"]))
    return Version(f"{epoch}{release}{pre}{post}{dev}")


@given(names, versions(), st.sampled_from(["py3-none-any", "cp311-abi3-manylinux_2_28_x86_64"]))
def test_wheel_names_round_trip(name: str, version: Version, tags: str) -> None:
    filename = f"{wheel_name(name)}-{version}-{tags}.whl"
    parsed = parse_distribution_filename(filename)
    assert parsed.project == normalize(name)
    assert parsed.version == version
    assert parsed.name_part == wheel_name(name)
    assert parsed.filename == filename


@given(names, versions())
def test_sdist_names_round_trip(name: str, version: Version) -> None:
    parsed = parse_distribution_filename(f"{wheel_name(name)}-{version}.tar.gz")
    assert parsed.project == normalize(name)
    assert parsed.version == version
