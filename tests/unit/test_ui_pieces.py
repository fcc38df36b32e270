"""Pure pieces of the web UI: README sanitizing, XML-RPC, CSRF tokens, project page data."""

from __future__ import annotations

import xmlrpc.client
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from packyard.common.errors import PermissionDenied
from packyard.gateway.ui.csrf import check_same_origin, form_token
from packyard.gateway.ui.project import (
    index_url,
    install_lines,
    latest_version,
    project_links,
    safe_url,
    version_rows,
)
from packyard.gateway.ui.readme import render_readme
from packyard.gateway.ui.syndication import RssItem, render_rss
from packyard.gateway.ui.xmlrpc_codec import (
    SearchHit,
    XmlRpcFault,
    parse_call,
    search_query,
    search_response,
)
from packyard_rpc.v1 import common_pb2, metadata_pb2
from starlette.requests import Request

ATTACKS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" JAVASCRIPT:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "<svg onload=alert(1)>",
    '<iframe src="https://example.com"></iframe>',
    '<div style="x" onmouseover="alert(1)">x</div>',
    "<style>body{}</style>",
]


class _Elements(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


@pytest.mark.parametrize("content_type", ["text/markdown", "text/x-rst", "text/plain", ""])
@pytest.mark.parametrize("attack", ATTACKS)
def test_readme_rendering_leaves_nothing_executable(content_type: str, attack: str) -> None:
    # Parsed as a browser would: escaped text is fine, elements and attributes are not.
    for tag, attrs in _Elements(
        str(render_readme(f"Title\n=====\n\n{attack}\n", content_type))
    ).found:
        assert tag not in {"script", "iframe", "svg", "style", "object", "embed"}
        for name, value in attrs.items():
            assert not name.startswith("on") and name != "style", (tag, name)
            assert not value.strip().lower().startswith("javascript:"), (tag, value)


def test_markdown_readme_renders_markup() -> None:
    html = str(render_readme("# Hello\n\n**bold** [link](https://example.com)", "text/markdown"))
    assert "<h1" in html and "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html and "noopener" in html


def test_xmlrpc_search_round_trip() -> None:
    body = xmlrpc.client.dumps(({"name": ["req"], "summary": ["req"]}, "or"), "search").encode()
    method, params = parse_call(body)
    assert (method, search_query(params)) == ("search", "req")
    reply = search_response([SearchHit("requests", "2.0", "HTTP <for> humans")])
    (hits,), _ = xmlrpc.client.loads(reply)
    assert hits == [
        {"name": "requests", "version": "2.0", "summary": "HTTP <for> humans", "_pypi_ordering": 0}
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><methodCall/>',
        b"<methodCall>" + b"x" * 70_000 + b"</methodCall>",
    ],
)
def test_xmlrpc_refuses_bad_requests(body: bytes) -> None:
    with pytest.raises(XmlRpcFault):
        parse_call(body)


def test_rss_escapes_values() -> None:
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    body = render_rss("t", "https://h/", "d", [RssItem("<b>x</b>", "https://h/x", "a & b", when)])
    assert b"&lt;b&gt;x&lt;/b&gt;" in body and b"a &amp; b" in body
    assert b"<pubDate>Fri, 02 Jan 2026 03:04:00 GMT</pubDate>" in body


def _file(version: str, *, yanked: bool = False) -> common_pb2.FileInfo:
    ts = Timestamp()
    ts.FromDatetime(datetime(2026, 1, 1, tzinfo=UTC))
    return common_pb2.FileInfo(
        version=version, filename=f"p-{version}.whl", yanked=yanked, upload_time=ts
    )


def test_latest_version_is_what_pip_would_pick() -> None:
    project = metadata_pb2.Project(
        name="p",
        versions=["1.9", "1.10", "2.0rc1", "1.11", "0.1"],
        files=[_file("1.9"), _file("1.10"), _file("2.0rc1"), _file("1.11", yanked=True)],
    )
    rows = version_rows(project)
    assert [r.version for r in rows] == ["2.0rc1", "1.11", "1.10", "1.9", "0.1"]
    assert latest_version(rows) == "1.10"


def test_links_keep_only_http_urls() -> None:
    meta = common_pb2.CoreMetadata(
        home_page="javascript:alert(1)",
        project_urls=["Docs, https://docs.example", "Evil, javascript:x", "Data, data:text/html,x"],
    )
    assert project_links(meta) == [("Docs", "https://docs.example")]
    assert safe_url("//example.com") is None


def test_install_lines_name_the_feed_index() -> None:
    public = metadata_pb2.Feed(name="main", anonymous_read=True)
    private = metadata_pb2.Feed(name="team")
    assert index_url("http://h:8080/", public) == "http://h:8080/pypi/main/simple/"
    assert index_url("https://h/", private) == "https://api:${PACKYARD_KEY}@h/pypi/team/simple/"
    pip, uv = install_lines("http://h/pypi/main/simple/", "demo", "1.0")
    assert pip == "pip install --index-url http://h/pypi/main/simple/ demo==1.0"
    assert uv == "uv add --index http://h/pypi/main/simple/ demo==1.0"


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw})


def test_form_tokens_depend_on_the_credentials_and_are_checked() -> None:
    alice = {"authorization": "Basic YWxpY2U6cHc=", "host": "h"}
    bob = {"authorization": "Basic Ym9iOnB3", "host": "h"}
    token = form_token(_request(alice))
    assert token and token != form_token(_request(bob))
    assert form_token(_request({"host": "h"})) == ""
    check_same_origin(_request({**alice, "origin": "http://h"}), token)
    for headers, given in [
        (bob, token),  # another caller's token
        (alice, ""),
        ({**alice, "origin": "https://evil.example"}, token),
        ({**alice, "sec-fetch-site": "cross-site"}, token),
    ]:
        with pytest.raises(PermissionDenied):
            check_same_origin(_request(headers), given)
