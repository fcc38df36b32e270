"""A project as its UI page shows it: versions in order, the release to show, its files with
download counts, install lines, safe links. Pure: proto in, plain values out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from packaging.version import InvalidVersion, Version
from packyard_rpc.v1 import common_pb2, metadata_pb2

from packyard.gateway.pypi.pages import file_path

STATUS_TEXT = {
    common_pb2.PROJECT_STATUS_ARCHIVED: "archived",
    common_pb2.PROJECT_STATUS_QUARANTINED: "quarantined",
    common_pb2.PROJECT_STATUS_DEPRECATED: "deprecated",
}
ORIGIN_TEXT = {common_pb2.ORIGIN_UPSTREAM: "upstream"}
_SAFE_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class VersionRow:
    version: str
    yanked: bool
    prerelease: bool
    has_files: bool
    uploaded: datetime | None


@dataclass(frozen=True)
class FileRow:
    filename: str
    url: str
    packagetype: str
    python_version: str
    requires_python: str
    size: int
    sha256: str
    blake2b_256: str
    md5: str
    upload_time: datetime | None
    yanked: bool
    origin: str
    downloads: int


def _parsed(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None


def _sort_key(version: str) -> tuple[int, Version | str]:
    parsed = _parsed(version)
    return (1, parsed) if parsed is not None else (0, version)


def _when(info: common_pb2.FileInfo) -> datetime | None:
    return info.upload_time.ToDatetime(tzinfo=UTC) if info.HasField("upload_time") else None


def version_rows(project: metadata_pb2.Project) -> list[VersionRow]:
    """Every release, newest (PEP 440) first."""
    rows = []
    for version in sorted(set(project.versions), key=_sort_key, reverse=True):
        files = [f for f in project.files if f.version == version]
        times = [t for t in (_when(f) for f in files) if t is not None]
        parsed = _parsed(version)
        rows.append(
            VersionRow(
                version=version,
                yanked=bool(files) and all(f.yanked for f in files),
                prerelease=parsed is not None and parsed.is_prerelease,
                has_files=bool(files),
                uploaded=min(times) if times else None,
            )
        )
    return rows


def latest_version(rows: list[VersionRow]) -> str:
    """What pip would pick: the highest final, unyanked release with files, else the best
    there is."""
    for wanted in (
        lambda r: r.has_files and not r.yanked and not r.prerelease,
        lambda r: r.has_files and not r.yanked,
        lambda r: r.has_files,
        lambda r: True,
    ):
        for row in rows:
            if wanted(row):
                return row.version
    return ""


def find_version(rows: list[VersionRow], wanted: str) -> str | None:
    """The stored spelling of ``wanted`` (1.0 finds 1.0.0), or None."""
    parsed = _parsed(wanted)
    for row in rows:
        if row.version == wanted or (parsed is not None and _parsed(row.version) == parsed):
            return row.version
    return None


def file_rows(
    project: metadata_pb2.Project, version: str, downloads: dict[str, int]
) -> list[FileRow]:
    files = [f for f in project.files if f.version == version]
    files.sort(key=lambda f: (f.packagetype != "sdist", f.filename))
    return [
        FileRow(
            filename=f.filename,
            url=file_path(f.feed or project.feed, project.name, f.filename),
            packagetype="sdist" if f.packagetype == "sdist" else "wheel",
            python_version=f.python_version,
            requires_python=f.requires_python,
            size=f.size,
            sha256=f.hashes.sha256,
            blake2b_256=f.hashes.blake2b_256,
            md5=f.hashes.md5,
            upload_time=_when(f),
            yanked=f.yanked,
            origin=ORIGIN_TEXT.get(f.origin, "hosted"),
            downloads=downloads.get(f.filename, 0),
        )
        for f in files
    ]


def safe_url(url: str) -> str | None:
    """The URL if it is an absolute http(s) URL (metadata is written by uploaders)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in _SAFE_SCHEMES or not parts.netloc:
        return None
    return urlunsplit(parts)


def project_links(meta: common_pb2.CoreMetadata) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    candidates = [("Homepage", meta.home_page), ("Download", meta.download_url)]
    for value in meta.project_urls:
        label, sep, url = value.partition(",")
        if sep:
            candidates.append((label.strip() or "Link", url))
    for label, url in candidates:
        safe = safe_url(url) if url else None
        if safe is not None:
            links.append((label, safe))
    return links


def index_url(base_url: str, feed: metadata_pb2.Feed) -> str:
    """The feed's simple index URL; a private feed's takes the key from $PACKYARD_KEY."""
    base = base_url.rstrip("/")
    url = f"{base}/pypi/{feed.name}/simple/"
    if feed.anonymous_read:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://api:${{PACKYARD_KEY}}@{rest}"


def install_lines(index: str, name: str, version: str | None) -> tuple[str, str]:
    """(pip line, uv line) that install ``name`` (pinned to ``version`` when given)."""
    requirement = f"{name}=={version}" if version else name
    return (
        f"pip install --index-url {index} {requirement}",
        f"uv add --index {index} {requirement}",
    )
