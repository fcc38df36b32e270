"""The workers of one gateway drop each other's changed pages at once (a real fork)."""

from __future__ import annotations

import multiprocessing
import os

from packyard.gateway.page_cache import CachedPage, PageCache
from packyard.gateway.sibling_drops import SLOTS, SiblingDrops

FORK = multiprocessing.get_context("fork")


def _in_another_worker(ring: SiblingDrops, drops: list[tuple[str, str]]) -> None:
    def publish() -> None:
        for feed, project in drops:
            ring.publish(feed, project)

    child = FORK.Process(target=publish)
    child.start()
    child.join(30)
    assert child.exitcode == 0


def test_drops_published_by_another_worker_are_read_once_in_order() -> None:
    ring = SiblingDrops()
    reader = ring.reader()
    assert list(reader.news()) == []
    _in_another_worker(ring, [("main", "a"), ("main", ""), ("other", "b")])
    assert list(reader.news()) == [("main", "a"), ("main", ""), ("other", "b")]
    assert list(reader.news()) == []


def test_a_workers_own_drops_are_not_read_back_and_a_reader_far_behind_drops_all() -> None:
    ring = SiblingDrops()
    reader = ring.reader()
    ring.publish("main", "mine")  # this process's own: already dropped where it was made
    assert list(reader.news()) == []
    _in_another_worker(ring, [("main", f"p{i}") for i in range(SLOTS + 1)])
    assert list(reader.news()) == [None]
    # A name too long for a slot is read as "drop everything" too.
    _in_another_worker(ring, [("main", "x" * 1000)])
    assert list(reader.news()) == [None]


def test_a_page_cached_by_one_worker_is_gone_once_another_worker_changed_its_project() -> None:
    ring = SiblingDrops()
    pages = PageCache(60, 1 << 20, siblings=ring)
    pages.set_live(True)
    key = ("main", "demo", "json")
    other_key = ("main", "other", "json")
    for k in (key, other_key):
        pages.put(k, pages.ticket(), CachedPage(b"{}", "application/json"))
    assert pages.get(key) is not None
    # A load that began before the change may not store what it read.
    in_flight = pages.ticket()
    _in_another_worker(ring, [("main", "demo")])
    assert pages.get(key) is None
    assert pages.get(other_key) is not None
    pages.put(key, in_flight, CachedPage(b"old", "application/json"))
    assert pages.get(key) is None


def test_a_worker_killed_holding_the_lock_stops_no_one() -> None:
    ring = SiblingDrops()
    reader = ring.reader()
    _in_another_worker(ring, [("main", "a")])

    def die_holding_the_lock() -> None:
        ring._lock.acquire()
        os._exit(0)

    child = FORK.Process(target=die_holding_the_lock)
    child.start()
    child.join(30)
    # Neither waits for ever: the reader drops everything, the writer leaves it to the event.
    assert list(reader.news()) == [None]
    ring.publish("main", "b")
    assert list(reader.news()) == []
