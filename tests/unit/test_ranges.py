from __future__ import annotations

import pytest
from packyard.common.errors import InvalidArgument
from packyard.protocol.ranges import RangeNotSatisfiable, content_range, parse_range

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-100", (900, 999)),  # uv/poetry read the zip's central directory like this
        ("bytes=-5000", (0, 999)),  # suffix longer than the file: the whole file
        ("bytes=990-5000", (990, 999)),  # end clamped
        ("bytes=999-999", (999, 999)),
        ("BYTES=0-0", (0, 0)),
        ("bytes= 5-9", (5, 9)),
    ],
)
def test_single_ranges(header: str, expected: tuple[int, int]) -> None:
    assert parse_range(header, SIZE) == expected


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "bytes=0-1,5-6",  # multi-range: serve the whole file
        "items=0-5",
        "bytes=5-2",  # invalid spec: ignored per RFC 9110
        "bytes=a-b",
        "bytes=-",
        "bytes=5",
        "bytes=-x",
        "bytes=٣-٤",  # non-ASCII digits are not digits here
    ],
)
def test_ignored_headers_serve_whole_file(header: str | None) -> None:
    assert parse_range(header, SIZE) is None


@pytest.mark.parametrize(
    ("header", "size"),
    [
        ("bytes=1000-", 1000),
        ("bytes=1000-1005", 1000),
        ("bytes=-0", 1000),
        ("bytes=0-", 0),
        ("bytes=-10", 0),
    ],
)
def test_unsatisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as info:
        parse_range(header, size)
    assert info.value.content_range == f"bytes */{size}"
    assert isinstance(info.value, InvalidArgument)


def test_content_range() -> None:
    start, end = parse_range("bytes=-100", SIZE) or (0, 0)
    assert content_range(start, end, SIZE) == "bytes 900-999/1000"
    assert end - start + 1 == 100
