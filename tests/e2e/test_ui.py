"""The web UI, search, download counts and RSS, over HTTP against the running stack.

Pages are checked the way a browser would see them: parsed HTML, response headers. XSS
attempts come in through every field an uploader or a feed admin controls, and through the
search box; none may produce markup, an event handler or a javascript: link.
"""

from __future__ import annotations

import sys
import time
import uuid
import xmlrpc.client
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from packyard.up import Stack

from tests.e2e.conftest import run
from tests.fixtures.readme_dists import build_readme_wheel
from tests.fixtures.uploads import post_file, upload_fields

README = """# Widget docs

Some **bold** text and a [safe link](https://example.com/docs).

```python
import widget
```
"""
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
EVIL_README = f"""# Evil

{XSS}

<a href="javascript:alert(1)">click</a> <a href=" JaVaScRiPt:alert(2)">again</a>
<svg onload=alert(3)></svg><iframe src="https://example.com"></iframe>
<div style="background:url(javascript:alert(4))" onmouseover="alert(5)">hover</div>
[md link](javascript:alert(6))
"""


class _Page(HTMLParser):
    """Every element and attribute of a page, as a browser's parser sees them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._stack: list[str] = []
        self.by_id: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.elements.append((tag, values))
        self._stack.append(values.get("id", ""))

    def handle_endtag(self, tag: str) -> None:
        if self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for element_id in self._stack:
            if element_id:
                self.by_id.setdefault(element_id, []).append(data)

    def text_of(self, element_id: str) -> str:
        return "".join(self.by_id.get(element_id, []))

    def tags(self, name: str) -> list[dict[str, str]]:
        return [attrs for tag, attrs in self.elements if tag == name]


def _assert_inert(html: str) -> None:
    page = _Page(html)
    scripts = page.tags("script")
    assert scripts == [{"src": "/static/ui.js", "defer": ""}], scripts
    for tag, attrs in page.elements:
        assert tag not in {"iframe", "svg", "object", "embed", "style"}, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert name != "style", (tag, value)
            if name in {"href", "src", "action"}:
                assert not value.strip().lower().startswith("javascript:"), (tag, value)


def _assert_secure_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"


def _admin(stack: Stack) -> tuple[str, str]:
    return ("api", str(stack.admin_key))


def _upload(
    stack: Stack, tmp_path: Path, name: str, version: str, feed: str = "main", **kw
) -> None:  # type: ignore[no-untyped-def]
    wheel = build_readme_wheel(
        tmp_path / f"{feed}-{version}", name, version, summary=kw.pop("summary", "A widget"),
        description=kw.pop("description", README), **kw,
    )  # fmt: skip
    fields = upload_fields(
        wheel, name, version, summary=_summary_of(wheel),
        requires_python=kw.get("requires_python"), requires_dist=kw.get("requires_dist", ()),
    )  # fmt: skip
    reply = post_file(stack, wheel, fields, feed=feed)
    assert reply.status_code == 200, reply.text


def _summary_of(wheel: Path) -> str:
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith("METADATA"))
        for line in archive.read(meta).decode().splitlines():
            if line.startswith("Summary: "):
                return line.removeprefix("Summary: ")
    return ""


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def _create_feed(stack: Stack, name: str, *, public: bool, description: str = "") -> None:
    reply = httpx.post(
        f"{stack.base_url}/api/v1/feeds",
        json={"name": name, "anonymous_read": public, "description": description},
        auth=_admin(stack),
    )
    assert reply.status_code == 201, reply.text


def test_feeds_page_lists_feeds_with_security_headers(stack: Stack) -> None:
    reply = httpx.get(stack.base_url + "/")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    _assert_secure_headers(reply)
    page = _Page(reply.text)
    assert {"href": "/feeds/main/"} in page.tags("a")
    css = httpx.get(stack.base_url + "/static/ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_project_page_shows_release_files_readme_and_install_line(
    stack: Stack, tmp_path: Path
) -> None:
    name = _unique("Widget_Kit.")
    normalized = name.lower().replace("_", "-").replace(".", "-")
    _upload(stack, tmp_path, name, "1.0", requires_python=">=3.9", requires_dist=["attrs>=23"])
    _upload(
        stack, tmp_path, name, "2.0", requires_python=">=3.10", requires_dist=["attrs>=24"],
        project_urls=["Source, https://example.com/src"],
    )  # fmt: skip

    # Any spelling of the name leads to the normalized page.
    reply = httpx.get(f"{stack.base_url}/feeds/main/projects/{name}/", follow_redirects=True)
    assert reply.status_code == 200
    assert reply.url.path == f"/feeds/main/projects/{normalized}/"
    _assert_secure_headers(reply)
    page = _Page(reply.text)
    index = f"{stack.base_url}/pypi/main/simple/"
    assert page.text_of("install-pip") == f"pip install --index-url {index} {normalized}"
    assert page.text_of("install-uv") == f"uv add --index {index} {normalized}"
    assert "2.0" in page.text_of("project-title")
    assert page.text_of("requires-python") == ">=3.10"
    assert "attrs>=24" in page.text_of("dependencies")
    # README rendered: a heading, bold text, a highlighted code block, a nofollow link.
    assert "Widget docs" in page.text_of("readme")
    assert any(a.get("href") == "https://example.com/docs" for a in page.tags("a"))
    assert page.tags("strong") and page.tags("pre")
    assert {"href": "https://example.com/src", "rel": "nofollow noopener noreferrer"} in page.tags(
        "a"
    )
    files = page.text_of("files")
    wheel = f"{normalized.replace('-', '_')}-2.0-py3-none-any.whl"
    assert wheel in files and "hosted" in files and "sha256" in files
    versions = page.text_of("versions")
    assert "1.0" in versions and "2.0" in versions

    # The version page pins the version and shows that release's metadata.
    older = _Page(httpx.get(f"{stack.base_url}/feeds/main/projects/{normalized}/1.0/").text)
    assert older.text_of("install-pip") == f"pip install --index-url {index} {normalized}==1.0"
    assert older.text_of("requires-python") == ">=3.9"
    missing = httpx.get(f"{stack.base_url}/feeds/main/projects/{normalized}/9.9/")
    assert missing.status_code == 404
    _assert_secure_headers(missing)


def test_xss_in_summary_readme_links_descriptions_and_search_is_inert(
    stack: Stack, tmp_path: Path
) -> None:
    name = _unique("evil-pkg-")
    _upload(
        stack, tmp_path, name, "1.0", summary=XSS, description=EVIL_README,
        keywords='"><script>alert(7)</script>', home_page="javascript:alert(8)",
        project_urls=["Evil, javascript:alert(9)", "Data, data:text/html,<script>x</script>"],
    )  # fmt: skip
    feed = _unique("xss")
    _create_feed(stack, feed, public=True, description=XSS)
    _upload(stack, tmp_path, name, "1.0", feed=feed, summary=XSS, description=EVIL_README)

    # Each page is first shown to exist (or to be the 404 page that echoes a hostile name), so
    # "inert" is checked on the page that carries the payload, not on an unrelated error.
    pages = {
        f"/feeds/main/projects/{name}/": (200, name),
        f"/feeds/main/projects/{name}/1.0/": (200, name),
        "/": (200, feed),
        f"/feeds/{feed}/": (200, name),
        f"/search?q={name}": (200, f"/feeds/main/projects/{name}/"),
        "/search?q=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E": (200, "&lt;script&gt;alert(1)"),
        "/search?q=x&feed=%3Cscript%3E": (404, ""),
        "/feeds/%3Cimg%20src=x%20onerror=alert(1)%3E/": (404, ""),
    }
    for path, (status, shown) in pages.items():
        reply = httpx.get(stack.base_url + path, follow_redirects=True)
        assert reply.status_code == status, (path, reply.status_code)
        assert shown in reply.text, (path, shown)
        _assert_secure_headers(reply)
        _assert_inert(reply.text)

    project = httpx.get(f"{stack.base_url}/feeds/main/projects/{name}/").text
    # The text is shown, escaped: a reader sees what the uploader wrote.
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in project
    assert "alert(9)" not in project and "data:text/html" not in project


def test_private_feeds_are_invisible_without_the_right(stack: Stack, tmp_path: Path) -> None:
    feed = _unique("secret")
    _create_feed(stack, feed, public=False, description="Private things")
    name = _unique("hidden-lib-")
    _upload(stack, tmp_path, name, "1.0", feed=feed)

    anonymous = httpx.get(stack.base_url + "/")
    assert f"/feeds/{feed}/" not in anonymous.text
    admin = httpx.get(stack.base_url + "/", auth=_admin(stack))
    assert f"/feeds/{feed}/" in admin.text

    # A private feed answers exactly like a feed that does not exist.
    for path in (f"/feeds/{feed}/", f"/feeds/{feed}/projects/{name}/"):
        hidden = httpx.get(stack.base_url + path)
        absent = httpx.get(stack.base_url + path.replace(feed, "no-such-feed"))
        assert hidden.status_code == absent.status_code == 404
        assert hidden.text.replace(feed, "F") == absent.text.replace("no-such-feed", "F")
        assert httpx.get(stack.base_url + path, auth=_admin(stack)).status_code == 200

    def found(auth: tuple[str, str] | None) -> list[str]:
        reply = httpx.get(f"{stack.base_url}/api/v1/search", params={"q": name}, auth=auth)
        assert reply.status_code == 200
        return [r["name"] for r in reply.json()["results"]]

    assert found(None) == []
    assert found(_admin(stack)) == [name]
    results = _Page(httpx.get(f"{stack.base_url}/search", params={"q": name}).text)
    assert results.text_of("results").strip() == ""
    scoped = httpx.get(f"{stack.base_url}/api/v1/search", params={"q": name, "feed": feed})
    assert scoped.status_code == 404


def test_search_finds_a_misspelled_name_first_in_ui_json_and_pip_search(
    stack: Stack, tmp_path: Path, client_env: dict[str, str]
) -> None:
    # A distinctive name so other tests' projects cannot outrank it.
    word = "zebrafinch" + uuid.uuid4().hex[:4]
    _upload(stack, tmp_path, word, "1.0", summary="Birdsong analysis toolkit")
    typo = word[:2] + word[3] + word[2] + word[4:]  # two letters swapped

    reply = httpx.get(f"{stack.base_url}/api/v1/search", params={"q": typo})
    first = reply.json()["results"][0]
    assert (first["name"], first["feed"], first["version"]) == (word, "main", "1.0")
    assert first["url"] == f"{stack.base_url}/feeds/main/projects/{word}/"

    page = _Page(httpx.get(f"{stack.base_url}/search", params={"q": typo}).text)
    links = [a["href"] for a in page.tags("a") if a.get("class") == "name"]
    assert links[0] == f"/feeds/main/projects/{word}/"

    # Full text finds it by its summary.
    by_topic = httpx.get(f"{stack.base_url}/api/v1/search", params={"q": "birdsong"}).json()
    assert word in [r["name"] for r in by_topic["results"]]

    proxy = xmlrpc.client.ServerProxy(f"{stack.base_url}/pypi/main/")
    hits = proxy.search({"name": [typo], "summary": [typo]}, "or")
    assert hits[0]["name"] == word and hits[0]["version"] == "1.0"  # type: ignore[index]
    with pytest.raises(xmlrpc.client.Fault):
        proxy.list_packages()

    searched = run(
        [sys.executable, "-m", "pip", "search", "--index", f"{stack.base_url}/pypi/main/", typo],
        client_env,
    )
    assert searched.returncode == 0, searched.stdout + searched.stderr
    assert searched.stdout.splitlines()[0].startswith(f"{word} (1.0)")
    assert "Birdsong analysis toolkit" in searched.stdout


def test_downloads_are_counted_in_batches_and_shown(stack: Stack, tmp_path: Path) -> None:
    name = _unique("counted-")
    _upload(stack, tmp_path, name, "1.0")
    wheel = f"{name.replace('-', '_')}-1.0-py3-none-any.whl"
    url = f"{stack.base_url}/pypi/main/packages/{name}/{wheel}"
    for _ in range(3):
        assert httpx.get(url).status_code == 200
    # Not downloads: HEAD, a byte range (lazy metadata reads), the PEP 658 metadata file.
    assert httpx.head(url).status_code == 200
    assert httpx.get(url, headers={"Range": "bytes=0-9"}).status_code == 206
    assert httpx.get(url + ".metadata").status_code == 200

    counts_url = f"{stack.base_url}/api/v1/feeds/main/projects/{name}/downloads"
    deadline = time.monotonic() + 15
    counts = httpx.get(counts_url).json()
    while counts["downloads"] < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
        counts = httpx.get(counts_url).json()
    assert counts == {"feed": "main", "project": name, "downloads": 3, "files": {wheel: 3}}

    page = _Page(httpx.get(f"{stack.base_url}/feeds/main/projects/{name}/").text)
    assert page.text_of("downloads-total") == "3"
    listing = httpx.get(
        f"{stack.base_url}/api/v1/feeds/main/catalog", params={"sort": "downloads"}
    ).json()
    mine = next(p for p in listing["projects"] if p["name"] == name)
    assert mine["downloads"] == 3


def test_feed_page_pages_and_sorts(stack: Stack, tmp_path: Path) -> None:
    feed = _unique("paged")
    _create_feed(stack, feed, public=True)
    names = [f"pkg-{letter}" for letter in "cab"]
    for name in names:
        _upload(stack, tmp_path, name, "1.0", feed=feed)
    by_name = _Page(httpx.get(f"{stack.base_url}/feeds/{feed}/").text)
    shown = [a["href"] for a in by_name.tags("a") if "/projects/" in a.get("href", "")]
    assert shown == [f"/feeds/{feed}/projects/pkg-{x}/" for x in "abc"]
    newest = _Page(httpx.get(f"{stack.base_url}/feeds/{feed}/?sort=updated").text)
    shown = [a["href"] for a in newest.tags("a") if "/projects/" in a.get("href", "")]
    assert shown == [f"/feeds/{feed}/projects/pkg-{x}/" for x in "bac"]
    page2 = httpx.get(
        f"{stack.base_url}/api/v1/feeds/{feed}/catalog", params={"per_page": 2, "page": 2}
    ).json()
    assert (page2["total"], [p["name"] for p in page2["projects"]]) == (3, ["pkg-c"])


def test_rss_lists_new_releases_of_a_feed_and_of_a_project(stack: Stack, tmp_path: Path) -> None:
    name = _unique("rss-lib-")
    _upload(stack, tmp_path, name, "1.0", summary="First <b>release</b>")
    _upload(stack, tmp_path, name, "1.1", summary="Second")

    updates = httpx.get(f"{stack.base_url}/pypi/main/rss/updates.xml")
    assert updates.status_code == 200
    assert updates.headers["content-type"].startswith("application/rss+xml")
    items = ElementTree.fromstring(updates.content).findall("./channel/item")
    titles = [item.findtext("title") for item in items]
    assert titles.index(f"{name} 1.1") < titles.index(f"{name} 1.0")

    releases = httpx.get(f"{stack.base_url}/pypi/main/rss/project/{name}/releases.xml")
    items = ElementTree.fromstring(releases.content).findall("./channel/item")
    assert [(i.findtext("title"), i.findtext("description")) for i in items] == [
        (f"{name} 1.1", "Second"),
        (f"{name} 1.0", "First <b>release</b>"),
    ]
    assert items[0].findtext("link") == f"{stack.base_url}/feeds/main/projects/{name}/1.1/"
    assert items[0].findtext("pubDate")


def test_rss_and_xmlrpc_of_a_private_feed_need_credentials(stack: Stack) -> None:
    feed = _unique("rsspriv")
    _create_feed(stack, feed, public=False)
    assert httpx.get(f"{stack.base_url}/pypi/{feed}/rss/updates.xml").status_code == 401
    ok = httpx.get(f"{stack.base_url}/pypi/{feed}/rss/updates.xml", auth=_admin(stack))
    assert ok.status_code == 200
    call = xmlrpc.client.dumps(({"name": ["x"]}, "or"), "search")
    assert httpx.post(f"{stack.base_url}/pypi/{feed}/", content=call).status_code == 401


def test_yank_buttons_need_the_right_and_a_same_site_form(stack: Stack, tmp_path: Path) -> None:
    name = _unique("yankable-")
    _upload(stack, tmp_path, name, "1.0")
    version_url = f"{stack.base_url}/feeds/main/projects/{name}/1.0/"
    action = f"{version_url}yank"

    # Anonymous visitors see no admin forms and cannot post one.
    assert _Page(httpx.get(version_url).text).tags("form") == [
        {"class": "search", "action": "/search", "method": "get", "role": "search"}
    ]
    assert httpx.post(action, data={"csrf": "x"}).status_code == 401

    admin_page = _Page(httpx.get(version_url, auth=_admin(stack)).text)
    token = next(i["value"] for i in admin_page.tags("input") if i.get("name") == "csrf")
    # Without the token, or from another site, the form is refused.
    assert httpx.post(action, data={}, auth=_admin(stack)).status_code == 403
    forged = httpx.post(
        action,
        data={"csrf": token},
        auth=_admin(stack),
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert forged.status_code == 403
    simple = f"{stack.base_url}/pypi/main/simple/{name}/"
    assert "data-yanked" not in httpx.get(simple).text

    done = httpx.post(
        action,
        data={"csrf": token, "reason": "broken build"},
        auth=_admin(stack),
        headers={"Origin": stack.base_url},
    )
    assert (
        done.status_code == 303 and done.headers["location"] == f"/feeds/main/projects/{name}/1.0/"
    )
    assert 'data-yanked="broken build"' in httpx.get(simple).text
    assert "yank-notice" in httpx.get(version_url).text
