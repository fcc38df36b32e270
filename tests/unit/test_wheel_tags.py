"""Wheel tag checks at upload (issue 17 item 4): platform tags an installer can match, and the
filename's tags equal to the WHEEL file's Tag lines."""

from __future__ import annotations

import pytest
from packaging.utils import parse_wheel_filename
from packyard.protocol.wheel_tags import (
    InvalidWheelTags,
    check_wheel_tags,
    is_valid_platform_tag,
    wheel_file_tags,
)


def _wheel_file(*tags: str) -> bytes:
    lines = "".join(f"Tag: {tag}\n" for tag in tags)
    head = "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.45.1)\nRoot-Is-Purelib: false\n"
    return (head + lines).encode()


def _check(filename: str, wheel_file: bytes | None) -> None:
    check_wheel_tags(filename, parse_wheel_filename(filename)[3], wheel_file)


@pytest.mark.parametrize(
    "platform",
    [
        "any",
        "win_amd64",
        "win_arm64",
        "linux_x86_64",
        "manylinux1_x86_64",
        "manylinux2014_aarch64",
        "manylinux_2_17_x86_64",
        "musllinux_1_2_aarch64",
        "macosx_10_9_x86_64",
        "macosx_11_0_arm64",
        "macosx_10_9_universal2",
        "ios_13_0_arm64_iphoneos",
        "android_21_arm64_v8a",
        "pyodide_2024_0_wasm32",
    ],
)
def test_real_platform_tags_are_valid(platform: str) -> None:
    assert is_valid_platform_tag(platform)


@pytest.mark.parametrize(
    "platform", ["foo_bar", "linux_foo", "manylinux_2_x86_64", "macosx_11_0_sparc", "win_amd65"]
)
def test_made_up_platform_tags_are_invalid(platform: str) -> None:
    assert not is_valid_platform_tag(platform)


def test_the_issue_wheel_is_refused_with_warehouse_wording() -> None:
    with pytest.raises(InvalidWheelTags) as info:
        _check("demo-1.0-py3-none-foo_bar.whl", _wheel_file("py3-none-foo_bar"))
    assert info.value.message == (
        "Binary wheel 'demo-1.0-py3-none-foo_bar.whl' has an unsupported platform tag 'foo_bar'."
    )


def test_numpy_style_compressed_tags_match_expanded_wheel_lines() -> None:
    filename = "numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    _check(
        filename,
        _wheel_file("cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-manylinux2014_x86_64"),
    )


def test_universal_wheel_matches_either_spelling_in_wheel() -> None:
    _check("six-1.16.0-py2.py3-none-any.whl", _wheel_file("py2-none-any", "py3-none-any"))
    _check("six-1.16.0-py2.py3-none-any.whl", _wheel_file("py2.py3-none-any"))


def test_tags_that_disagree_with_wheel_are_refused_naming_the_difference() -> None:
    with pytest.raises(InvalidWheelTags) as info:
        _check("demo-1.0-py3-none-any.whl", _wheel_file("cp312-cp312-linux_x86_64"))
    assert "differ from its WHEEL file" in info.value.message
    assert "cp312-cp312-linux_x86_64" in info.value.message
    assert "py3-none-any" in info.value.message


def test_a_tag_missing_from_wheel_is_a_disagreement() -> None:
    with pytest.raises(InvalidWheelTags, match="py2-none-any"):
        _check("six-1.16.0-py2.py3-none-any.whl", _wheel_file("py3-none-any"))


def test_wheel_without_tag_lines_is_refused() -> None:
    with pytest.raises(InvalidWheelTags, match="no Tag lines"):
        _check("demo-1.0-py3-none-any.whl", _wheel_file())


def test_wheel_file_tags_reads_every_line() -> None:
    tags = wheel_file_tags(_wheel_file("py2-none-any", "py3-none-any"))
    assert sorted(str(t) for t in tags) == ["py2-none-any", "py3-none-any"]
