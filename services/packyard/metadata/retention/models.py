"""Records of the retention domain: plain frozen dataclasses, no proto, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RetentionRules:
    feed: str
    keep_latest: int | None = None
    prerelease_max_age_days: int | None = None
    cached_max_age_days: int | None = None
    quota_bytes: int | None = None


@dataclass(frozen=True)
class HostedRelease:
    """A release of the feed with files, as the rules see it."""

    project: str
    version: str
    filenames: tuple[str, ...]
    bytes: int
    last_upload: datetime
    downloads: int
    promoted: bool  # another feed received it from this one by promotion and still has it


@dataclass(frozen=True)
class CachedFile:
    project: str
    filename: str
    bytes: int
    cached: datetime
    last_downloaded: datetime | None = None  # None: no download recorded

    @property
    def last_used(self) -> datetime:
        """When it was last downloaded, or fetched if that was later (or nothing is known)."""
        if self.last_downloaded is None:
            return self.cached
        return max(self.cached, self.last_downloaded)


@dataclass(frozen=True)
class Removal:
    project: str
    version: str  # "" for a cached upstream file
    filenames: tuple[str, ...]
    bytes: int
    reason: str  # keep_latest, prerelease_age, cached_age, quota


@dataclass(frozen=True)
class RetentionRun:
    removals: tuple[Removal, ...]
    dry_run: bool

    @property
    def bytes(self) -> int:
        return sum(r.bytes for r in self.removals)
