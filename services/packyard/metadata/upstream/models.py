"""Values of the upstream side of the metadata service: connectors, cached data, origin rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from packyard.protocol.offer_merge import FeedOrigin as FeedOrigin
from packyard.protocol.offer_merge import OriginPolicy as OriginPolicy
from packyard.protocol.offer_merge import ProjectOrigin as ProjectOrigin

# The origin-control values are the pure rules' own (protocol.offer_merge).
from packyard.protocol.upstream_description import UpstreamDescription
from packyard.protocol.upstream_index import UpstreamIndex


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never print a secret by accident
        return "Credentials(username=<set>, password=<redacted>)"


@dataclass(frozen=True, slots=True)
class Connector(UpstreamIndex):
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
    has_files: bool = False  # a found listing with files: the name is pulled from upstream
    latest_version: str = ""  # of the versions listed: shown in the feed's project list
    status: str = "active"  # PEP 792, as the upstream says


@dataclass(frozen=True, slots=True)
class CachedFile:
    feed: str
    filename: str
    project: str
    sha256: str
    payload: bytes  # serialized FileInfo
    connector_id: str = ""
    size: int = 0


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
class UpstreamState:
    policy: OriginPolicy
    listings: list[Listing]
    cached_files: list[CachedFile]
    backfilled: list[BackfilledMetadata] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ServedProject:
    """A project a feed served from upstream, with what describes it (nothing yet when
    ``described`` is None)."""

    feed: str
    name: str
    connector_id: str
    latest_version: str
    description: UpstreamDescription
    described: datetime | None = None


@dataclass(frozen=True, slots=True)
class HealthChange:
    """A connector went from answering to failing (its answers are stale from now) or back."""

    feed: str
    url: str
    failing: bool
    error: str = ""


@dataclass(frozen=True, slots=True)
class ConnectorHealth:
    connector_id: str
    url: str
    last_success: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    breaker_open: bool = False
    stale_since: datetime | None = None
    cached_files: int = 0
    cached_bytes: int = 0
