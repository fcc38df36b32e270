"""The rules that merge hosted and upstream files (protocol.offer_merge), as tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from packyard.connector.models import OfferedFile
from packyard.protocol.offer_merge import (
    FeedOrigin,
    ProjectOrigin,
    View,
    decide,
    merged_files,
    merged_serial,
    merged_versions,
    offered_files,
    view,
)

FEED = FeedOrigin("main", reserved_prefixes=("acme-",))
MERGING_FEED = FeedOrigin("main", merge_upstream=True)
UP, HOSTED, MIRRORED = (
    ProjectOrigin(),
    ProjectOrigin(first_origin="hosted"),
    ProjectOrigin(first_origin="upstream"),
)


# project, has_hosted, origin, feed -> upstream_allowed, merge_with_hosted, publish_allowed
ORIGIN_TABLE = [
    ("requests", False, UP, FEED, True, False, True),
    ("requests", False, MIRRORED, FEED, True, False, False),
    ("requests", False, ProjectOrigin("upstream", allow_publish=True), FEED, True, False, True),
    ("internal", True, HOSTED, FEED, False, False, True),
    ("internal", True, ProjectOrigin("hosted", allow_upstream=True), FEED, True, True, True),
    ("internal", True, HOSTED, MERGING_FEED, True, True, True),
    ("internal", True, ProjectOrigin("hosted", allow_upstream=False), MERGING_FEED, False, False,
     True),
    ("acme-utils", False, UP, FEED, False, False, True),
    ("acme-utils", False, ProjectOrigin(allow_upstream=True), FEED, True, True, True),
    ("acmeutils", False, UP, FEED, True, False, True),
    ("blocked", False, ProjectOrigin(allow_upstream=False, allow_publish=False), FEED, False,
     False, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("project", "has_hosted", "origin", "feed", "upstream", "merge", "publish"), ORIGIN_TABLE
)
def test_origin_policy(
    project: str,
    has_hosted: bool,
    origin: ProjectOrigin,
    feed: FeedOrigin,
    upstream: bool,
    merge: bool,
    publish: bool,
) -> None:
    policy = decide(project, has_hosted=has_hosted, origin=origin, feed=feed)
    assert (policy.upstream_allowed, policy.merge_with_hosted, policy.publish_allowed) == (
        upstream,
        merge,
        publish,
    )
    # Every refusal says why.
    assert bool(policy.upstream_reason) == (not upstream)
    assert bool(policy.publish_reason) == (not publish)


# hosted present, upstream present, merge allowed -> what the page shows
VIEW_TABLE = [
    (False, False, False, View.NONE),
    (False, False, True, View.NONE),
    (False, True, False, View.UPSTREAM),
    (False, True, True, View.UPSTREAM),
    (True, False, False, View.HOSTED),
    (True, False, True, View.HOSTED),  # an upstream failure never hides hosted files
    (True, True, False, View.HOSTED),
    (True, True, True, View.MERGED),
]


@pytest.mark.parametrize(("hosted", "upstream", "merge", "shown"), VIEW_TABLE)
def test_which_files_a_page_shows(hosted: bool, upstream: bool, merge: bool, shown: View) -> None:
    assert view(hosted=hosted, upstream=upstream, merge_with_hosted=merge) is shown


@dataclass(frozen=True)
class Named:
    filename: str
    side: str


def test_a_hosted_file_wins_over_an_upstream_file_of_the_same_name() -> None:
    hosted = [Named("a-1.0.tar.gz", "hosted"), Named("a-1.0-py3-none-any.whl", "hosted")]
    upstream = [Named("a-1.0.tar.gz", "upstream"), Named("a-2.0.tar.gz", "upstream")]
    assert merged_files(hosted, upstream) == [*hosted, Named("a-2.0.tar.gz", "upstream")]
    assert merged_versions(["1.0"], ["1.0", "2.0"]) == ["1.0", "2.0"]
    assert merged_serial(3, 10) != merged_serial(3, 11) != merged_serial(4, 11)


WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _entry(name: str, **fields: object) -> OfferedFile:
    values: dict[str, object] = {
        "feed": "main", "project": "demo", "version": "1.0", "filename": name, "size": 10,
        "sha256": "u" * 64, "upload_time": WHEN, "upstream_url": f"https://files/{name}",
        "yanked": True, "yanked_reason": "broken", "requires_python": ">=3.8",
    }  # fmt: skip
    values.update(fields)
    return OfferedFile(**values)  # type: ignore[arg-type]


CACHED = _entry("c.whl", size=11, sha256="s" * 64, md5="m" * 32, blake2b_256="b" * 64,
                core_metadata_sha256="", upstream_url="", yanked=False, yanked_reason="",
                requires_python="")  # fmt: skip

# listing entry, cached?, backfilled sha -> size, sha256, core metadata, url, yanked
OFFER_TABLE = [
    # not cached, nothing known: as the upstream says
    (_entry("c.whl"), False, None, 10, "u" * 64, "", "https://files/c.whl"),
    # cached: stored size and hashes, no URL; the upstream's yank state stays
    (_entry("c.whl"), True, None, 11, "s" * 64, "", ""),
    # cached without metadata of its own: the upstream's PEP 658 hash stays
    (_entry("c.whl", core_metadata_sha256="p" * 64), True, None, 11, "s" * 64, "p" * 64, ""),
    # backfilled METADATA joins an uncached wheel that had none...
    (_entry("c.whl"), False, "r" * 64, 10, "u" * 64, "r" * 64, "https://files/c.whl"),
    # ...but never replaces the upstream's own
    (_entry("c.whl", core_metadata_sha256="p" * 64), False, "r" * 64, 10, "u" * 64, "p" * 64,
     "https://files/c.whl"),
    # a cached file wins over backfilled metadata
    (_entry("c.whl"), True, "r" * 64, 11, "s" * 64, "", ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("entry", "cached", "backfilled", "size", "sha", "meta", "url"), OFFER_TABLE
)
def test_what_an_upstream_listing_offers(
    entry: OfferedFile,
    cached: bool,
    backfilled: str | None,
    size: int,
    sha: str,
    meta: str,
    url: str,
) -> None:
    [offered] = offered_files(
        [entry],
        {CACHED.filename: CACHED} if cached else {},
        {entry.filename: backfilled} if backfilled else {},
    )
    assert (offered.size, offered.sha256, offered.core_metadata_sha256, offered.upstream_url) == (
        size,
        sha,
        meta,
        url,
    )
    # Yank state, requires-python and upload time are always the upstream's.
    assert (offered.yanked, offered.yanked_reason, offered.requires_python) == (
        True,
        "broken",
        ">=3.8",
    )
    assert offered.upload_time == WHEN
    if cached:
        assert (offered.md5, offered.blake2b_256) == ("m" * 32, "b" * 64)
