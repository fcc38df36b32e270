"""The catalog domain: search, listings, download counts and recent releases over a pool.

Who may read which feed is the caller's business: every call names the feeds it covers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from packyard.common.errors import InvalidArgument, NotFound, Unavailable
from packyard.metadata import catalog_repository as repo
from packyard.metadata.catalog_models import (
    CatalogProject,
    DownloadCounts,
    FeedStats,
    ProjectOrder,
    ProjectPage,
    ReleaseEntry,
)
from packyard.metadata.catalog_ranking import rank

log = logging.getLogger(__name__)

DEFAULT_SEARCH_LIMIT = 20
MAX_SEARCH_LIMIT = 100
CANDIDATES = 60
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
DEFAULT_RECENT = 40
MAX_RECENT = 200
MAX_QUERY_LENGTH = 200
MAX_DOWNLOAD_BATCH = 10_000

# Runs of separators (and spaces, which a search box adds) become one "-", as PEP 503 does
# for names: "Flask_SQLAlchemy", "flask.sqlalchemy" and "flask sqlalchemy" are one query.
_SEPARATORS = re.compile(r"[-_.\s]+")
_DATABASE_DOWN: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    # A connection lost mid-statement or mid-transaction (the server was killed).
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)


def name_query(query: str) -> str:
    """The search text as a normalized project name."""
    return _SEPARATORS.sub("-", query.strip().lower()).strip("-")


def _bounded(value: int, default: int, maximum: int) -> int:
    if value < 0:
        raise InvalidArgument("Limits and page numbers must not be negative.")
    return min(value or default, maximum)


class CatalogService:
    def __init__(self, pool: asyncpg.Pool, *, acquire_timeout: float = 5.0) -> None:
        self._pool = pool
        self._acquire_timeout = acquire_timeout

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
                yield conn
        except _DATABASE_DOWN as exc:
            log.warning("database.unavailable", extra={"error": type(exc).__name__})
            raise Unavailable("Database unavailable") from exc

    async def search(self, query: str, feeds: list[str], limit: int = 0) -> list[CatalogProject]:
        text = query.strip()[:MAX_QUERY_LENGTH]
        normalized = name_query(text)
        if not normalized or not feeds:
            return []
        wanted = _bounded(limit, DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT)
        async with self._connection() as conn:
            # More candidates than asked for: the final ranking may lift one from below.
            candidates = await repo.search(
                conn, sorted(set(feeds)), normalized, text, max(wanted * 3, CANDIDATES)
            )
        return rank(candidates, normalized, wanted)

    async def list_projects(
        self, feed: str, order: ProjectOrder, page: int = 1, page_size: int = 0
    ) -> ProjectPage:
        size = _bounded(page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        number = _bounded(page, 1, 1_000_000)
        async with self._connection() as conn:
            total = await repo.count_projects(conn, feed)
            projects = await repo.list_projects(conn, feed, order, size, (number - 1) * size)
        return ProjectPage(tuple(projects), total)

    async def feed_stats(self, feeds: list[str]) -> list[FeedStats]:
        if not feeds:
            return []
        async with self._connection() as conn:
            found = {s.feed: s for s in await repo.feed_stats(conn, sorted(set(feeds)))}
        # Feeds with nothing in them get a row of zeros, so callers need not tell them apart.
        return [found.get(feed, FeedStats(feed)) for feed in feeds]

    async def record_downloads(self, counts: list[tuple[str, str, int]]) -> int:
        if len(counts) > MAX_DOWNLOAD_BATCH:
            raise InvalidArgument(f"At most {MAX_DOWNLOAD_BATCH} counts per batch.")
        if any(n < 0 for _, _, n in counts):
            raise InvalidArgument("Download counts must not be negative.")
        if not counts:
            return 0
        for attempt in range(3):
            try:
                async with self._connection() as conn:
                    return await repo.record_downloads(conn, counts)
            except asyncpg.DeadlockDetectedError:
                log.info("downloads.deadlock_retry", extra={"attempt": attempt})
        raise Unavailable("Could not record downloads; try again.")

    async def download_counts(self, feed: str, project: str) -> DownloadCounts:
        async with self._connection() as conn:
            found = await repo.project_id(conn, feed, project)
            if found is None:
                raise NotFound(f"Project '{project}' does not exist in feed '{feed}'.")
            return DownloadCounts(
                project=await repo.project_downloads(conn, found),
                files=await repo.file_downloads(conn, found),
            )

    async def recent_releases(
        self, feed: str, project: str = "", limit: int = 0
    ) -> list[ReleaseEntry]:
        async with self._connection() as conn:
            return await repo.recent_releases(
                conn, feed, project, _bounded(limit, DEFAULT_RECENT, MAX_RECENT)
            )
