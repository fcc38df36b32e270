from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

import pytest
from packaging.utils import NormalizedName
from packyard.protocol.simple import (
    API_VERSION,
    SimpleFile,
    SimpleIndexEntry,
    SimpleProjectPage,
    dumps_json,
    format_upload_time,
    render_index_html,
    render_index_html_chunks,
    render_index_json,
    render_index_json_chunks,
    render_project_html,
    render_project_json,
)

SHA = "0" * 63 + "1"
META_SHA = "a" * 64
UPLOAD_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")  # §5c item 11


class _Page(HTMLParser):
    """Collects what a client reads from a simple page: metas, anchors, comments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self.comments: list[str] = []
        self.doctype: str | None = None
        self._current: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            values = dict(attrs)
            self.meta[values["name"] or ""] = values["content"] or ""
        elif tag == "a":
            self._current, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._current is not None:
            self.anchors.append((self._current, "".join(self._text)))
            self._current = None

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def wheel(
    filename: str = "foo-1.0-py3-none-any.whl",
    *,
    url: str | None = None,
    requires_python: str | None = ">=3.8",
    yanked: bool | str = False,
    core: str | None = META_SHA,
    upload_time: datetime | None = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
    provenance: str | None = None,
) -> SimpleFile:
    return SimpleFile(
        filename=filename,
        url=url if url is not None else f"../../files/{filename}",
        hashes={"sha256": SHA},
        requires_python=requires_python,
        yanked=yanked,
        core_metadata_sha256=core,
        size=1234,
        upload_time=upload_time,
        provenance=provenance,
    )


def sdist(filename: str = "foo-1.0.tar.gz") -> SimpleFile:
    return wheel(filename, core=None, requires_python=None)


def page_of(
    *files: SimpleFile, status: str = "active", status_reason: str | None = None, serial: int = 0
) -> SimpleProjectPage:
    return SimpleProjectPage(
        name=NormalizedName("foo"),
        files=files,
        versions=["1.0"],
        status=status,
        status_reason=status_reason,
        serial=serial,
    )


# -- HTML ---------------------------------------------------------------------------------


def test_html_matches_pep503_and_pep629() -> None:
    html = render_project_html(page_of(wheel(), sdist(), serial=42))
    assert html.startswith("<!DOCTYPE html>")
    parsed = parse(html)
    assert parsed.doctype is not None and parsed.doctype.lower() == "doctype html"
    assert parsed.meta["pypi:repository-version"] == API_VERSION == "1.4"
    assert parsed.meta["pypi:project-status"] == "active"
    assert "pypi:project-status-reason" not in parsed.meta
    assert "<title>Links for foo</title>" in html
    assert parsed.comments == ["SERIAL 42"]
    assert html.rstrip().endswith("<!--SERIAL 42-->")
    assert [text for _, text in parsed.anchors] == ["foo-1.0-py3-none-any.whl", "foo-1.0.tar.gz"]


def test_anchor_text_is_last_path_segment_and_hash_fragment_is_sha256() -> None:
    files = [wheel(), sdist(), wheel("foo-2.0-py3-none-any.whl", url="https://cdn.test/a/b/c")]
    for attrs, text in parse(render_project_html(page_of(*files))).anchors:
        href = attrs["href"]
        assert href is not None
        parts = urlsplit(href)
        assert re.fullmatch(r"sha256=[0-9a-f]{64}", parts.fragment)
        if text != "foo-2.0-py3-none-any.whl":
            assert unquote(parts.path.rsplit("/", 1)[-1]) == text
    # The gateway chooses the URL; it is emitted verbatim (plus the fragment).
    assert 'href="https://cdn.test/a/b/c#sha256=' in render_project_html(page_of(files[2]))


def test_core_metadata_attributes_are_equal_and_absent_for_sdists() -> None:
    (wheel_attrs, _), (sdist_attrs, _) = parse(
        render_project_html(page_of(wheel(), sdist()))
    ).anchors
    assert wheel_attrs["data-core-metadata"] == f"sha256={META_SHA}"
    assert wheel_attrs["data-dist-info-metadata"] == wheel_attrs["data-core-metadata"]
    assert "data-core-metadata" not in sdist_attrs
    assert "data-dist-info-metadata" not in sdist_attrs
    assert "data-requires-python" not in sdist_attrs


def test_core_metadata_true_when_served_but_hash_not_known_yet() -> None:
    from dataclasses import replace

    pending = replace(wheel(core=None), core_metadata_available=True)
    [(attrs, _)] = parse(render_project_html(page_of(pending))).anchors
    assert attrs["data-core-metadata"] == attrs["data-dist-info-metadata"] == "true"
    assert render_project_json(page_of(pending))["files"][0]["core-metadata"] is True
    # A known hash always wins over "true".
    known = replace(wheel(), core_metadata_available=True)
    assert render_project_json(page_of(known))["files"][0]["core-metadata"] == {"sha256": META_SHA}
    assert render_project_json(page_of(wheel(core=None)))["files"][0]["core-metadata"] is False


def test_requires_python_is_escaped() -> None:
    html = render_project_html(page_of(wheel(requires_python=">=3.8,<4,!=3.9.*")))
    assert 'data-requires-python="&gt;=3.8,&lt;4,!=3.9.*"' in html
    ((attrs, _),) = parse(html).anchors
    assert attrs["data-requires-python"] == ">=3.8,<4,!=3.9.*"


def test_yanked_attribute_empty_or_reason() -> None:
    files = [
        wheel("foo-1.0-py3-none-any.whl", yanked=True),
        wheel("foo-1.1-py3-none-any.whl", yanked='broken "<b>"'),
        wheel("foo-1.2-py3-none-any.whl", yanked=False),
        wheel("foo-1.3-py3-none-any.whl", yanked=""),
    ]
    html = render_project_html(page_of(*files))
    assert 'data-yanked="broken &quot;&lt;b&gt;&quot;"' in html
    yanked = [attrs.get("data-yanked", "absent") for attrs, _ in parse(html).anchors]
    assert yanked == ["", 'broken "<b>"', "absent", ""]


def test_hostile_filename_and_url_cannot_inject_markup() -> None:
    evil = '<script>alert("x")</script>-1.0.tar.gz'
    html = render_project_html(page_of(wheel(evil, url='x" onclick="y')))
    assert "<script>" not in html
    assert 'onclick="' not in html
    ((attrs, text),) = parse(html).anchors
    assert text == evil
    assert set(attrs) == {
        "href",
        "data-requires-python",
        "data-core-metadata",
        "data-dist-info-metadata",
    }


def test_project_status_and_reason_meta() -> None:
    parsed = parse(
        render_project_html(page_of(wheel(), status="deprecated", status_reason='use "bar" <now>'))
    )
    assert parsed.meta["pypi:project-status"] == "deprecated"
    assert parsed.meta["pypi:project-status-reason"] == 'use "bar" <now>'


def test_quarantined_lists_no_files() -> None:
    page = page_of(wheel(), sdist(), status="quarantined")
    parsed = parse(render_project_html(page))
    assert parsed.anchors == []
    assert parsed.meta["pypi:project-status"] == "quarantined"
    body = render_project_json(page)
    assert body["files"] == [] and body["versions"] == []
    assert body["project-status"] == {"status": "quarantined"}


def test_provenance_attribute() -> None:
    url = "https://idx.test/integrity/foo/1.0/foo-1.0-py3-none-any.whl/provenance"
    ((attrs, _),) = parse(render_project_html(page_of(wheel(provenance=url)))).anchors
    assert attrs["data-provenance"] == url


# -- JSON ---------------------------------------------------------------------------------


def test_json_matches_pep691_example_shape() -> None:
    body = json.loads(dumps_json(render_project_json(page_of(wheel(), sdist(), serial=7))))
    assert body["meta"] == {"api-version": "1.4", "_last-serial": 7}
    assert body["name"] == "foo"
    assert body["versions"] == ["1.0"]
    assert body["project-status"] == {"status": "active"}
    first, second = body["files"]
    assert first == {
        "filename": "foo-1.0-py3-none-any.whl",
        "url": "../../files/foo-1.0-py3-none-any.whl",
        "hashes": {"sha256": SHA},
        "requires-python": ">=3.8",
        "core-metadata": {"sha256": META_SHA},
        "yanked": False,
        "size": 1234,
        "upload-time": "2024-05-06T07:08:09.123456Z",
        "provenance": None,
    }
    assert second["core-metadata"] is False
    assert second["requires-python"] is None


def test_json_never_contains_dist_info_metadata_key() -> None:
    raw = dumps_json(render_project_json(page_of(wheel(), sdist())))
    assert b'"dist-info-metadata"' not in raw
    assert b"data-dist-info-metadata" not in raw


def test_json_requires_python_is_raw_and_yanked_reason_string() -> None:
    body = render_project_json(page_of(wheel(requires_python="<4,>=3.8", yanked="bad build")))
    (file,) = body["files"]
    assert file["requires-python"] == "<4,>=3.8"
    assert file["yanked"] == "bad build"
    assert render_project_json(page_of(wheel(yanked=True)))["files"][0]["yanked"] is True
    assert render_project_json(page_of(wheel(yanked="")))["files"][0]["yanked"] is True


def test_status_reason_in_json() -> None:
    body = render_project_json(page_of(wheel(), status="archived", status_reason="done"))
    assert body["project-status"] == {"status": "archived", "reason": "done"}


def test_versions_are_unique_in_given_order() -> None:
    page = SimpleProjectPage(name=NormalizedName("foo"), files=[], versions=["1.0", "2.0", "1.0"])
    assert render_project_json(page)["versions"] == ["1.0", "2.0"]


@pytest.mark.parametrize(
    "value",
    [
        datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2024, 1, 2, 3, 4, 5),  # naive: taken as UTC
        datetime(2024, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_upload_time_is_utc_with_microseconds(value: datetime) -> None:
    text = format_upload_time(value)
    assert text == "2024-01-02T03:04:05.000000Z"
    assert UPLOAD_TIME_RE.match(text)


def test_missing_upload_time_is_omitted_not_null() -> None:
    (file,) = render_project_json(page_of(wheel(upload_time=None)))["files"]
    assert "upload-time" not in file


# -- project list ---------------------------------------------------------------------------


ENTRIES = [
    SimpleIndexEntry(NormalizedName("foo-bar"), "Foo.Bar", 3),
    SimpleIndexEntry(NormalizedName("zope-interface"), "zope.interface", 9),
    SimpleIndexEntry(NormalizedName("evil"), "<b>evil</b>", 1),
]


def test_index_html_relative_normalized_hrefs_and_display_text() -> None:
    html = render_index_html(ENTRIES)
    parsed = parse(html)
    assert parsed.meta["pypi:repository-version"] == "1.4"
    assert [(a["href"], text) for a, text in parsed.anchors] == [
        ("foo-bar/", "Foo.Bar"),
        ("zope-interface/", "zope.interface"),
        ("evil/", "<b>evil</b>"),
    ]
    assert "<b>" not in html


def test_index_json_shape() -> None:
    body = json.loads(b"".join(render_index_json_chunks(ENTRIES)))
    assert body == {
        "meta": {"api-version": "1.4"},
        "projects": [
            {"name": "Foo.Bar", "_last-serial": 3},
            {"name": "zope.interface", "_last-serial": 9},
            {"name": "<b>evil</b>", "_last-serial": 1},
        ],
    }
    with_serial = json.loads(b"".join(render_index_json_chunks(ENTRIES, last_serial=12)))
    assert with_serial["meta"] == {"api-version": "1.4", "_last-serial": 12}


@pytest.mark.parametrize("count", [0, 1, 499, 500, 501, 10_000])
def test_streaming_index_equals_whole_render(count: int) -> None:
    entries = [SimpleIndexEntry(NormalizedName(f"p{i}"), f"P{i}", i) for i in range(count)]
    json_chunks = list(render_index_json_chunks(iter(entries), last_serial=5))
    assert b"".join(json_chunks) == dumps_json(render_index_json(entries, last_serial=5))
    html_chunks = list(render_index_html_chunks(iter(entries)))
    assert len(parse("".join(html_chunks)).anchors) == count
    if count == 10_000:
        # Streamed, not one big piece: no chunk holds more than one batch.
        assert max(len(c) for c in json_chunks) < len(b"".join(json_chunks)) / 10
        assert max(len(c) for c in html_chunks) < len("".join(html_chunks)) / 10


def test_empty_index_json_is_valid() -> None:
    assert json.loads(b"".join(render_index_json_chunks([]))) == {
        "meta": {"api-version": "1.4"},
        "projects": [],
    }


# -- large pages (PROTOCOL §5c item 39; timing lives in scripts/bench, not here) -----------


def test_two_thousand_file_page_lists_the_same_files_in_both_formats() -> None:
    files = [wheel(f"foo-{i}.0-py3-none-any.whl", yanked=(i % 7 == 0)) for i in range(2000)]
    page = SimpleProjectPage(
        name=NormalizedName("foo"), files=files, versions=[f"{i}.0" for i in range(2000)]
    )
    html_names = re.findall(r">(foo-[^<]+\.whl)</a>", render_project_html(page))
    json_doc = json.loads(dumps_json(render_project_json(page)))
    assert html_names == [f["filename"] for f in json_doc["files"]]
    assert len(html_names) == 2000
    assert sum(1 for f in json_doc["files"] if f["yanked"]) == len(range(0, 2000, 7))
