"""What a feed offers for a project when hosted and upstream files meet: the one set of rules.

Pure (no I/O); used by the metadata service (origin policy), the connector (what a listing
offers once files are cached or their metadata is known) and the gateway (hosted + upstream).

Origin controls follow CodeArtifact's package origin controls (RELIABILITY §2): how a name
first arrived decides. A name with hosted files never takes upstream files (a public
"acme-utils 99.0" cannot shadow the private one), a name first pulled from upstream cannot be
uploaded locally (nobody can slip a private "requests" in), and reserved prefixes never reach
an upstream at all (not even the lookup, which would leak the private name). Explicit
per-project settings override the defaults; the feed may allow merging for every hosted
project.

When both are shown, a hosted file wins over an upstream file of the same filename, and an
upstream failure never hides hosted files. An upstream entry whose bytes are cached shows the
stored hashes, size and metadata, but keeps the upstream's yank state, requires-python and
upload time (an upstream yank is honoured).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, ClassVar, Protocol, TypeVar

# -- origin controls ------------------------------------------------------------------------


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


def name_selected(include: Sequence[str], exclude: Sequence[str], project: str) -> bool:
    """Does a connector with these patterns (fnmatch on normalized names) serve ``project``?
    Exclude wins; no include pattern means every name."""
    if any(fnmatch.fnmatchcase(project, p) for p in exclude):
        return False
    return not include or any(fnmatch.fnmatchcase(project, p) for p in include)


def reserved_prefix(project: str, feed: FeedOrigin) -> str | None:
    return next((p for p in feed.reserved_prefixes if project.startswith(p)), None)


def publish_refusal(project: str, origin: ProjectOrigin) -> str:
    """Why a local upload of ``project`` is refused, or "" when it may be published. The
    metadata service applies this under the project lock too, so a name first pulled from
    upstream while an upload was on its way still refuses it."""
    if origin.allow_publish is False:
        return f"Publishing '{project}' is blocked for this feed."
    if origin.first_origin == "upstream" and origin.allow_publish is not True:
        return f"Publishing '{project}' is blocked: project is mirrored from upstream."
    return ""


def decide(
    project: str, *, has_hosted: bool, origin: ProjectOrigin, feed: FeedOrigin
) -> OriginPolicy:
    merge = origin.allow_upstream is True or (feed.merge_upstream and origin.allow_upstream is None)
    prefix = reserved_prefix(project, feed)
    upstream_reason = ""
    if origin.allow_upstream is False:
        upstream_reason = f"Upstream lookups are blocked for '{project}'."
    elif prefix is not None and origin.allow_upstream is not True:
        upstream_reason = f"'{project}' has the reserved prefix '{prefix}'."
    elif has_hosted and not merge:
        upstream_reason = f"'{project}' has hosted files; upstream files are not merged."

    publish_reason = publish_refusal(project, origin)
    return OriginPolicy(
        upstream_allowed=not upstream_reason,
        merge_with_hosted=merge,
        publish_allowed=not publish_reason,
        upstream_reason=upstream_reason,
        publish_reason=publish_reason,
        has_hosted=has_hosted,
        first_from_upstream=origin.first_origin == "upstream",
    )


# -- hosted + upstream ----------------------------------------------------------------------


class View(Enum):
    """Which files a project page shows."""

    NONE = "none"  # not found
    HOSTED = "hosted"
    UPSTREAM = "upstream"
    MERGED = "merged"


def view(*, hosted: bool, upstream: bool, merge_with_hosted: bool) -> View:
    """``hosted``/``upstream``: whether each side has the project (an upstream that failed
    has not). Hosted files are never hidden; upstream ones join them only when allowed."""
    if hosted:
        return View.MERGED if upstream and merge_with_hosted else View.HOSTED
    return View.UPSTREAM if upstream else View.NONE


class _Named(Protocol):
    @property
    def filename(self) -> str: ...


N = TypeVar("N", bound=_Named)


def merged_files(hosted: Iterable[N], upstream: Iterable[N]) -> list[N]:
    """Hosted files, then the upstream files whose filename no hosted file has."""
    shown = list(hosted)
    taken = {f.filename for f in shown}
    return shown + [f for f in upstream if f.filename not in taken]


def merged_versions(hosted: Sequence[str], upstream: Iterable[str]) -> list[str]:
    known = set(hosted)
    return list(hosted) + [v for v in upstream if v not in known]


def merged_serial(hosted: int, upstream: int) -> int:
    """Both serials only grow or change with content: their sum changes when either does."""
    return hosted + upstream


# -- an upstream listing with what is known locally -----------------------------------------


class _StoredBytes(Protocol):
    """What the blob service says of stored bytes (and a cached file repeats)."""

    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str: ...
    @property
    def md5(self) -> str: ...
    @property
    def blake2b_256(self) -> str: ...
    @property
    def core_metadata_sha256(self) -> str: ...


class _Offered(_StoredBytes, Protocol):
    """An upstream file as the connector describes it (a dataclass)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def filename(self) -> str: ...
    @property
    def upstream_url(self) -> str: ...


F = TypeVar("F", bound=_Offered)


def with_cached(entry: F, cached: _StoredBytes) -> F:
    """A listing entry whose bytes are cached: the stored size, hashes and metadata (the
    upstream's if the stored file has none); the upstream's yank state, requires-python and
    upload time. No upstream URL: it is served from the cache."""
    return replace(
        entry,
        size=cached.size,
        sha256=cached.sha256,
        md5=cached.md5,
        blake2b_256=cached.blake2b_256,
        core_metadata_sha256=cached.core_metadata_sha256 or entry.core_metadata_sha256,
        upstream_url="",
    )


def with_backfilled(entry: F, metadata_sha256: str) -> F:
    """An uncached wheel whose METADATA was read with range requests; the upstream's own
    PEP 658 hash, when it offers one, stays."""
    if entry.core_metadata_sha256:
        return entry
    return replace(entry, core_metadata_sha256=metadata_sha256)


def offered_files(
    listing: Iterable[F], cached: Mapping[str, F], backfilled: Mapping[str, str]
) -> list[F]:
    """What an upstream listing offers, given the cached files and the backfilled METADATA
    hashes known for the feed (both by filename). A cached file wins over backfilled metadata:
    the verified wheel's own METADATA is the one that counts."""
    offered = []
    for entry in listing:
        stored = cached.get(entry.filename)
        if stored is not None:
            offered.append(with_cached(entry, stored))
        elif entry.filename in backfilled:
            offered.append(with_backfilled(entry, backfilled[entry.filename]))
        else:
            offered.append(entry)
    return offered
