"""OSV advisory matching (issue 17 item 1) on records in the OSV schema as osv.dev serves
them for PyPI: ranges, last_affected, explicit versions, withdrawn records, name forms."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from packyard.protocol.osv import (
    Advisory,
    InvalidAdvisory,
    advisory_to_json,
    affects,
    fixed_in,
    iter_archive,
    parse_advisory,
    parse_record_bytes,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "osv"


def _load(name: str) -> Advisory:
    return parse_record_bytes((FIXTURES / name).read_bytes())


@pytest.mark.parametrize(
    ("version", "hit"),
    [("2.2.1", False), ("2.3.0", True), ("2.3", True), ("2.28.2", True), ("2.30.0", True),
     ("2.31.0", False), ("2.31.0rc1", True), ("2.32.3", False), ("not a version", False)],
)  # fmt: skip
def test_introduced_fixed_range(version: str, hit: bool) -> None:
    assert affects(_load("PYSEC-2023-74.json"), "requests", version) is hit


def test_git_ranges_are_ignored_and_fix_listed() -> None:
    advisory = _load("PYSEC-2023-74.json")
    assert fixed_in(advisory, "requests") == ["2.31.0"]


@pytest.mark.parametrize(
    ("name", "hit"),
    [("PyYAML", True), ("pyyaml", True), ("PYYAML", True),
     # Normalization maps separators to "-", it never drops them: another project.
     ("py-yaml", False), ("Py_YAML", False)],
)  # fmt: skip
def test_names_match_after_pep503_normalization(name: str, hit: bool) -> None:
    assert affects(_load("PYSEC-2021-142.json"), name, "5.3.1") is hit


def test_introduced_zero_covers_every_earlier_version() -> None:
    advisory = _load("PYSEC-2021-142.json")
    assert affects(advisory, "pyyaml", "0.1")
    assert affects(advisory, "pyyaml", "5.4b2")
    assert not affects(advisory, "pyyaml", "5.4")


@pytest.mark.parametrize(
    ("version", "hit"),
    [("3.9", False), ("4.0", True), ("4.7.1", True), ("4.7.1.post1", False), ("5.0", False)],
)
def test_last_affected_is_included(version: str, hit: bool) -> None:
    advisory = _load("GHSA-last-affected.json")
    assert affects(advisory, "zope-interface", version) is hit
    assert fixed_in(advisory, "zope-interface") == []


def test_other_ecosystems_are_dropped() -> None:
    advisory = _load("GHSA-last-affected.json")
    assert [a.project for a in advisory.affected] == ["zope-interface"]


def test_withdrawn_advisory_affects_nothing() -> None:
    advisory = _load("PYSEC-withdrawn.json")
    assert advisory.withdrawn == "2023-02-24T22:10:30Z"
    assert not affects(advisory, "setuptools", "60.0")


@pytest.mark.parametrize(("version", "hit"), [("0.1.2", True), ("0.1.2.0", True),
                                              ("0.2.0", False), ("0.2.6", True)])  # fmt: skip
def test_explicit_versions_without_ranges(version: str, hit: bool) -> None:
    assert affects(_load("GHSA-versions-only.json"), "ctx", version) is hit


def test_stored_form_reads_back_the_same() -> None:
    for path in sorted(FIXTURES.glob("*.json")):
        advisory = _load(path.name)
        again = parse_advisory(json.loads(json.dumps(advisory_to_json(advisory))))
        assert again.id == advisory.id
        for package in advisory.affected:
            for version in ("0.1.2", "2.3.0", "4.7.1", "5.3.1", "60.0", "9.9"):
                assert affects(again, package.project, version) == affects(
                    advisory, package.project, version
                )


def test_a_record_without_id_is_invalid() -> None:
    with pytest.raises(InvalidAdvisory):
        parse_record_bytes(b'{"summary": "no id"}')
    with pytest.raises(InvalidAdvisory):
        parse_record_bytes(b"not json")


def test_archive_is_read_member_by_member(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(FIXTURES.glob("*.json")):
            zf.writestr(path.name, path.read_bytes())
        zf.writestr("README.txt", b"not a record")
    ids = sorted(parse_record_bytes(data).id for data in iter_archive(archive))
    assert ids == sorted(_load(p.name).id for p in FIXTURES.glob("*.json"))
