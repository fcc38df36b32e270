"""Records of the promotion domain: plain frozen dataclasses, no proto, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from packyard.metadata.index.interface import FileRecord


@dataclass(frozen=True)
class PromotionRequest:
    source_feed: str
    target_feed: str
    project: str  # PEP 503 normalized
    version: str
    force: bool = False  # promote a yanked release too
    # The caller holds the promote right on the target (not merely publish), which a policy
    # with require_promote_right asks for.
    promote_right: bool = False


@dataclass(frozen=True)
class PromotionResult:
    files: tuple[FileRecord, ...]
    promoted: bool  # False: every file was already in the target with the same bytes


@dataclass(frozen=True)
class PromotionPolicy:
    feed: str
    allowed_sources: tuple[str, ...] = ()  # empty: any feed
    require_promote_right: bool = False  # publish alone does not suffice


@dataclass(frozen=True)
class Promotion:
    source_feed: str
    target_feed: str
    project: str
    version: str
    actor: str
    files: int
    created: datetime | None = None


@dataclass(frozen=True)
class SourceRelease:
    """The release to promote, as stored in the source feed."""

    release_id: int
    display_name: str
    version: str
    canonical_version: str
    yanked: bool
    files: tuple[SourceFile, ...]


@dataclass(frozen=True)
class SourceFile:
    """A file of the release: a row of ``files`` (``id``), or a cached upstream file of a proxy
    feed (``cached``: its record, as the connector verified it)."""

    id: int | None
    filename: str
    sha256: str
    blake2b_256: str
    origin: str
    cached: FileRecord | None = None
