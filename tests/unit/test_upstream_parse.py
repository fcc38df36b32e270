"""Parsing upstream project pages (PEP 691 JSON, PEP 503 HTML) and refusing unsafe entries."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from packyard.protocol.upstream_parse import (
    UpstreamParseError,
    origin_of,
    parse_project_html,
    parse_project_json,
    parse_project_page,
)

PAGE = "https://up.example/simple/demo/"
SHA = "a" * 64
META_SHA = "b" * 64


def _json_page(*files: dict[str, object], **extra: object) -> bytes:
    return json.dumps(
        {"meta": {"api-version": "1.1"}, "name": "demo", "files": list(files), **extra}
    ).encode()


def test_json_page_keeps_every_pep_field() -> None:
    body = _json_page(
        {
            "filename": "demo-1.0-py3-none-any.whl",
            "url": "../../packages/demo-1.0-py3-none-any.whl",
            "hashes": {"sha256": SHA.upper(), "md5": "c" * 32},
            "requires-python": ">=3.9",
            "yanked": "broken build",
            "core-metadata": {"sha256": META_SHA},
            "size": 1234,
            "upload-time": "2024-05-01T12:30:00.123456Z",
        },
        versions=["1.0", "0.9"],
    )
    page = parse_project_json(body, PAGE, "Demo", [])
    assert page.project == "demo"
    [file] = page.files
    assert file.url == "https://up.example/packages/demo-1.0-py3-none-any.whl"
    assert file.hashes == {"sha256": SHA, "md5": "c" * 32}
    assert file.requires_python == ">=3.9"
    assert file.yanked == "broken build"
    assert file.core_metadata == {"sha256": META_SHA}
    assert file.size == 1234
    assert file.upload_time == datetime(2024, 5, 1, 12, 30, 0, 123456, tzinfo=UTC)
    assert file.version == "1.0"
    # Upstream versions are kept (0.9 has no file here, PEP 700 allows that).
    assert page.versions == ("1.0", "0.9")


def test_json_legacy_metadata_key_and_plain_true() -> None:
    body = _json_page(
        {"filename": "demo-1.0.tar.gz", "url": "/f/demo-1.0.tar.gz", "hashes": {},
         "dist-info-metadata": True, "yanked": True},
    )  # fmt: skip
    [file] = parse_project_json(body, PAGE, "demo", []).files
    assert file.core_metadata is True
    assert file.yanked is True
    assert file.hashes == {}
    assert file.size is None and file.upload_time is None


def test_json_major_version_two_is_refused() -> None:
    body = json.dumps({"meta": {"api-version": "2.0"}, "files": []}).encode()
    with pytest.raises(UpstreamParseError):
        parse_project_json(body, PAGE, "demo", [])


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"meta": {}}', b"[" * 100_000])
def test_json_garbage_is_an_error(body: bytes) -> None:
    with pytest.raises(UpstreamParseError):
        parse_project_json(body, PAGE, "demo", [])


def test_html_page_fields_and_relative_urls() -> None:
    html = f"""<!DOCTYPE html><html><head>
    <meta name="pypi:repository-version" content="1.1"></head><body>
    <a href="demo-1.0-py3-none-any.whl#sha256={SHA}" data-requires-python="&gt;=3.8"
       data-core-metadata="sha256={META_SHA}">demo-1.0-py3-none-any.whl</a><br>
    <a href="/packages/Demo-0.9.tar.gz#md5={"d" * 32}" data-yanked="">Demo-0.9.tar.gz</a>
    <a href="https://up.example:443/x/demo-0.8.tar.gz"
       data-dist-info-metadata="true">demo-0.8.tar.gz</a>
    </body></html>""".encode()
    page = parse_project_html(html, PAGE, "demo", [])
    assert [f.filename for f in page.files] == [
        "demo-1.0-py3-none-any.whl",
        "Demo-0.9.tar.gz",
        "demo-0.8.tar.gz",
    ]
    wheel, old, older = page.files
    assert wheel.url == "https://up.example/simple/demo/demo-1.0-py3-none-any.whl"
    assert wheel.hashes == {"sha256": SHA}
    assert wheel.requires_python == ">=3.8"
    assert wheel.core_metadata == {"sha256": META_SHA}
    assert wheel.yanked is False
    assert old.url == "https://up.example/packages/Demo-0.9.tar.gz"
    assert old.hashes == {"md5": "d" * 32}
    assert old.yanked == ""  # present but empty: yanked without a reason
    assert older.core_metadata is True
    assert page.versions == ("1.0", "0.9", "0.8")


def test_relative_dot_segments_resolve_like_a_browser() -> None:
    html = b'<a href="../../packages/demo/demo-1.0.tar.gz">demo-1.0.tar.gz</a>'
    [file] = parse_project_html(html, PAGE, "demo", []).files
    assert file.url == "https://up.example/packages/demo/demo-1.0.tar.gz"


def test_html_without_anchor_text_uses_the_url_filename() -> None:
    html = b'<a href="demo-1.0.tar.gz#sha256=' + SHA.encode() + b'"></a>'
    [file] = parse_project_html(html, PAGE, "demo", []).files
    assert file.filename == "demo-1.0.tar.gz"


@pytest.mark.parametrize(
    ("href", "text", "reason"),
    [
        ("https://evil.example/demo-1.0.tar.gz", "demo-1.0.tar.gz", "another host"),
        ("http://up.example/demo-1.0.tar.gz", "demo-1.0.tar.gz", "another host"),
        ("https://up.example/a/../../demo-1.0.tar.gz", "demo-1.0.tar.gz", ".."),
        ("%2e%2e/demo-1.0.tar.gz", "demo-1.0.tar.gz", ".."),
        ("file:///etc/demo-1.0.tar.gz", "demo-1.0.tar.gz", "http"),
        ("other-1.0.tar.gz", "other-1.0.tar.gz", "another project"),
        ("demo-1.0.tar.gz", "demo-2.0.tar.gz", "filename"),
        ("https://u:p@up.example/demo-1.0.tar.gz", "demo-1.0.tar.gz", "credentials"),
        ("demo-1.0.exe", "demo-1.0.exe", "wheel or sdist"),
    ],
)
def test_unsafe_entries_are_dropped_with_a_reason(href: str, text: str, reason: str) -> None:
    html = f'<a href="{href}">{text}</a><a href="demo-3.0.tar.gz">demo-3.0.tar.gz</a>'
    page = parse_project_html(html.encode(), PAGE, "demo", [])
    assert [f.filename for f in page.files] == ["demo-3.0.tar.gz"]
    [dropped] = page.dropped
    assert reason in dropped.reason


def test_allowed_file_origin_is_accepted() -> None:
    body = _json_page(
        {"filename": "demo-1.0.tar.gz", "url": "https://files.example/p/demo-1.0.tar.gz",
         "hashes": {"sha256": SHA}},
    )  # fmt: skip
    assert parse_project_json(body, PAGE, "demo", []).files == ()
    allowed = parse_project_json(body, PAGE, "demo", [origin_of("https://files.example/")])
    assert [f.url for f in allowed.files] == ["https://files.example/p/demo-1.0.tar.gz"]


def test_malformed_hashes_are_ignored() -> None:
    html = b'<a href="demo-1.0.tar.gz#sha256=xyz">demo-1.0.tar.gz</a>'
    [file] = parse_project_html(html, PAGE, "demo", []).files
    assert file.hashes == {}


def test_content_type_selects_the_parser() -> None:
    body = _json_page({"filename": "demo-1.0.tar.gz", "url": "demo-1.0.tar.gz", "hashes": {}})
    page = parse_project_page(body, "application/vnd.pypi.simple.v1+json", PAGE, "demo", [])
    assert len(page.files) == 1
    # The same bytes as HTML have no anchors at all.
    assert parse_project_page(body, "text/html", PAGE, "demo", []).files == ()


def test_status_is_read_from_both_formats() -> None:
    body = _json_page(**{"project-status": {"status": "quarantined"}})
    assert parse_project_json(body, PAGE, "demo", []).status == "quarantined"
    html = b'<meta name="pypi:project-status" content="archived">'
    assert parse_project_html(html, PAGE, "demo", []).status == "archived"


def test_origin_of_spells_out_default_ports() -> None:
    assert origin_of("https://Up.Example/simple/") == "https://up.example:443"
    assert origin_of("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080"
