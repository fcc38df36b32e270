"""Values of the upstream side of the metadata service: connectors, cached data, origin rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never print a secret by accident
        return "Credentials(username=<set>, password=<redacted>)"


@dataclass(frozen=True, slots=True)
class Connector:
    id: str
    feed: str
    url: str
    simple_path: str = "/simple"
    priority: int = 100
    ttl_seconds: int = 1800
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    file_hosts: tuple[str, ...] = ()
    has_credentials: bool = False
    credentials: Credentials | None = field(default=None, repr=False)
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """A cached listing; ``payload`` is the serialized UpstreamListing the connector sent."""

    connector_id: str
    found: bool
    payload: bytes
    etag: str
    last_modified: str
    upstream_serial: int
    fetched: datetime
    serial: int


@dataclass(frozen=True, slots=True)
class CachedFile:
    feed: str
    filename: str
    project: str
    sha256: str
    payload: bytes  # serialized FileInfo
    connector_id: str = ""


@dataclass(frozen=True, slots=True)
class BackfilledMetadata:
    """METADATA read out of an upstream wheel with range requests (see migration 0005)."""

    feed: str
    filename: str
    project: str
    sha256: str
    size: int
    connector_id: str = ""


@dataclass(frozen=True, slots=True)
class FeedOrigin:
    feed: str
    reserved_prefixes: tuple[str, ...] = ()
    merge_upstream: bool = False


@dataclass(frozen=True, slots=True)
class ProjectOrigin:
    first_origin: str = ""  # "", "hosted" or "upstream"
    allow_upstream: bool | None = None
    allow_publish: bool | None = None


@dataclass(frozen=True, slots=True)
class OriginPolicy:
    upstream_allowed: bool
    merge_with_hosted: bool
    publish_allowed: bool
    upstream_reason: str = ""
    publish_reason: str = ""
    has_hosted: bool = False
    first_from_upstream: bool = False


@dataclass(frozen=True, slots=True)
class UpstreamState:
    policy: OriginPolicy
    listings: list[Listing]
    cached_files: list[CachedFile]
    backfilled: list[BackfilledMetadata] = field(default_factory=list)
