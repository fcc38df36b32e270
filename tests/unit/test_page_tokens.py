"""Page tokens (metadata/page_tokens.py): a token resumes only the list it came from, and a
request without page_size or token still asks for everything."""

from __future__ import annotations

import pytest
from packyard.common.errors import InvalidArgument
from packyard.metadata.page_tokens import PageRequest, decode, encode, page_request


def test_a_token_resumes_after_its_key_in_its_own_list_only() -> None:
    token = encode("ListProjects:main", "numpy")
    assert decode(token, "ListProjects:main") == "numpy"
    with pytest.raises(InvalidArgument):
        decode(token, "ListProjects:other")
    for garbage in ("%%%", "bm90IGpzb24", encode("ListProjects:main", "x")[:-3]):
        with pytest.raises(InvalidArgument):
            decode(garbage, "ListProjects:main")


def test_page_sizes_default_cap_and_keep_the_unpaged_behaviour() -> None:
    scope = "ListFeeds"
    assert page_request(0, "", scope, default=10, maximum=50) == PageRequest(None, "")
    assert page_request(0, encode(scope, "b"), scope, default=10, maximum=50) == PageRequest(
        10, "b"
    )
    assert page_request(500, "", scope, default=10, maximum=50) == PageRequest(50, "")
    with pytest.raises(InvalidArgument):
        page_request(-1, "", scope, default=10, maximum=50)
