"""The connector's values: connectors, upstream files and listings, what a project offers.

The domain speaks these; protobuf appears only at the edges (``convert.py``, used by the
servicer and the metadata client).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

from packyard.protocol.offer_merge import OriginPolicy
from packyard.protocol.upstream_index import UpstreamIndex


class ProjectStatus(IntEnum):
    """PEP 792 project status, numbered as ``common.proto``'s ProjectStatus."""

    UNSPECIFIED = 0
    ACTIVE = 1
    ARCHIVED = 2
    QUARANTINED = 3
    DEPRECATED = 4


@dataclass(frozen=True, slots=True)
class Connector(UpstreamIndex):
    username: str = ""
    password: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class OfferedFile:
    """A file of an upstream listing; ``upstream_url`` is empty once its bytes are cached (then
    size and hashes are those of the stored bytes)."""

    feed: str
    project: str
    version: str
    filename: str
    size: int = 0
    sha256: str = ""
    md5: str = ""
    blake2b_256: str = ""
    requires_python: str = ""
    yanked: bool = False
    yanked_reason: str = ""
    upload_time: datetime | None = None
    packagetype: str = "sdist"
    python_version: str = "source"
    core_metadata_sha256: str = ""
    upstream_url: str = ""


@dataclass(frozen=True, slots=True)
class Listing:
    """One connector's answer for a project (``found`` False: the upstream said 404)."""

    connector: str
    found: bool
    fetched: datetime
    serial: int  # fetch sequence; the metadata service keeps the highest
    files: tuple[OfferedFile, ...] = ()
    versions: tuple[str, ...] = ()
    etag: str = ""
    last_modified: str = ""
    upstream_serial: int = 0
    status: ProjectStatus = ProjectStatus.UNSPECIFIED


@dataclass(frozen=True, slots=True)
class Backfilled:
    """METADATA of an upstream wheel read with range requests, stored under its sha256."""

    filename: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class UpstreamState:
    """What the metadata service knows of one project (the one store of upstream state)."""

    policy: OriginPolicy
    listings: dict[str, Listing]  # by connector id
    cached: dict[str, OfferedFile]  # by filename
    backfilled: dict[str, Backfilled]  # by filename


@dataclass(frozen=True, slots=True)
class ProjectAnswer:
    files: list[OfferedFile]
    versions: list[str]
    stale: bool
    connector: Connector
    serial: int  # changes whenever the answer's content does
    merge_with_hosted: bool
    fetched: datetime
    status: ProjectStatus
    backfilled: dict[str, Backfilled] = field(default_factory=dict)  # by filename


@dataclass(frozen=True, slots=True)
class FoundFile:
    """One file of a project's answer, with the connector that offers it."""

    connector: Connector
    file: OfferedFile
    backfilled: Backfilled | None  # METADATA read with ranges for this (uncached) wheel
