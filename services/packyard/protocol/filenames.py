"""Distribution filenames (PEP 427 wheels, PEP 625 sdists) parsed into one frozen value.

The name/version checks against the uploaded metadata live with the upload code; this module
only says what a filename *is* and whether it is safe to store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from packaging.tags import Tag
from packaging.utils import (
    BuildTag,
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from packyard.common.errors import InvalidArgument

# Warehouse's wording, kept verbatim: clients and users search for it.
INVALID_EXTENSION_MESSAGE = (
    "Invalid file extension: Use .tar.gz, .whl or .zip extension. "
    "See https://www.python.org/dev/peps/pep-0527 and https://peps.python.org/pep-0625/ "
    "for more information."
)
SEPARATOR_MESSAGE = "Cannot upload a file with '/' or '\\' in the name."
NON_PRINTABLE_MESSAGE = (
    "Cannot upload a file with non-printable characters (ordinals 0-31, 127) in the name."
)
TOO_LONG_MESSAGE = "Filename is too long"
MAX_FILENAME_BYTES = 255


class InvalidFilename(InvalidArgument):
    """The filename is not a wheel or sdist name this index accepts."""


@dataclass(frozen=True, slots=True)
class DistributionFilename:
    filename: str
    project: NormalizedName
    name_part: str  # literally as written in the filename, for PEP 625 / wheel-name checks
    version: Version
    kind: Literal["wheel", "sdist"]
    build_tag: BuildTag | None
    tags: frozenset[Tag]

    @property
    def packagetype(self) -> str:
        return "bdist_wheel" if self.kind == "wheel" else "sdist"

    @property
    def python_version(self) -> str:
        """What PyPI's JSON API calls ``python_version``: the wheel's python tag(s) or "source"."""
        if self.kind == "sdist":
            return "source"
        # The compressed tag set keeps the uploader's order ("py2.py3"); the frozenset does not.
        return self.filename[: -len(".whl")].split("-")[-3]


def _prefixed(prefix: str, exc: Exception) -> str:
    # Most packaging messages already read "Invalid wheel filename (why): ..."; some
    # (a bad build number) do not, and users should always see the same prefix.
    detail = str(exc)
    return detail if detail.startswith(prefix) else f"{prefix} ({detail})"


def parse_distribution_filename(filename: str) -> DistributionFilename:
    """Parse a wheel or ``.tar.gz`` sdist filename; raise ``InvalidFilename`` otherwise."""
    if filename.endswith(".whl"):
        try:
            name, version, build, tags = parse_wheel_filename(filename)
        except (InvalidWheelFilename, InvalidVersion) as exc:
            raise InvalidFilename(_prefixed("Invalid wheel filename", exc)) from exc
        return DistributionFilename(
            filename=filename,
            project=name,
            name_part=filename.split("-", 1)[0],
            version=version,
            kind="wheel",
            build_tag=build or None,
            tags=tags,
        )
    # PEP 625 made .tar.gz the only sdist format; .zip sdists are refused like any other type.
    if filename.endswith(".tar.gz"):
        try:
            name, version = parse_sdist_filename(filename)
        except (InvalidSdistFilename, InvalidVersion) as exc:
            raise InvalidFilename(_prefixed("Invalid sdist filename", exc)) from exc
        return DistributionFilename(
            filename=filename,
            project=name,
            name_part=filename[: -len(".tar.gz")].rpartition("-")[0],
            version=version,
            kind="sdist",
            build_tag=None,
            tags=frozenset(),
        )
    raise InvalidFilename(INVALID_EXTENSION_MESSAGE)


def check_filename_safety(filename: str) -> None:
    """Refuse names that could escape a directory, corrupt a header or overflow a filesystem."""
    if "/" in filename or "\\" in filename:
        raise InvalidFilename(SEPARATOR_MESSAGE)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in filename):
        raise InvalidFilename(NON_PRINTABLE_MESSAGE)
    if len(filename.encode("utf-8", "surrogatepass")) > MAX_FILENAME_BYTES:
        raise InvalidFilename(TOO_LONG_MESSAGE)
