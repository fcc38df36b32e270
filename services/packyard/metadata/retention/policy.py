"""Which releases and cached files a feed's retention rules remove. Pure: no I/O, so a dry run
and a real run over the same rows decide the same, and the rules are tested in isolation.

Order of the rules: keep-latest, pre-release age, cached-file age (since the last download, or
the caching when none is recorded), then the quota over what is left (least downloaded first,
then oldest). A release another feed received from this one by
promotion is never chosen unless ``include_promoted``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from packaging.version import InvalidVersion, Version

from packyard.metadata.retention.models import CachedFile, HostedRelease, Removal, RetentionRules


def _version(value: str) -> Version | None:
    try:
        return Version(value)
    except InvalidVersion:
        return None


def _newest_first(release: HostedRelease) -> tuple[bool, Version]:
    parsed = _version(release.version)
    return (parsed is not None, parsed or Version("0"))


def _removal(release: HostedRelease, reason: str) -> Removal:
    return Removal(release.project, release.version, release.filenames, release.bytes, reason)


def plan(
    rules: RetentionRules,
    releases: Iterable[HostedRelease],
    cached: Iterable[CachedFile],
    *,
    now: datetime,
    include_promoted: bool = False,
) -> list[Removal]:
    """What a run removes, in a stable order (by rule, then project and version)."""
    candidates = [r for r in releases if include_promoted or not r.promoted]
    chosen: dict[tuple[str, str], Removal] = {}

    if rules.keep_latest is not None:
        by_project: dict[str, list[HostedRelease]] = defaultdict(list)
        for release in candidates:
            by_project[release.project].append(release)
        for project in sorted(by_project):
            # Unparsable versions sort oldest, as everywhere else in Packyard.
            ordered = sorted(
                by_project[project],
                key=lambda r: (
                    _version(r.version) is not None,
                    _version(r.version) or Version("0"),
                ),
                reverse=True,
            )
            for release in ordered[rules.keep_latest :]:
                chosen[(release.project, release.version)] = _removal(release, "keep_latest")

    if rules.prerelease_max_age_days is not None:
        limit = now - timedelta(days=rules.prerelease_max_age_days)
        for release in sorted(candidates, key=lambda r: (r.project, r.version)):
            parsed = _version(release.version)
            key = (release.project, release.version)
            if parsed is not None and parsed.is_prerelease and release.last_upload < limit:
                chosen.setdefault(key, _removal(release, "prerelease_age"))

    removals = list(chosen.values())

    if rules.cached_max_age_days is not None:
        limit = now - timedelta(days=rules.cached_max_age_days)
        for file in sorted(cached, key=lambda f: (f.project, f.filename)):
            if file.last_used < limit:
                removals.append(
                    Removal(file.project, "", (file.filename,), file.bytes, "cached_age")
                )

    if rules.quota_bytes is not None:
        # Hosted bytes only: cached upstream files come and go on demand.
        kept = [r for r in candidates if (r.project, r.version) not in chosen]
        protected = sum(r.bytes for r in releases if r.promoted and not include_promoted)
        total = protected + sum(r.bytes for r in kept)
        for release in sorted(kept, key=lambda r: (r.downloads, r.last_upload, r.project)):
            if total <= rules.quota_bytes:
                break
            removals.append(_removal(release, "quota"))
            total -= release.bytes
    return removals
