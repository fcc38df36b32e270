"""Pure pieces behind proxied projects (issue 15): root index names, descriptions from the
JSON API and from METADATA, which releases a description is shown for, PEP 700 facts carried
over between refreshes, and project names of download filenames."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from packyard.connector.file_facts import carried_over, lacks_facts
from packyard.connector.models import OfferedFile
from packyard.metadata.catalog.service import project_of
from packyard.protocol.file_filters import FileFilter, check_filter, keeps
from packyard.protocol.root_index import parse_root_index
from packyard.protocol.upstream_description import (
    FROM_JSON,
    FROM_METADATA,
    described_versions,
    description_from_json,
    description_from_metadata,
)
from packyard.protocol.upstream_parse import UpstreamParseError

JSON_V1 = "application/vnd.pypi.simple.v1+json"


def test_root_index_html_names_are_normalized_and_unique() -> None:
    page = b"""<html><body>
    <a href="/simple/Flask/">Flask</a>
    <a href="/simple/flask/">flask</a>
    <a href="/simple/zope.interface/">zope.interface</a>
    <a href="/simple/x/">not a name!</a>
    <a href="/simple/a%26b/">A&amp;B</a>
    </body></html>"""
    assert parse_root_index(page, "text/html") == ["flask", "zope-interface"]


def test_root_index_json_names() -> None:
    body = json.dumps(
        {"meta": {"api-version": "1.1"}, "projects": [{"name": "Requests"}, {"name": "six"}, 3]}
    ).encode()
    assert parse_root_index(body, JSON_V1) == ["requests", "six"]


def test_root_index_json_without_projects_is_refused() -> None:
    with pytest.raises(UpstreamParseError):
        parse_root_index(b'{"meta": {}}', JSON_V1)


def test_description_from_a_pypi_json_answer() -> None:
    body = json.dumps({"info": {
        "name": "Requests", "version": "2.32.3", "summary": "HTTP for Humans.",
        "description": "# Requests", "description_content_type": "text/markdown",
        "license": "Apache-2.0", "license_expression": None, "requires_python": ">=3.8",
        "requires_dist": ["charset-normalizer<4,>=2", "idna<4,>=2.5"],
        "project_urls": {"Source": "https://github.com/psf/requests"},
    }}).encode()  # fmt: skip
    described = description_from_json(body)
    assert described is not None
    assert (described.display_name, described.version, described.summary) == (
        "Requests", "2.32.3", "HTTP for Humans."
    )  # fmt: skip
    assert described.license == "Apache-2.0" and described.requires_python == ">=3.8"
    assert described.requires_dist == ("charset-normalizer<4,>=2", "idna<4,>=2.5")
    assert described.project_urls == (("Source", "https://github.com/psf/requests"),)
    assert described.source == FROM_JSON


@pytest.mark.parametrize("body", [b"<html>", b"[]", b'{"info": "x"}', b"\xff"])
def test_what_is_not_a_json_api_answer_describes_nothing(body: bytes) -> None:
    assert description_from_json(body) is None


def test_description_from_core_metadata() -> None:
    raw = (
        b"Metadata-Version: 2.4\nName: Gadget\nVersion: 1.2\nSummary: A gadget\n"
        b"License-Expression: MIT\nRequires-Python: >=3.9\nRequires-Dist: idna\n"
        b"Project-URL: Docs, https://example.com/docs\n"
        b"Description-Content-Type: text/markdown\n\n# Gadget\nLong text.\n"
    )
    described = description_from_metadata(raw)
    assert (described.display_name, described.version, described.summary) == (
        "Gadget", "1.2", "A gadget"
    )  # fmt: skip
    assert described.license == "MIT" and described.requires_dist == ("idna",)
    assert described.project_urls == (("Docs", "https://example.com/docs"),)
    assert described.description.startswith("# Gadget") and described.source == FROM_METADATA


@pytest.mark.parametrize(
    ("versions", "described", "shown"),
    [
        (["1.0", "2.0"], "2.0", ["2.0"]),
        (["1.0", "2.0"], "1.0", ["1.0", "2.0"]),  # an older wheel's METADATA: and the latest
        (["1.0", "2.0", "3.0b1"], "", ["2.0"]),  # the latest final release
        ([], "1.0", []),
    ],
)
def test_which_releases_a_description_is_shown_for(
    versions: list[str], described: str, shown: list[str]
) -> None:
    assert described_versions(versions, described) == shown


def _file(name: str, sha: str, size: int = 0, when: datetime | None = None) -> OfferedFile:
    return OfferedFile(
        feed="f", project="p", version="1", filename=name, sha256=sha, size=size,
        upload_time=when, upstream_url=f"https://up/{name}",
    )  # fmt: skip


def test_pep_700_facts_are_carried_over_only_for_the_same_bytes() -> None:
    when = datetime(2024, 1, 2, tzinfo=UTC)
    previous = [_file("a.whl", "1" * 64, 10, when), _file("b.whl", "2" * 64, 20, when)]
    fresh = [_file("a.whl", "1" * 64), _file("b.whl", "3" * 64), _file("c.whl", "4" * 64)]
    a, b, c = carried_over(fresh, previous)
    assert (a.size, a.upload_time) == (10, when) and not lacks_facts(a)
    assert lacks_facts(b) and lacks_facts(c)  # other bytes, or new: asked with HEAD


@pytest.mark.parametrize(
    ("filename", "project"),
    [
        ("Requests-2.0-py3-none-any.whl", "requests"),
        ("zope.interface-6.0.tar.gz", "zope-interface"),
        ("old_pkg-1.0.zip", "old-pkg"),
        ("nodash.exe", ""),
    ],
)
def test_the_project_a_downloaded_filename_counts_for(filename: str, project: str) -> None:
    assert project_of(filename) == project


TEAM = FileFilter(python_versions=("3.11", "3.12"), platforms=("manylinux*_x86_64",))


@pytest.mark.parametrize(
    ("filename", "requires_python", "kept"),
    [
        ("p-1.0-py3-none-any.whl", "", True),
        ("p-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "", True),
        ("p-1.0-cp312-cp312-manylinux_2_28_x86_64.manylinux_2_17_x86_64.whl", "", True),
        ("p-1.0-cp38-abi3-manylinux_2_17_x86_64.whl", "", True),  # stable ABI from 3.8 on
        ("p-1.0-cp313-abi3-manylinux_2_17_x86_64.whl", "", False),  # needs 3.13
        ("p-1.0-cp311-cp311-win_amd64.whl", "", False),
        ("p-1.0-cp311-cp311-manylinux_2_17_aarch64.whl", "", False),
        ("p-1.0-cp310-cp310-manylinux_2_17_x86_64.whl", "", False),
        ("p-1.0.tar.gz", "", True),
        ("p-1.0.tar.gz", "<3.8", False),
        ("p-1.0-py3-none-any.whl", ">=3.12", True),
        ("p-1.0-py3-none-any.whl", ">=3.13", False),
        ("p-1.0-py3-none-any.whl", "not a specifier", True),
    ],
)
def test_a_filter_keeps_what_the_team_can_install(
    filename: str, requires_python: str, kept: bool
) -> None:
    assert keeps(TEAM, filename, requires_python) is kept


def test_no_filter_keeps_everything() -> None:
    assert keeps(FileFilter(), "p-1.0-cp27-cp27m-win32.whl", "<3")


def test_filter_settings_are_checked() -> None:
    assert check_filter(["3.12", "3"], ["manylinux*", "bad pattern"]) == [
        "Python version '3' must look like 3.12.",
        "Platform pattern 'bad pattern' must be 1 to 100 characters, no spaces.",
    ]
