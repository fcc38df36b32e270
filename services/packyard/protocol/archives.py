"""Inspection of distribution archives without extracting them to disk. Pure: no I/O but
reading the file object it is given.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import BinaryIO

from packyard.common.errors import InvalidArgument


class InvalidDistribution(InvalidArgument):
    """The upload is not an acceptable archive; message starts "Invalid distribution file."."""


def wheel_metadata_member(names: list[str]) -> str | None:
    """The ``*.dist-info/METADATA`` member of a wheel: exactly one top-level dist-info."""
    candidates = [
        n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
    ]
    return candidates[0] if len(candidates) == 1 else None


def extract_wheel_metadata(source: str | Path | BinaryIO) -> bytes | None:
    """The bytes of a wheel's METADATA (PEP 658 serves them byte-for-byte), None if absent."""
    try:
        with zipfile.ZipFile(source) as zf:
            member = wheel_metadata_member(zf.namelist())
            if member is None:
                return None
            return zf.read(member)
    except zipfile.BadZipFile as exc:
        raise InvalidDistribution(f"Invalid distribution file. {exc}") from exc
