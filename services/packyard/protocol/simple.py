"""The simple repository API pages (PEP 503 HTML, PEP 691 JSON) for API version 1.4.

Features served, hence the version declared: PEP 592 yank, PEP 629 version meta, PEP 658/714
core metadata, PEP 700 ``versions``/``size``/``upload-time`` (1.1), PEP 740 ``provenance``
(1.3), PEP 792 ``project-status`` (1.4). PEP 708 (1.2) was rejected: nothing of it is emitted.

Quarantined projects (PEP 792) list neither files nor versions, as Warehouse does: a version
with no installable file only sends resolvers looking for files they cannot have.

Rendering is string concatenation over precomputed pieces rather than a template engine, so a
2,000-file page renders in a few milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from itertools import islice
from typing import Any

from packaging.utils import NormalizedName

API_VERSION = "1.4"
QUARANTINED = "quarantined"
PROJECT_STATUSES = frozenset({"active", "archived", QUARANTINED, "deprecated"})

# Hashes the href fragment may carry, best first (PEP 503: hashlib-guaranteed algorithms).
_FRAGMENT_HASHES = ("sha256", "sha384", "sha512", "sha224", "sha1", "md5")
_INDEX_BATCH = 500


@dataclass(frozen=True, slots=True)
class SimpleFile:
    filename: str
    url: str
    hashes: Mapping[str, str]
    requires_python: str | None
    # False, True, or the reason (a str always means yanked, even when empty).
    yanked: bool | str
    core_metadata_sha256: str | None
    size: int
    upload_time: datetime | None
    provenance: str | None = None
    # PEP 658 ``true``: a metadata file is served but its hash is not known yet (an upstream
    # wheel whose METADATA Packyard reads on first request). Ignored when the hash is known.
    core_metadata_available: bool = False

    @property
    def is_yanked(self) -> bool:
        return self.yanked is True or isinstance(self.yanked, str)

    @property
    def yanked_reason(self) -> str | None:
        return self.yanked if isinstance(self.yanked, str) and self.yanked else None


@dataclass(frozen=True, slots=True)
class SimpleProjectPage:
    name: NormalizedName
    files: Sequence[SimpleFile]
    versions: Sequence[str]
    status: str = "active"
    status_reason: str | None = None
    serial: int = 0

    @property
    def listed_files(self) -> Sequence[SimpleFile]:
        return () if self.status == QUARANTINED else self.files

    @property
    def listed_versions(self) -> list[str]:
        if self.status == QUARANTINED:
            return []
        return list(dict.fromkeys(self.versions))


@dataclass(frozen=True, slots=True)
class SimpleIndexEntry:
    name: NormalizedName
    display_name: str
    serial: int = 0


def format_upload_time(value: datetime) -> str:
    """PEP 700 form ``yyyy-mm-ddThh:mm:ss.ffffffZ`` in UTC; naive datetimes are taken as UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    # isoformat is markedly faster than strftime, which matters at 2,000 files a page.
    return value.isoformat(timespec="microseconds") + "Z"


def dumps_json(obj: object) -> bytes:
    """Compact UTF-8 JSON, the one encoding every JSON response uses."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _fragment(hashes: Mapping[str, str]) -> str:
    for algorithm in _FRAGMENT_HASHES:
        digest = hashes.get(algorithm)
        if digest:
            return f"#{algorithm}={digest}"
    return ""


def _anchor(file: SimpleFile) -> str:
    href = escape(file.url + _fragment(file.hashes), quote=True)
    attrs = [f'<a href="{href}"']
    if file.requires_python:
        attrs.append(f' data-requires-python="{escape(file.requires_python, quote=True)}"')
    if file.is_yanked:
        attrs.append(f' data-yanked="{escape(file.yanked_reason or "", quote=True)}"')
    if file.core_metadata_sha256:
        value = f"sha256={escape(file.core_metadata_sha256, quote=True)}"
        # PEP 714: the legacy name is kept for older pip, always equal to the new one.
        attrs.append(f' data-core-metadata="{value}" data-dist-info-metadata="{value}"')
    elif file.core_metadata_available:
        attrs.append(' data-core-metadata="true" data-dist-info-metadata="true"')
    if file.provenance:
        attrs.append(f' data-provenance="{escape(file.provenance, quote=True)}"')
    attrs.append(f">{escape(file.filename, quote=True)}</a><br>\n")
    return "".join(attrs)


def render_project_html(page: SimpleProjectPage) -> str:
    name = escape(page.name, quote=True)
    head = [
        "<!DOCTYPE html>\n<html>\n<head>\n",
        f'<meta name="pypi:repository-version" content="{API_VERSION}">\n',
        f'<meta name="pypi:project-status" content="{escape(page.status, quote=True)}">\n',
    ]
    if page.status_reason:
        reason = escape(page.status_reason, quote=True)
        head.append(f'<meta name="pypi:project-status-reason" content="{reason}">\n')
    head.append(f"<title>Links for {name}</title>\n</head>\n<body>\n<h1>Links for {name}</h1>\n")
    body = [_anchor(file) for file in page.listed_files]
    tail = f"</body>\n</html>\n<!--SERIAL {int(page.serial)}-->\n"
    return "".join(head) + "".join(body) + tail


def _file_json(file: SimpleFile) -> dict[str, Any]:
    # Never the key "dist-info-metadata": pip 22.3-23.1 crash on it (PEP 714).
    data: dict[str, Any] = {
        "filename": file.filename,
        "url": file.url,
        "hashes": dict(file.hashes),
        "requires-python": file.requires_python,
        "core-metadata": (
            {"sha256": file.core_metadata_sha256}
            if file.core_metadata_sha256
            else file.core_metadata_available
        ),
        "yanked": file.yanked_reason or file.is_yanked,
        "size": file.size,
    }
    if file.upload_time is not None:
        data["upload-time"] = format_upload_time(file.upload_time)
    data["provenance"] = file.provenance
    return data


def render_project_json(page: SimpleProjectPage) -> dict[str, Any]:
    status: dict[str, str] = {"status": page.status}
    if page.status_reason:
        status["reason"] = page.status_reason
    return {
        "meta": {"api-version": API_VERSION, "_last-serial": page.serial},
        "name": page.name,
        "files": [_file_json(file) for file in page.listed_files],
        "versions": page.listed_versions,
        "project-status": status,
    }


def _batches(entries: Iterable[SimpleIndexEntry]) -> Iterator[list[SimpleIndexEntry]]:
    iterator = iter(entries)
    while batch := list(islice(iterator, _INDEX_BATCH)):
        yield batch


def render_index_html_chunks(entries: Iterable[SimpleIndexEntry]) -> Iterator[str]:
    """The project list as HTML pieces: header, one piece per batch of entries, footer.

    Hrefs are relative (``name/``), so the page works under any mount point of the index.
    """
    yield (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f'<meta name="pypi:repository-version" content="{API_VERSION}">\n'
        "<title>Simple index</title>\n</head>\n<body>\n"
    )
    for batch in _batches(entries):
        yield "".join(
            f'<a href="{escape(entry.name, quote=True)}/">'
            f"{escape(entry.display_name, quote=True)}</a><br>\n"
            for entry in batch
        )
    yield "</body>\n</html>\n"


def render_index_html(entries: Iterable[SimpleIndexEntry]) -> str:
    return "".join(render_index_html_chunks(entries))


def _index_meta(last_serial: int | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"api-version": API_VERSION}
    if last_serial is not None:
        meta["_last-serial"] = last_serial
    return meta


def render_index_json(
    entries: Iterable[SimpleIndexEntry], last_serial: int | None = None
) -> dict[str, Any]:
    return {
        "meta": _index_meta(last_serial),
        "projects": [{"name": e.display_name, "_last-serial": e.serial} for e in entries],
    }


def render_index_json_chunks(
    entries: Iterable[SimpleIndexEntry], last_serial: int | None = None
) -> Iterator[bytes]:
    """``dumps_json(render_index_json(...))`` in pieces, never holding the whole list."""
    header = dumps_json({"meta": _index_meta(last_serial)})
    yield header[:-1] + b',"projects":['
    first = True
    for batch in _batches(entries):
        chunk = b",".join(
            dumps_json({"name": e.display_name, "_last-serial": e.serial}) for e in batch
        )
        yield chunk if first else b"," + chunk
        first = False
    yield b"]}"
