"""The gateway page cache: what it keeps, for how long, and when it must not answer."""

from __future__ import annotations

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
    return CachedPage(body, "text/html; charset=utf-8", {"ETag": '"e1"', **headers})


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
