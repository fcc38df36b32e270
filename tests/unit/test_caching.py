from __future__ import annotations

import re

import pytest
from packyard.protocol.caching import etag_for, if_none_match_matches


def test_etag_is_quoted_strong_and_deterministic() -> None:
    tag = etag_for("foo", 12, "json")
    assert re.fullmatch(r'"[0-9a-f]{32}"', tag)
    assert etag_for("foo", 12, "json") == tag


def test_etag_changes_with_any_part() -> None:
    base = etag_for("foo", 12, "json")
    assert etag_for("foo", 13, "json") != base  # new upload bumps the serial
    assert etag_for("foo", 12, "html") != base  # formats differ (Vary: Accept)
    assert etag_for("ab", "c") != etag_for("a", "bc")


@pytest.mark.parametrize(
    "header",
    [
        "TAG",
        "W/TAG",
        '"other", TAG',
        '"other",W/TAG , "x"',
        "*",
        " * ",
    ],
)
def test_if_none_match_matches(header: str) -> None:
    tag = etag_for("p", 1)
    assert if_none_match_matches(header.replace("TAG", tag), tag)


@pytest.mark.parametrize("header", [None, "", '"other"', 'W/"other", "x"', "garbage"])
def test_if_none_match_does_not_match(header: str | None) -> None:
    assert not if_none_match_matches(header, etag_for("p", 1))


def test_weak_etag_on_our_side_compares_weakly() -> None:
    assert if_none_match_matches('"abc"', 'W/"abc"')
