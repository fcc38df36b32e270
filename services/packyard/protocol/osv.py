"""OSV advisories (https://ossf.github.io/osv-schema/) for the PyPI ecosystem: parse a record,
decide which versions it affects, and read the public archive one record at a time.

Matching follows the schema's evaluation: within a range, events sorted by version open
(``introduced``) and close (``fixed``: excluded, ``last_affected``: included) affected spans;
``versions`` lists affected versions explicitly. Versions compare as PEP 440 (``packaging``),
so ``1.0`` and ``1.0.0`` are one version. ``GIT`` ranges speak of commits and are ignored
(PyPI records also list the versions they cover). A withdrawn record affects nothing.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

ECOSYSTEM = "PyPI"
LINK = "https://osv.dev/vulnerability/{id}"
_VERSION_RANGES = frozenset({"ECOSYSTEM", "SEMVER"})
MAX_RECORD_BYTES = 4 * 1024 * 1024  # the largest PyPI record is a few hundred KB


class InvalidAdvisory(ValueError):
    """A record that is not OSV JSON (no id, not an object)."""


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # "introduced" | "fixed" | "last_affected" | "limit"
    version: str


@dataclass(frozen=True, slots=True)
class AffectedPackage:
    project: NormalizedName
    ranges: tuple[tuple[Event, ...], ...]
    versions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    details: str
    modified: str
    withdrawn: str | None
    affected: tuple[AffectedPackage, ...]

    @property
    def link(self) -> str:
        return LINK.format(id=self.id)

    @property
    def projects(self) -> frozenset[NormalizedName]:
        return frozenset(a.project for a in self.affected)


def parse_advisory(record: Mapping[str, Any]) -> Advisory:
    """An OSV record as an ``Advisory`` keeping only its PyPI packages (maybe none)."""
    if not isinstance(record, Mapping) or not isinstance(record.get("id"), str):
        raise InvalidAdvisory("An OSV record is a JSON object with an id.")
    affected = tuple(
        _affected(entry)
        for entry in record.get("affected") or ()
        if isinstance(entry, Mapping) and (entry.get("package") or {}).get("ecosystem") == ECOSYSTEM
    )
    return Advisory(
        id=record["id"],
        aliases=tuple(str(a) for a in record.get("aliases") or ()),
        summary=str(record.get("summary") or ""),
        details=str(record.get("details") or ""),
        modified=str(record.get("modified") or ""),
        withdrawn=str(record["withdrawn"]) if record.get("withdrawn") else None,
        affected=affected,
    )


def _affected(entry: Mapping[str, Any]) -> AffectedPackage:
    ranges = []
    for rng in entry.get("ranges") or ():
        if not isinstance(rng, Mapping) or rng.get("type") not in _VERSION_RANGES:
            continue
        events = []
        for event in rng.get("events") or ():
            for kind, version in event.items():
                events.append(Event(str(kind), str(version)))
        ranges.append(tuple(events))
    return AffectedPackage(
        project=canonicalize_name(str(entry["package"].get("name", ""))),
        ranges=tuple(ranges),
        versions=tuple(str(v) for v in entry.get("versions") or ()),
    )


def _version(value: str) -> Version | None:
    try:
        return Version(value)
    except InvalidVersion:
        return None


def _sort_key(event: Event) -> tuple[int, Version]:
    # "0" is the schema's "from the beginning"; it sorts before every real version.
    if event.kind == "introduced" and event.version == "0":
        return (0, Version("0"))
    parsed = _version(event.version)
    return (1, parsed) if parsed is not None else (2, Version("0"))


def _in_range(events: tuple[Event, ...], version: Version) -> bool:
    affected = False
    for event in sorted(events, key=_sort_key):
        if event.kind == "introduced":
            start = Version("0") if event.version == "0" else _version(event.version)
            if start is not None and version >= start:
                affected = True
        elif event.kind in ("fixed", "limit"):
            end = _version(event.version)
            if end is not None and version >= end:
                affected = False
        elif event.kind == "last_affected":
            end = _version(event.version)
            if end is not None and version > end:
                affected = False
    return affected


def affects(advisory: Advisory, project: str, version: str) -> bool:
    """True when ``advisory`` (not withdrawn) covers ``version`` of ``project``."""
    if advisory.withdrawn:
        return False
    parsed = _version(version)
    if parsed is None:
        return False
    name = canonicalize_name(project)
    for package in advisory.affected:
        if package.project != name:
            continue
        if any(_version(v) == parsed for v in package.versions):
            return True
        if any(_in_range(events, parsed) for events in package.ranges):
            return True
    return False


def fixed_in(advisory: Advisory, project: str) -> list[str]:
    """The versions that fix ``project`` (Warehouse's ``fixed_in``), in version order."""
    name = canonicalize_name(project)
    found = {
        event.version
        for package in advisory.affected
        if package.project == name
        for events in package.ranges
        for event in events
        if event.kind == "fixed"
    }
    return sorted(found, key=lambda v: _version(v) or Version("0"))


def advisory_to_json(advisory: Advisory) -> dict[str, Any]:
    """The PyPI part of a record, as stored (``parse_advisory`` reads it back)."""
    return {
        "id": advisory.id,
        "aliases": list(advisory.aliases),
        "summary": advisory.summary,
        "details": advisory.details,
        "modified": advisory.modified,
        "withdrawn": advisory.withdrawn,
        "affected": [
            {
                "package": {"ecosystem": ECOSYSTEM, "name": package.project},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{e.kind: e.version} for e in events]}
                    for events in package.ranges
                ],
                "versions": list(package.versions),
            }
            for package in advisory.affected
        ],
    }


def parse_time(value: str | None) -> datetime | None:
    """An OSV RFC 3339 timestamp ("2024-01-02T03:04:05Z"), None when absent or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def iter_archive(path: str | Path) -> Iterator[bytes]:
    """The JSON records of an OSV archive (``all.zip``), one member at a time.

    Only one record is in memory at once, whatever the archive's size; members larger than
    ``MAX_RECORD_BYTES`` or not ending ``.json`` are skipped.
    """
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.endswith(".json"):
                continue
            if info.file_size > MAX_RECORD_BYTES:
                continue
            with archive.open(info) as member:
                yield member.read(MAX_RECORD_BYTES + 1)


def parse_record_bytes(data: bytes) -> Advisory:
    try:
        return parse_advisory(json.loads(data))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidAdvisory(f"Not JSON: {exc}") from exc
