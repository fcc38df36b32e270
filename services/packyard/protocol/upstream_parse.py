"""Reading an upstream index's project page (PEP 691 JSON or PEP 503 HTML) into plain values.

Pure: bytes in, frozen dataclasses out. The connector decides what to do with the result; this
module only refuses what no upstream may tell us (Warehouse's and devpi's parsers are the
model, RELIABILITY §5 F63 the bar):

- a file URL that resolves to another origin (scheme, host, port) than the allowed ones, that is
  not http(s), or whose resolved path still contains a ``..`` segment (absolute or
  percent-encoded) is dropped; relative ``../`` references are normal (Packyard's own pages
  use them) and resolve first;
- a file whose URL's last segment is not its filename, or whose filename names another project,
  is dropped;
- a page with an ``api-version`` outside ``1.x`` is an error (clients must hard-fail on a new
  major version, PEP 629).

Dropped entries are reported with a reason, so the connector can log them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion

JSON_CONTENT_TYPE = "application/vnd.pypi.simple.v1+json"
# What the connector asks for: JSON preferred, HTML accepted (PEP 691 "Version + Format").
ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
)
MAX_FILES = 100_000

_HEX = re.compile(r"^[0-9a-f]+\Z")
_HASH_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128, "sha224": 56, "md5": 32, "sha1": 40}


class UpstreamParseError(ValueError):
    """The page is not a simple-API project page this parser can trust."""


@dataclass(frozen=True, slots=True)
class UpstreamFile:
    filename: str
    url: str  # absolute, without fragment
    version: str
    hashes: Mapping[str, str]  # lowercase hex, only well-formed digests
    requires_python: str | None = None
    yanked: bool | str = False  # a str is the reason (may be empty: still yanked)
    # PEP 658/714: False, True (offered without a hash) or its hashes.
    core_metadata: bool | Mapping[str, str] = False
    size: int | None = None
    upload_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class DroppedEntry:
    reference: str  # the filename or URL as the upstream wrote it
    reason: str


@dataclass(frozen=True, slots=True)
class UpstreamPage:
    project: NormalizedName
    files: tuple[UpstreamFile, ...]
    versions: tuple[str, ...]
    status: str | None = None  # PEP 792 status, None when the page says nothing
    dropped: tuple[DroppedEntry, ...] = field(default_factory=tuple)


def origin_of(url: str) -> str:
    """``scheme://host:port`` with the default port spelled out, lowercase."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return ""
    port = port or {"http": 80, "https": 443}.get(scheme, 0)
    host = (parts.hostname or "").lower()
    return f"{scheme}://{host}:{port}"


def is_json(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == JSON_CONTENT_TYPE


def parse_project_page(
    body: bytes,
    content_type: str | None,
    page_url: str,
    project: str,
    allowed_origins: Iterable[str],
) -> UpstreamPage:
    """Parse a project page fetched from ``page_url``; JSON when the type says so, else HTML."""
    if is_json(content_type):
        return parse_project_json(body, page_url, project, allowed_origins)
    return parse_project_html(body, page_url, project, allowed_origins)


# -- JSON (PEP 691) ------------------------------------------------------------------------


def parse_project_json(
    body: bytes, page_url: str, project: str, allowed_origins: Iterable[str]
) -> UpstreamPage:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise UpstreamParseError(f"not JSON: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise UpstreamParseError("a project page must be a JSON object")
    _check_api_version(data.get("meta"))
    raw_files = data.get("files")
    if not isinstance(raw_files, list):
        raise UpstreamParseError("'files' must be a list")
    builder = _Builder(canonicalize_name(project), page_url, allowed_origins)
    for entry in raw_files[:MAX_FILES]:
        if not isinstance(entry, dict):
            builder.drop(repr(entry)[:80], "not an object")
            continue
        filename, url = entry.get("filename"), entry.get("url")
        if not isinstance(filename, str) or not isinstance(url, str):
            builder.drop(str(filename), "filename or url missing")
            continue
        builder.add(
            filename,
            url,
            hashes=_json_hashes(entry.get("hashes")),
            requires_python=_opt_str(entry.get("requires-python")),
            yanked=_json_yanked(entry.get("yanked")),
            core_metadata=_json_core_metadata(entry),
            size=_opt_int(entry.get("size")),
            upload_time=_parse_time(entry.get("upload-time")),
        )
    versions = data.get("versions")
    status = data.get("project-status")
    return builder.page(
        versions=[v for v in versions if isinstance(v, str)] if isinstance(versions, list) else [],
        status=_opt_str(status.get("status")) if isinstance(status, dict) else None,
    )


def _check_api_version(meta: Any) -> None:
    version = meta.get("api-version") if isinstance(meta, dict) else None
    if not isinstance(version, str):
        raise UpstreamParseError("meta.api-version is missing")
    major = version.split(".", 1)[0]
    if major != "1":
        raise UpstreamParseError(f"unsupported api-version {version[:20]!r}")


def _json_hashes(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return _clean_hashes((str(k), v) for k, v in value.items() if isinstance(v, str))


def _json_yanked(value: Any) -> bool | str:
    if isinstance(value, str):
        return value
    return value is True


def _json_core_metadata(entry: Mapping[str, Any]) -> bool | Mapping[str, str]:
    # PEP 714 renamed the key; Warehouse also emitted a buggy "data-dist-info-metadata".
    for key in ("core-metadata", "dist-info-metadata", "data-dist-info-metadata"):
        if key in entry:
            value = entry[key]
            if isinstance(value, dict):
                hashes = _json_hashes(value)
                return hashes or True
            return value is True
    return False


# -- HTML (PEP 503) ------------------------------------------------------------------------


class _AnchorCollector(HTMLParser):
    """Collect ``<a>`` attributes and text and the PEP 792 status meta; nothing else matters.

    html.parser is not recursive and expands no custom entities, so nesting or entity tricks
    cannot blow it up; the caller bounds the input size.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self.meta: dict[str, str] = {}
        self._current: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._current, self._text = dict(attrs), []
        elif tag == "meta":
            values = dict(attrs)
            name, content = values.get("name"), values.get("content")
            if name and content is not None:
                self.meta[name.lower()] = content

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._current is not None:
            if len(self.anchors) < MAX_FILES:
                self.anchors.append((self._current, "".join(self._text).strip()))
            self._current = None


def parse_project_html(
    body: bytes, page_url: str, project: str, allowed_origins: Iterable[str]
) -> UpstreamPage:
    collector = _AnchorCollector()
    try:
        collector.feed(body.decode("utf-8", errors="replace"))
        collector.close()
    except (ValueError, AssertionError, RecursionError) as exc:  # pragma: no cover - defensive
        raise UpstreamParseError(f"unparseable HTML: {type(exc).__name__}") from None
    version = collector.meta.get("pypi:repository-version")
    if version is not None and version.split(".", 1)[0] != "1":
        raise UpstreamParseError(f"unsupported repository-version {version[:20]!r}")
    builder = _Builder(canonicalize_name(project), page_url, allowed_origins)
    for attrs, text in collector.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, _, fragment = href.partition("#")
        filename = text or unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        yanked: bool | str = False
        if "data-yanked" in attrs:
            yanked = attrs["data-yanked"] or ""
        builder.add(
            filename,
            url,
            hashes=_fragment_hashes(fragment),
            requires_python=attrs.get("data-requires-python") or None,
            yanked=yanked,
            core_metadata=_html_core_metadata(attrs),
            size=None,
            upload_time=None,
        )
    return builder.page(versions=[], status=collector.meta.get("pypi:project-status"))


def _fragment_hashes(fragment: str) -> dict[str, str]:
    name, sep, value = fragment.partition("=")
    return _clean_hashes([(name, value)]) if sep else {}


def _html_core_metadata(attrs: Mapping[str, str | None]) -> bool | Mapping[str, str]:
    for key in ("data-core-metadata", "data-dist-info-metadata"):
        if key in attrs:
            value = attrs[key] or ""
            if value.lower() == "true":
                return True
            hashes = _fragment_hashes(value)
            return hashes or False
    return False


# -- shared ----------------------------------------------------------------------------------


class _Builder:
    def __init__(self, project: NormalizedName, page_url: str, allowed: Iterable[str]) -> None:
        self.project = project
        self.page_url = page_url
        self.allowed = {origin_of(page_url), *allowed}
        self.files: list[UpstreamFile] = []
        self.dropped: list[DroppedEntry] = []
        self._seen: set[str] = set()

    def drop(self, reference: str, reason: str) -> None:
        self.dropped.append(DroppedEntry(reference, reason))

    def add(self, filename: str, raw_url: str, **fields: Any) -> None:
        url = urljoin(self.page_url, raw_url).partition("#")[0]
        # Relative references lose their dot segments in urljoin (RFC 3986); any ".." left
        # (in an absolute URL, or percent-encoded) is an attempt to step out of a directory.
        reason = _unsafe_filename(filename) or _unsafe_url(url)
        if reason:
            self.drop(filename or raw_url, reason)
            return
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            self.drop(filename, "not an http(s) URL")
            return
        if parts.username or parts.password:
            self.drop(filename, "URL carries credentials")
            return
        if origin_of(url) not in self.allowed:
            self.drop(filename, "URL points to another host")
            return
        if unquote(parts.path.rsplit("/", 1)[-1]) != filename:
            self.drop(filename, "URL does not end in the filename")
            return
        named = _project_and_version(filename)
        if named is None:
            self.drop(filename, "not a wheel or sdist filename")
            return
        name, version = named
        if name != self.project:
            self.drop(filename, "filename names another project")
            return
        if filename in self._seen:
            self.drop(filename, "listed twice")
            return
        self._seen.add(filename)
        self.files.append(UpstreamFile(filename=filename, url=url, version=version, **fields))

    def page(self, versions: list[str], status: str | None) -> UpstreamPage:
        # PEP 700 versions when the upstream gives them, else the versions of its files.
        known = list(dict.fromkeys([*versions, *(f.version for f in self.files)]))
        return UpstreamPage(
            project=self.project,
            files=tuple(self.files),
            versions=tuple(known),
            status=status,
            dropped=tuple(self.dropped),
        )


def _unsafe_filename(filename: str) -> str | None:
    if not filename:
        return "empty filename"
    if "/" in filename or "\\" in filename or filename in {".", ".."}:
        return "filename with a path separator"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in filename):
        return "filename with control characters"
    return None


def _unsafe_url(url: str) -> str | None:
    path = urlsplit(url).path
    for candidate in (path, unquote(path)):
        if ".." in candidate.replace("\\", "/").split("/"):
            return "URL contains '..'"
    return None


def _project_and_version(filename: str) -> tuple[NormalizedName, str] | None:
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
            return name, str(version)
        if filename.endswith(".tar.gz"):
            sdist_name, sdist_version = parse_sdist_filename(filename)
            return sdist_name, str(sdist_version)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    if filename.endswith(".zip"):
        # Old .zip sdists: "name-version.zip", split at the last dash as pip does.
        name_part, sep, zip_version = filename.removesuffix(".zip").rpartition("-")
        if sep and name_part and zip_version:
            return canonicalize_name(name_part), zip_version
    return None


def _clean_hashes(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for name, value in pairs:
        name, value = name.lower().strip(), value.lower().strip()
        expected = _HASH_LENGTHS.get(name)
        if expected and len(value) == expected and _HEX.match(value):
            clean[name] = value
    return clean


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
