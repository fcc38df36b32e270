"""Records of the catalog (search, listings, download counts, recent releases)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from packyard.metadata.index.interface import ProjectStatus


class ProjectOrder(enum.StrEnum):
    NAME = "name"
    LAST_UPLOAD = "last_upload"
    DOWNLOADS = "downloads"
    ORIGIN = "origin"


class ProjectOrigin(enum.StrEnum):
    """Where a feed's project comes from: uploaded, or served from a connector's upstream."""

    HOSTED = "hosted"
    UPSTREAM = "upstream"


@dataclass(frozen=True)
class CatalogProject:
    feed: str
    name: str
    display_name: str
    latest_version: str = ""
    summary: str = ""
    last_upload: datetime | None = None
    downloads: int = 0
    status: ProjectStatus = ProjectStatus.ACTIVE
    score: float = 0.0
    origin: ProjectOrigin = ProjectOrigin.HOSTED
    connector_id: str = ""  # the upstream's connector, for an upstream project
    not_cached: bool = False  # only a name in the upstream's project list (search only)


@dataclass(frozen=True)
class ProjectPage:
    projects: tuple[CatalogProject, ...]
    total: int
    end: int = 0  # offset just past this page: where the next page starts


@dataclass(frozen=True)
class FeedStats:
    feed: str
    projects: int = 0
    downloads: int = 0
    last_upload: datetime | None = None


@dataclass(frozen=True)
class DownloadCounts:
    project: int = 0
    files: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ReleaseEntry:
    feed: str
    project: str
    display_name: str
    version: str
    summary: str
    uploaded: datetime | None
    author: str = ""
