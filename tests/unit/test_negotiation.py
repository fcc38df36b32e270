from __future__ import annotations

import pytest
from packyard.protocol.negotiation import SimpleFormat, select_simple_format

JSON = SimpleFormat.JSON_V1
HTML = SimpleFormat.HTML
HTML_V1 = SimpleFormat.HTML_V1

# The strings real clients send (PROTOCOL.md §4).
PIP = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)
UV = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)
POETRY = "application/vnd.pypi.simple.v1+json, */*;q=0.1"
UNEARTH = PIP  # unearth (pdm) copies pip's header
CONNECTOR = "application/vnd.pypi.simple.v1+json, text/html;q=0.01"  # STYLE §10.11
HTTPX_DEFAULT = "*/*"  # hatch sends no Accept of its own


@pytest.mark.parametrize("accept", [PIP, UV, POETRY, UNEARTH, CONNECTOR])
def test_real_clients_get_json(accept: str) -> None:
    assert select_simple_format(accept) is JSON


@pytest.mark.parametrize("accept", [None, "", "   ", HTTPX_DEFAULT, "text/html", "text/*"])
def test_html_by_default_and_for_html_clients(accept: str | None) -> None:
    assert select_simple_format(accept) is HTML


def test_legacy_pip_header_gets_html() -> None:
    # pip < 22.2 sent "text/html" plus a wildcard at low priority.
    assert select_simple_format("text/html, */*;q=0.1") is HTML


def test_explicit_v1_html() -> None:
    assert select_simple_format("application/vnd.pypi.simple.v1+html") is HTML_V1


def test_order_is_meaningless_q_decides() -> None:
    reordered = "text/html; q=0.01, application/vnd.pypi.simple.v1+html; q=0.1, " + (
        "application/vnd.pypi.simple.v1+json"
    )
    assert select_simple_format(reordered) is JSON
    html_first = "application/vnd.pypi.simple.v1+json;q=0.5, text/html"
    assert select_simple_format(html_first) is HTML


def test_latest_meta_version_maps_to_v1() -> None:
    assert select_simple_format("application/vnd.pypi.simple.latest+json") is JSON
    assert select_simple_format("application/vnd.pypi.simple.latest+html") is HTML_V1
    assert JSON.content_type == "application/vnd.pypi.simple.v1+json"


def test_q_zero_is_not_acceptable() -> None:
    assert select_simple_format("application/vnd.pypi.simple.v1+json;q=0") is None
    # The specific q=0 overrides the wildcard for JSON only.
    assert select_simple_format("application/vnd.pypi.simple.v1+json;q=0, */*") is HTML
    assert select_simple_format("text/html;q=0, */*;q=0.5") is HTML_V1


@pytest.mark.parametrize(
    "accept", ["application/json", "image/png, text/plain", "application/vnd.pypi.simple.v2+json"]
)
def test_nothing_acceptable_is_none(accept: str) -> None:
    assert select_simple_format(accept) is None


def test_application_wildcard_excludes_text_html() -> None:
    assert select_simple_format("application/*") is HTML_V1
    assert select_simple_format("application/*;q=0.5, application/vnd.pypi.simple.v1+json") is JSON


def test_explicit_equal_q_prefers_json() -> None:
    accept = "text/html, application/vnd.pypi.simple.v1+json"
    assert select_simple_format(accept) is JSON
    # An explicit mention beats a wildcard at the same q.
    assert select_simple_format("*/*, application/vnd.pypi.simple.v1+html") is HTML_V1


def test_media_type_case_and_parameters_are_tolerated() -> None:
    assert select_simple_format("Application/Vnd.PyPI.Simple.V1+JSON; charset=utf-8") is JSON
    assert select_simple_format("text/html;level=1;q=0.9") is HTML


def test_malformed_members_are_skipped() -> None:
    assert select_simple_format("garbage, application/vnd.pypi.simple.v1+json") is JSON
    assert select_simple_format("application/vnd.pypi.simple.v1+json;q=2, text/html") is HTML
    assert select_simple_format("application/vnd.pypi.simple.v1+json;q=abc, text/html") is HTML
    assert select_simple_format("garbage") is HTML


def test_format_param_overrides_accept() -> None:
    assert select_simple_format("text/html", "application/vnd.pypi.simple.v1+json") is JSON
    assert select_simple_format(PIP, "text/html") is HTML
    assert select_simple_format(PIP, "application/vnd.pypi.simple.latest+json") is JSON
    assert select_simple_format(PIP, "application/xml") is None
    assert select_simple_format(PIP, "") is JSON  # an empty parameter is no parameter


def test_content_types_and_is_json() -> None:
    assert HTML.content_type == "text/html"
    assert HTML_V1.content_type == "application/vnd.pypi.simple.v1+html"
    assert JSON.is_json and not HTML.is_json and not HTML_V1.is_json
    for fmt in SimpleFormat:
        assert fmt.content_type == fmt.content_type.lower()
