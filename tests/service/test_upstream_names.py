"""Search over an upstream's project-name list (issue 15): 100,000 names, stored as the
connector stores them, found by misspelled names through the same trigram search as hosted
projects, each result saying "upstream, not yet cached". Latency is printed (p50/p95)."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from packyard.engines import create_database, drop_database
from packyard.metadata.catalog.models import ProjectOrigin
from packyard.metadata.catalog.service import CatalogService
from packyard.metadata.migrate import migrate
from packyard.metadata.upstream.models import Connector
from packyard.metadata.upstream.service import UpstreamStore

from tests.fixtures.engines import Engines
from tests.fixtures.name_lists import generated_names

FEED = "mirror"
NAMES = 100_000
MISSPELLED = [
    ("reqeusts", "requests"),
    ("requets", "requests"),
    ("nunpy", "numpy"),
    ("pandsa", "pandas"),
    ("djnago", "django"),
    ("flsk", "flask"),
    ("sqlalchmey", "sqlalchemy"),
    ("pytset", "pytest"),
    ("beautifulsop4", "beautifulsoup4"),
    ("matplotlb", "matplotlib"),
    ("scikit-lern", "scikit-learn"),
    ("cryptograpy", "cryptography"),
]


@pytest.fixture(scope="module")
async def pool(engines: Engines) -> AsyncIterator[asyncpg.Pool]:
    name = f"names_{uuid.uuid4().hex[:12]}"
    url = await create_database(engines.database_url, name)
    try:
        await migrate(url)
        created = await asyncpg.create_pool(url, min_size=1, max_size=4)
        assert created is not None
        try:
            await created.execute("INSERT INTO feeds (name) VALUES ($1)", FEED)
            store = UpstreamStore(created)
            connector = await store.add_connector(
                Connector(id="", feed=FEED, url="https://pypi.example", name_list=True)
            )
            started = time.perf_counter()
            stored = await store.record_names(connector.id, '"v1"', "", generated_names(NAMES))
            print(f"\nstored {stored} names in {time.perf_counter() - started:.1f} s")
            assert stored >= NAMES
            yield created
        finally:
            await created.close()
    finally:
        await drop_database(engines.database_url, name)


@pytest.mark.parametrize(("query", "expected"), MISSPELLED)
async def test_a_misspelled_name_finds_the_upstream_project_first(
    pool: asyncpg.Pool, query: str, expected: str
) -> None:
    [first, *_] = await CatalogService(pool).search(query, [FEED], limit=5)
    assert first.name == expected
    assert first.origin is ProjectOrigin.UPSTREAM and first.not_cached
    assert first.connector_id


async def test_an_exact_name_comes_first_among_its_look_alikes(pool: asyncpg.Pool) -> None:
    found = await CatalogService(pool).search("requests", [FEED], limit=10)
    assert found[0].name == "requests"
    assert len(found) == 10  # the look-alikes follow ("requests-oauthlib", ...)


async def test_other_feeds_see_none_of_the_list(pool: asyncpg.Pool) -> None:
    await pool.execute("INSERT INTO feeds (name) VALUES ('other') ON CONFLICT DO NOTHING")
    assert await CatalogService(pool).search("requests", ["other"]) == []


async def test_search_latency_over_the_list(pool: asyncpg.Pool) -> None:
    service = CatalogService(pool)
    queries = [q for q, _ in MISSPELLED] + [e for _, e in MISSPELLED] + ["http", "async-"]
    timings = []
    for _ in range(5):
        for query in queries:
            started = time.perf_counter()
            await service.search(query, [FEED])
            timings.append(time.perf_counter() - started)
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"\nsearch over {NAMES} names: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
    # A loose bound for a shared 2-core machine; the figures above are what to read.
    assert p95 < 2.0
