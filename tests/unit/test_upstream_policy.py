"""Origin controls (dependency-confusion protection) and the upstream circuit breaker."""

from __future__ import annotations

import pytest
from packyard.connector.breaker import CircuitBreakers
from packyard.metadata.upstream.service import split_credentials
from packyard.protocol.offer_merge import FeedOrigin, ProjectOrigin, decide, name_selected

FEED = FeedOrigin("main", reserved_prefixes=("acme-",))


def test_a_new_name_may_come_from_upstream_and_be_published() -> None:
    policy = decide("requests", has_hosted=False, origin=ProjectOrigin(), feed=FEED)
    assert policy.upstream_allowed and policy.publish_allowed


def test_hosted_names_never_take_upstream_files_by_default() -> None:
    policy = decide("internal", has_hosted=True, origin=ProjectOrigin(), feed=FEED)
    assert not policy.upstream_allowed and not policy.merge_with_hosted
    assert "hosted files" in policy.upstream_reason
    merged = decide(
        "internal", has_hosted=True, origin=ProjectOrigin(allow_upstream=True), feed=FEED
    )
    assert merged.upstream_allowed and merged.merge_with_hosted
    feed_wide = FeedOrigin("main", merge_upstream=True)
    assert decide(
        "internal", has_hosted=True, origin=ProjectOrigin(), feed=feed_wide
    ).merge_with_hosted


def test_names_first_pulled_from_upstream_refuse_local_uploads_unless_allowed() -> None:
    mirrored = ProjectOrigin(first_origin="upstream")
    policy = decide("requests", has_hosted=False, origin=mirrored, feed=FEED)
    assert not policy.publish_allowed
    assert policy.publish_reason == (
        "Publishing 'requests' is blocked: project is mirrored from upstream."
    )
    allowed = ProjectOrigin(first_origin="upstream", allow_publish=True)
    assert decide("requests", has_hosted=False, origin=allowed, feed=FEED).publish_allowed


@pytest.mark.parametrize("name", ["acme-utils", "acme-"])
def test_reserved_prefixes_are_never_looked_up(name: str) -> None:
    policy = decide(name, has_hosted=False, origin=ProjectOrigin(), feed=FEED)
    assert not policy.upstream_allowed
    assert "reserved prefix 'acme-'" in policy.upstream_reason
    assert decide("acmeutils", has_hosted=False, origin=ProjectOrigin(), feed=FEED).upstream_allowed


def test_an_explicit_block_wins() -> None:
    blocked = ProjectOrigin(allow_upstream=False, allow_publish=False)
    policy = decide("requests", has_hosted=False, origin=blocked, feed=FEED)
    assert not policy.upstream_allowed and not policy.publish_allowed


def test_include_and_exclude_patterns() -> None:
    include, exclude = ("torch*",), ("torchx",)
    assert name_selected(include, exclude, "torch")
    assert name_selected(include, exclude, "torchvision")
    assert not name_selected(include, exclude, "torchx")  # exclude wins
    assert not name_selected(include, exclude, "numpy")
    assert name_selected((), (), "numpy")  # no include pattern: every name


def test_credentials_in_a_url_are_moved_out_of_it() -> None:
    url, creds = split_credentials("https://user:p%40ss@Index.example:8443/root/")
    assert url == "https://index.example:8443/root"
    assert creds is not None and (creds.username, creds.password) == ("user", "p@ss")
    assert "p@ss" not in repr(creds)


def test_circuit_opens_after_failures_and_half_opens_after_the_cooldown() -> None:
    now = [0.0]
    breakers = CircuitBreakers(failures=2, cooldown=10, clock=lambda: now[0])
    assert breakers.allow("up")
    breakers.failure("up")
    assert breakers.allow("up")
    breakers.failure("up")
    assert not breakers.allow("up")  # open: fail fast
    now[0] = 11
    assert breakers.allow("up")  # half-open: one probe
    assert not breakers.allow("up")  # only one
    breakers.failure("up")  # the probe failed: open again
    assert not breakers.allow("up")
    now[0] = 22
    assert breakers.allow("up")
    breakers.success("up")
    assert breakers.allow("up") and breakers.allow("up")
