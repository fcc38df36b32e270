"""The retention rules decide from rows alone (metadata/retention/policy.py): which releases and
cached files a run removes, in which order, and what it never touches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from packyard.metadata.retention.models import CachedFile, HostedRelease, RetentionRules
from packyard.metadata.retention.policy import plan

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _release(
    version: str, *, project: str = "demo", days_old: int = 0, size: int = 100,
    downloads: int = 0, promoted: bool = False,
) -> HostedRelease:  # fmt: skip
    return HostedRelease(
        project=project, version=version, filenames=(f"{project}-{version}.tar.gz",),
        bytes=size, last_upload=NOW - timedelta(days=days_old), downloads=downloads,
        promoted=promoted,
    )  # fmt: skip


def _removed(rules: RetentionRules, releases: list[HostedRelease], **kw: bool) -> list[str]:
    return [f"{r.version}:{r.reason}" for r in plan(rules, releases, [], now=NOW, **kw)]


def test_keep_latest_keeps_the_newest_versions_in_pep_440_order() -> None:
    releases = [_release(v) for v in ("1.10", "1.9", "2.0rc1", "1.2", "2.0")]
    assert _removed(RetentionRules("f", keep_latest=2), releases) == [
        "1.10:keep_latest", "1.9:keep_latest", "1.2:keep_latest",
    ]  # fmt: skip


def test_keep_latest_counts_each_project_apart() -> None:
    releases = [
        _release("1.0", project="a"),
        _release("2.0", project="a"),
        _release("1.0", project="b"),
    ]
    removed = plan(RetentionRules("f", keep_latest=1), releases, [], now=NOW)
    assert [(r.project, r.version) for r in removed] == [("a", "1.0")]


def test_old_prereleases_go_and_final_releases_stay() -> None:
    releases = [
        _release("1.0", days_old=100),
        _release("1.1a1", days_old=100),
        _release("1.1b1", days_old=5),
        _release("1.1.dev3", days_old=31),
    ]
    assert _removed(RetentionRules("f", prerelease_max_age_days=30), releases) == [
        "1.1.dev3:prerelease_age", "1.1a1:prerelease_age",
    ]  # fmt: skip


def test_a_promoted_version_is_kept_unless_asked() -> None:
    releases = [_release("1.0", promoted=True), _release("2.0"), _release("3.0")]
    rules = RetentionRules("f", keep_latest=1)
    assert _removed(rules, releases) == ["2.0:keep_latest"]
    assert _removed(rules, releases, include_promoted=True) == [
        "2.0:keep_latest", "1.0:keep_latest",
    ]  # fmt: skip


def test_the_quota_removes_least_downloaded_then_oldest_until_under() -> None:
    releases = [
        _release("1.0", days_old=30, downloads=50),
        _release("1.1", days_old=20, downloads=0),
        _release("1.2", days_old=10, downloads=0),
        _release("1.3", days_old=1, downloads=0),
    ]
    # 400 bytes, quota 250: the two oldest never-downloaded releases go, the popular one stays.
    assert _removed(RetentionRules("f", quota_bytes=250), releases) == ["1.1:quota", "1.2:quota"]


def test_the_quota_counts_what_other_rules_removed_already() -> None:
    releases = [_release("1.0", days_old=9), _release("2.0", days_old=5), _release("3.0")]
    rules = RetentionRules("f", keep_latest=2, quota_bytes=200)
    assert _removed(rules, releases) == ["1.0:keep_latest"]


def test_cached_upstream_files_older_than_the_limit_go() -> None:
    cached = [
        CachedFile("six", "six-1.0-py3-none-any.whl", 10, NOW - timedelta(days=91)),
        CachedFile("six", "six-1.1-py3-none-any.whl", 20, NOW - timedelta(days=3)),
    ]
    removed = plan(RetentionRules("f", cached_max_age_days=90), [], cached, now=NOW)
    assert [(r.filenames, r.bytes, r.reason) for r in removed] == [
        (("six-1.0-py3-none-any.whl",), 10, "cached_age")
    ]


def test_a_cached_file_downloaded_lately_stays_however_long_ago_it_was_cached() -> None:
    old = NOW - timedelta(days=200)
    cached = [
        CachedFile("six", "six-1.0-py3-none-any.whl", 10, old, NOW - timedelta(days=2)),
        CachedFile("six", "six-1.1-py3-none-any.whl", 20, old, NOW - timedelta(days=95)),
        CachedFile("six", "six-1.2-py3-none-any.whl", 30, old),  # no download recorded
    ]
    removed = plan(RetentionRules("f", cached_max_age_days=90), [], cached, now=NOW)
    assert [r.filenames for r in removed] == [
        ("six-1.1-py3-none-any.whl",),
        ("six-1.2-py3-none-any.whl",),
    ]


def test_no_rules_remove_nothing() -> None:
    assert plan(RetentionRules("f"), [_release("1.0", days_old=999)], [], now=NOW) == []
