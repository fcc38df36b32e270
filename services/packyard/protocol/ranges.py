"""Single byte ranges (RFC 9110 §14) for file downloads: uv and poetry's lazy-wheel read a
wheel's central directory with ``bytes=-N`` and then ``bytes=a-b``.

Anything we do not serve as a range (other units, multiple ranges, malformed specs) is
ignored, which RFC 9110 allows: the client then gets the whole file with 200.
"""

from __future__ import annotations

from packyard.common.errors import InvalidArgument


class RangeNotSatisfiable(InvalidArgument):
    """Answer 416 with ``Content-Range: bytes */size``."""

    def __init__(self, size: int) -> None:
        super().__init__(f"Requested range not satisfiable for {size} bytes")
        self.size = size

    @property
    def content_range(self) -> str:
        return f"bytes */{self.size}"


def _digits(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end)`` inclusive for a single satisfiable range, None to serve the whole file."""
    if not header:
        return None
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    first, last = first.strip(), last.strip()
    if not first:
        suffix = _digits(last)
        if suffix is None:
            return None
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(size)
        return max(0, size - suffix), size - 1
    start = _digits(first)
    end = _digits(last) if last else None
    if start is None or (last and (end is None or end < start)):
        return None
    if start >= size:
        raise RangeNotSatisfiable(size)
    return start, size - 1 if end is None else min(end, size - 1)


def content_range(start: int, end: int, size: int) -> str:
    return f"bytes {start}-{end}/{size}"
