"""Wheel compatibility tags checked at upload: each platform tag one an installer can match,
and the filename's tags the same set as the ``Tag:`` lines of the wheel's ``WHEEL`` file.

Warehouse refuses both (``forklift/legacy.py``: ``_valid_platform_tag`` and the WHEEL/filename
comparison); pip and uv pick a wheel by its filename but install by what ``WHEEL`` says, so
a disagreement is a file that installs on a machine its name excluded. Unlike PyPI, a private
index accepts ``linux_<arch>`` wheels: teams build them for their own fleet, where PyPI needs
manylinux for everyone's.
"""

from __future__ import annotations

import re
from email.parser import BytesHeaderParser

from packaging.tags import Tag, parse_tag

from packyard.common.errors import InvalidArgument

_LINUX_ARCHES = "x86_64|i686|aarch64|armv7l|armv6l|ppc64|ppc64le|s390x|riscv64|loongarch64"
_MACOS_ARCHES = "x86_64|arm64|arm64e|universal2|intel|fat|fat3|fat32|fat64|universal|i386|ppc|ppc64"
_STATIC_PLATFORMS = frozenset({"any", "win32", "win_amd64", "win_arm64", "win_ia64"})
_PLATFORM_RES = tuple(
    re.compile(pattern)
    for pattern in (
        rf"^linux_({_LINUX_ARCHES})\Z",
        rf"^manylinux(1|2010|2014)_({_LINUX_ARCHES})\Z",
        rf"^manylinux_\d+_\d+_({_LINUX_ARCHES})\Z",  # PEP 600
        rf"^musllinux_\d+_\d+_({_LINUX_ARCHES})\Z",  # PEP 656
        rf"^macosx_\d+_\d+_({_MACOS_ARCHES})\Z",
        r"^ios_\d+_\d+_(arm64|x86_64)_(iphoneos|iphonesimulator)\Z",  # PEP 730
        r"^android_\d+_(arm64_v8a|armeabi_v7a|x86_64|x86)\Z",  # PEP 738
        r"^(emscripten_\d+_\d+_\d+|pyodide_\d{4}_\d+)_wasm32\Z",  # PEP 776, 783
    )
)
# PEP 425: interpreter/ABI tags are short lowercase identifiers ("py3", "cp313t", "abi3").
_TAG_PART_RE = re.compile(r"^[a-z][a-z0-9_]*\Z")


class InvalidWheelTags(InvalidArgument):
    """The wheel's tags are malformed, unknown, or disagree with its WHEEL file (HTTP 400)."""


def is_valid_platform_tag(platform: str) -> bool:
    return platform in _STATIC_PLATFORMS or any(r.match(platform) for r in _PLATFORM_RES)


def check_wheel_tags(filename: str, tags: frozenset[Tag], wheel_file: bytes | None) -> None:
    """Refuse a wheel whose filename tags are invalid or differ from its ``WHEEL`` Tag lines.

    ``tags`` are the filename's (``packaging.utils.parse_wheel_filename``); ``wheel_file`` is
    the ``*.dist-info/WHEEL`` member, None only when an older caller has not read it.
    """
    for tag in sorted(tags, key=str):
        if not is_valid_platform_tag(tag.platform):
            raise InvalidWheelTags(
                f"Binary wheel '{filename}' has an unsupported platform tag '{tag.platform}'."
            )
        for part in (tag.interpreter, tag.abi):
            if not _TAG_PART_RE.match(part):
                raise InvalidWheelTags(f"Wheel '{filename}' has an invalid tag '{part}'.")
    if wheel_file is None:
        return
    declared = wheel_file_tags(wheel_file)
    if not declared:
        raise InvalidWheelTags(f"Wheel '{filename}' has no Tag lines in its WHEEL file.")
    if declared != tags:
        shown = ", ".join(sorted(str(t) for t in declared ^ tags))
        raise InvalidWheelTags(
            f"Wheel '{filename}' has tags that differ from its WHEEL file: {shown}."
        )


def wheel_file_tags(wheel_file: bytes) -> frozenset[Tag]:
    """The tags a ``WHEEL`` file declares; each ``Tag:`` line may itself be compressed."""
    headers = BytesHeaderParser().parsebytes(wheel_file)
    found: set[Tag] = set()
    for line in headers.get_all("Tag") or ():
        found.update(parse_tag(str(line).strip().lower()))
    return frozenset(found)
