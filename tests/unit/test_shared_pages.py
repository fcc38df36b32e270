"""Pages shared between the workers of one gateway (shared_pages.py): a page one worker
loaded serves the others, never after a drop they know of, never past its TTL (issue 13)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from packyard.gateway.page_cache import CachedPage, PageCache
from packyard.gateway.shared_pages import SharedPage, SharedPages

KEY = ("main", "demo", "simple:text/html")
TTL = 4.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _page(body: bytes) -> CachedPage:
    return CachedPage(body, "text/html; charset=utf-8", {"ETag": f'"{body.decode()}"'})


def _workers(directory: Path, clock: Clock) -> tuple[PageCache, PageCache]:
    shared = SharedPages(directory, TTL, 1 << 20, background=False)
    caches = []
    for _ in range(2):
        cache = PageCache(TTL, 1 << 20, clock=clock, shared=shared)
        cache.set_live(True)
        caches.append(cache)
    clock.now += 0.001  # pages read from now on are newer than the caches' start
    return caches[0], caches[1]


def test_a_page_one_worker_loaded_serves_the_other(tmp_path: Path) -> None:
    clock = Clock()
    a, b = _workers(tmp_path, clock)
    assert b.get(KEY) is None
    a.put(KEY, a.ticket(), _page(b"v1"))
    assert b.get(KEY) == _page(b"v1")
    assert b.hits == 1
    # Kept by B from now on, until the TTL counted from A's read.
    clock.now += TTL - 0.01
    assert b.get(KEY) == _page(b"v1")
    clock.now += 0.02
    assert b.get(KEY) is None


def test_a_page_read_before_a_drop_the_worker_knows_of_is_not_taken(tmp_path: Path) -> None:
    clock = Clock()
    a, b = _workers(tmp_path, clock)
    ticket = a.ticket()  # A starts reading...
    clock.now += 0.01
    b.drop("main", "demo")  # ...B hears of an upload (A has not yet)...
    clock.now += 0.01
    a.put(KEY, ticket, _page(b"before the upload"))  # ...and A keeps what it read
    assert a.get(KEY) == _page(b"before the upload")
    assert b.get(KEY) is None
    # A drop of the whole feed counts too; a later read is taken.
    later = a.ticket()
    clock.now += 0.01
    a.put(KEY, later, _page(b"after"))
    b.drop("main")
    assert b.get(KEY) is None
    clock.now += 0.01
    a.put(KEY, a.ticket(), _page(b"after the feed change"))
    assert b.get(KEY) == _page(b"after the feed change")


def test_a_worker_without_change_events_takes_nothing(tmp_path: Path) -> None:
    clock = Clock()
    a, b = _workers(tmp_path, clock)
    a.put(KEY, a.ticket(), _page(b"v1"))
    b.set_live(False)
    assert b.get(KEY) is None
    # Back: it starts over, and takes only what was read after that.
    b.set_live(True)
    assert b.get(KEY) is None
    clock.now += 0.01
    a.put(KEY, a.ticket(), _page(b"v2"))
    assert b.get(KEY) == _page(b"v2")


async def test_a_page_due_for_reload_takes_the_siblings_fresher_one_instead(
    tmp_path: Path,
) -> None:
    clock = Clock()
    a, b = _workers(tmp_path, clock)
    loads: list[str] = []

    def loader(name: str, body: bytes) -> Callable[[], Awaitable[CachedPage]]:
        async def load() -> CachedPage:
            loads.append(name)
            return _page(body)

        return load

    await a.load(KEY, loader("a", b"v1"))
    assert (await b.load(KEY, loader("b", b"never"))).body == b"v1"
    clock.now += 3.1  # past 3/4 of the TTL on both
    assert (await a.load(KEY, loader("a", b"v2"))).body == b"v1"
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert a.get(KEY) == _page(b"v2")
    # B's page is due too, but A's reload is fresher: B takes it and loads nothing.
    assert (await b.load(KEY, loader("b", b"never"))).body == b"v1"
    await asyncio.sleep(0)
    assert b.get(KEY) == _page(b"v2")
    assert loads == ["a", "a"]


def test_sweeping_removes_old_pages_and_keeps_the_budget(tmp_path: Path) -> None:
    shared = SharedPages(tmp_path, TTL, 3000, background=False)
    for index in range(5):
        page = SharedPage(1.0, None, b"x" * 1000, "text/html", {})
        shared.offer(("main", f"p{index}", "simple"), page, now=0.0)
    old = tmp_path / "leftover"
    old.write_bytes(b"half a page of a killed worker")
    os.utime(old, (time.time() - 60, time.time() - 60))
    shared.sweep()
    left = sorted(p.name for p in tmp_path.iterdir())
    assert "leftover" not in left
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) <= 3000
    assert len(left) == 2


def test_what_is_not_a_whole_page_is_ignored(tmp_path: Path) -> None:
    clock = Clock()
    a, b = _workers(tmp_path, clock)
    a.put(KEY, a.ticket(), _page(b"v1"))
    for path in tmp_path.iterdir():
        path.write_bytes(path.read_bytes()[:10])
    assert b.get(KEY) is None


def test_a_removed_directory_costs_only_the_sharing(tmp_path: Path) -> None:
    clock = Clock()
    a, b = _workers(tmp_path / "pages", clock)
    a.put(KEY, a.ticket(), _page(b"v1"))  # the directory does not exist: nothing shared
    assert a.get(KEY) == _page(b"v1")
    assert b.get(KEY) is None
