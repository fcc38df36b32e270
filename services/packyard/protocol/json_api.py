"""PyPI's JSON API (``/pypi/<project>/json`` and ``/pypi/<project>/<version>/json``).

Not a standard, but poetry, Dependabot and many scripts read it, so the shape follows
Warehouse's ``legacy/api/json.py``: ``info`` for one release, ``urls`` (its files),
``releases`` (every version -> files; project endpoint only), ``last_serial``,
``vulnerabilities`` and ``ownership``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from packaging.version import InvalidVersion, Version

from packyard.protocol.filenames import InvalidFilename, parse_distribution_filename
from packyard.protocol.simple import SimpleFile, format_upload_time


@dataclass(frozen=True, slots=True)
class JsonApiFile:
    """A simple-API file plus what only the JSON API shows."""

    file: SimpleFile
    packagetype: str  # "bdist_wheel" | "sdist"
    python_version: str  # wheel python tag(s), "source" for sdists
    md5_digest: str | None = None
    blake2b_256_digest: str | None = None
    # Packyard's extension: "local" (uploaded here) or "upstream" (from a connector).
    origin: str | None = None

    @classmethod
    def from_simple(
        cls,
        file: SimpleFile,
        md5_digest: str | None = None,
        blake2b_256_digest: str | None = None,
    ) -> JsonApiFile:
        """Derive packagetype/python_version from the filename (upstream files carry neither)."""
        try:
            parsed = parse_distribution_filename(file.filename)
            packagetype, python_version = parsed.packagetype, parsed.python_version
        except InvalidFilename:
            # Legacy upstream formats (.zip sdists, eggs) still deserve a row.
            packagetype, python_version = "sdist", "source"
        return cls(
            file=file,
            packagetype=packagetype,
            python_version=python_version,
            md5_digest=md5_digest or file.hashes.get("md5"),
            blake2b_256_digest=blake2b_256_digest or file.hashes.get("blake2b_256"),
        )


@dataclass(frozen=True, slots=True)
class JsonApiRelease:
    """One release: its core metadata (as the ``info`` block shows it) and its files."""

    version: str
    files: Sequence[JsonApiFile] = ()
    summary: str | None = None
    description: str | None = None
    description_content_type: str | None = None
    author: str | None = None
    author_email: str | None = None
    maintainer: str | None = None
    maintainer_email: str | None = None
    license: str | None = None
    license_expression: str | None = None
    keywords: str | None = None
    classifiers: Sequence[str] = ()
    requires_dist: Sequence[str] = ()
    requires_python: str | None = None
    project_urls: Mapping[str, str] = field(default_factory=dict)
    home_page: str | None = None
    download_url: str | None = None
    platform: str | None = None
    provides_extra: Sequence[str] = ()
    dynamic: Sequence[str] = ()
    yanked: bool = False
    yanked_reason: str | None = None


def _version_key(version: str) -> tuple[int, Version | str]:
    try:
        return (1, Version(version))
    except InvalidVersion:
        # Legacy upstream versions sort below every valid one, among themselves by text.
        return (0, version)


def _is_prerelease(version: str) -> bool:
    try:
        return Version(version).is_prerelease
    except InvalidVersion:
        return False


def latest_version(versions: Iterable[str], yanked_versions: Iterable[str] = ()) -> str:
    """Warehouse's "latest": not yanked first, then final releases, then the highest version."""
    yanked = set(yanked_versions)
    candidates = list(versions)
    if not candidates:
        raise ValueError("a project without releases has no latest version")

    def key(version: str) -> tuple[bool, bool, tuple[int, Version | str]]:
        return (version not in yanked, not _is_prerelease(version), _version_key(version))

    # Keys mixing Version and str in position 2 never meet: position 1 separates them.
    return max(candidates, key=key)


def _upload_time_plain(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def _file_json(item: JsonApiFile) -> dict[str, Any]:
    file = item.file
    sha256 = file.hashes.get("sha256")
    return {
        "comment_text": "",
        "core-metadata": (
            {"sha256": file.core_metadata_sha256} if file.core_metadata_sha256 else False
        ),
        "digests": {
            "blake2b_256": item.blake2b_256_digest,
            "md5": item.md5_digest,
            "sha256": sha256,
        },
        "downloads": -1,
        "filename": file.filename,
        "has_sig": False,
        "md5_digest": item.md5_digest,
        "packagetype": item.packagetype,
        "python_version": item.python_version,
        "requires_python": file.requires_python,
        "size": file.size,
        "upload_time": _upload_time_plain(file.upload_time) if file.upload_time else None,
        "upload_time_iso_8601": (
            format_upload_time(file.upload_time) if file.upload_time else None
        ),
        "url": file.url,
        "yanked": file.is_yanked,
        "yanked_reason": file.yanked_reason,
    } | ({"origin": item.origin} if item.origin else {})


def _info(display_name: str, release: JsonApiRelease, project_url: str) -> dict[str, Any]:
    release_url = f"{project_url.rstrip('/')}/{release.version}/"
    return {
        "author": release.author,
        "author_email": release.author_email,
        "bugtrack_url": None,
        "classifiers": list(release.classifiers),
        "description": release.description,
        "description_content_type": release.description_content_type,
        "docs_url": None,
        "download_url": release.download_url,
        "downloads": {"last_day": -1, "last_month": -1, "last_week": -1},
        "dynamic": list(release.dynamic) or None,
        "home_page": release.home_page,
        "keywords": release.keywords,
        "license": release.license,
        "license_expression": release.license_expression,
        "maintainer": release.maintainer,
        "maintainer_email": release.maintainer_email,
        "name": display_name,
        "package_url": project_url,
        "platform": release.platform,
        "project_url": project_url,
        "project_urls": dict(release.project_urls) or None,
        "provides_extra": list(release.provides_extra) or None,
        "release_url": release_url,
        "requires_dist": list(release.requires_dist) or None,
        "requires_python": release.requires_python,
        "summary": release.summary,
        "version": release.version,
        "yanked": release.yanked,
        "yanked_reason": release.yanked_reason,
    }


def render_release_json_api(
    display_name: str,
    release: JsonApiRelease,
    *,
    last_serial: int,
    project_url: str,
    vulnerabilities: Mapping[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """``/pypi/<project>/<version>/json``. ``project_url`` is the project's web page URL;
    ``vulnerabilities`` maps a version to its advisories in Warehouse's shape."""
    return {
        "info": _info(display_name, release, project_url),
        "last_serial": last_serial,
        "ownership": {"organization": None, "roles": []},
        "urls": [_file_json(f) for f in release.files],
        "vulnerabilities": list((vulnerabilities or {}).get(release.version, [])),
    }


def render_project_json_api(
    display_name: str,
    releases: Iterable[JsonApiRelease],
    *,
    last_serial: int,
    project_url: str,
    vulnerabilities: Mapping[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """``/pypi/<project>/json``: ``info``/``urls`` of the latest release, plus all releases.

    The caller answers 404 for a project without releases (this raises ``ValueError``).
    """
    ordered = sorted(releases, key=lambda r: _version_key(r.version))
    by_version = {r.version: r for r in ordered}
    latest = by_version[latest_version(by_version, (r.version for r in ordered if r.yanked))]
    body = render_release_json_api(
        display_name,
        latest,
        last_serial=last_serial,
        project_url=project_url,
        vulnerabilities=vulnerabilities,
    )
    body["releases"] = {r.version: [_file_json(f) for f in r.files] for r in ordered}
    return dict(sorted(body.items()))
