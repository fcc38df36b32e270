"""Domain records of the metadata service: plain frozen dataclasses, no proto, no SQL."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class ProjectStatus(enum.StrEnum):
    """PEP 792 project status; the values are what the database stores."""

    ACTIVE = "active"
    ARCHIVED = "archived"
    QUARANTINED = "quarantined"
    DEPRECATED = "deprecated"


class Origin(enum.StrEnum):
    HOSTED = "hosted"
    UPSTREAM = "upstream"


class PackageType(enum.StrEnum):
    SDIST = "sdist"
    WHEEL = "bdist_wheel"


@dataclass(frozen=True)
class Feed:
    name: str
    description: str = ""
    anonymous_read: bool = False
    refuse_local_versions: bool = False
    max_file_size: int = 0
    created: datetime | None = None


@dataclass(frozen=True)
class CoreMetadata:
    """The core-metadata fields stored per release."""

    metadata_version: str = ""
    name: str = ""
    version: str = ""
    summary: str = ""
    description: str = ""
    description_content_type: str = ""
    requires_python: str = ""
    requires_dist: tuple[str, ...] = ()
    classifiers: tuple[str, ...] = ()
    license: str = ""
    license_expression: str = ""
    author: str = ""
    author_email: str = ""
    maintainer: str = ""
    maintainer_email: str = ""
    keywords: str = ""
    home_page: str = ""
    project_urls: tuple[str, ...] = ()
    provides_extra: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    download_url: str = ""
    license_files: tuple[str, ...] = ()
    dynamic: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileRecord:
    feed: str
    project: str
    version: str
    filename: str
    size: int
    sha256: str
    blake2b_256: str = ""
    md5: str = ""
    requires_python: str = ""
    yanked: bool = False
    yanked_reason: str = ""
    upload_time: datetime | None = None
    packagetype: str = PackageType.WHEEL
    python_version: str = ""
    core_metadata_sha256: str = ""
    origin: Origin = Origin.HOSTED
    upstream_url: str = ""


@dataclass(frozen=True)
class Registration:
    file: FileRecord
    created: bool


@dataclass(frozen=True)
class ProjectSummary:
    name: str
    display_name: str
    serial: int
    status: ProjectStatus = ProjectStatus.ACTIVE


@dataclass(frozen=True)
class Project:
    feed: str
    name: str
    display_name: str
    status: ProjectStatus
    status_reason: str
    serial: int
    versions: tuple[str, ...] = ()
    files: tuple[FileRecord, ...] = ()
    releases: dict[str, CoreMetadata] = field(default_factory=dict)


@dataclass(frozen=True)
class ProjectRow:
    """A project as stored, without its releases and files."""

    id: int
    feed: str
    name: str
    display_name: str
    status: ProjectStatus
    status_reason: str
    serial: int


@dataclass(frozen=True)
class NewApiKey:
    name: str
    is_admin: bool = False
    publish_feeds: tuple[str, ...] = ()
    read_feeds: tuple[str, ...] = ()
    key: str = ""  # empty: generate one
    expires: datetime | None = None


@dataclass(frozen=True)
class IssuedKey:
    key: str
    prefix: str
    created: bool


@dataclass(frozen=True)
class Principal:
    """Who a credential stands for; each feed list includes the feeds of the lists after it."""

    name: str
    is_admin: bool = False
    publish_feeds: tuple[str, ...] = ()
    read_feeds: tuple[str, ...] = ()
    yank_feeds: tuple[str, ...] = ()
    admin_feeds: tuple[str, ...] = ()
    user: str = ""  # the user behind the credential; "" for a standalone key
    key_prefix: str = ""  # the key used; "" for a password
    key_expires: datetime | None = None  # when the key used stops working; None: never
