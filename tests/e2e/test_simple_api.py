"""The simple API, files and the JSON API over HTTP, checked against the PEPs' own rules.

PEP 503 (HTML, names), 691 (JSON, negotiation), 629 (version meta), 658/714 (core metadata),
592 (yank), 700 (versions, size, upload-time), 792 (project status); file serving for the
range requests uv and poetry make. One module-scoped project feeds most tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx
import pytest
from packyard.protocol.names import normalize
from packyard.up import Stack

from tests.fixtures.dists import build_sdist, build_wheel
from tests.fixtures.uploads import post_file, set_yanked, upload_fields

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
# What the clients really send (PROTOCOL.md §1.3; tests/unit/test_negotiation.py).
PIP = f"{JSON_V1}, {HTML_V1}; q=0.1, text/html; q=0.01"
UV = f"{JSON_V1}, {HTML_V1};q=0.2, text/html;q=0.01"
POETRY = "application/vnd.pypi.simple.v1+json, */*;q=0.1"
PDM = PIP  # unearth copies pip's header
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
UPLOAD_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
REQUIRES_PYTHON = ">=3.8,<4"
YANK_REASON = 'broken <build> & "bad"'


@dataclass(frozen=True)
class Published:
    name: str  # as uploaded, not normalized
    project: str  # normalized
    wheel: Path
    sdist: Path
    yanked_wheel: Path

    @property
    def page(self) -> str:
        return f"/pypi/main/simple/{self.project}/"


@pytest.fixture(scope="module")
def published(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Published:
    """Wheel + sdist of 1.0 (Requires-Python with '<'), and a wheel of 2.0 that is yanked."""
    name = f"Pep_Demo.{uuid.uuid4().hex[:8]}"
    dist = tmp_path_factory.mktemp("simple-api")
    wheel = build_wheel(dist, name, "1.0", requires_python=REQUIRES_PYTHON)
    sdist = build_sdist(dist, name, "1.0", requires_python=REQUIRES_PYTHON)
    yanked = build_wheel(dist, name, "2.0")
    for path, version, rp in ((wheel, "1.0", REQUIRES_PYTHON), (sdist, "1.0", REQUIRES_PYTHON),
                              (yanked, "2.0", None)):  # fmt: skip
        reply = post_file(stack, path, upload_fields(path, name, version, requires_python=rp))
        assert reply.status_code == 200, reply.text
    set_yanked(stack, normalize(name), "2.0", reason=YANK_REASON)
    return Published(name, normalize(name), wheel, sdist, yanked)


@pytest.fixture(scope="module")
def http(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        yield client


class _Page(HTMLParser):
    """Anchors (attributes + text) and meta tags of a simple page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []
        self.meta: dict[str, str | None] = {}
        self._current: dict[str, str | None] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._current = dict(attrs)
            self._current["#text"] = ""
            self.anchors.append(self._current)
        elif tag == "meta":
            found = dict(attrs)
            self.meta[str(found.get("name"))] = found.get("content")

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current["#text"] = (self._current["#text"] or "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._current = None


def _wheel_metadata(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return archive.read(name)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- negotiation (PEP 691) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (PIP, JSON_V1),
        (UV, JSON_V1),
        (POETRY, JSON_V1),
        (PDM, JSON_V1),
        ("application/vnd.pypi.simple.latest+json", JSON_V1),
        (None, "text/html"),  # hatch sends none
        ("*/*", "text/html"),
        (BROWSER, "text/html"),
        ("text/html", "text/html"),
        (HTML_V1, HTML_V1),
        (f"{JSON_V1};q=0.2, text/html", "text/html"),
    ],
)
def test_accept_strings_pick_the_format(
    http: httpx.Client, published: Published, accept: str | None, content_type: str
) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    if accept is None:
        # httpx adds "Accept: */*" by default; send a request without any Accept at all.
        headers = {}
    for path in ("/pypi/main/simple/", published.page):
        request = http.build_request("GET", path, headers=headers)
        if accept is None:
            del request.headers["accept"]
        reply = http.send(request)
        assert reply.status_code == 200, reply.text
        assert reply.headers["content-type"].split(";")[0] == content_type
        assert reply.headers["vary"] == "Accept"
        if content_type == JSON_V1:
            assert reply.json()["meta"]["api-version"] == "1.4"
        else:
            assert _Page(reply.text).meta["pypi:repository-version"] == "1.4"


def test_format_query_overrides_accept(http: httpx.Client, published: Published) -> None:
    reply = http.get(published.page, params={"format": JSON_V1}, headers={"Accept": "text/html"})
    assert reply.headers["content-type"] == JSON_V1
    assert reply.json()["name"] == published.project
    html = http.get(published.page, params={"format": "text/html"}, headers={"Accept": PIP})
    assert html.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/pypi/main/simple/", "PAGE"])
def test_nothing_acceptable_is_406(http: httpx.Client, published: Published, path: str) -> None:
    url = published.page if path == "PAGE" else path
    for headers, params in (
        ({"Accept": "application/json"}, {}),
        ({"Accept": f"{JSON_V1};q=0, text/html;q=0"}, {}),
        ({}, {"format": "application/xml"}),
    ):
        reply = http.get(url, headers=headers, params=params)
        assert reply.status_code == 406, (headers, params)
        assert reply.headers["vary"] == "Accept"
        assert "text/html" in reply.text and JSON_V1 in reply.text


# -- names (PEP 503) ------------------------------------------------------------------


def test_every_spelling_is_one_project(
    http: httpx.Client, stack: Stack, published: Published, tmp_path: Path
) -> None:
    project = published.project
    suffix = project.removeprefix("pep-demo-")
    spellings = [published.name, project.upper(), f"pep.demo_{suffix}", f"PEP__Demo-.{suffix}"]
    for spelling in spellings:
        page = http.get(f"/pypi/main/simple/{spelling}/", params={"format": JSON_V1})
        assert page.status_code == 301
        assert unquote(page.headers["location"]) == f"/pypi/main/simple/{project}/?format={JSON_V1}"
        api = http.get(f"/pypi/main/pypi/{spelling}/json")
        assert api.status_code == 301
        assert api.headers["location"] == f"/pypi/main/pypi/{project}/json"
        released = http.get(f"/pypi/main/pypi/{spelling}/1.0/json")
        assert released.headers["location"] == f"/pypi/main/pypi/{project}/1.0/json"
        assert http.get(f"/pypi/main/packages/{spelling}/{published.wheel.name}").status_code == 200
    # A slash-less URL is sent to the normalized, slashed one in one hop.
    bare = http.get(f"/pypi/main/simple/{published.name}")
    assert bare.status_code == 301
    assert bare.headers["location"] == f"/pypi/main/simple/{project}/"

    # Uploads under two spellings land in one project, listed once.
    tag = uuid.uuid4().hex[:8]
    first, second = f"Spell_Me.{tag}", f"spell.ME-{tag}"
    canonical = normalize(first)
    for spelling, version in ((first, "1.0"), (second, "2.0")):
        wheel = build_wheel(tmp_path, spelling, version)
        reply = post_file(stack, wheel, upload_fields(wheel, spelling, version))
        assert reply.status_code == 200, reply.text
    listed = http.get(f"/pypi/main/simple/{canonical}/", headers={"Accept": JSON_V1}).json()
    assert listed["versions"] == ["1.0", "2.0"]
    index = http.get("/pypi/main/simple/", headers={"Accept": JSON_V1}).json()
    assert [p["name"] for p in index["projects"] if normalize(p["name"]) == canonical] == [first]
    assert http.get("/pypi/main/simple/").text.count(f'href="{canonical}/"') == 1
    api = http.get(f"/pypi/main/pypi/{canonical}/json").json()
    assert set(api["releases"]) == {"1.0", "2.0"}


# -- the project page (PEP 503, 592, 629, 658, 714, 700, 792) ---------------------------


def test_html_page_follows_the_peps(http: httpx.Client, published: Published) -> None:
    reply = http.get(published.page)
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    page = _Page(reply.text)
    assert page.meta["pypi:repository-version"] == "1.4"
    assert page.meta["pypi:project-status"] == "active"
    by_name = {str(a["#text"]): a for a in page.anchors}
    assert set(by_name) == {published.wheel.name, published.sdist.name, published.yanked_wheel.name}
    for path in (published.wheel, published.sdist, published.yanked_wheel):
        anchor = by_name[path.name]
        href = str(anchor["href"])
        url, _, fragment = href.partition("#")
        # The anchor text is the last path segment of the URL; the fragment is its sha256.
        assert url.rsplit("/", 1)[1] == path.name
        assert fragment == f"sha256={_sha256(path.read_bytes())}"
        assert http.get(urljoin(published.page, url)).content == path.read_bytes()

    metadata = f"sha256={_sha256(_wheel_metadata(published.wheel))}"
    wheel = by_name[published.wheel.name]
    assert wheel["data-core-metadata"] == metadata
    assert wheel["data-dist-info-metadata"] == metadata
    assert wheel["data-requires-python"] == REQUIRES_PYTHON
    assert "data-yanked" not in wheel
    # PEP 503: '<' and '>' are HTML-escaped in the attribute.
    assert 'data-requires-python="&gt;=3.8,&lt;4"' in reply.text
    sdist = by_name[published.sdist.name]
    assert "data-core-metadata" not in sdist and "data-dist-info-metadata" not in sdist
    yanked = by_name[published.yanked_wheel.name]
    assert yanked["data-yanked"] == YANK_REASON
    assert yanked["data-core-metadata"] == yanked["data-dist-info-metadata"]


def test_json_page_follows_the_peps(http: httpx.Client, published: Published) -> None:
    reply = http.get(published.page, headers={"Accept": JSON_V1})
    assert reply.headers["content-type"] == JSON_V1
    body = reply.json()
    assert body["meta"]["api-version"] == "1.4"
    assert body["name"] == published.project
    assert body["versions"] == ["1.0", "2.0"]
    assert body["project-status"] == {"status": "active"}
    files = {f["filename"]: f for f in body["files"]}
    assert set(files) == {published.wheel.name, published.sdist.name, published.yanked_wheel.name}
    for path in (published.wheel, published.sdist, published.yanked_wheel):
        entry = files[path.name]
        # pip 22.3-23.1 crash on the old key (PEP 714).
        assert "dist-info-metadata" not in entry
        assert entry["hashes"] == {"sha256": _sha256(path.read_bytes())}
        assert entry["size"] == path.stat().st_size
        assert UPLOAD_TIME_RE.match(entry["upload-time"])
        assert entry["provenance"] is None
        assert urljoin(published.page, entry["url"]).endswith(f"/{path.name}")
    wheel = files[published.wheel.name]
    assert wheel["core-metadata"] == {"sha256": _sha256(_wheel_metadata(published.wheel))}
    assert wheel["requires-python"] == REQUIRES_PYTHON
    assert wheel["yanked"] is False
    assert files[published.sdist.name]["core-metadata"] is False
    assert files[published.yanked_wheel.name]["yanked"] == YANK_REASON
    assert files[published.yanked_wheel.name]["requires-python"] is None


def test_metadata_file_is_the_wheels_own_bytes(http: httpx.Client, published: Published) -> None:
    expected = _wheel_metadata(published.wheel)
    body = http.get(published.page, headers={"Accept": JSON_V1}).json()
    entry = next(f for f in body["files"] if f["filename"] == published.wheel.name)
    reply = http.get(urljoin(published.page, entry["url"]) + ".metadata")
    assert reply.status_code == 200
    assert reply.content == expected
    assert _sha256(reply.content) == entry["core-metadata"]["sha256"]
    assert reply.headers["content-length"] == str(len(expected))
    assert "content-encoding" not in reply.headers
    missing = http.get(urljoin(published.page, entry["url"]).replace(".whl", ".tar.gz.metadata"))
    assert missing.status_code == 404


# -- caching ----------------------------------------------------------------------------


def test_every_page_answers_if_none_match_with_304(
    http: httpx.Client, published: Published
) -> None:
    pages = [
        ("/pypi/main/simple/", "text/html"),
        ("/pypi/main/simple/", JSON_V1),
        (published.page, "text/html"),
        (published.page, JSON_V1),
        (f"/pypi/main/pypi/{published.project}/json", "application/json"),
        (f"/pypi/main/pypi/{published.project}/1.0/json", "application/json"),
    ]
    etags = set()
    for path, accept in pages:
        first = http.get(path, headers={"Accept": accept})
        assert first.status_code == 200
        etag = first.headers["etag"]
        assert re.fullmatch(r'"[^"]+"', etag), "a strong ETag"
        # Revalidated on every use: a cached page would hide a fresh upload.
        assert first.headers["cache-control"] == "no-cache"
        again = http.get(path, headers={"Accept": accept, "If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        other = http.get(path, headers={"Accept": accept, "If-None-Match": '"stale"'})
        assert other.status_code == 200
        etags.add(etag)
    assert len(etags) == len(pages), "each representation has its own ETag"


def test_an_upload_changes_the_etags_at_once(
    http: httpx.Client, stack: Stack, tmp_path: Path
) -> None:
    name = f"etag-demo-{uuid.uuid4().hex[:8]}"
    first = build_wheel(tmp_path, name, "1.0")
    assert post_file(stack, first, upload_fields(first, name, "1.0")).status_code == 200
    page = f"/pypi/main/simple/{name}/"
    tags = {
        path: http.get(path, headers={"Accept": accept}).headers["etag"]
        for path, accept in ((page, JSON_V1), ("/pypi/main/simple/", JSON_V1))
    }
    second = build_wheel(tmp_path, name, "1.1")
    assert post_file(stack, second, upload_fields(second, name, "1.1")).status_code == 200
    for path, etag in tags.items():
        reply = http.get(path, headers={"Accept": JSON_V1, "If-None-Match": etag})
        assert reply.status_code == 200
        assert reply.headers["etag"] != etag
    assert "1.1" in http.get(page, headers={"Accept": JSON_V1}).json()["versions"]


# -- files ------------------------------------------------------------------------------


def test_files_are_served_exactly_with_ranges(http: httpx.Client, published: Published) -> None:
    data = published.wheel.read_bytes()
    size = len(data)
    url = f"/pypi/main/packages/{published.project}/{published.wheel.name}"
    whole = http.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert whole.status_code == 200
    assert whole.content == data
    assert whole.headers["content-length"] == str(size)
    assert "content-encoding" not in whole.headers
    assert whole.headers["content-type"] == "application/zip"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["etag"] == f'"{_sha256(data)}"'
    assert "immutable" in whole.headers["cache-control"]
    assert http.get(url, headers={"If-None-Match": whole.headers["etag"]}).status_code == 304

    head = http.head(url)
    assert head.status_code == 200
    assert head.content == b""
    for header in ("content-length", "content-type", "etag", "accept-ranges", "cache-control"):
        assert head.headers[header] == whole.headers[header]

    # uv reads the zip's end first (bytes=-N), then the central directory (bytes=a-b).
    tail = http.get(url, headers={"Range": "bytes=-22"})
    assert tail.status_code == 206
    assert tail.content == data[-22:]
    assert tail.headers["content-range"] == f"bytes {size - 22}-{size - 1}/{size}"
    assert tail.headers["content-length"] == "22"
    middle = http.get(url, headers={"Range": "bytes=10-99"})
    assert middle.status_code == 206
    assert middle.content == data[10:100]
    assert middle.headers["content-range"] == f"bytes 10-99/{size}"
    head_range = http.head(url, headers={"Range": "bytes=10-99"})
    assert head_range.status_code == 206
    assert head_range.headers["content-length"] == "90"
    assert head_range.headers["content-range"] == f"bytes 10-99/{size}"
    beyond = http.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"

    sdist = http.get(f"/pypi/main/packages/{published.project}/{published.sdist.name}")
    assert sdist.content == published.sdist.read_bytes()
    assert "content-encoding" not in sdist.headers
    assert sdist.headers["content-length"] == str(published.sdist.stat().st_size)


def test_unknown_files_and_projects_are_404(http: httpx.Client, published: Published) -> None:
    assert http.get(f"/pypi/main/simple/nothing-{uuid.uuid4().hex[:8]}/").status_code == 404
    assert http.get(f"/pypi/main/packages/{published.project}/nope-1.0.tar.gz").status_code == 404
    # A real file under another project's URL is not served.
    assert http.get(f"/pypi/main/packages/other/{published.wheel.name}").status_code == 404


# -- a 500-file project -----------------------------------------------------------------


async def test_a_500_file_project_is_identical_in_both_formats(
    stack: Stack, tmp_path: Path
) -> None:
    name = f"big-{uuid.uuid4().hex[:8]}"
    paths: list[tuple[Path, str]] = []
    for minor in range(250):
        version = f"1.{minor}"
        paths.append((build_wheel(tmp_path, name, version), version))
        paths.append((build_sdist(tmp_path, name, version), version))
    limit = asyncio.Semaphore(8)
    contents = {path: path.read_bytes() for path, _ in paths}

    async with httpx.AsyncClient(base_url=stack.base_url, timeout=120) as client:

        async def send(path: Path, version: str) -> int:
            async with limit:
                reply = await client.post(
                    stack.upload_url(),
                    data=upload_fields(path, name, version),
                    files={"content": (path.name, contents[path], "application/octet-stream")},
                    auth=("api", str(stack.admin_key)),
                )
                return reply.status_code

        statuses = await asyncio.gather(*(send(p, v) for p, v in paths))
        assert statuses == [200] * len(paths)
        html = await client.get(f"/pypi/main/simple/{name}/")
        json_page = await client.get(f"/pypi/main/simple/{name}/", headers={"Accept": JSON_V1})

    from_json = {
        f["filename"]: (
            f["url"],
            f["hashes"]["sha256"],
            f["requires-python"],
            f["core-metadata"]["sha256"] if f["core-metadata"] else None,
            f["yanked"],
        )
        for f in json_page.json()["files"]
    }
    from_html = {}
    for anchor in _Page(html.text).anchors:
        url, _, fragment = str(anchor["href"]).partition("#")
        core = anchor.get("data-core-metadata")
        from_html[str(anchor["#text"])] = (
            url,
            fragment.removeprefix("sha256="),
            anchor.get("data-requires-python"),
            core.removeprefix("sha256=") if core else None,
            anchor.get("data-yanked", False),
        )
    assert len(from_json) == 500
    assert from_html == from_json
    expected = {p.name: _sha256(p.read_bytes()) for p, _ in paths}
    assert {k: v[1] for k, v in from_json.items()} == expected
    assert len(json_page.json()["versions"]) == 250


# -- the JSON API -----------------------------------------------------------------------


def test_json_api_has_pypis_shape(http: httpx.Client, stack: Stack, published: Published) -> None:
    reply = http.get(f"/pypi/main/pypi/{published.project}/json")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert set(body) >= {"info", "releases", "urls", "last_serial", "vulnerabilities"}
    assert body["vulnerabilities"] == []
    assert isinstance(body["last_serial"], int) and body["last_serial"] > 0
    info = body["info"]
    assert info["name"] == published.name
    # The newest version that is not yanked.
    assert info["version"] == "1.0"
    assert info["requires_python"] == REQUIRES_PYTHON
    assert info["summary"] == "A tiny test package"
    assert set(body["releases"]) == {"1.0", "2.0"}
    assert {f["filename"] for f in body["urls"]} == {published.wheel.name, published.sdist.name}
    by_name = {f["filename"]: f for files in body["releases"].values() for f in files}
    wheel = by_name[published.wheel.name]
    data = published.wheel.read_bytes()
    assert wheel["digests"]["sha256"] == _sha256(data)
    assert wheel["digests"]["md5"] == hashlib.md5(data).hexdigest()
    assert wheel["packagetype"] == "bdist_wheel"
    assert wheel["size"] == len(data)
    assert urlsplit(wheel["url"]).scheme == "http"  # absolute, as PyPI's
    assert http.get(wheel["url"]).content == data
    assert by_name[published.sdist.name]["packagetype"] == "sdist"
    assert by_name[published.yanked_wheel.name]["yanked"] is True
    assert by_name[published.yanked_wheel.name]["yanked_reason"] == YANK_REASON

    release = http.get(f"/pypi/main/pypi/{published.project}/2.0/json").json()
    assert release["info"]["version"] == "2.0"
    assert release["info"]["yanked"] is True
    assert [f["filename"] for f in release["urls"]] == [published.yanked_wheel.name]
    assert release["vulnerabilities"] == []
    assert release["last_serial"] == body["last_serial"]

    assert http.get(f"/pypi/main/pypi/{published.project}/9.9/json").status_code == 404
    assert http.get(f"/pypi/main/pypi/none-{uuid.uuid4().hex[:8]}/json").status_code == 404


def test_head_answers_every_page_like_get(stack: Stack, tmp_path: Path) -> None:
    name = f"head-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, name, "1.0")
    assert post_file(stack, wheel, upload_fields(wheel, name, "1.0")).status_code == 200
    for url in (
        stack.index_url(),
        stack.index_url() + f"{name}/",
        f"{stack.base_url}/pypi/main/pypi/{name}/json",
    ):
        get, head = httpx.get(url), httpx.head(url)
        assert get.status_code == head.status_code == 200, url
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.content == b""
