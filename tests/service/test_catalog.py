"""CatalogService in process against a real PostgreSQL: search relevance on real package
metadata, listings, download counts and recent releases.

The corpus (tests/fixtures/corpus.json) holds the names, summaries and keywords of ~200
well-known PyPI projects; it is registered once for the module through MetadataService, so the
search rows come from the same triggers uploads fire.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import grpc
import pytest
from packyard.common.grpc import check_health
from packyard.engines import create_database, drop_database
from packyard.metadata.catalog.servicer import CATALOG_SERVICE_NAME
from packyard.metadata.migrate import migrate
from packyard.metadata.server import running_server
from packyard.metadata.settings import MetadataSettings
from packyard_rpc.v1 import (
    catalog_pb2,
    catalog_pb2_grpc,
    common_pb2,
    metadata_pb2,
    metadata_pb2_grpc,
)

from tests.fixtures.engines import Engines
from tests.fixtures.tls import service_channel, tls_files, tls_settings

CORPUS = json.loads((Path(__file__).parents[1] / "fixtures" / "corpus.json").read_text())
FEED = "corpus"
PRIVATE = "private"


@dataclass
class Catalog:
    url: str
    port: int
    metadata: metadata_pb2_grpc.MetadataServiceStub
    catalog: catalog_pb2_grpc.CatalogServiceStub

    async def names(
        self, query: str, feeds: tuple[str, ...] = (FEED,), limit: int = 0
    ) -> list[str]:
        reply = await self.catalog.Search(
            catalog_pb2.SearchRequest(query=query, feeds=list(feeds), limit=limit)
        )
        return [p.name for p in reply.projects]


def _file_request(
    feed: str,
    name: str,
    version: str,
    *,
    summary: str = "",
    keywords: str = "",
    content: bytes | None = None,
) -> metadata_pb2.RegisterFileRequest:
    content = content if content is not None else f"{feed}/{name}/{version}".encode()
    stem = f"{name.replace('-', '_')}-{version}"
    return metadata_pb2.RegisterFileRequest(
        feed=feed,
        file=common_pb2.FileInfo(
            project=name,
            version=version,
            filename=f"{stem}-py3-none-any.whl",
            size=len(content),
            hashes=common_pb2.Hashes(sha256=hashlib.sha256(content).hexdigest()),
            packagetype="bdist_wheel",
            python_version="py3",
        ),
        metadata=common_pb2.CoreMetadata(
            metadata_version="2.4",
            name=name,
            version=version,
            summary=summary,
            keywords=keywords,
            author="Someone",
        ),
        uploader="tests",
    )


@pytest.fixture(scope="module")
async def catalog(engines: Engines) -> AsyncIterator[Catalog]:
    name = f"catalog_{uuid.uuid4().hex[:12]}"
    url = await create_database(engines.database_url, name)
    try:
        await migrate(url)
        settings = MetadataSettings(  # type: ignore[call-arg]
            database_url=url,
            listen_addr="127.0.0.1:0",
            shutdown_grace=1.0,
            db_pool_max_size=4,
            **tls_settings("metadata"),
        )
        async with (
            running_server(settings) as port,
            service_channel(f"127.0.0.1:{port}") as channel,
        ):
            stub = metadata_pb2_grpc.MetadataServiceStub(channel)
            for feed in (FEED, PRIVATE):
                await stub.CreateFeed(
                    metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name=feed))
                )
            for entry in CORPUS:
                await stub.RegisterFile(
                    _file_request(
                        FEED,
                        entry["name"],
                        "1.0",
                        summary=entry["summary"],
                        keywords=entry["keywords"],
                    )
                )
            await stub.RegisterFile(
                _file_request(PRIVATE, "requests-internal", "1.0", summary="Secret HTTP helpers")
            )
            yield Catalog(url, port, stub, catalog_pb2_grpc.CatalogServiceStub(channel))
    finally:
        await drop_database(engines.database_url, name)


async def test_the_catalog_service_reports_serving(catalog: Catalog) -> None:
    assert await check_health(
        f"127.0.0.1:{catalog.port}", tls_files("gateway"), CATALOG_SERVICE_NAME
    )


# Search relevance.


@pytest.mark.parametrize(
    "query",
    ["requests", "flask", "pytest", "numpy", "django", "uv", "six", "attrs", "click"],
)
async def test_an_exact_name_comes_first(catalog: Catalog, query: str) -> None:
    assert (await catalog.names(query))[0] == query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("reqeusts", "requests"),
        ("requets", "requests"),
        ("nunpy", "numpy"),
        ("pandsa", "pandas"),
        ("djnago", "django"),
        ("flsk", "flask"),
        ("sqlalchmey", "sqlalchemy"),
        ("pytset", "pytest"),
        ("matplotlb", "matplotlib"),
        ("scikitlearn", "scikit-learn"),
        ("beautifulsoup", "beautifulsoup4"),
        ("pydantc", "pydantic"),
    ],
)
async def test_a_misspelled_name_finds_the_project_first(
    catalog: Catalog, query: str, expected: str
) -> None:
    assert (await catalog.names(query))[0] == expected


@pytest.mark.parametrize(
    "query", ["Flask_SQLAlchemy", "flask.sqlalchemy", "FLASK-SQLALCHEMY", "flask sqlalchemy"]
)
async def test_spellings_of_a_name_are_one_project(catalog: Catalog, query: str) -> None:
    # ProGet lists "-" and "_" variants apart; a normalized name is one project.
    names = await catalog.names(query)
    assert names[0] == "flask-sqlalchemy"
    assert names.count("flask-sqlalchemy") == 1


async def test_a_prefix_lists_the_family_after_the_exact_name(catalog: Catalog) -> None:
    names = await catalog.names("pytest")
    assert names[0] == "pytest"
    plugins = {"pytest-cov", "pytest-xdist", "pytest-asyncio", "pytest-mock", "pytest-timeout"}
    assert plugins <= set(names[1:7])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("http client", {"httpx", "httpcore", "aiohttp", "urllib3", "requests"}),
        ("deep learning", {"torch", "tensorflow", "keras", "torchvision"}),
        ("postgresql driver", {"asyncpg"}),
        ("markdown parser", {"markdown-it-py", "mistune"}),
        ("password hashing", {"passlib", "bcrypt"}),
        ("yaml", {"pyyaml", "ruamel-yaml"}),
    ],
)
async def test_summary_and_keywords_find_projects_by_topic(
    catalog: Catalog, query: str, expected: set[str]
) -> None:
    names = await catalog.names(query, limit=10)
    assert expected <= set(names), names


async def test_a_topic_search_ranks_by_relevance(catalog: Catalog) -> None:
    # Every hit of "timezone" is about time zones; "pytz" says so in both summary and keywords.
    names = await catalog.names("timezone")
    assert set(names[:2]) == {"pytz", "tzdata"}


async def test_nothing_matches_gibberish_or_an_empty_query(catalog: Catalog) -> None:
    assert await catalog.names("zzqxjv") == []
    assert await catalog.names("   ") == []
    assert await catalog.names("%") == []


async def test_search_covers_only_the_feeds_named(catalog: Catalog) -> None:
    assert "requests-internal" not in await catalog.names("requests")
    assert await catalog.names("requests", feeds=()) == []
    both = await catalog.names("requests", feeds=(FEED, PRIVATE))
    assert both[0] == "requests" and "requests-internal" in both


async def test_search_results_carry_the_latest_release_and_summary(catalog: Catalog) -> None:
    reply = await catalog.catalog.Search(catalog_pb2.SearchRequest(query="httpx", feeds=[FEED]))
    first = reply.projects[0]
    assert (first.feed, first.name, first.latest_version) == (FEED, "httpx", "1.0")
    assert first.summary == "The next generation HTTP client."
    assert first.HasField("last_upload")


# Listings, latest version, download counts, recent releases: on a feed of their own.


async def _new_feed(catalog: Catalog) -> str:
    name = f"f{uuid.uuid4().hex[:10]}"
    await catalog.metadata.CreateFeed(
        metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name=name))
    )
    return name


async def _listing(catalog: Catalog, feed: str, order: int, page: int = 1, size: int = 0):  # type: ignore[no-untyped-def]
    return await catalog.catalog.ListFeedProjects(
        catalog_pb2.ListFeedProjectsRequest(feed=feed, order=order, page=page, page_size=size)
    )


async def test_listings_sort_by_name_last_upload_and_downloads_and_page(catalog: Catalog) -> None:
    feed = await _new_feed(catalog)
    for name in ("charlie", "alpha", "bravo"):  # uploaded in this order
        await catalog.metadata.RegisterFile(_file_request(feed, name, "1.0"))
    await catalog.catalog.RecordDownloads(
        catalog_pb2.RecordDownloadsRequest(
            counts=[
                catalog_pb2.DownloadCount(
                    feed=feed, filename="bravo-1.0-py3-none-any.whl", count=5
                ),
                catalog_pb2.DownloadCount(
                    feed=feed, filename="alpha-1.0-py3-none-any.whl", count=2
                ),
            ]
        )
    )

    by_name = await _listing(catalog, feed, catalog_pb2.PROJECT_ORDER_NAME)
    assert [p.name for p in by_name.projects] == ["alpha", "bravo", "charlie"]
    assert by_name.total == 3
    newest = await _listing(catalog, feed, catalog_pb2.PROJECT_ORDER_LAST_UPLOAD)
    assert [p.name for p in newest.projects] == ["bravo", "alpha", "charlie"]
    popular = await _listing(catalog, feed, catalog_pb2.PROJECT_ORDER_DOWNLOADS)
    assert [(p.name, p.downloads) for p in popular.projects] == [
        ("bravo", 5),
        ("alpha", 2),
        ("charlie", 0),
    ]

    second = await _listing(catalog, feed, catalog_pb2.PROJECT_ORDER_NAME, page=2, size=2)
    assert [p.name for p in second.projects] == ["charlie"]
    assert second.total == 3


async def test_the_latest_release_is_the_highest_final_unyanked_one(catalog: Catalog) -> None:
    feed = await _new_feed(catalog)
    for version in ("1.9", "1.10", "2.0rc1", "1.2"):
        await catalog.metadata.RegisterFile(_file_request(feed, "lib", version, summary=version))

    async def latest() -> tuple[str, str]:
        page = await _listing(catalog, feed, catalog_pb2.PROJECT_ORDER_NAME)
        return page.projects[0].latest_version, page.projects[0].summary

    # 1.10 > 1.9 numerically; 2.0rc1 is a pre-release; 1.2 is merely the newest upload.
    assert await latest() == ("1.10", "1.10")
    await catalog.metadata.SetReleaseYanked(
        metadata_pb2.SetReleaseYankedRequest(feed=feed, project="lib", version="1.10", yanked=True)
    )
    assert await latest() == ("1.9", "1.9")


async def test_quarantined_projects_are_neither_listed_nor_found(catalog: Catalog) -> None:
    feed = await _new_feed(catalog)
    await catalog.metadata.RegisterFile(_file_request(feed, "shady", "1.0"))
    await catalog.metadata.SetProjectStatus(
        metadata_pb2.SetProjectStatusRequest(
            feed=feed, project="shady", status=common_pb2.PROJECT_STATUS_QUARANTINED
        )
    )
    assert (await _listing(catalog, feed, catalog_pb2.PROJECT_ORDER_NAME)).total == 0
    assert await catalog.names("shady", feeds=(feed,)) == []


async def test_download_counts_add_up_per_file_and_per_project(catalog: Catalog) -> None:
    feed = await _new_feed(catalog)
    await catalog.metadata.RegisterFile(_file_request(feed, "counted", "1.0"))
    await catalog.metadata.RegisterFile(_file_request(feed, "counted", "2.0"))
    one, two = "counted-1.0-py3-none-any.whl", "counted-2.0-py3-none-any.whl"

    def count(filename: str, n: int) -> catalog_pb2.DownloadCount:
        return catalog_pb2.DownloadCount(feed=feed, filename=filename, count=n)

    reply = await catalog.catalog.RecordDownloads(
        catalog_pb2.RecordDownloadsRequest(
            counts=[count(one, 3), count(two, 1), count(one, 2), count("gone.whl", 7)]
        )
    )
    assert reply.recorded == 6  # the unknown file is dropped
    await catalog.catalog.RecordDownloads(
        catalog_pb2.RecordDownloadsRequest(counts=[count(two, 4)])
    )

    counts = await catalog.catalog.GetDownloadCounts(
        catalog_pb2.GetDownloadCountsRequest(feed=feed, project="counted")
    )
    assert (counts.project, dict(counts.files)) == (10, {one: 5, two: 5})

    # A deleted file's downloads still count for the project.
    await catalog.metadata.DeleteFile(metadata_pb2.DeleteFileRequest(feed=feed, filename=one))
    counts = await catalog.catalog.GetDownloadCounts(
        catalog_pb2.GetDownloadCountsRequest(feed=feed, project="counted")
    )
    assert (counts.project, dict(counts.files)) == (10, {two: 5})

    stats = await catalog.catalog.GetFeedStats(catalog_pb2.GetFeedStatsRequest(feeds=[feed]))
    assert [(s.feed, s.projects, s.downloads) for s in stats.stats] == [(feed, 1, 10)]


async def test_bad_download_batches_are_refused(catalog: Catalog) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await catalog.catalog.RecordDownloads(
            catalog_pb2.RecordDownloadsRequest(
                counts=[catalog_pb2.DownloadCount(feed=FEED, filename="x.whl", count=-1)]
            )
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await catalog.catalog.GetDownloadCounts(
            catalog_pb2.GetDownloadCountsRequest(feed=FEED, project="no-such-project")
        )
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


async def test_recent_releases_are_newest_first_per_feed_and_per_project(
    catalog: Catalog,
) -> None:
    feed = await _new_feed(catalog)
    await catalog.metadata.RegisterFile(_file_request(feed, "one", "1.0", summary="First"))
    await catalog.metadata.RegisterFile(_file_request(feed, "two", "1.0"))
    await catalog.metadata.RegisterFile(_file_request(feed, "one", "1.1", summary="Second"))

    recent = await catalog.catalog.ListRecentReleases(
        catalog_pb2.ListRecentReleasesRequest(feed=feed)
    )
    assert [(r.project, r.version) for r in recent.releases] == [
        ("one", "1.1"),
        ("two", "1.0"),
        ("one", "1.0"),
    ]
    assert recent.releases[0].summary == "Second"
    only_one = await catalog.catalog.ListRecentReleases(
        catalog_pb2.ListRecentReleasesRequest(feed=feed, project="one", limit=1)
    )
    assert [(r.project, r.version) for r in only_one.releases] == [("one", "1.1")]


async def test_deleting_a_feed_removes_its_search_rows(catalog: Catalog) -> None:
    feed = await _new_feed(catalog)
    await catalog.metadata.RegisterFile(_file_request(feed, "ephemeral", "1.0"))
    await catalog.metadata.DeleteFeed(metadata_pb2.DeleteFeedRequest(name=feed))
    conn = await asyncpg.connect(catalog.url)
    try:
        left = await conn.fetchval("SELECT count(*) FROM project_search WHERE feed = $1", feed)
    finally:
        await conn.close()
    assert left == 0
