from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from packyard.protocol.json_api import (
    JsonApiFile,
    JsonApiRelease,
    latest_version,
    render_project_json_api,
    render_release_json_api,
)
from packyard.protocol.simple import SimpleFile, dumps_json

PROJECT_URL = "https://idx.test/pypi/main/project/foo-bar/"
UPLOADED = datetime(2024, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)


def simple_file(
    filename: str, *, core: str | None = None, yanked: bool | str = False
) -> SimpleFile:
    return SimpleFile(
        filename=filename,
        url=f"https://idx.test/files/{filename}",
        hashes={"sha256": "5" * 64},
        requires_python=">=3.9",
        yanked=yanked,
        core_metadata_sha256=core,
        size=99,
        upload_time=UPLOADED,
    )


def release(version: str, *, yanked: bool = False, **fields: object) -> JsonApiRelease:
    files = (
        JsonApiFile.from_simple(
            simple_file(f"foo_bar-{version}-py2.py3-none-any.whl", core="c" * 64),
            md5_digest="d" * 32,
            blake2b_256_digest="b" * 64,
        ),
        JsonApiFile.from_simple(simple_file(f"foo_bar-{version}.tar.gz")),
    )
    return JsonApiRelease(version=version, files=files, yanked=yanked, **fields)  # type: ignore[arg-type]


INFO_KEYS = {
    "name", "version", "summary", "description", "description_content_type", "author",
    "author_email", "maintainer", "maintainer_email", "license", "license_expression",
    "keywords", "classifiers", "requires_dist", "requires_python", "project_urls",
    "home_page", "download_url", "platform", "package_url", "project_url", "release_url",
    "yanked", "yanked_reason", "provides_extra", "dynamic", "bugtrack_url", "docs_url",
}  # fmt: skip
FILE_KEYS = {
    "comment_text", "core-metadata", "digests", "downloads", "filename", "has_sig",
    "md5_digest", "packagetype", "python_version", "requires_python", "size", "upload_time",
    "upload_time_iso_8601", "url", "yanked", "yanked_reason",
}  # fmt: skip


def test_project_document_shape() -> None:
    body = render_project_json_api(
        "Foo.Bar",
        [release("1.0"), release("2.0b1"), release("1.5", summary="The thing")],
        last_serial=17,
        project_url=PROJECT_URL,
    )
    body = json.loads(dumps_json(body))  # must survive JSON
    assert {"info", "last_serial", "releases", "urls", "vulnerabilities"} <= set(body)
    assert body["last_serial"] == 17
    assert body["vulnerabilities"] == []
    info = body["info"]
    assert INFO_KEYS <= set(info)
    # Latest is the highest final release, not the pre-release.
    assert info["version"] == "1.5"
    assert info["summary"] == "The thing"
    assert info["name"] == "Foo.Bar"
    assert info["package_url"] == info["project_url"] == PROJECT_URL
    assert info["release_url"] == PROJECT_URL + "1.5/"
    assert info["bugtrack_url"] is None and info["docs_url"] is None
    assert list(body["releases"]) == ["1.0", "1.5", "2.0b1"]
    assert [f["filename"] for f in body["urls"]] == [
        "foo_bar-1.5-py2.py3-none-any.whl",
        "foo_bar-1.5.tar.gz",
    ]


def test_file_objects() -> None:
    body = render_release_json_api(
        "Foo.Bar", release("1.0"), last_serial=3, project_url=PROJECT_URL
    )
    assert "releases" not in body
    wheel, sdist = body["urls"]
    assert set(wheel) == FILE_KEYS
    assert wheel["packagetype"] == "bdist_wheel"
    assert wheel["python_version"] == "py2.py3"
    assert wheel["digests"] == {"blake2b_256": "b" * 64, "md5": "d" * 32, "sha256": "5" * 64}
    assert wheel["md5_digest"] == "d" * 32
    assert wheel["core-metadata"] == {"sha256": "c" * 64}
    assert wheel["downloads"] == -1 and wheel["has_sig"] is False and wheel["comment_text"] == ""
    assert wheel["upload_time"] == "2024-03-04T05:06:07"
    assert wheel["upload_time_iso_8601"] == "2024-03-04T05:06:07.890000Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", wheel["upload_time"])
    assert wheel["size"] == 99 and wheel["requires_python"] == ">=3.9"
    assert wheel["yanked"] is False and wheel["yanked_reason"] is None
    assert (sdist["packagetype"], sdist["python_version"]) == ("sdist", "source")
    assert sdist["core-metadata"] is False
    assert sdist["digests"]["md5"] is None


def test_info_metadata_fields_and_empty_lists_become_null() -> None:
    rel = release(
        "1.0",
        requires_dist=["requests>=2"],
        classifiers=["License :: OSI Approved"],
        project_urls={"Homepage": "https://x.test"},
        license_expression="MIT",
    )
    info = render_release_json_api("foo", rel, last_serial=1, project_url=PROJECT_URL)["info"]
    assert info["requires_dist"] == ["requests>=2"]
    assert info["classifiers"] == ["License :: OSI Approved"]
    assert info["project_urls"] == {"Homepage": "https://x.test"}
    assert info["license_expression"] == "MIT"
    bare = render_release_json_api("foo", release("1.0"), last_serial=1, project_url=PROJECT_URL)
    # Warehouse sends null, not [], for absent requires_dist/project_urls.
    assert bare["info"]["requires_dist"] is None
    assert bare["info"]["project_urls"] is None
    assert bare["info"]["classifiers"] == []


def test_yanked_file_reason() -> None:
    item = JsonApiFile.from_simple(simple_file("foo-1.0.tar.gz", yanked="oops"))
    rel = JsonApiRelease(version="1.0", files=[item], yanked=True, yanked_reason="oops")
    body = render_release_json_api("foo", rel, last_serial=1, project_url=PROJECT_URL)
    assert body["urls"][0]["yanked"] is True
    assert body["urls"][0]["yanked_reason"] == "oops"
    assert body["info"]["yanked"] is True and body["info"]["yanked_reason"] == "oops"


def test_release_without_files_is_listed() -> None:
    body = render_project_json_api(
        "foo",
        [JsonApiRelease(version="0.1"), release("0.2")],
        last_serial=1,
        project_url=PROJECT_URL,
    )
    assert body["releases"]["0.1"] == []


def test_latest_version_ordering() -> None:
    assert latest_version(["1.0", "2.0", "1.10"]) == "2.0"
    assert latest_version(["1.0", "2.0rc1"]) == "1.0"  # final beats pre-release
    assert latest_version(["2.0rc1", "2.0b1"]) == "2.0rc1"  # only pre-releases
    assert latest_version(["1.0", "2.0"], yanked_versions=["2.0"]) == "1.0"  # not yanked first
    assert latest_version(["1.0", "2.0a1"], yanked_versions=["1.0"]) == "2.0a1"
    assert latest_version(["1.0", "1.1"], yanked_versions=["1.0", "1.1"]) == "1.1"
    assert latest_version(["1.0", "not-a-version"]) == "1.0"


def test_latest_version_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        latest_version([])


def test_project_latest_skips_yanked_release() -> None:
    body = render_project_json_api(
        "foo",
        [release("1.0"), release("2.0", yanked=True)],
        last_serial=1,
        project_url=PROJECT_URL,
    )
    assert body["info"]["version"] == "1.0"


def test_unparseable_upstream_filename_still_renders() -> None:
    item = JsonApiFile.from_simple(simple_file("foo-1.0.zip"))
    assert (item.packagetype, item.python_version) == ("sdist", "source")
