"""The gateway page cache: what it keeps, for how long, and when it must not answer."""

from __future__ import annotations

import asyncio

import pytest
from packyard.gateway.page_cache import CachedPage, PageCache
from starlette.requests import Request


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cache(ttl: float = 5.0, max_bytes: int = 1 << 20) -> tuple[PageCache, Clock]:
    clock = Clock()
    cache = PageCache(ttl, max_bytes, clock=clock)
    cache.set_live(True)
    return cache, clock


def _page(body: bytes = b"<html>", **headers: str) -> CachedPage:
    # Renewable: made of the metadata service's data alone (a hosted project's page).
    return CachedPage(body, "text/html; charset=utf-8", {"ETag": '"e1"', **headers}, True)


def _request(headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})


KEY = ("main", "demo", "simple:text/html")


def test_a_page_is_served_until_its_ttl_counted_from_when_it_was_read() -> None:
    cache, clock = _cache(ttl=5.0)
    ticket = cache.ticket()
    clock.now += 1.0  # rendering took a second
    cache.put(KEY, ticket, _page())
    assert cache.get(KEY) == _page()
    clock.now += 3.9
    assert cache.get(KEY) is not None
    clock.now += 0.2  # 5.1 s after the data was read
    assert cache.get(KEY) is None
    assert len(cache) == 0


def test_nothing_is_served_or_kept_while_events_do_not_arrive() -> None:
    cache, _ = _cache()
    cache.put(KEY, cache.ticket(), _page())
    cache.set_live(False)
    assert not cache.enabled
    assert cache.get(KEY) is None
    cache.put(KEY, cache.ticket(), _page())
    assert len(cache) == 0
    # Back online it starts empty, and a load that began while offline is not kept.
    offline_ticket = cache.ticket()
    cache.set_live(True)
    cache.put(KEY, offline_ticket, _page())
    assert cache.get(KEY) is None
    cache.put(KEY, cache.ticket(), _page())
    assert cache.get(KEY) is not None


def test_a_new_cache_is_off_until_the_subscription_is_up() -> None:
    cache = PageCache(5.0, 1 << 20)
    cache.put(KEY, cache.ticket(), _page())
    assert cache.get(KEY) is None
    ttl_zero, _ = _cache(ttl=0)
    ttl_zero.put(KEY, ttl_zero.ticket(), _page())
    assert ttl_zero.get(KEY) is None


def test_drop_forgets_every_variant_of_one_project_and_only_those() -> None:
    cache, _ = _cache()
    keys = [
        ("main", "demo", "simple:text/html"),
        ("main", "demo", "json::http://a/"),
        ("main", "other", "simple:text/html"),
        ("second", "demo", "simple:text/html"),
    ]
    for key in keys:
        cache.put(key, cache.ticket(), _page())
    cache.drop("main", "demo")
    assert [cache.get(k) is not None for k in keys] == [False, False, True, True]
    cache.drop("main")  # the whole feed
    assert [cache.get(k) is not None for k in keys] == [False, False, False, True]


def test_a_load_that_began_before_a_drop_is_not_kept() -> None:
    cache, _ = _cache()
    before = cache.ticket()
    cache.drop("main", "demo")  # the change event arrives while the page is being read
    cache.put(KEY, before, _page(b"old"))
    assert cache.get(KEY) is None
    # Drops of other projects do not matter; a drop of the feed does.
    other = cache.ticket()
    cache.drop("main", "unrelated")
    cache.put(KEY, other, _page(b"fine"))
    assert cache.get(KEY) == _page(b"fine")
    feed_ticket = cache.ticket()
    cache.drop("main")
    cache.put(KEY, feed_ticket, _page(b"old"))
    assert cache.get(KEY) is None


def test_size_is_bounded_and_the_least_recently_used_page_goes_first() -> None:
    cache, _ = _cache(max_bytes=5200)
    body = b"x" * 1000  # about 1.3 kB with headers and bookkeeping: four fit
    keys = [("main", f"p{i}", "simple:text/html") for i in range(5)]
    for key in keys[:4]:
        cache.put(key, cache.ticket(), _page(body))
    assert cache.get(keys[0]) is not None  # p0 is now the most recently used
    cache.put(keys[4], cache.ticket(), _page(body))
    assert cache.bytes <= 5200
    assert [cache.get(k) is not None for k in keys] == [True, False, True, True, True]
    # A page bigger than a quarter of the cache is never kept.
    cache.put(("main", "huge", "x"), cache.ticket(), _page(b"x" * 1400))
    assert cache.get(("main", "huge", "x")) is None
    for i in range(100):
        cache.put(("main", f"q{i}", "x"), cache.ticket(), _page(body))
        assert cache.bytes <= 5200
    assert len(cache) == 4


def test_a_cached_page_keeps_its_headers_and_answers_revalidation() -> None:
    page = _page(b"<html>", **{"X-Packyard-Stale": "true", "Cache-Control": "no-cache"})
    full = page.response(_request())
    assert full.status_code == 200 and full.body == b"<html>"
    assert full.headers["X-Packyard-Stale"] == "true"
    assert full.headers["ETag"] == '"e1"'
    assert full.headers["content-type"] == "text/html; charset=utf-8"
    revalidated = page.response(_request({"If-None-Match": '"e1"'}))
    assert revalidated.status_code == 304 and revalidated.body == b""
    assert revalidated.headers["X-Packyard-Stale"] == "true"
    assert page.response(_request({"If-None-Match": '"e0"'})).status_code == 200


# -- loads shared by concurrent requests, and reloads before expiry (issue 13) ---------------


class Loader:
    """A page load that waits until the test lets it finish, counting its calls."""

    def __init__(self, body: bytes = b"v1") -> None:
        self.body = body
        self.calls = 0
        self.release = asyncio.Event()
        self.fail: Exception | None = None

    async def __call__(self) -> CachedPage:
        self.calls += 1
        body = self.body
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return _page(body)


async def test_concurrent_misses_share_one_load_and_keep_its_page() -> None:
    cache, _ = _cache()
    loader = Loader()
    waiting = [asyncio.ensure_future(cache.load(KEY, loader)) for _ in range(8)]
    await asyncio.sleep(0)
    loader.release.set()
    pages = await asyncio.gather(*waiting)
    assert loader.calls == 1
    assert all(p.body == b"v1" for p in pages)
    assert cache.get(KEY) == _page(b"v1")


async def test_a_request_after_a_drop_never_gets_a_load_that_began_before_it() -> None:
    cache, _ = _cache()
    old = Loader(b"before the upload")
    first = asyncio.ensure_future(cache.load(KEY, old))
    await asyncio.sleep(0)
    cache.drop("main", "demo")  # an upload lands while the first load is reading
    new = Loader(b"after the upload")
    second = asyncio.ensure_future(cache.load(KEY, new))
    await asyncio.sleep(0)
    old.release.set()
    new.release.set()
    assert (await first).body == b"before the upload"
    assert (await second).body == b"after the upload"
    assert new.calls == 1
    # Only the load that began after the drop was kept.
    assert cache.get(KEY) == _page(b"after the upload")


async def test_a_hit_late_in_a_pages_life_is_served_at_once_and_reloaded_once() -> None:
    cache, clock = _cache(ttl=4.0)
    await cache.load(KEY, _loaded(b"v1"))
    clock.now += 2.9  # before 3/4 of the ttl: a plain hit
    assert not cache.refresh_due(KEY)
    reload = Loader(b"v2")
    assert (await cache.load(KEY, reload)).body == b"v1"
    assert reload.calls == 0
    clock.now += 0.2  # past 3/4: served from the cache, reloaded behind it, only once
    assert cache.refresh_due(KEY)
    for _ in range(5):
        assert (await cache.load(KEY, reload)).body == b"v1"
    assert not cache.refresh_due(KEY)  # a reload is running
    reload.release.set()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert reload.calls == 1
    assert cache.get(KEY) == _page(b"v2")
    clock.now += 3.5  # the reloaded page counts its life from its own read
    assert cache.get(KEY) == _page(b"v2")


async def test_a_failed_reload_leaves_the_kept_page_until_it_expires() -> None:
    cache, clock = _cache(ttl=4.0)
    await cache.load(KEY, _loaded(b"v1"))
    clock.now += 3.5
    broken = Loader(b"v2")
    broken.fail = RuntimeError("metadata is down")
    broken.release.set()
    assert (await cache.load(KEY, broken)).body == b"v1"
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert cache.get(KEY) == _page(b"v1")
    clock.now += 0.6  # expired: now a request's own load fails, and says so
    with pytest.raises(RuntimeError, match="metadata is down"):
        await cache.load(KEY, broken)


async def test_a_client_that_leaves_does_not_cancel_the_load_others_wait_for() -> None:
    cache, _ = _cache()
    loader = Loader()
    leaving = asyncio.ensure_future(cache.load(KEY, loader))
    staying = asyncio.ensure_future(cache.load(KEY, loader))
    await asyncio.sleep(0)
    leaving.cancel()
    loader.release.set()
    assert (await staying).body == b"v1"
    assert loader.calls == 1
    assert cache.get(KEY) == _page(b"v1")


async def test_without_change_events_every_request_loads_for_itself() -> None:
    cache, _ = _cache()
    cache.set_live(False)
    loader = Loader()
    loader.release.set()
    await asyncio.gather(cache.load(KEY, loader), cache.load(KEY, loader))
    assert loader.calls == 2
    assert cache.get(KEY) is None


# -- renewal by the feed's change serial (issue 13) ---------------------------------------


class Serials:
    """The metadata service's feed change serials, as the test sets them; reads counted."""

    def __init__(self) -> None:
        self.current = {"main": 7, "other": 3}
        self.reads = 0
        self.fail = False

    async def __call__(self) -> dict[str, int]:
        self.reads += 1
        await asyncio.sleep(0)
        if self.fail:
            raise RuntimeError("metadata is down")
        return dict(self.current)


def _renewing(ttl: float = 4.0) -> tuple[PageCache, Clock, Serials]:
    clock, serials = Clock(), Serials()
    cache = PageCache(ttl, 1 << 20, clock=clock, serials=serials)
    cache.set_live(True)
    cache.note_serials(dict(serials.current))  # as the reconciler's first round would
    return cache, clock, serials


def _loaded(body: bytes) -> Loader:
    loader = Loader(body)
    loader.release.set()
    return loader


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_page_whose_feed_did_not_change_is_renewed_without_a_load() -> None:
    cache, clock, serials = _renewing()
    other_key = ("main", "other-project", "simple:text/html")
    await cache.load(KEY, _loaded(b"v1"))
    await cache.load(other_key, _loaded(b"o1"))
    clock.now += 3.5  # both due for renewal
    reload = _loaded(b"v2")
    assert (await cache.load(KEY, reload)).body == b"v1"
    await _settle()
    assert reload.calls == 0 and serials.reads == 1
    # Renewed from before the serials read: another TTL, for the other page of the feed too.
    clock.now += 3.9
    assert cache.get(KEY) == _page(b"v1")
    assert cache.get(other_key) == _page(b"o1")


async def test_a_page_whose_feed_changed_is_loaded_again() -> None:
    cache, clock, serials = _renewing()
    await cache.load(KEY, _loaded(b"v1"))
    clock.now += 3.5
    serials.current["main"] = 8  # a change whose event this gateway missed
    reload = _loaded(b"v2")
    assert (await cache.load(KEY, reload)).body == b"v1"
    await _settle()
    assert reload.calls == 1
    assert cache.get(KEY) == _page(b"v2")


async def test_another_feeds_change_does_not_matter_and_its_pages_are_not_renewed() -> None:
    cache, clock, serials = _renewing()
    elsewhere = ("other", "demo", "simple:text/html")
    await cache.load(KEY, _loaded(b"v1"))
    await cache.load(elsewhere, _loaded(b"e1"))
    clock.now += 3.5
    serials.current["other"] = 4
    await cache.load(KEY, _loaded(b"never"))
    await _settle()
    clock.now += 1.0  # past the first TTL: the main page was renewed, the other was not
    assert cache.get(KEY) == _page(b"v1")
    assert cache.get(elsewhere) is None


async def test_a_drop_during_the_serials_read_is_not_overridden() -> None:
    cache, clock, _ = _renewing()
    await cache.load(KEY, _loaded(b"v1"))
    clock.now += 3.5
    reload = _loaded(b"v2")
    await cache.load(KEY, reload)  # the renewal starts reading the serials...
    cache.drop("main", "demo")  # ...and the project's change event arrives meanwhile
    await _settle()
    # Nothing renewed the dropped page: the page is loaded again, after the drop.
    assert reload.calls == 1 and cache.get(KEY) == _page(b"v2")


async def test_without_serials_a_page_is_loaded_again() -> None:
    cache, clock, serials = _renewing()
    await cache.load(KEY, _loaded(b"v1"))
    clock.now += 3.5
    serials.fail = True
    reload = _loaded(b"v2")
    await cache.load(KEY, reload)
    await _settle()
    assert reload.calls == 1 and cache.get(KEY) == _page(b"v2")


async def test_the_first_load_of_a_cache_reads_the_serials_so_it_can_be_renewed() -> None:
    clock, serials = Clock(), Serials()
    cache = PageCache(4.0, 1 << 20, clock=clock, serials=serials)
    cache.set_live(True)  # nothing read yet: no basis to renew anything on
    await cache.load(KEY, _loaded(b"v1"))
    assert serials.reads == 1  # read before the page, once
    clock.now += 3.5
    second = _loaded(b"v2")
    await cache.load(KEY, second)
    await _settle()
    assert second.calls == 0 and cache.get(KEY) == _page(b"v1")
    assert serials.reads == 2


async def test_a_cache_that_cannot_read_serials_still_loads() -> None:
    clock, serials = Clock(), Serials()
    serials.fail = True
    cache = PageCache(4.0, 1 << 20, clock=clock, serials=serials)
    cache.set_live(True)
    assert (await cache.load(KEY, _loaded(b"v1"))).body == b"v1"
    clock.now += 3.5
    second = _loaded(b"v2")
    await cache.load(KEY, second)
    await _settle()
    assert second.calls == 1 and cache.get(KEY) == _page(b"v2")


async def test_a_page_with_upstream_content_is_loaded_again_whatever_the_serial() -> None:
    # The connector refreshes an upstream listing only when asked: the feed's serial cannot
    # say that such a page is current.
    cache, clock, _ = _renewing()
    proxied = CachedPage(b"upstream listing", "text/html", {"ETag": '"u1"'})
    loader = Loader()
    loader.release.set()

    async def load_proxied() -> CachedPage:
        return proxied

    await cache.load(KEY, load_proxied)
    clock.now += 3.5
    await cache.load(KEY, loader)
    await _settle()
    assert loader.calls == 1 and cache.get(KEY) == _page(b"v1")
